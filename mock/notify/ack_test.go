package notify

import (
	"strings"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

func TestCheckAckVectorD(t *testing.T) {
	// Vector D: the SDK's signed ack to a notify sent to .../hooks/post.
	fs := sign.Fields{{Name: "pg_status", Value: "ok"}, {Name: "pg_description", Value: "Success message"},
		{Name: "pg_salt", Value: "d35c2d6142891f3cf1119c115af837b0"}, {Name: "pg_merchant_id", Value: "123456"},
		{Name: "pg_sig", Value: "579736010e22a4cac4de3f787fe0fbdc"}}
	if ok, reason := CheckAck(wire.Encode(fs), "post", "asflerjgsdfv"); !ok {
		t.Fatalf("vector D ack judged non-conforming: %s", reason)
	}
	if ok, reason := CheckAck(wire.Encode(fs), "payout", "asflerjgsdfv"); ok || !strings.Contains(reason, "does not verify") {
		t.Fatalf("vector D under another script name: %v %q, want a signature failure", ok, reason)
	}
	if ok, _ := CheckAck([]byte(`<?xml version="1.0" encoding="utf-8"?>`+"\n<pg_status> ok </pg_status>\n"), "post", "k"); !ok {
		t.Fatal("the docs' bare ack judged non-conforming")
	}
}

func FuzzCheckAck(f *testing.F) {
	f.Add([]byte("<pg_status>ok</pg_status>"))
	f.Add([]byte(`<response><pg_status>ok</pg_status><pg_sig>x</pg_sig></response>`))
	f.Add([]byte(`{"ok":true}`))
	f.Add([]byte(`<response><pg_status>ok</pg_status><pg_salt>test_secret_key</pg_salt><pg_sig>0</pg_sig></response>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		const secret = "test_secret_key"
		ok, reason := CheckAck(body, "post", secret)
		if ok == (reason != "") {
			t.Fatalf("verdict %v with reason %q: a failed verdict needs a reason, a pass none", ok, reason)
		}
		// The reason may quote the merchant's body; the secret is never
		// shown otherwise (a signing string masks it wherever it is).
		if strings.Contains(reason, secret) && !strings.Contains(string(body), secret) {
			t.Fatalf("reason shows the secret: %q", reason)
		}
		if strings.Contains(reason, "signing string") && strings.Contains(reason, secret) {
			t.Fatalf("a signing string shows the secret: %q", reason)
		}
	})
}
