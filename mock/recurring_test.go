package mock_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// Recurring charges (payments.md §3.5), as a client written from the
// reference tries them: a payment that starts a profile, whose id comes
// in its result notify, then charges of the profile, each with a result
// notify of its own; every reply's and every notify's signature checked.

// startProfile makes a payment of 1500.00 that starts a recurring profile
// of months, pays it with card pan and returns the payment's id and the
// profile id its result notify carried.
func startProfile(t *testing.T, base string, sh *shop, order, pan, months string) (id, profile string) {
	t.Helper()
	created := initPayment(t, base, sh, "pg_order_id", order, "pg_recurring_start", "1", "pg_recurring_lifetime", months)
	payCard(t, created.Value("pg_redirect_url"), pan)
	id = created.Value("pg_payment_id")
	n := resultOf(t, sh, id)
	if n.Get("pg_result") != "1" {
		t.Fatalf("the recurring start's result notify: %v, want pg_result=1", n)
	}
	return id, n.Get("pg_recurring_profile_id")
}

// resultOf is the last result notify the shop got for payment id, its
// signature verified under the result URL's script name.
func resultOf(t *testing.T, sh *shop, id string) url.Values {
	t.Helper()
	_, results := sh.got()
	for i := len(results) - 1; i >= 0; i-- {
		if n := results[i]; n.Get("pg_payment_id") == id {
			fs := sign.Fields{}
			for name := range n {
				fs = append(fs, sign.Field{Name: name, Value: n.Get(name)})
			}
			if !sign.Verify("result", fs, paymentSecret) {
				t.Fatalf("the result notify of %s does not verify: %v", id, n)
			}
			return n
		}
	}
	t.Fatalf("no result notify of payment %s among %d", id, len(results))
	return nil
}

// hasResult reports whether the shop got a result notify of payment id.
func hasResult(sh *shop, id string) bool {
	_, results := sh.got()
	return slices.ContainsFunc(results, func(n url.Values) bool { return n.Get("pg_payment_id") == id })
}

// charge posts a signed recurring charge to path for merchant 9970 and
// checks the reply's signature under the path's last segment.
func charge(t *testing.T, base, path string, kv ...string) reply {
	t.Helper()
	return chargeAs(t, base, path, "9970", paymentSecret, kv...)
}

func chargeAs(t *testing.T, base, path, merchant, secret string, kv ...string) reply {
	t.Helper()
	script := path[strings.LastIndexByte(path, '/')+1:]
	r := payPost(t, base+path, signed(script, secret, append([]string{"pg_merchant_id", merchant}, kv...)...))
	if !sign.Verify(script, r.fields, secret) {
		t.Fatalf("%s: the reply's signature does not verify under %q: %s", path, script, r.body)
	}
	return r
}

