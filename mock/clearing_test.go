package mock_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// Two-step payments (payments.md §3.4), as a client written from the
// reference tries them: every reply's signature is checked under the
// route's script name, errors included (business errors are signed, with
// pg_datetime).

// payOp posts a signed request to a two-step route (path, script its last
// segment) for payment id, with more fields in kv, and checks the reply's
// signature.
func payOp(t *testing.T, base, path, id string, kv ...string) reply {
	t.Helper()
	script := path[strings.LastIndexByte(path, '/')+1:]
	all := append([]string{"pg_merchant_id", "9970", "pg_payment_id", id}, kv...)
	r := payPost(t, base+path, signed(script, paymentSecret, all...))
	if !sign.Verify(script, r.fields, paymentSecret) {
		t.Fatalf("%s: the reply's signature does not verify under %q: %s", path, script, r.body)
	}
	if r.get("pg_status") == "error" && r.get("pg_datetime") == "" {
		t.Errorf("%s: a business error without pg_datetime: %s", path, r.body)
	}
	return r
}

// wantPayError fails t unless r is the error code.
func wantPayError(t *testing.T, what string, r reply, code string) {
	t.Helper()
	if r.get("pg_status") != "error" || r.get("pg_error_code") != code {
		t.Errorf("%s: got %s, want error %s", what, r.body, code)
	}
}

// heldPayment makes a payment with pg_auto_clearing=0 and pays it with a
// card that succeeds: authorised and held.
func heldPayment(t *testing.T, base string, sh *shop, order string) string {
	t.Helper()
	created := initPayment(t, base, sh, "pg_order_id", order, "pg_auto_clearing", "0")
	payCard(t, created.Value("pg_redirect_url"), "4111111111111111") // any card: 4716… takes no cancel (payments.md §7)
	return created.Value("pg_payment_id")
}

// paidPayment makes a payment paid with card pan, auto-cleared by default.
func paidPayment(t *testing.T, base string, sh *shop, order, pan string) string {
	t.Helper()
	created := initPayment(t, base, sh, "pg_order_id", order)
	payCard(t, created.Value("pg_redirect_url"), pan)
	return created.Value("pg_payment_id")
}

// listed is the payment of order as /_mock/payments lists it, decoded
// into the control API's own type.
func listed(t *testing.T, base, order string) sandbox.Payment {
	t.Helper()
	var list struct {
		Payments []sandbox.Payment `json:"payments"`
	}
	getJSON(t, base+"/_mock/payments?merchant_id=9970&order_id="+url.QueryEscape(order), &list)
	if len(list.Payments) != 1 {
		t.Fatalf("/_mock/payments?order_id=%s lists %d payments, want 1", order, len(list.Payments))
	}
	return list.Payments[0]
}

func TestTwoStepHoldAndPartialCapture(t *testing.T) {
	_, _, base := payServer(t)
	sh := newCarefulShop(t)
	id := heldPayment(t, base, sh, "ORD-H1")
	if _, results := sh.got(); len(results) != 1 || results[0].Get("pg_result") != "1" || results[0].Get("pg_captured") != "0" {
		t.Fatalf("result notifies %v, want one with pg_result=1 and pg_captured=0", results)
	}
	st := status3(t, base, id)
	if st.get("pg_payment_status") != "success" || st.get("pg_captured") != "0" || hasField(st, "pg_clearing_amount") {
		t.Fatalf("held: %s", st.body)
	}
	if p := listed(t, base, "ORD-H1"); p.Captured || p.ClearingAmount != "0.00" {
		t.Errorf("/_mock/payments while held: %+v", p)
	}

	r := payOp(t, base, "/do_capture.php", id, "pg_clearing_amount", "1000")
	if got, want := r.names(), []string{"pg_status", "pg_amount", "pg_clearing_amount", "pg_salt", "pg_sig"}; !slices.Equal(got, want) {
		t.Errorf("do_capture.php reply fields %v, want %v", got, want)
	}
	if r.get("pg_status") != "ok" || r.get("pg_amount") != "1500.00" || r.get("pg_clearing_amount") != "1000.00" {
		t.Fatalf("do_capture.php: %s", r.body)
	}
	st = status3(t, base, id)
	if st.get("pg_payment_status") != "success" || st.get("pg_captured") != "1" || st.get("pg_clearing_amount") != "1000.00" {
		t.Fatalf("after a partial capture: %s", st.body)
	}
	v2 := payPost(t, base+"/g2g/status_v2", signed("status_v2", paymentSecret, "pg_merchant_id", "9970", "pg_payment_id", id, "pg_order_id", "ORD-H1"))
	if !sign.Verify("status_v2", v2.fields, paymentSecret) || v2.get("pg_captured") != "1" || v2.get("pg_clearing_amount") != "1000.00" {
		t.Fatalf("status_v2 after a partial capture: %s", v2.body)
	}
	if p := listed(t, base, "ORD-H1"); !p.Captured || p.ClearingAmount != "1000.00" {
		t.Errorf("/_mock/payments after the capture: %+v", p)
	}

	wantPayError(t, "a second capture", payOp(t, base, "/do_capture.php", id), "10036")
	wantPayError(t, "a second capture through /g2g/clearing", payOp(t, base, "/g2g/clearing", id), "10036")
	wantPayError(t, "a cancel after the capture", payOp(t, base, "/cancel.php", id), "10012")
	if st := status3(t, base, id); st.get("pg_clearing_amount") != "1000.00" || st.get("pg_payment_status") != "success" {
		t.Errorf("after the refused requests: %s", st.body)
	}
	if _, results := sh.got(); len(results) != 1 {
		t.Errorf("%d result notifies, want the authorisation's alone", len(results))
	}
}

