package notify

import (
	"fmt"
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
	f.Add([]byte(strings.Repeat("<a>", 17) + strings.Repeat("</a>", 17)))
	f.Add([]byte(`<response><pg_status>ok</pg_status><a><b><c>1</c><c>2</c></b></a><pg_sig>0</pg_sig></response>`))
	f.Add([]byte(`<response><pg_status>ok</pg_status><pg_salt>test_secret_key</pg_salt><pg_sig>0</pg_sig></response>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		const secret = "test_secret_key"
		ok, reason := CheckAck(body, "post", secret)
		if ok == (reason != "") {
			t.Fatalf("verdict %v with reason %q: a failed verdict needs a reason, a pass none", ok, reason)
		}
		// The reason may quote the merchant's body; the secret is never
		// shown otherwise (a signing string masks it wherever it is).
		if showsSecret(reason, body, secret) {
			t.Fatalf("reason shows the secret: %q", reason)
		}
		if strings.Contains(reason, "signing string") && strings.Contains(reason, secret) {
			t.Fatalf("a signing string shows the secret: %q", reason)
		}
	})
}

// TestCheckAckRefusesWhatNoAckHolds: an answer nested too deep, with too
// many elements, or whose names flatten to too much is refused while its
// tokens are walked, at a cost linear in its size.
func TestCheckAckRefusesWhatNoAckHolds(t *testing.T) {
	long := strings.Repeat("n", 1000)
	nested := "<response><pg_status>ok</pg_status><pg_sig>0</pg_sig>" + strings.Repeat("<"+long+">", 15) +
		strings.Repeat("<b/>", 12000) + strings.Repeat("</"+long+">", 15) + "</response>"
	for _, c := range []struct{ name, body, want string }{
		{"names", nested, "field names come to more than 64 KiB"},
		{"deep", "<response>" + strings.Repeat("<a>", 20000), "more than 16 deep"},
		{"deep but closed", strings.Repeat("<a>", 17) + strings.Repeat("</a>", 17), "more than 16 deep"},
		{"many", "<response>" + strings.Repeat("<x>1</x>", 8000) + "</response>", "more than 1000 elements"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var ok bool
			var reason string
			allocs := testing.AllocsPerRun(3, func() { ok, reason = CheckAck([]byte(c.body), "post", "k") })
			if ok || !strings.Contains(reason, c.want) {
				t.Fatalf("got %v %q, want a refusal saying %q", ok, reason, c.want)
			}
			// A few allocations per token at most, never per name
			// repeated in a flattened field.
			if max := float64(4 * len(c.body) / 3); allocs > max {
				t.Errorf("%.0f allocations for %d bytes, want at most %.0f", allocs, len(c.body), max)
			}
		})
	}
	// A flat ack at the limits still parses.
	var flat strings.Builder
	flat.WriteString("<response><pg_status>ok</pg_status>")
	for i := range 998 {
		fmt.Fprintf(&flat, "<x%d>v</x%d>", i, i)
	}
	flat.WriteString("<pg_sig>0</pg_sig></response>")
	if _, reason := CheckAck([]byte(flat.String()), "post", "k"); !strings.Contains(reason, "does not verify") {
		t.Errorf("a flat ack of 1000 fields: %q, want it judged by its signature", reason)
	}
}

// showsSecret reports whether shown, a message quoting a merchant's body,
// shows secret where neither the body nor its quoted form (%q turns a tab
// before "est_…" into `\test_…`) does.
func showsSecret(shown string, body []byte, secret string) bool {
	return strings.Contains(shown, secret) && !strings.Contains(string(body), secret) &&
		!strings.Contains(fmt.Sprintf("%q", body), secret)
}
