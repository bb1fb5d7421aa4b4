package control

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/freedompay-mock/freedompay-mock/mock/notify"
)

func TestReadableError(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{`Post "http://127.0.0.1:9000/freedompay/payout": dial tcp 127.0.0.1:9000: connect: connection refused`, "connection refused: nothing listens at 127.0.0.1:9000"},
		{`dial tcp 127.0.0.1:9000: connect: connection refused`, "connection refused: nothing listens at 127.0.0.1:9000"},
		{`dial tcp [::1]:9000: connect: connection refused`, "connection refused: nothing listens at [::1]:9000"},
		{`Post "http://shop.invalid/n": dial tcp: lookup shop.invalid on 127.0.0.53:53: no such host`, "no such host: shop.invalid"},
		{`dial tcp: lookup shop.invalid: no such host`, "no such host: shop.invalid"},
		{`Post "http://10.1.2.3/n": dial tcp 10.1.2.3:80: i/o timeout`, "no answer from 10.1.2.3:80 in time (i/o timeout)"},
		{`dial tcp 10.1.2.3:80: connect: no route to host`, "no route to host (10.1.2.3:80)"},
		{`read tcp 127.0.0.1:5555->127.0.0.1:9000: read: connection reset by peer`, "connection reset by peer (127.0.0.1:9000)"},
		{`reading the answer: read tcp 127.0.0.1:5555->127.0.0.1:9000: read: connection reset by peer`, "reading the answer: connection reset by peer (127.0.0.1:9000)"},
		{`Post "http://127.0.0.1:9000/n": EOF`, "the connection was closed before an answer came (EOF)"},
		{`Post "http://a/\"x\": y": tls: first record does not look like a TLS handshake`, "tls: first record does not look like a TLS handshake"},
		// Already readable: as it is.
		{"connection refused: nothing listens at 127.0.0.1:9000", "connection refused: nothing listens at 127.0.0.1:9000"},
		{"timeout: no answer within 10s", "timeout: no answer within 10s"},
		{"answer headers over 64 KiB", "answer headers over 64 KiB"},
		{`Post "unterminated: x`, `Post "unterminated: x`},
		{"", ""},
	} {
		if got := readableError(tc.raw); got != tc.want {
			t.Errorf("readableError(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}

// An attempt shows the notify's own reason when it has one, else its error
// made readable; the raw error is kept only when it says it otherwise.
func TestAttemptFailure(t *testing.T) {
	raw := `dial tcp 127.0.0.1:9000: connect: connection refused`
	for _, tc := range []struct {
		a         notify.Attempt
		text, raw string
	}{
		{notify.Attempt{Error: raw}, "connection refused: nothing listens at 127.0.0.1:9000", raw},
		{notify.Attempt{Error: raw, Reason: "nothing listens on host.docker.internal:9000"}, "nothing listens on host.docker.internal:9000", raw},
		{notify.Attempt{Error: "timeout: no answer within 10s"}, "timeout: no answer within 10s", ""},
		{notify.Attempt{HTTPStatus: 500, Reason: "HTTP 500"}, "", ""},
	} {
		got := attemptFailure(tc.a)
		switch {
		case got == nil && tc.text != "":
			t.Errorf("%+v: no failure, want %q", tc.a, tc.text)
		case got != nil && (got.Text != tc.text || got.Raw != tc.raw):
			t.Errorf("%+v: got %+v, want %q (raw %q)", tc.a, *got, tc.text, tc.raw)
		}
	}
}

// Whatever error text it is given, readableError answers a text (never
// empty for a non-blank one), valid UTF-8 for valid UTF-8, and shortens
// only what it knows: its answer holds no net/url prefix it left.
func FuzzReadableError(f *testing.F) {
	for _, s := range []string{
		`Post "http://127.0.0.1:9000/freedompay/payout": dial tcp 127.0.0.1:9000: connect: connection refused`,
		`dial tcp: lookup shop.invalid on 127.0.0.53:53: no such host`,
		`reading the answer: read tcp 1.2.3.4:5->6.7.8.9:80: read: connection reset by peer`,
		`Post "": EOF`, `dial tcp : :`, "lookup ", `Get "\"": x`, "timeout: no answer within 10s",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := readableError(raw)
		if strings.TrimSpace(raw) != "" && got == "" {
			t.Fatalf("readableError(%q) is empty", raw)
		}
		if utf8.ValidString(raw) && !utf8.ValidString(got) {
			t.Fatalf("readableError(%q) = %q, not UTF-8", raw, got)
		}
		if len(got) > len(raw)+len("the connection was closed before an answer came ()")+len("connection refused: nothing listens at ") {
			t.Fatalf("readableError(%q) = %q grows the text", raw, got)
		}
	})
}
