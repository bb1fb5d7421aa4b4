package control

import (
	"strconv"
	"strings"

	"github.com/freedompay-mock/freedompay-mock/mock/notify"
)

// uiFailure is why a notify attempt got no answer, as the dashboard says
// it: Text in words, Raw the error as Go gave it when Text says it
// otherwise (shown on hover and under "details").
type uiFailure struct {
	Text string
	Raw  string
}

// attemptFailure is an attempt's failure to get an answer: the notify's
// own reason when it gave one without an answer, else its error made
// readable. nil when there is none to show.
func attemptFailure(a notify.Attempt) *uiFailure {
	text := readableError(a.Error)
	if a.HTTPStatus == 0 && a.Reason != "" {
		text = a.Reason
	}
	switch {
	case text == "":
		return nil
	case text == a.Error || a.Error == "":
		return &uiFailure{Text: text}
	}
	return &uiFailure{Text: text, Raw: a.Error}
}

// readableError shortens the text of an error net/http gave for a request
// that got no answer: it drops net/url's `Post "http://…": ` before it and
// net's `dial tcp 127.0.0.1:9000: connect: ` around the cause, and names
// the address once, where it helps:
//
//	Post "http://127.0.0.1:9000/n": dial tcp 127.0.0.1:9000: connect: connection refused
//	→ connection refused: nothing listens at 127.0.0.1:9000
//
// A text in another shape (already readable) is returned as it is.
func readableError(raw string) string {
	s := strings.TrimSpace(raw)
	lead := ""
	if rest, ok := strings.CutPrefix(s, "reading the answer: "); ok {
		lead, s = "reading the answer: ", rest
	}
	s = cutURLError(s)
	if cause, addr, ok := cutOpError(s); ok {
		s = causeAt(cause, addr)
	} else if s == "EOF" || s == "unexpected EOF" {
		s = "the connection was closed before an answer came (" + s + ")"
	}
	if s == "" {
		return strings.TrimSpace(raw)
	}
	return lead + s
}

// cutURLError drops the `Post "URL": ` net/url.Error puts before an
// error; the URL is on the page already.
func cutURLError(s string) string {
	op, rest, ok := strings.Cut(s, " ")
	if !ok || !isMethod(op) {
		return s
	}
	quoted, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return s
	}
	if after, ok := strings.CutPrefix(rest[len(quoted):], ": "); ok && after != "" {
		return after
	}
	return s
}

func isMethod(op string) bool {
	switch op {
	case "Get", "Head", "Post", "Put", "Patch", "Delete", "Options":
		return true
	}
	return false
}

// cutOpError splits a net.OpError's text, `dial tcp 127.0.0.1:9000:
// connect: connection refused` or `read tcp 10.0.0.1:5555->10.0.0.2:80:
// read: connection reset by peer`, into its cause and the remote address
// ("" when it names none).
func cutOpError(s string) (cause, addr string, ok bool) {
	head, rest, found := strings.Cut(s, ": ")
	if !found || rest == "" {
		return "", "", false
	}
	words := strings.Fields(head)
	if len(words) < 2 || len(words) > 3 || !isOp(words[0]) || !isNet(words[1]) {
		return "", "", false
	}
	if len(words) == 3 {
		addr = words[2]
		if _, remote, ok := strings.Cut(addr, "->"); ok {
			addr = remote
		}
	}
	// The system call the cause came from ("connect: ", "read: ") says
	// nothing the cause does not.
	if call, after, ok := strings.Cut(rest, ": "); ok && after != "" && isSyscall(call) {
		rest = after
	}
	return rest, addr, true
}

func isOp(op string) bool {
	switch op {
	case "dial", "read", "write":
		return true
	}
	return false
}

func isNet(n string) bool {
	switch n {
	case "tcp", "tcp4", "tcp6", "udp", "unix":
		return true
	}
	return false
}

func isSyscall(call string) bool {
	switch call {
	case "connect", "read", "write", "socket", "setsockopt", "getsockopt", "wsarecv", "wsasend", "connectex":
		return true
	}
	return false
}

// causeAt words a network error's cause with the address it concerns.
func causeAt(cause, addr string) string {
	if host, ok := lookupHost(cause); ok && strings.HasSuffix(cause, "no such host") {
		return "no such host: " + host
	}
	switch {
	case addr == "":
		return cause
	case cause == "connection refused":
		return "connection refused: nothing listens at " + addr
	case cause == "i/o timeout":
		return "no answer from " + addr + " in time (i/o timeout)"
	}
	return cause + " (" + addr + ")"
}

// lookupHost is the host of a DNS error's text: `lookup shop.invalid on
// 127.0.0.53:53: no such host` or `lookup shop.invalid: no such host`.
func lookupHost(cause string) (string, bool) {
	rest, ok := strings.CutPrefix(cause, "lookup ")
	if !ok {
		return "", false
	}
	host, _, _ := strings.Cut(rest, " ")
	host = strings.TrimSuffix(host, ":")
	return host, host != ""
}
