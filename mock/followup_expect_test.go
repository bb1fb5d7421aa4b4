package mock_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// verify judges what a merchant does after the charge: holds captured or
// cancelled by the merchant (not by their end after 5 days), no refund
// asked beyond what remains, a payment's captured and refunded amounts;
// the JUnit report names what went wrong.
func TestFollowUpExpectations(t *testing.T) {
	sc := shopScenario(t, "", `[[expect]]
holds_settled = true
[[expect]]
refunds_within_payment = true
[[expect]]
payment = { order_id = "F-PAID", captured = true, refunded = 1500 }
`)
	s := mock.RunT(t, mock.Options{Scenario: sc, ClockMode: "manual", Addr: "127.0.0.1:0"})
	base := s.URL()
	sh := newCarefulShop(t)
	captured := heldPayment(t, base, sh, "F-H1")
	payOp(t, base, "/do_capture.php", captured)
	cancelled := heldPayment(t, base, sh, "F-H2")
	payOp(t, base, "/cancel.php", cancelled)
	heldPayment(t, base, sh, "F-H3") // forgotten
	paid := paidPayment(t, base, sh, "F-PAID", "4111111111111111")
	payOp(t, base, "/g2g/refund", paid, "pg_amount", "1000")

	rep, err := s.Verify("")
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.Failed != 2 || rep.Passed != 1 {
		t.Fatalf("a hold open and a partial refund: %+v", rep.Results)
	}
	if m := rep.Results[0].Message; !strings.Contains(m, "1 of 3 hold(s) not settled") || !strings.Contains(m, "order F-H3) is still on hold") {
		t.Errorf("holds_settled: %s", m)
	}
	if m := rep.Results[2].Message; !strings.Contains(m, "want captured, refunded 1500.00") || !strings.Contains(m, "refunded 1000.00 of 1500.00 in 1 refund(s)") {
		t.Errorf("payment refunded: %s", m)
	}

	// The merchant refunds 600 where 500 remain (10020), then the rest.
	wantPayError(t, "a refund beyond the rest", payOp(t, base, "/revoke.php", paid, "pg_refund_amount", "600"), "10020")
	payOp(t, base, "/revoke.php", paid)
	// The forgotten hold is captured by its end after 5 days: still a failure.
	if _, err := s.Advance(5 * 24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	rep, _ = s.Verify("")
	if rep.OK || rep.Failed != 2 {
		t.Fatalf("after the refunds and 5 days: %+v", rep.Results)
	}
	if m := rep.Results[0].Message; !strings.Contains(m, "captured by the hold's end, 5 days after authorisation") {
		t.Errorf("holds_settled after 5 days: %s", m)
	}
	if m := rep.Results[1].Message; !strings.Contains(m, "/revoke.php") || !strings.Contains(m, "asked 600.00: 10020") {
		t.Errorf("refunds_within_payment: %s", m)
	}
	if !rep.Results[2].OK {
		t.Errorf("payment refunded in full: %+v", rep.Results[2])
	}
	res, err := http.Get(base + "/_mock/verify?format=junit")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body strings.Builder
	buf := make([]byte, 64<<10)
	for {
		n, err := res.Body.Read(buf)
		body.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if !strings.Contains(body.String(), `failures="2"`) || !strings.Contains(body.String(), "every hold captured or cancelled by the merchant") {
		t.Errorf("JUnit: %s", body.String())
	}

	for _, bad := range []struct{ toml, want string }{
		{"holds_settled = true\nno_pending_payments = true", "set exactly one of"},
		{`payment = { order_id = "X", refunded = 1.005 }`, "payment.refunded 1.005"},
	} {
		_, err := scenario.Parse("b.toml", []byte("[[merchants]]\nid = \"1\"\nsecret_key = \"k\"\npayout_secret_key = \"p\"\n[[expect]]\n"+bad.toml+"\n"))
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: %v, want %q", bad.toml, err, bad.want)
		}
	}
}

// refunds_within_payment reads the refused refund requests from the
// payments, not the journal: a 10020 stays a failure after the journal has
// let its request go (--journal-size).
func TestRefundsWithinPaymentOutlivesTheJournal(t *testing.T) {
	sc := shopScenario(t, "", "[[expect]]\nrefunds_within_payment = true\n")
	s := mock.RunT(t, mock.Options{Scenario: sc, ClockMode: "manual", Addr: "127.0.0.1:0", JournalSize: 3})
	base := s.URL()
	sh := newCarefulShop(t)
	paid := paidPayment(t, base, sh, "F-J1", "4111111111111111")
	wantPayError(t, "a refund beyond the amount", payOp(t, base, "/g2g/refund", paid, "pg_amount", "2000"), "10020")
	payOp(t, base, "/revoke.php", paid) // all that remains
	wantPayError(t, "a refund of a payment refunded in full", payOp(t, base, "/g2g/refund", paid, "pg_amount", "1"), "11018")
	for range 5 { // the journal keeps 3 requests
		payOp(t, base, "/get_status3.php", paid)
	}
	if p, _ := s.Requests(sandbox.RequestQuery{}); len(p.Entries) != 3 || p.Entries[0].Path != "/get_status3.php" {
		t.Fatalf("the journal holds %d requests, the oldest %+v: want the 3 last status requests", len(p.Entries), p.Entries)
	}
	rep, err := s.Verify("")
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || len(rep.Results) != 1 {
		t.Fatalf("two refused refunds, the journal past them: %+v", rep.Results)
	}
	m := rep.Results[0].Message
	for _, want := range []string{"/g2g/refund", "asked 2000.00: 10020", "(1500.00 remained)", "asked 1.00: 11018", "(0.00 remained)"} {
		if !strings.Contains(m, want) {
			t.Errorf("refunds_within_payment lacks %q: %s", want, m)
		}
	}
}
