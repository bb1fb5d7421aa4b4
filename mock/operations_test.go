package mock_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// The test cards' capabilities (payments.md §7): what each refuses after
// the charge answers a signed error (payOp checks every reply's
// signature), and the state's own refusals come first.
func TestTestCardsRefuseOperations(t *testing.T) {
	_, _, base := payServer(t)
	sh := newCarefulShop(t)
	held := func(order, pan string) string {
		t.Helper()
		created := initPayment(t, base, sh, "pg_order_id", order, "pg_auto_clearing", "0")
		code, loc, _ := payCard(t, created.Value("pg_redirect_url"), pan)
		if strings.Contains(loc, "/3ds-page/") {
			confirmACS(t, base, loc)
		} else if code != http.StatusOK {
			t.Fatalf("paying with %s: %d", pan, code)
		}
		return created.Value("pg_payment_id")
	}

	// 4716…: cancel not available (10012); capture and refund go through.
	id := held("OP-1", "4716047261941981")
	wantPayError(t, "cancel with 4716…", payOp(t, base, "/cancel.php", id), "10012")
	wantPayError(t, "/g2g/cancel with 4716…", payOp(t, base, "/g2g/cancel", id), "10012")
	if r := payOp(t, base, "/do_capture.php", id); r.get("pg_status") != "ok" {
		t.Fatalf("capture with 4716…: %s", r.body)
	}
	if r := payOp(t, base, "/revoke.php", id, "pg_refund_amount", "100"); r.get("pg_status") != "ok" {
		t.Fatalf("refund with 4716…: %s", r.body)
	}

	// 4916 3074…: 3-D Secure; cancel 10012, refund 10019 (not available).
	id = held("OP-2", "4916307416334310")
	wantPayError(t, "cancel with 4916 3074…", payOp(t, base, "/g2g/cancel", id), "10012")
	payOp(t, base, "/g2g/clearing", id)
	r := payOp(t, base, "/g2g/refund", id, "pg_amount", "10")
	wantPayError(t, "refund with 4916 3074…", r, "10019")
	if !strings.Contains(r.get("pg_error_description"), "другую карту") {
		t.Errorf("10019's text: %s", r.body)
	}
	if st := status3(t, base, id); hasField(st, "pg_refund_amount") {
		t.Errorf("a refused refund was booked: %s", st.body)
	}

	// 4939…: capture 10019, cancel ok; one-step, a refund 10034 (impossible).
	id = held("OP-3", "4939770956154989")
	wantPayError(t, "capture with 4939…", payOp(t, base, "/do_capture.php", id), "10019")
	if r := payOp(t, base, "/cancel.php", id); r.get("pg_status") != "ok" {
		t.Fatalf("cancel with 4939…: %s", r.body)
	}
	wantPayError(t, "a second cancel with 4939…", payOp(t, base, "/cancel.php", id), "10033")
	id = paidPayment(t, base, sh, "OP-4", "4939770956154989")
	wantPayError(t, "refund with 4939…", payOp(t, base, "/revoke.php", id), "10034")
	wantPayError(t, "capture of a one-step payment with 4939…", payOp(t, base, "/do_capture.php", id), "10036")

	// Any other card takes everything.
	id = held("OP-5", "4111111111111111")
	payOp(t, base, "/do_capture.php", id, "pg_clearing_amount", "1000")
	if r := payOp(t, base, "/g2g/refund", id, "pg_amount", "1000"); r.get("pg_refund_status") != "success" {
		t.Fatalf("refund with any card: %s", r.body)
	}
}

// A payment rule's operations script a refusal for any card, and 0 lets
// through what the test card would refuse; they survive a restart, and so
// does the count of refunds refused 10020 that refunds_within_payment
// judges.
func TestRuleOperations(t *testing.T) {
	sc := shopScenario(t, "", `[[rules]]
kind = "payment"
match = { order_id = "BIG-*" }
operations = { refund = 10020, capture = 9999 }
[[rules]]
kind = "payment"
match = { card = "4716047261941981" }
operations = { cancel = 0 }
[[expect]]
refunds_within_payment = true
`)
	dir := t.TempDir()
	c := clock.NewManual(t0)
	start := func() (*mock.Server, string) {
		s := mock.RunT(t, mock.Options{Scenario: sc, Clock: c, Addr: "127.0.0.1:0", StateDir: dir})
		return s, s.URL()
	}
	s, base := start()
	sh := newCarefulShop(t)
	big := paidPayment(t, base, sh, "BIG-1", "4111111111111111")
	wantPayError(t, "a refund the rule refuses", payOp(t, base, "/revoke.php", big), "10020")
	created := initPayment(t, base, sh, "pg_order_id", "BIG-2", "pg_auto_clearing", "0")
	payCard(t, created.Value("pg_redirect_url"), "4111111111111111")
	wantPayError(t, "a capture the rule refuses", payOp(t, base, "/g2g/clearing", created.Value("pg_payment_id")), "9999")
	created = initPayment(t, base, sh, "pg_order_id", "SMALL-1", "pg_auto_clearing", "0")
	payCard(t, created.Value("pg_redirect_url"), "4716047261941981")
	small := created.Value("pg_payment_id")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, base = start()
	defer s.Close()
	wantPayError(t, "a refund the rule refuses, after a restart", payOp(t, base, "/g2g/refund", big, "pg_amount", "1"), "10020")
	if r := payOp(t, base, "/cancel.php", small); r.get("pg_status") != "ok" {
		t.Fatalf("a cancel the rule lets through (4716… refuses it): %s", r.body)
	}
	rep, err := s.Verify("")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || rep.Results[0].OK {
		t.Fatalf("two refunds refused 10020, one before the restart: %+v", rep.Results)
	}
	if m := rep.Results[0].Message; !strings.Contains(m, "/revoke.php at") || !strings.Contains(m, "asked the rest: 10020 refused by rule 0's operations") || !strings.Contains(m, "/g2g/refund at") || !strings.Contains(m, "asked 1.00: 10020") {
		t.Errorf("refunds_within_payment: %s", m)
	}
}