func TestTwoStepCaptureRefusals(t *testing.T) {
	_, _, base := payServer(t)
	sh := newCarefulShop(t)
	declined := paidPayment(t, base, sh, "ORD-D", "4916109830832246") // 10009
	wantPayError(t, "capture of a declined payment", payOp(t, base, "/do_capture.php", declined), "10035")
	unpaid := initPayment(t, base, sh, "pg_order_id", "ORD-U", "pg_auto_clearing", "0").Value("pg_payment_id")
	wantPayError(t, "capture of an unpaid payment", payOp(t, base, "/g2g/clearing", unpaid), "10035")
	oneStep := paidPayment(t, base, sh, "ORD-1S", "4111111111111111") // any card: 4716… takes no cancel (payments.md §7)
	wantPayError(t, "capture of a one-step payment", payOp(t, base, "/do_capture.php", oneStep), "10036")

	held := heldPayment(t, base, sh, "ORD-H2")
	for _, amount := range []string{"1500.01", "0", "-5", "abc"} {
		r := payOp(t, base, "/do_capture.php", held, "pg_clearing_amount", amount)
		wantPayError(t, "pg_clearing_amount="+amount, r, "9403")
		if !strings.Contains(r.get("pg_error_description"), "pg_clearing_amount") {
			t.Errorf("pg_clearing_amount=%s: the error does not name the field: %s", amount, r.body)
		}
	}
	if st := status3(t, base, held); st.get("pg_captured") != "0" {
		t.Fatalf("after refused captures: %s", st.body)
	}
	r := payOp(t, base, "/g2g/clearing", held)
	if got, want := r.names(), []string{"pg_payment_id", "pg_amount", "pg_clearing_amount", "pg_status", "pg_status_clearing", "pg_salt", "pg_sig"}; !slices.Equal(got, want) {
		t.Errorf("/g2g/clearing reply fields %v, want %v", got, want)
	}
	if r.get("pg_payment_id") != held || r.get("pg_clearing_amount") != "1500.00" || r.get("pg_status") != "ok" || r.get("pg_status_clearing") != "1" {
		t.Fatalf("/g2g/clearing in full: %s", r.body)
	}
	if st := status3(t, base, held); st.get("pg_captured") != "1" || st.get("pg_clearing_amount") != "1500.00" {
		t.Fatalf("after a full capture: %s", st.body)
	}
	// Unknown payment: 11068, unsigned as every "not found" (§3.3).
	r = payPost(t, base+"/do_capture.php", signed("do_capture.php", paymentSecret, "pg_merchant_id", "9970", "pg_payment_id", "1"))
	if r.get("pg_error_code") != "11068" || hasField(r, "pg_sig") {
		t.Errorf("capture of an unknown payment: %s", r.body)
	}
}

func TestTwoStepCancel(t *testing.T) {
	_, _, base := payServer(t)
	sh := newCarefulShop(t)
	held := heldPayment(t, base, sh, "ORD-C1")
	r := payOp(t, base, "/g2g/cancel", held)
	if got, want := r.names(), []string{"pg_payment_id", "pg_payment_revoke_id", "pg_status", "pg_revoke_status", "pg_salt", "pg_sig"}; !slices.Equal(got, want) {
		t.Errorf("/g2g/cancel reply fields %v, want %v", got, want)
	}
	if r.get("pg_payment_id") != held || r.get("pg_payment_revoke_id") == "" || r.get("pg_payment_revoke_id") == held ||
		r.get("pg_status") != "ok" || r.get("pg_revoke_status") != "success" {
		t.Fatalf("/g2g/cancel: %s", r.body)
	}
	if st := status3(t, base, held); st.get("pg_payment_status") != "revoked" || st.get("pg_captured") != "0" {
		t.Fatalf("after a cancel: %s", st.body)
	}
	wantPayError(t, "a second cancel", payOp(t, base, "/cancel.php", held), "10033")
	wantPayError(t, "a capture after a cancel", payOp(t, base, "/do_capture.php", held), "10035")
	if p := listed(t, base, "ORD-C1"); p.Status != "revoked" || p.Captured || p.ClearingAmount != "0.00" {
		t.Errorf("/_mock/payments after the cancel: %+v", p)
	}

	other := heldPayment(t, base, sh, "ORD-C2")
	if r := payOp(t, base, "/cancel.php", other); !slices.Equal(r.names(), []string{"pg_status", "pg_salt", "pg_sig"}) || r.get("pg_status") != "ok" {
		t.Fatalf("cancel.php: %s", r.body)
	}
	declined := paidPayment(t, base, sh, "ORD-C3", "5335215945367703") // 10001
	wantPayError(t, "cancel of a declined payment", payOp(t, base, "/g2g/cancel", declined), "9013")
	oneStep := paidPayment(t, base, sh, "ORD-C4", "4111111111111111") // any card: 4716… takes no cancel (payments.md §7)
	wantPayError(t, "cancel of a one-step payment", payOp(t, base, "/cancel.php", oneStep), "10012")
	if _, results := sh.got(); len(results) != 4 {
		t.Errorf("%d result notifies, want the four authorisations' and no more", len(results))
	}
}

