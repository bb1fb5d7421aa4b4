package wire

import (
	"net/url"
	"strconv"
)

// MaxCallbackURL bounds a callback URL (pg_post_link, pg_back_link, a
// scenario's post_link): FreedomPay documents no length; this is a browser's
// and a web server's usual URL limit, and a payout keeps the URL and every
// notify repeats it.
const MaxCallbackURL = 2048

// CallbackURLProblem says what keeps s from being a URL the sandbox can
// call back or send a payer to, "" when nothing does: an absolute http(s)
// URL with a host, a port from 1 to 65535 if it has one, at most
// MaxCallbackURL bytes, and no space or control character anywhere (Go's
// URL parser lets "a b" through in a query, and the request line sent to
// the merchant would then carry it raw: "GET /hooks?a b HTTP/1.1").
func CallbackURLProblem(s string) string {
	if len(s) > MaxCallbackURL {
		return "at most " + strconv.Itoa(MaxCallbackURL) + " characters"
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return "holds a space or a control character at byte " + strconv.Itoa(i+1) + "; percent-encode it (%20)"
		}
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "want an absolute http(s) URL"
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "port " + p + " is not a port (1-65535): nothing could be delivered there"
		}
	}
	return ""
}
