package wire

import (
	"net/url"
	"strings"
	"testing"
)

func TestCallbackURLProblem(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:9000/hooks/post?x=1":  "",
		"https://shop.kz/hooks/payout-result":   "",
		"http://h:1/hooks?a b HTTP/1.0":         "space or a control character at byte 19",
		"http://h/hooks\tx":                     "space or a control character",
		"http://h/hooks\r\nX-Injected: 1":       "space or a control character",
		"http://h/\x7f":                         "space or a control character",
		" http://h/":                            "space or a control character at byte 1",
		"ftp://h/x":                             "absolute http(s) URL",
		"/hooks/post":                           "absolute http(s) URL",
		"http:///path":                          "absolute http(s) URL",
		"http://h:0/":                           "port 0 is not a port",
		"http://h:70000/":                       "port 70000 is not a port",
		"http://h/" + strings.Repeat("a", 2040): "at most 2048 characters",
	} {
		got := CallbackURLProblem(in)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("CallbackURLProblem(%.60q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzCallbackURL: a URL taken as a callback parses as an absolute http(s)
// URL, and the request line sent to it carries no space or control
// character.
func FuzzCallbackURL(f *testing.F) {
	f.Add("http://127.0.0.1:9000/hooks/post?x=1")
	f.Add("http://h:1/hooks?a b HTTP/1.0")
	f.Add("https://[::1]:443/a%20b?c=d#e")
	f.Fuzz(func(t *testing.T, s string) {
		if CallbackURLProblem(s) != "" {
			return
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.Fatalf("%q taken, but it is no absolute http(s) URL (%v)", s, err)
		}
		if line := u.RequestURI(); strings.ContainsFunc(line, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			t.Fatalf("%q taken, and its request line %q holds a space or control character", s, line)
		}
	})
}
