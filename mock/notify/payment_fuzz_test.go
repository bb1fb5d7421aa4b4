package notify

import (
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// FuzzReadReply: a merchant's answer to a payment callback, whatever it
// is, reads without a panic; an answer the sandbox signs itself reads as
// signed, with its status and description.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{"", "ok", "<response/>", `<?xml version="1.0"?><response><pg_status>rejected</pg_status><pg_description>no</pg_description></response>`,
		"<pg_status>ok</pg_status>", "{}", "<response><pg_status>ok", "<response><a><b><c/></b></a></response>"} {
		f.Add(s, "ok", "desc")
	}
	f.Fuzz(func(t *testing.T, body, status, desc string) {
		ReadReply([]byte(body), "result", "secret")
		ReplyDescription(body)
		fs := sign.Fields{{Name: "pg_status", Value: status}, {Name: "pg_description", Value: desc}, {Name: "pg_salt", Value: "s"}}
		fs = append(fs, sign.Field{Name: sign.FieldSig, Value: sign.Sign("result", fs, "secret")})
		enc := wire.Encode(fs)
		back, err := wire.DecodeXML(enc)
		if err != nil || back.Value("pg_status") != status || back.Value("pg_description") != desc {
			return // a value XML cannot carry as it is (control characters): not an answer a merchant sends
		}
		got, signed, why := ReadReply(enc, "result", "secret")
		if !signed || got != status {
			t.Fatalf("a signed answer read as status %q signed %v (%s):\n%s", got, signed, why, enc)
		}
		if d := ReplyDescription(string(enc)); d != desc {
			t.Fatalf("description %q, want %q", d, desc)
		}
	})
}