func TestRecurringProfileAndCharges(t *testing.T) {
	s, _, base := payServer(t)
	sh := newCarefulShop(t)
	first, profile := startProfile(t, base, sh, "SUB-START", "4716047261941981", "12")
	if profile == "" || profile == first {
		t.Fatalf("pg_recurring_profile_id %q (payment %s), want an id of its own", profile, first)
	}

	// The default amount: the first payment's; the order id generated.
	r := charge(t, base, "/make_recurring_payment.php", "pg_recurring_profile", profile, "pg_description", "Month 2")
	if got, want := r.names(), []string{"pg_status", "pg_payment_id", "pg_amount", "pg_currency", "pg_recurring_profile",
		"pg_recurring_profile_expiry_date", "pg_salt", "pg_sig"}; !slices.Equal(got, want) {
		t.Errorf("make_recurring_payment.php reply fields %v, want %v", got, want)
	}
	second := r.get("pg_payment_id")
	if r.get("pg_status") != "ok" || second == "" || second == first || second == profile || r.get("pg_amount") != "1500.00" ||
		r.get("pg_currency") != "KZT" || r.get("pg_recurring_profile") != profile ||
		r.get("pg_recurring_profile_expiry_date") != "2025-11-28 11:10:03" {
		t.Fatalf("make_recurring_payment.php with the default amount: %s", r.body)
	}
	// The outcome comes later, by result notify: the clock's next move.
	if hasResult(sh, second) {
		t.Errorf("the charge's result notify went out before the clock moved")
	}
	if _, err := s.Advance(0); err != nil {
		t.Fatal(err)
	}
	n := resultOf(t, sh, second)
	if n.Get("pg_result") != "1" || n.Get("pg_amount") != "1500.00" || n.Get("pg_order_id") != second ||
		n.Get("pg_description") != "Month 2" || n.Get("pg_card_pan") != "4716-04XX-XXXX-1981" || n.Has("pg_recurring_profile_id") {
		t.Errorf("the charge's result notify: %v", n)
	}

	// An explicit amount and order id, through the .php-less twin (signed
	// with its own last segment).
	r = charge(t, base, "/make_recurring_payment", "pg_recurring_profile", profile, "pg_description", "Month 3",
		"pg_amount", "250.5", "pg_order_id", "SUB-3")
	third := r.get("pg_payment_id")
	if r.get("pg_status") != "ok" || r.get("pg_amount") != "250.50" || third == second {
		t.Fatalf("make_recurring_payment with pg_amount=250.5: %s", r.body)
	}
	if _, err := s.Advance(0); err != nil {
		t.Fatal(err)
	}
	if n := resultOf(t, sh, third); n.Get("pg_result") != "1" || n.Get("pg_amount") != "250.50" || n.Get("pg_order_id") != "SUB-3" {
		t.Errorf("the second charge's result notify: %v", n)
	}
	if st := status3(t, base, third); st.get("pg_payment_status") != "success" || st.get("pg_amount") != "250.50" || st.get("pg_captured") != "1" {
		t.Errorf("get_status3 of a charge: %s", st.body)
	}

	// /g2g/recurrent: its own reply.
	r = charge(t, base, "/g2g/recurrent", "pg_amount", "99", "pg_description", "Month 4", "pg_order_id", "SUB-4",
		"pg_recurring_profile", profile)
	if got, want := r.names(), []string{"pg_payment_id", "pg_status", "pg_recurring_profile", "pg_datetime", "pg_salt", "pg_sig"}; !slices.Equal(got, want) {
		t.Errorf("/g2g/recurrent reply fields %v, want %v", got, want)
	}
	fourth := r.get("pg_payment_id")
	if r.get("pg_status") != "ok" || r.get("pg_recurring_profile") != profile || r.get("pg_datetime") == "" {
		t.Fatalf("/g2g/recurrent: %s", r.body)
	}
	if _, err := s.Advance(time.Second); err != nil {
		t.Fatal(err)
	}
	if n := resultOf(t, sh, fourth); n.Get("pg_result") != "1" || n.Get("pg_amount") != "99.00" {
		t.Errorf("/g2g/recurrent's result notify: %v", n)
	}
	v2 := payPost(t, base+"/g2g/status_v2", signed("status_v2", paymentSecret, "pg_merchant_id", "9970", "pg_payment_id", fourth, "pg_order_id", "SUB-4"))
	if v2.get("pg_payment_status") != "success" || v2.get("pg_amount") != "99.00" {
		t.Errorf("status_v2 of a charge: %s", v2.body)
	}

	// The control API: the profile with its start, each charge marked.
	start := listed(t, base, "SUB-START")
	if pr := start.RecurringProfile; pr == nil || fmtID(pr.ID) != profile || pr.Months != 12 || pr.State != "active" ||
		!pr.ExpiresAt.Equal(t0.AddDate(1, 0, 0)) {
		t.Errorf("/_mock/payments of the recurring start: %+v", start.RecurringProfile)
	}
	if c := listed(t, base, "SUB-3"); !c.Recurring || fmtID(c.RecurringProfileID) != profile || c.RecurringProfile != nil {
		t.Errorf("/_mock/payments of a charge: %+v", c)
	}
	// The dashboard marks both.
	res, err := http.Get(base + "/_mock/ui")
	if err != nil {
		t.Fatal(err)
	}
	ui, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{"recurring profile " + profile + " (active, until ", "recurring charge of profile " + profile} {
		if !strings.Contains(string(ui), want) {
			t.Errorf("the dashboard lacks %q", want)
		}
	}
}