func TestRuleOperationsValidated(t *testing.T) {
	for _, tc := range []struct{ rule, want string }{
		{`kind = "payment"` + "\n" + `operations = { capture = 10001, clearing = 10019 }`, `operations.clearing: want "capture", "cancel" or "refund"`},
		{`kind = "payment"` + "\n" + `operations = { refund = 8888 }`, `operations.refund = 8888: want 0 (the operation goes through) or one of the codes`},
		{`timeline = [{ at = "0s", status = "success" }]` + "\n" + `operations = { refund = 10019 }`, `operations are for payment rules`},
	} {
		_, err := scenario.Parse("v.toml", []byte("[[merchants]]\nid = \"1\"\nsecret_key = \"k\"\npayout_secret_key = \"p\"\n[[rules]]\n"+tc.rule+"\n"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("rule %q: got %v, want an error saying %q", tc.rule, err, tc.want)
		}
	}
}

// confirmACS answers the issuer's 3DS page at loc with Confirm.
func confirmACS(t *testing.T, base, loc string) {
	t.Helper()
	res, err := http.PostForm(base+loc, url.Values{"acs": {"confirm"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
}

// The .php-less twins of the payment scripts (open point 1) answer as the
// .php paths do, each signed with its own last segment (payOp signs and
// checks under it).
func TestPHPLessTwins(t *testing.T) {
	_, _, base := payServer(t)
	sh := newCarefulShop(t)
	id := heldPayment(t, base, sh, "TW-1")
	if r := payOp(t, base, "/get_status3", id); r.get("pg_payment_status") != "success" || r.get("pg_captured") != "0" {
		t.Fatalf("/get_status3: %s", r.body)
	}
	if r := payOp(t, base, "/do_capture", id, "pg_clearing_amount", "1000"); r.get("pg_clearing_amount") != "1000.00" {
		t.Fatalf("/do_capture: %s", r.body)
	}
	if r := payOp(t, base, "/revoke", id); r.get("pg_transaction_status") != "revoked" {
		t.Fatalf("/revoke: %s", r.body)
	}
	if r := payOp(t, base, "/get_status2", "0", "pg_order_id", "TW-1"); r.get("pg_transaction_status") != "revoked" {
		t.Fatalf("/get_status2: %s", r.body)
	}
	wantPayError(t, "/cancel after a capture", payOp(t, base, "/cancel", id), "10012")
	if r := payOp(t, base, "/cancel", heldPayment(t, base, sh, "TW-2")); r.get("pg_status") != "ok" {
		t.Fatalf("/cancel: %s", r.body)
	}
}

// A hold on a card that takes no clearing (4939…) is not captured by its
// end after 5 days: it stays held, and a refund is 10034 as before.
func TestHoldOfACardWithoutClearing(t *testing.T) {
	s, _, base := payServer(t)
	sh := newCarefulShop(t)
	created := initPayment(t, base, sh, "pg_order_id", "OP-5D", "pg_auto_clearing", "0")
	payCard(t, created.Value("pg_redirect_url"), "4939770956154989")
	id := created.Value("pg_payment_id")
	if _, err := s.Advance(5*24*time.Hour + time.Second); err != nil {
		t.Fatal(err)
	}
	if st := status3(t, base, id); st.get("pg_captured") != "0" || hasField(st, "pg_clearing_amount") {
		t.Errorf("5 days on: %s, want still held", st.body)
	}
	wantPayError(t, "a refund", payOp(t, base, "/revoke.php", id), "10034")
	if r := payOp(t, base, "/cancel.php", id); r.get("pg_status") != "ok" {
		t.Errorf("a cancel of the hold: %s", r.body)
	}
}

// shopScenario is a scenario with merchant 9970 as payServer's (secret
// payment_secret_key, payout secret test_secret_key) and more: head before
// it ([payments] settings), tail after it (merchant keys, rules,
// expectations).
func shopScenario(t *testing.T, head, tail string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("shop.toml", []byte(head+`
[[merchants]]
id = "9970"
secret_key = "payment_secret_key"
payout_secret_key = "test_secret_key"
`+tail))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}
