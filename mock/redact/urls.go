package redact

import "strings"

// URLPassword stands in for the password of a URL in anything shown: the
// mask Go's url.URL.Redacted writes.
const URLPassword = "xxxxx"

// URLs masks the password of every URL in s, a callback URL or free text
// that quotes one, as url.URL.Redacted does: "http://user:pw@host/x"
// shows as "http://user:xxxxx@host/x". The user name stays, to tell which
// credentials a callback carried; a user name without a password
// ("https://token@host", as some services put a token) is masked whole,
// "https://xxxxx@host", in the first URL of s (a callback URL as given;
// what looks like a URL further on may be its path). A URL's authority is what follows "://" (or "//" at
// the start of s, a URL without a scheme) up to the first '/', '?', '#',
// space, double quote, backslash, backquote or angle bracket, none of
// which url.Parse takes in a user or a password; its password is what
// lies between the first ':' and the last '@' in it. Text without "//" is
// returned as it is, at the cost of one search.
func URLs(s string) string {
	start := -1 // where the authority of the next URL starts
	if strings.HasPrefix(s, "//") {
		start = len("//")
	} else if i := strings.Index(s, "://"); i >= 0 {
		start = i + len("://")
	}
	var b strings.Builder
	done := 0 // s[:done] is written to b
	for first := true; start >= 0; first = false {
		end := start + authorityLen(s[start:])
		if at := strings.LastIndexByte(s[start:end], '@'); at >= 0 {
			if done == 0 {
				b.Grow(len(s))
			}
			if colon := strings.IndexByte(s[start:start+at], ':'); colon >= 0 {
				b.WriteString(s[done : start+colon+1])
				b.WriteString(URLPassword)
				done = start + at
			} else if first && at > 0 { // a user name alone is a token: masked whole
				b.WriteString(s[done:start])
				b.WriteString(URLPassword)
				done = start + at
			}
		}
		start = -1
		if i := strings.Index(s[end:], "://"); i >= 0 {
			start = end + i + len("://")
		}
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// authorityLen is the length of the URL authority s starts with.
func authorityLen(s string) int {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '/', '?', '#', '"', '\\', '<', '>', '`':
			return i
		default:
			if c <= ' ' || c == 0x7f {
				return i
			}
		}
	}
	return len(s)
}

// Text masks what free text may hold that needs no secret to be found:
// card numbers (Cards) and the passwords of URLs (URLs). It is the mask of
// text the sandbox keeps as it was sent and shows: a payment's
// description, a refusal, a merchant's words.
func Text(s string) string { return Cards(URLs(s)) }