func fmtID(id int64) string { return strconv.FormatInt(id, 10) }

// A payment rule decides a recurring charge as it decides a card on the
// page: matched by order id here, declining with 10009, its result notify
// saying pg_result=0; a rule's three_ds gives no page to a charge, which
// has no payer: its timeline applies.
func TestRecurringChargeDecidedByRule(t *testing.T) {
	sc, err := scenario.Parse("recurring.toml", []byte(`
[[merchants]]
id = "9970"
secret_key = "`+paymentSecret+`"
payout_secret_key = "payout"
[[rules]]
kind = "payment"
match = { order_id = "DECLINE-*" }
timeline = [{ at = "0s", status = "error", error_code = 10009 }]
[[rules]]
kind = "payment"
match = { order_id = "3DS-*" }
three_ds = true
timeline = [{ at = "0s", status = "pending" }, { at = "10s", status = "success" }]
`))
	if err != nil {
		t.Fatal(err)
	}
	s := mock.RunT(t, mock.Options{Scenario: sc, Clock: clock.NewManual(t0), Addr: "127.0.0.1:0"})
	base := s.URL()
	sh := newCarefulShop(t)
	_, profile := startProfile(t, base, sh, "SUB-R", "4716047261941981", "3")
	if profile == "" {
		t.Fatal("no pg_recurring_profile_id in the recurring start's result notify")
	}
	declined := charge(t, base, "/make_recurring_payment.php", "pg_recurring_profile", profile, "pg_description", "Month 2",
		"pg_order_id", "DECLINE-1")
	if declined.get("pg_status") != "ok" {
		t.Fatalf("a charge a rule declines is still answered ok (its outcome comes by notify): %s", declined.body)
	}
	id := declined.get("pg_payment_id")
	if _, err := s.Advance(0); err != nil {
		t.Fatal(err)
	}
	if n := resultOf(t, sh, id); n.Get("pg_result") != "0" || n.Get("pg_failure_code") != "10009" || n.Get("pg_can_reject") != "0" {
		t.Errorf("the declined charge's result notify: %v", n)
	}
	if st := status3(t, base, id); st.get("pg_payment_status") != "error" || st.get("pg_failure_code") != "10009" {
		t.Errorf("get_status3 of the declined charge: %s", st.body)
	}

	slow := charge(t, base, "/g2g/recurrent", "pg_recurring_profile", profile, "pg_description", "Month 3", "pg_order_id", "3DS-1")
	id = slow.get("pg_payment_id")
	if st := status3(t, base, id); st.get("pg_payment_status") != "pending" {
		t.Errorf("a three_ds rule's charge at once: %s, want pending (its timeline), no 3DS page", st.body)
	}
	if _, err := s.Advance(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if n := resultOf(t, sh, id); n.Get("pg_result") != "1" {
		t.Errorf("the three_ds rule's charge 10 s on: %v", n)
	}
}

// Refusals: an unknown or another merchant's profile (9403 naming
// pg_recurring_profile), an expired one and one whose first payment was
// refunded in full (10019), fields missing or out of bounds (9403); a
// lifetime out of 1..156, or not digits (9403).
func TestRecurringRefusals(t *testing.T) {
	s, _, base := payServer(t)
	sh := newCarefulShop(t)
	_, profile := startProfile(t, base, sh, "SUB-X", "4716047261941981", "1")

	wantNamed := func(what string, r reply, field string) {
		t.Helper()
		wantPayError(t, what, r, "9403")
		if !strings.Contains(r.get("pg_error_description"), field) {
			t.Errorf("%s: %q does not name %s", what, r.get("pg_error_description"), field)
		}
	}
	wantNamed("an unknown profile", charge(t, base, "/make_recurring_payment.php", "pg_recurring_profile", "1", "pg_description", "x"), "pg_recurring_profile")
	wantNamed("another merchant's profile", chargeAs(t, base, "/make_recurring_payment.php", "123456", "asflerjgsdfv",
		"pg_recurring_profile", profile, "pg_description", "x"), "pg_recurring_profile")
	wantNamed("a profile id that is no number", charge(t, base, "/g2g/recurrent", "pg_recurring_profile", "abc", "pg_description", "x", "pg_order_id", "o"), "pg_recurring_profile")
	wantNamed("no profile", charge(t, base, "/make_recurring_payment.php", "pg_description", "x"), "pg_recurring_profile")
	wantNamed("no description", charge(t, base, "/make_recurring_payment.php", "pg_recurring_profile", profile), "pg_description")
	wantNamed("/g2g/recurrent without an order id", charge(t, base, "/g2g/recurrent", "pg_recurring_profile", profile, "pg_description", "x"), "pg_order_id")
	wantNamed("an amount above the wire's", charge(t, base, "/make_recurring_payment.php", "pg_recurring_profile", profile,
		"pg_description", "x", "pg_amount", "100000000"), "pg_amount")
	wantNamed("an amount of 0", charge(t, base, "/make_recurring_payment.php", "pg_recurring_profile", profile,
		"pg_description", "x", "pg_amount", "0"), "pg_amount")
	wantNamed("an order id of 51 characters", charge(t, base, "/make_recurring_payment.php", "pg_recurring_profile", profile,
		"pg_description", "x", "pg_order_id", strings.Repeat("o", 51)), "pg_order_id")
	wantNamed("a description of 1025 characters", charge(t, base, "/make_recurring_payment.php", "pg_recurring_profile", profile,
		"pg_description", strings.Repeat("d", 1025)), "pg_description")
	wantNamed("a request method of its own", charge(t, base, "/make_recurring_payment.php", "pg_recurring_profile", profile,
		"pg_description", "x", "pg_request_method", "PUT"), "pg_request_method")

	for _, months := range []string{"0", "157", "+3", "3.0", " 3", "99999999999999999999"} {
		r := payPost(t, base+"/init_payment.php", signed("init_payment.php", paymentSecret, "pg_merchant_id", "9970",
			"pg_order_id", "SUB-L", "pg_amount", "10", "pg_description", "x", "pg_result_url", sh.srv.URL+"/hooks/result",
			"pg_recurring_start", "1", "pg_recurring_lifetime", months))
		wantNamed("pg_recurring_lifetime="+months, r, "pg_recurring_lifetime")
	}
	r := payPost(t, base+"/init_payment.php", signed("init_payment.php", paymentSecret, "pg_merchant_id", "9970",
		"pg_order_id", "SUB-L", "pg_amount", "10", "pg_description", "x", "pg_result_url", sh.srv.URL+"/hooks/result",
		"pg_recurring_start", "1"))
	wantNamed("a recurring start without a lifetime", r, "pg_recurring_lifetime")
	initPayment(t, base, sh, "pg_order_id", "SUB-156", "pg_recurring_start", "1", "pg_recurring_lifetime", "156")

	// A month on, the profile's lifetime of one month is over.
	if _, err := s.Advance(31 * 24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	expired := charge(t, base, "/make_recurring_payment.php", "pg_recurring_profile", profile, "pg_description", "late")
	wantPayError(t, "a charge of an expired profile", expired, "10019")
	if !strings.Contains(expired.get("pg_error_description"), "2024-12-28 11:10:03") {
		t.Errorf("the expired profile's refusal does not say when it expired: %s", expired.body)
	}
	if l := listed(t, base, "SUB-X"); l.RecurringProfile == nil || l.RecurringProfile.State != "expired" {
		t.Errorf("/_mock/payments of the expired profile's start: %+v", l.RecurringProfile)
	}

	// Refunded in full: the profile is closed.
	first, refunded := startProfile(t, base, sh, "SUB-Y", "4716047261941981", "12")
	if r := charge(t, base, "/make_recurring_payment.php", "pg_recurring_profile", refunded, "pg_description", "ok"); r.get("pg_status") != "ok" {
		t.Fatalf("a charge before the refund: %s", r.body)
	}
	payOp(t, base, "/revoke.php", first)
	wantPayError(t, "a charge of a profile refunded in full", charge(t, base, "/g2g/recurrent", "pg_recurring_profile", refunded,
		"pg_description", "x", "pg_order_id", "o"), "10019")

	// A declined start starts nothing: its notify carries no profile id.
	created := initPayment(t, base, sh, "pg_order_id", "SUB-D", "pg_recurring_start", "1", "pg_recurring_lifetime", "3")
	payCard(t, created.Value("pg_redirect_url"), "4916109830832246")
	if n := resultOf(t, sh, created.Value("pg_payment_id")); n.Get("pg_result") != "0" || n.Has("pg_recurring_profile_id") {
		t.Errorf("the declined start's result notify: %v", n)
	}
}

// [payments] recurring_max_months bounds pg_recurring_lifetime (open
// point 14).
func TestRecurringMaxMonthsSetting(t *testing.T) {
	sc, err := scenario.Parse("recurring.toml", []byte(`
[payments]
recurring_max_months = 12
[[merchants]]
id = "9970"
secret_key = "`+paymentSecret+`"
payout_secret_key = "payout"
`))
	if err != nil {
		t.Fatal(err)
	}
	s := mock.RunT(t, mock.Options{Scenario: sc, Clock: clock.NewManual(t0), Addr: "127.0.0.1:0"})
	sh := newCarefulShop(t)
	r := payPost(t, s.URL()+"/init_payment.php", signed("init_payment.php", paymentSecret, "pg_merchant_id", "9970",
		"pg_order_id", "SUB-13", "pg_amount", "10", "pg_description", "x", "pg_result_url", sh.srv.URL+"/hooks/result",
		"pg_recurring_start", "1", "pg_recurring_lifetime", "13"))
	wantPayError(t, "a lifetime of 13 months with recurring_max_months = 12", r, "9403")
	if !strings.Contains(r.get("pg_error_description"), "1 to 12") {
		t.Errorf("the refusal does not say the bound: %s", r.body)
	}
	initPayment(t, s.URL(), sh, "pg_order_id", "SUB-12", "pg_recurring_start", "1", "pg_recurring_lifetime", "12")
}

// Profiles survive a restart (--state): a charge after it, with the first
// payment's amount, the same expiry, and the profile in the control API.
func TestRecurringSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	sh := newCarefulShop(t)
	start := func() (*mock.Server, string) {
		s := mock.RunT(t, mock.Options{ClockMode: "manual", Addr: "127.0.0.1:0", StateDir: dir})
		return s, s.URL()
	}
	s, base := start()
	_, profile := startProfile(t, base, sh, "SUB-S", "4716047261941981", "6")
	before := charge(t, base, "/make_recurring_payment.php", "pg_recurring_profile", profile, "pg_description", "before")
	if _, err := s.Advance(0); err != nil {
		t.Fatal(err)
	}
	if n := resultOf(t, sh, before.get("pg_payment_id")); n.Get("pg_result") != "1" {
		t.Errorf("the charge made before the restart: %v", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, base = start()
	if st := status3(t, base, before.get("pg_payment_id")); st.get("pg_payment_status") != "success" || st.get("pg_amount") != "1500.00" {
		t.Errorf("the charge made before the restart, after it: %s", st.body)
	}
	after := charge(t, base, "/make_recurring_payment.php", "pg_recurring_profile", profile, "pg_description", "after")
	if after.get("pg_status") != "ok" || after.get("pg_amount") != "1500.00" ||
		after.get("pg_recurring_profile_expiry_date") != before.get("pg_recurring_profile_expiry_date") ||
		after.get("pg_payment_id") == before.get("pg_payment_id") {
		t.Fatalf("a charge after a restart: %s (before: %s)", after.body, before.body)
	}
	if _, err := s.Advance(0); err != nil {
		t.Fatal(err)
	}
	if n := resultOf(t, sh, after.get("pg_payment_id")); n.Get("pg_result") != "1" {
		t.Errorf("the charge after the restart: %v", n)
	}
	if l := listed(t, base, "SUB-S"); l.RecurringProfile == nil || fmtID(l.RecurringProfile.ID) != profile {
		t.Errorf("/_mock/payments of the start after a restart: %+v", l.RecurringProfile)
	}
}

// The profile id goes where §5.1 puts its extras: after the failure's
// extras' place, before the merchant's own fields.
func TestRecurringProfileIDInTheNotify(t *testing.T) {
	_, _, base := payServer(t)
	want := "pg_order_id pg_payment_id pg_amount pg_currency pg_net_amount pg_ps_amount pg_ps_full_amount pg_ps_currency " +
		"pg_description pg_result pg_payment_date pg_can_reject pg_testing_mode pg_captured pg_card_pan pg_recurring_profile_id cart_id pg_salt pg_sig " +
		"pg_payment_method pg_card_exp pg_card_owner pg_card_brand"
	if got := resultFieldNames(t, base, "pg_order_id", "SUB-O", "pg_recurring_start", "1", "pg_recurring_lifetime", "12"); got != want {
		t.Errorf("result notify fields\n got %s\nwant %s", got, want)
	}
}

// A profile is the merchant's as its payments are: a reset of the merchant
// or of the whole sandbox forgets it; a forced revocation of its first
// payment closes it (10019).
func TestRecurringResetAndRevoked(t *testing.T) {
	s, _, base := payServer(t)
	sh := newCarefulShop(t)
	first, revoked := startProfile(t, base, sh, "SUB-F", "4716047261941981", "12")
	if _, err := s.ForcePayment(context.Background(), mustID(t, first), "revoked", 0); err != nil {
		t.Fatal(err)
	}
	wantPayError(t, "a charge of a profile whose first payment was revoked", charge(t, base, "/make_recurring_payment.php",
		"pg_recurring_profile", revoked, "pg_description", "x"), "10019")
	if l := listed(t, base, "SUB-F"); l.RecurringProfile == nil || l.RecurringProfile.State != "closed" {
		t.Errorf("/_mock/payments of the revoked start: %+v", l.RecurringProfile)
	}

	_, profile := startProfile(t, base, sh, "SUB-M", "4716047261941981", "12")
	if _, err := s.Reset("9970"); err != nil {
		t.Fatal(err)
	}
	wantPayError(t, "a charge after the merchant's reset", charge(t, base, "/make_recurring_payment.php",
		"pg_recurring_profile", profile, "pg_description", "x"), "9403")
	_, profile = startProfile(t, base, sh, "SUB-W", "4716047261941981", "12")
	if _, err := s.Reset(""); err != nil {
		t.Fatal(err)
	}
	wantPayError(t, "a charge after a whole reset", charge(t, base, "/make_recurring_payment.php",
		"pg_recurring_profile", profile, "pg_description", "x"), "9403")
}

// A charge in another currency than its profile's is refused (9403).
func TestRecurringChargeCurrency(t *testing.T) {
	_, _, base := payServer(t)
	sh := newCarefulShop(t)
	_, profile := startProfile(t, base, sh, "SUB-CUR", "4111111111111111", "3")
	r := charge(t, base, "/make_recurring_payment.php", "pg_recurring_profile", profile, "pg_description", "m2", "pg_currency", "USD")
	if r.get("pg_error_code") != "9403" || !strings.Contains(r.get("pg_error_description"), "KZT") {
		t.Errorf("a charge in USD: %s", r.body)
	}
	if r := charge(t, base, "/g2g/recurrent", "pg_recurring_profile", profile, "pg_description", "m2", "pg_order_id", "SUB-CUR-2", "pg_currency", "KZT"); r.get("pg_status") != "ok" {
		t.Errorf("a charge in KZT: %s", r.body)
	}
}