func TestTwoStepHoldCapturedAfterFiveDays(t *testing.T) {
	s, _, base := payServer(t)
	sh := newCarefulShop(t)
	id := heldPayment(t, base, sh, "ORD-5D")
	if _, err := s.Advance(5*24*time.Hour - time.Minute); err != nil {
		t.Fatal(err)
	}
	if st := status3(t, base, id); st.get("pg_captured") != "0" {
		t.Fatalf("a minute before 5 days: %s", st.body)
	}
	if _, err := s.Advance(time.Minute); err != nil {
		t.Fatal(err)
	}
	st := status3(t, base, id)
	if st.get("pg_payment_status") != "success" || st.get("pg_captured") != "1" || st.get("pg_clearing_amount") != "1500.00" {
		t.Fatalf("5 days after authorisation: %s", st.body)
	}
	if p := listed(t, base, "ORD-5D"); !p.Captured || p.ClearingAmount != "1500.00" {
		t.Errorf("/_mock/payments after 5 days: %+v", p)
	}
	wantPayError(t, "a capture after 5 days", payOp(t, base, "/do_capture.php", id), "10036")
	wantPayError(t, "a cancel after 5 days", payOp(t, base, "/g2g/cancel", id), "10012")
}

// A merchant with auto_clearing = false holds its payments without
// pg_auto_clearing, and clearing_flag names /g2g/clearing's flag as the
// schema does.
func TestTwoStepMerchantSettingAndClearingFlag(t *testing.T) {
	sh := newCarefulShop(t)
	sc, err := scenario.Parse("hold.toml", []byte(`
name = "holds"
[payments]
clearing_flag = "clearing_status"
[[merchants]]
id = "9970"
secret_key = "`+paymentSecret+`"
payout_secret_key = "payout"
auto_clearing = false
`))
	if err != nil {
		t.Fatal(err)
	}
	s := mock.RunT(t, mock.Options{Scenario: sc, Clock: clock.NewManual(t0), Addr: "127.0.0.1:0"})
	base := s.URL()
	id := paidPayment(t, base, sh, "ORD-M", "4111111111111111") // any card: 4716… takes no cancel (payments.md §7)
	if _, results := sh.got(); len(results) != 1 || results[0].Get("pg_captured") != "0" {
		t.Fatalf("result notifies %v, want one with pg_captured=0", results)
	}
	r := payOp(t, base, "/g2g/clearing", id, "pg_clearing_amount", "10.50")
	if r.get("pg_clearing_status") != "1" || hasField(r, "pg_status_clearing") || r.get("pg_clearing_amount") != "10.50" {
		t.Fatalf("/g2g/clearing with clearing_flag = \"clearing_status\": %s", r.body)
	}
}

func hasField(r reply, name string) bool { _, ok := r.fields.Get(name); return ok }

// A capture and a cancel survive a restart (--state), and a hold left
// alone is still captured 5 days after its authorisation.
func TestTwoStepSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	sh := newCarefulShop(t)
	start := func() (*mock.Server, string) {
		s := mock.RunT(t, mock.Options{ClockMode: "manual", Addr: "127.0.0.1:0", StateDir: dir})
		return s, s.URL()
	}
	s, base := start()
	captured := heldPayment(t, base, sh, "ORD-R1")
	payOp(t, base, "/do_capture.php", captured, "pg_clearing_amount", "700")
	cancelled := heldPayment(t, base, sh, "ORD-R2")
	payOp(t, base, "/cancel.php", cancelled)
	held := heldPayment(t, base, sh, "ORD-R3")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, base = start()
	if st := status3(t, base, captured); st.get("pg_captured") != "1" || st.get("pg_clearing_amount") != "700.00" {
		t.Errorf("the partial capture after a restart: %s", st.body)
	}
	wantPayError(t, "a second capture after a restart", payOp(t, base, "/g2g/clearing", captured), "10036")
	if st := status3(t, base, cancelled); st.get("pg_payment_status") != "revoked" {
		t.Errorf("the cancel after a restart: %s", st.body)
	}
	wantPayError(t, "a second cancel after a restart", payOp(t, base, "/g2g/cancel", cancelled), "10033")
	if st := status3(t, base, held); st.get("pg_captured") != "0" {
		t.Errorf("the hold after a restart: %s", st.body)
	}
	if _, err := s.Advance(5 * 24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	if st := status3(t, base, held); st.get("pg_captured") != "1" || st.get("pg_clearing_amount") != "1500.00" {
		t.Errorf("the hold 5 days on, after a restart: %s", st.body)
	}
}
