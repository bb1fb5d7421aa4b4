package mock_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// A merchant that takes payments, written from payments.md alone: it
// answers the check request and the result notify with a signed
// <response>, as told, and keeps what it received.

type shop struct {
	srv     *httptest.Server
	mu      sync.Mutex
	checks  []url.Values
	results []url.Values
	// check and result are what the shop answers: "ok", "rejected",
	// "error", "500" (HTTP 500), "unsigned" (an unsigned ok), "badsig"
	// (an ok signed with another secret).
	check, result string
	forged        int // callbacks whose signature did not verify: refused
	// onCheck, when set, is called as a check request arrives, before
	// the shop answers it.
	onCheck func()
}

func newShop(t *testing.T) *shop {
	sh := &shop{check: "ok", result: "ok"}
	sh.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		q, _ := url.ParseQuery(string(body))
		if r.Method == http.MethodGet {
			q = r.URL.Query()
		}
		script := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
		sh.mu.Lock()
		answer := sh.result
		onCheck := sh.onCheck
		if script == "check" {
			sh.checks = append(sh.checks, q)
			answer = sh.check
		} else {
			sh.results = append(sh.results, q)
			onCheck = nil
		}
		sh.mu.Unlock()
		if onCheck != nil {
			onCheck()
		}
		fs := sign.Fields{}
		for name := range q {
			fs = append(fs, sign.Field{Name: name, Value: q.Get(name)})
		}
		if !sign.Verify(script, fs, paymentSecret) {
			sh.mu.Lock()
			sh.forged++
			sh.mu.Unlock()
			http.Error(w, "sig invalid", http.StatusBadRequest) // a careful merchant
			return
		}
		switch answer {
		case "500":
			http.Error(w, "down", http.StatusInternalServerError)
			return
		case "unsigned":
			io.WriteString(w, `<?xml version="1.0" encoding="utf-8"?><response><pg_status>ok</pg_status></response>`)
			return
		}
		secret := paymentSecret
		if answer == "badsig" { // an ok signed with another secret
			answer, secret = "ok", "not_the_secret"
		}
		reply := sign.Fields{{Name: "pg_status", Value: answer}, {Name: "pg_description", Value: "as told"},
			{Name: "pg_salt", Value: q.Get("pg_salt")}} // echoed, as CS-Cart does
		reply = append(reply, sign.Field{Name: "pg_sig", Value: sign.Sign(script, reply, secret)})
		w.Header().Set("Content-Type", "application/xml")
		w.Write(wire.Encode(reply))
	}))
	t.Cleanup(sh.srv.Close)
	return sh
}

// newCarefulShop is a shop every callback of which must verify.
func newCarefulShop(t *testing.T) *shop {
	sh := newShop(t)
	t.Cleanup(func() { sh.mustVerify(t) })
	return sh
}

// mustVerify fails t when a callback's signature did not verify.
func (sh *shop) mustVerify(t *testing.T) {
	t.Helper()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.forged != 0 {
		t.Errorf("%d callbacks' signatures did not verify", sh.forged)
	}
}

func (sh *shop) got() (checks, results []url.Values) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return append([]url.Values(nil), sh.checks...), append([]url.Values(nil), sh.results...)
}

// payServer is the default scenario on a manual clock, served over HTTP
// (the callbacks go out over HTTP too).
func payServer(t *testing.T) (*mock.Server, *clock.Manual, string) {
	c := clock.NewManual(t0)
	s := mock.RunT(t, mock.Options{Clock: c, Addr: "127.0.0.1:0"})
	return s, c, s.URL()
}

// initPayment makes a payment of 1500.00 through init_payment.php and
// returns the reply's fields.
func initPayment(t *testing.T, base string, sh *shop, kv ...string) sign.Fields {
	t.Helper()
	r := payPost(t, base+"/init_payment.php", initFields(sh, kv...))
	return checkInit(t, r)
}

// initFields are the signed fields of initPayment's request: a payment of
// 1500.00 whose callbacks go to sh, kv's values replacing the defaults.
func initFields(sh *shop, kv ...string) sign.Fields {
	all := []string{"pg_merchant_id", "9970", "pg_order_id", "ORD-1001", "pg_amount", "1500.00",
		"pg_description", "Order 1001", "pg_result_url", sh.srv.URL + "/hooks/result",
		"pg_check_url", sh.srv.URL + "/hooks/check", "pg_success_url", sh.srv.URL + "/ok",
		"pg_failure_url", sh.srv.URL + "/fail", "cart_id", "c-77"}
	for i := 0; i < len(kv); i += 2 {
		j := 0
		for j < len(all) && all[j] != kv[i] {
			j += 2
		}
		if j == len(all) {
			all = append(all, kv[i], "")
		}
		all[j+1] = kv[i+1]
	}
	return signed("init_payment.php", paymentSecret, all...)
}

// checkInit wants r to be a signed ok from init_payment.php.
func checkInit(t *testing.T, r reply) sign.Fields {
	t.Helper()
	if r.get("pg_status") != "ok" {
		t.Fatalf("init_payment: %s", r.body)
	}
	if !sign.Verify("init_payment.php", r.fields, paymentSecret) {
		t.Fatalf("the init_payment reply's signature does not verify: %s", r.body)
	}
	return r.fields
}

func payPost(t *testing.T, target string, fs sign.Fields) reply {
	t.Helper()
	res, err := http.Post(target, "application/x-www-form-urlencoded", strings.NewReader(wire.EncodeForm(fs)))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	fields, err := wire.DecodeXML(body)
	if err != nil {
		t.Fatalf("%s: reply is not XML: %v\n%s", target, err, body)
	}
	return reply{status: res.StatusCode, ctype: res.Header.Get("Content-Type"), body: string(body), fields: fields}
}

// status asks get_status3.php about a payment.
func status3(t *testing.T, base, id string) reply {
	t.Helper()
	r := payPost(t, base+"/get_status3.php", signed("get_status3.php", paymentSecret, "pg_merchant_id", "9970", "pg_payment_id", id))
	if r.get("pg_status") == "ok" && !sign.Verify("get_status3.php", r.fields, paymentSecret) {
		t.Fatalf("get_status3 reply's signature does not verify: %s", r.body)
	}
	return r
}

// payCard sends a card on a payment's page and returns the page the
// payer lands on (redirects not followed) and its status.
func payCard(t *testing.T, pageURL, pan string) (int, string, string) {
	t.Helper()
	res, err := noRedirect.Get(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return postForm(t, pageURL, cardForm(pan))
}

// cardForm is the card form the payer sends, with card pan.
func cardForm(pan string) url.Values {
	return url.Values{"card_number": {pan}, "card_holder": {"Test Testov"}, "card_exp_month": {"12"},
		"card_exp_year": {"2030"}, "card_cvc": {"123"}, "action": {"pay"}}
}

func TestPaymentEndToEnd(t *testing.T) {
	s, c, base := payServer(t)
	sh := newCarefulShop(t)
	created := initPayment(t, base, sh)
	id, pageURL := created.Value("pg_payment_id"), created.Value("pg_redirect_url")
	if !strings.HasPrefix(pageURL, base+"/pay.html?customer=") || created.Value("pg_redirect_url_type") != "need data" {
		t.Fatalf("reply %v", created)
	}
	if st := status3(t, base, id); st.get("pg_payment_status") != "new" || st.get("pg_captured") != "0" {
		t.Fatalf("before the page: %s", st.body)
	}
	code, _, page := payCard(t, pageURL, "4716047261941981")
	if code != 200 || !strings.Contains(page, sh.srv.URL+"/ok?pg_order_id=ORD-1001&amp;pg_payment_id="+id) {
		t.Fatalf("card sent: HTTP %d\n%s", code, page)
	}
	// The lifetime's end of a paid payment is off the schedule: a drain
	// runs the default scenario's payouts (seconds away), not 24 hours.
	before := c.Now()
	if _, err := s.Drain(); err != nil || c.Now().Sub(before) > time.Hour {
		t.Errorf("drain moved the clock from %s to %s (%v)", before, c.Now(), err)
	}
	checks, results := sh.got()
	if len(checks) != 1 || len(results) != 1 {
		t.Fatalf("%d check requests and %d result notifies, want 1 and 1", len(checks), len(results))
	}
	for name, want := range map[string]string{"pg_order_id": "ORD-1001", "pg_payment_id": id, "pg_amount": "1500.00",
		"pg_currency": "KZT", "pg_ps_full_amount": "1500.00", "cart_id": "c-77"} {
		if got := checks[0].Get(name); got != want {
			t.Errorf("check %s = %q, want %q", name, got, want)
		}
	}
	for name, want := range map[string]string{"pg_result": "1", "pg_can_reject": "1", "pg_payment_id": id, "cart_id": "c-77",
		"pg_card_pan": "4716-04XX-XXXX-1981", "pg_captured": "1", "pg_card_brand": "VI", "pg_card_exp": "12/30"} {
		if got := results[0].Get(name); got != want {
			t.Errorf("result %s = %q, want %q", name, got, want)
		}
	}
	if st := status3(t, base, id); st.get("pg_payment_status") != "success" || st.get("pg_captured") != "1" ||
		st.get("pg_card_pan") != "4716-04XX-XXXX-1981" {
		t.Fatalf("after paying: %s", st.body)
	}
	// The page takes no second card.
	if code, _, _ := payCard(t, pageURL, "4716047261941981"); code != 200 {
		t.Errorf("a second card: HTTP %d", code)
	}
	if _, results := sh.got(); len(results) != 1 {
		t.Errorf("a second card sent %d result notifies in all", len(results))
	}
	_ = s
	_ = c
}

func TestPaymentDeclinedAndRetried(t *testing.T) {
	s, c, base := payServer(t)
	sh := newCarefulShop(t)
	sh.mu.Lock()
	sh.result = "500"
	sh.mu.Unlock()
	created := initPayment(t, base, sh, "pg_order_id", "ORD-2")
	_, _, _ = payCard(t, created.Value("pg_redirect_url"), "4916109830832246") // declined 10009
	_, results := sh.got()
	if len(results) != 1 || results[0].Get("pg_result") != "0" || results[0].Get("pg_failure_code") != "10009" || results[0].Get("pg_can_reject") != "0" {
		t.Fatalf("result notifies %v", results)
	}
	sh.mu.Lock()
	sh.result = "ok"
	sh.mu.Unlock()
	if _, err := s.Advance(30 * time.Minute); err != nil {
		t.Fatal(err)
	}
	_, results = sh.got()
	if len(results) != 2 || results[1].Get("pg_salt") == results[0].Get("pg_salt") {
		t.Fatalf("after 30 minutes: %d result notifies, want the retry with a fresh salt", len(results))
	}
	if st := status3(t, base, created.Value("pg_payment_id")); st.get("pg_payment_status") != "error" || st.get("pg_failure_code") != "10009" {
		t.Fatalf("status %s", st.body)
	}
	_ = c
}

func TestPaymentRejectedByResultAndRefusedByCheck(t *testing.T) {
	_, _, base := payServer(t)
	sh := newCarefulShop(t)
	sh.mu.Lock()
	sh.result = "rejected"
	sh.mu.Unlock()
	a := initPayment(t, base, sh, "pg_order_id", "ORD-R")
	if _, _, page := payCard(t, a.Value("pg_redirect_url"), "4716047261941981"); !strings.Contains(page, "as told") || !strings.Contains(page, sh.srv.URL+"/fail") {
		t.Errorf("the payer is not sent to the failure URL with the merchant's pg_description:\n%s", page)
	}
	if st := status3(t, base, a.Value("pg_payment_id")); st.get("pg_payment_status") != "revoked" {
		t.Fatalf("after a rejection: %s", st.body)
	}
	sh.mu.Lock()
	sh.check = "rejected"
	sh.mu.Unlock()
	b := initPayment(t, base, sh, "pg_order_id", "ORD-C")
	payCard(t, b.Value("pg_redirect_url"), "4716047261941981")
	if st := status3(t, base, b.Value("pg_payment_id")); st.get("pg_payment_status") != "error" {
		t.Fatalf("after the check refused: %s", st.body)
	}
	if _, results := sh.got(); len(results) != 1 {
		t.Errorf("%d result notifies, want only the first payment's", len(results))
	}
}

func TestPaymentLifetime(t *testing.T) {
	s, _, base := payServer(t)
	sh := newCarefulShop(t)
	a := initPayment(t, base, sh, "pg_order_id", "ORD-L", "pg_lifetime", "300")
	if _, err := s.Advance(301 * time.Second); err != nil {
		t.Fatal(err)
	}
	_, results := sh.got()
	if len(results) != 1 || results[0].Get("pg_result") != "0" || results[0].Get("pg_failure_code") != "10018" {
		t.Fatalf("result notifies %v", results)
	}
	if st := status3(t, base, a.Value("pg_payment_id")); st.get("pg_payment_status") != "incomplete" {
		t.Fatalf("status %s", st.body)
	}
	if code, _, _ := payCard(t, a.Value("pg_redirect_url"), "4716047261941981"); code != 200 {
		t.Errorf("card after the lifetime: HTTP %d", code)
	}
	if _, results := sh.got(); len(results) != 1 {
		t.Errorf("%d result notifies after a card on an expired page", len(results))
	}
}

func TestPayment3DS(t *testing.T) {
	_, _, base := payServer(t)
	sh := newCarefulShop(t)
	for _, answer := range []string{"confirm", "fail"} {
		a := initPayment(t, base, sh, "pg_order_id", "ORD-3DS-"+answer)
		code, loc, _ := payCard(t, a.Value("pg_redirect_url"), "4916307416334310")
		if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/v2/user/3ds-page/") {
			t.Fatalf("3DS card: HTTP %d to %q", code, loc)
		}
		if st := status3(t, base, a.Value("pg_payment_id")); st.get("pg_payment_status") != "pending" {
			t.Fatalf("on the 3DS page: %s", st.body)
		}
		res, err := http.PostForm(base+loc, url.Values{"acs": {answer}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		want := map[string]string{"confirm": "success", "fail": "error"}[answer]
		if st := status3(t, base, a.Value("pg_payment_id")); st.get("pg_payment_status") != want {
			t.Fatalf("after %s: %s", answer, st.body)
		}
	}
}

func TestPaymentControlAPI(t *testing.T) {
	s, _, base := payServer(t)
	sh := newCarefulShop(t)
	a := initPayment(t, base, sh, "pg_order_id", "ORD-API")
	id := a.Value("pg_payment_id")
	var list struct {
		Payments []struct {
			PaymentID int64  `json:"payment_id"`
			Status    string `json:"status"`
			PagePath  string `json:"page_path"`
		} `json:"payments"`
		Matched int `json:"matched"`
	}
	getJSON(t, base+"/_mock/payments?merchant_id=9970&status=new", &list)
	if list.Matched != 1 || fixtures.FormatID(list.Payments[0].PaymentID) != id || !strings.HasPrefix(a.Value("pg_redirect_url"), base+list.Payments[0].PagePath) {
		t.Fatalf("list %+v", list)
	}
	res, err := http.Post(base+"/_mock/payments/"+id+"/status", "application/json", strings.NewReader(`{"status":"error","error_code":10009}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `"pg_result"`) {
		t.Fatalf("force: HTTP %d %s", res.StatusCode, body)
	}
	if _, results := sh.got(); len(results) != 1 || results[0].Get("pg_failure_code") != "10009" {
		t.Fatalf("results %v", results)
	}
	// The Go API answers as the HTTP API does.
	p, err := s.Payment(mustID(t, id))
	if err != nil || p.Status != "error" || len(p.Notifications) != 1 || p.Notifications[0].Kind != "result" {
		t.Fatalf("Payment: %+v %v", p, err)
	}
	if _, err := s.ResendPayment(context.Background(), p.PaymentID); err != nil {
		t.Fatal(err)
	}
	if _, results := sh.got(); len(results) != 2 {
		t.Fatalf("after a resend: %d result notifies", len(results))
	}
	for _, bad := range []string{`{"status":"paid"}`, `{"status":"error","error_code":8888}`, `{"status":1}`} {
		res, err := http.Post(base+"/_mock/payments/"+id+"/status", "application/json", strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 400 || !strings.Contains(string(body), `"code"`) {
			t.Errorf("%s: HTTP %d %s", bad, res.StatusCode, body)
		}
	}
	res, _ = http.Get(base + "/_mock/payments/1")
	if res.StatusCode != 404 {
		t.Errorf("unknown payment: HTTP %d", res.StatusCode)
	}
	res.Body.Close()
}

func getJSON(t *testing.T, target string, v any) {
	t.Helper()
	res, err := http.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		body, _ := io.ReadAll(res.Body)
		t.Fatalf("GET %s: HTTP %d %s", target, res.StatusCode, body)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func mustID(t *testing.T, s string) int64 {
	id, ok := fixtures.ParseID(s)
	if !ok {
		t.Fatalf("payment id %q", s)
	}
	return id
}

// A payment made, paid and notified before a restart is there after it,
// and a payment waiting on its 3DS page can be confirmed after it.
func TestPaymentsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	sh := newCarefulShop(t)
	start := func() (*mock.Server, string) {
		s := mock.RunT(t, mock.Options{ClockMode: "manual", Addr: "127.0.0.1:0", StateDir: dir})
		return s, s.URL()
	}
	s, base := start()
	paid := initPayment(t, base, sh, "pg_order_id", "ORD-S1")
	payCard(t, paid.Value("pg_redirect_url"), "4716047261941981")
	held := initPayment(t, base, sh, "pg_order_id", "ORD-S2")
	_, loc, _ := payCard(t, held.Value("pg_redirect_url"), "4916307416334310") // 3DS
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, base = start()
	defer s.Close()
	if st := status3(t, base, paid.Value("pg_payment_id")); st.get("pg_payment_status") != "success" {
		t.Fatalf("the paid payment after a restart: %s", st.body)
	}
	res, err := http.PostForm(base+loc, url.Values{"acs": {"confirm"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if st := status3(t, base, held.Value("pg_payment_id")); st.get("pg_payment_status") != "success" {
		t.Fatalf("the 3DS payment confirmed after a restart: %s", st.body)
	}
	if _, results := sh.got(); len(results) != 2 {
		t.Errorf("%d result notifies, want one per payment", len(results))
	}
}

// The drills act on result notifies as on payout notifies: each hostile
// one is refused by a careful merchant and judged so; the duplicate and
// the stale one are acknowledged.
func TestPaymentDrills(t *testing.T) {
	sc, err := scenario.Parse("drills.toml", []byte(`
[[merchants]]
id = "9970"
secret_key = "payment_secret_key"
payout_secret_key = "test_secret_key"
[[merchants]]
id = "9971"
secret_key = "other_payment_secret"
payout_secret_key = "other_payout_secret"
[[rules]]
kind = "payment"
match = { card = "4716047261941981" }
drills = ["duplicate", "out_of_order", "forged", "tampered", "unsigned", "replayed"]
timeline = [{ at = "0s", status = "success" }]
`))
	if err != nil {
		t.Fatal(err)
	}
	s := mock.RunT(t, mock.Options{Scenario: sc, ClockMode: "manual", Addr: "127.0.0.1:0"})
	sh := newShop(t)
	a := initPayment(t, s.URL(), sh, "pg_order_id", "ORD-D")
	payCard(t, a.Value("pg_redirect_url"), "4716047261941981")
	if _, err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	p, err := s.Payment(mustID(t, a.Value("pg_payment_id")))
	if err != nil {
		t.Fatal(err)
	}
	verdicts := map[string]string{}
	for _, n := range p.Notifications {
		if n.Drill != "" {
			if n.Verdict == nil {
				t.Errorf("%s: no verdict", n.Drill)
				continue
			}
			verdicts[n.Drill] = n.Verdict.Message
			if !n.Verdict.OK {
				t.Errorf("%s: failed: %s", n.Drill, n.Verdict.Message)
			}
		}
	}
	for _, d := range []string{"duplicate", "out_of_order", "forged", "tampered", "unsigned", "replayed"} {
		if _, ok := verdicts[d]; !ok {
			t.Errorf("no %s result notify; verdicts %v", d, verdicts)
		}
	}
	if !strings.Contains(verdicts["forged"], "result notify") {
		t.Errorf("the forged verdict speaks of %q", verdicts["forged"])
	}
}

// The demo shop answers payments' callbacks with nothing else running.
func TestPaymentDemoShop(t *testing.T) {
	s, _, base := payServer(t)
	sh := newShop(t) // its URLs are replaced below
	a := initPayment(t, base, sh, "pg_order_id", "ORD-DEMO", "pg_check_url", base+"/_mock/demo/shop/check",
		"pg_result_url", base+"/_mock/demo/shop/result")
	payCard(t, a.Value("pg_redirect_url"), "4716047261941981")
	p, err := s.Payment(mustID(t, a.Value("pg_payment_id")))
	if err != nil || p.Status != "success" || len(p.Notifications) != 2 {
		t.Fatalf("%+v %v", p, err)
	}
	for _, n := range p.Notifications {
		if n.State != "delivered" || !n.Attempts[0].Conforming {
			t.Errorf("%s: %s, %+v", n.Kind, n.State, n.Attempts)
		}
	}
}

// What a payment keeps is bounded: its merchant fields, and the payments
// of a merchant (--max-payments), past which init_payment says why.
func TestPaymentBounds(t *testing.T) {
	c := clock.NewManual(t0)
	s := mock.RunT(t, mock.Options{Clock: c, Addr: "127.0.0.1:0", MaxPayments: 2})
	base := s.URL()
	sh := newCarefulShop(t)
	big := strings.Repeat("x", 9<<10)
	r := payPost(t, base+"/init_payment.php", signed("init_payment.php", paymentSecret, "pg_merchant_id", "9970",
		"pg_order_id", "big", "pg_amount", "1", "pg_description", "d", "pg_result_url", sh.srv.URL+"/result", "note", big))
	if r.get("pg_error_code") != "9403" || !strings.Contains(r.get("pg_error_description"), "at most 8192") {
		t.Errorf("9 KiB of merchant fields: %s", r.body)
	}
	initPayment(t, base, sh, "pg_order_id", "b1")
	initPayment(t, base, sh, "pg_order_id", "b2")
	r = payPost(t, base+"/init_payment.php", signed("init_payment.php", paymentSecret, "pg_merchant_id", "9970",
		"pg_order_id", "b3", "pg_amount", "1", "pg_description", "d", "pg_result_url", sh.srv.URL+"/result"))
	if r.get("pg_error_code") != "9999" || !strings.Contains(r.get("pg_error_description"), "--max-payments") {
		t.Errorf("a third payment of two allowed: %s", r.body)
	}
	if _, err := s.Reset("9970"); err != nil {
		t.Fatal(err)
	}
	initPayment(t, base, sh, "pg_order_id", "b3") // room again
}

// The dashboard shows payments with their callbacks, and forces them.
func TestPaymentDashboard(t *testing.T) {
	_, _, base := payServer(t)
	sh := newCarefulShop(t)
	a := initPayment(t, base, sh, "pg_order_id", "ORD-UI")
	id := a.Value("pg_payment_id")
	payCard(t, a.Value("pg_redirect_url"), "4716047261941981")
	refund := payOp(t, base, "/g2g/refund", id, "pg_amount", "200").get("pg_payment_refund_id")
	held := heldPayment(t, base, sh, "ORD-UI-H")
	res, err := http.Get(base + "/_mock/ui")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	page := string(body)
	for _, want := range []string{`id="payment-` + id + `"`, "4716-04XX-XXXX-1981", "result notify · order ORD-UI → pg_result 1",
		"check request · order ORD-UI", `action="/_mock/ui/payments/` + id + `/status"`,
		"captured 1500.00 · refunded -200.00 in 1 · refuses cancel (10012)", "refund " + refund + " · -200.00",
		`id="payment-` + held + `"`, "on hold"} {
		if !strings.Contains(page, want) {
			t.Errorf("the dashboard lacks %q", want)
		}
	}
	if strings.Contains(page, "4716047261941981") {
		t.Error("the dashboard shows a whole card number")
	}
}

// A scenario's payments exist from the start and send their result
// notifies on their timelines; a merchant's reset brings them back.
func TestScenarioPayments(t *testing.T) {
	sh := newCarefulShop(t)
	sc, err := scenario.Parse("p.toml", []byte(`
[[merchants]]
id = "9970"
secret_key = "payment_secret_key"
payout_secret_key = "test_secret_key"
result_url = "`+sh.srv.URL+`/hooks/result"
[[payments]]
merchant_id = "9970"
order_id = "S-1"
amount = 250
card = "4716047261941981"
timeline = [{ at = "0s", status = "pending" }, { at = "10m", status = "success" }]
`))
	if err != nil {
		t.Fatal(err)
	}
	s := mock.RunT(t, mock.Options{Scenario: sc, ClockMode: "manual", Addr: "127.0.0.1:0"})
	ps, err := s.Payments(sandbox.PaymentQuery{OrderID: "S-1"})
	if err != nil || len(ps.Payments) != 1 || ps.Payments[0].Status != "pending" {
		t.Fatalf("%+v %v", ps, err)
	}
	if _, err := s.Advance(10 * time.Minute); err != nil {
		t.Fatal(err)
	}
	_, results := sh.got()
	if len(results) != 1 || results[0].Get("pg_result") != "1" || results[0].Get("pg_card_pan") != "4716-04XX-XXXX-1981" {
		t.Fatalf("results %v", results)
	}
	if _, err := s.Reset("9970"); err != nil {
		t.Fatal(err)
	}
	ps, _ = s.Payments(sandbox.PaymentQuery{OrderID: "S-1"})
	if len(ps.Payments) != 1 || ps.Payments[0].Status != "pending" {
		t.Fatalf("after a reset the payment's timeline counts from the reset: %+v", ps.Payments)
	}
}

// verify judges payments: paid, notified, polled once final; none left
// pending.
func TestPaymentExpectations(t *testing.T) {
	sc, err := scenario.Parse("e.toml", []byte(`
[[merchants]]
id = "9970"
secret_key = "payment_secret_key"
payout_secret_key = "test_secret_key"
[[expect]]
payment = { order_id = "ORD-E", status = "success", result = "delivered", polled = true }
[[expect]]
no_pending_payments = true
`))
	if err != nil {
		t.Fatal(err)
	}
	s := mock.RunT(t, mock.Options{Scenario: sc, ClockMode: "manual", Addr: "127.0.0.1:0"})
	base := s.URL()
	sh := newCarefulShop(t)
	a := initPayment(t, base, sh, "pg_order_id", "ORD-E")
	payCard(t, a.Value("pg_redirect_url"), "4716047261941981")
	initPayment(t, base, sh, "pg_order_id", "ORD-OPEN") // never paid
	rep, err := s.Verify("")
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.Failed != 2 || !strings.Contains(rep.Results[0].Message, "never asked the status") ||
		!strings.Contains(rep.Results[1].Message, "ORD-OPEN") {
		t.Fatalf("before polling: %+v", rep.Results)
	}
	status3(t, base, a.Value("pg_payment_id"))
	if _, err := s.ForcePayment(context.Background(), mustID(t, initPaymentID(t, s, "ORD-OPEN")), "error", 10001); err != nil {
		t.Fatal(err)
	}
	rep, _ = s.Verify("")
	if !rep.OK {
		t.Fatalf("after polling and closing the open payment: %+v", rep.Results)
	}
	// await on a payment
	res, err := http.Get(base + "/_mock/await?order_id=ORD-E&payment_status=success&result=delivered&timeout=1s")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("await: HTTP %d", res.StatusCode)
	}
}

func initPaymentID(t *testing.T, s *mock.Server, order string) string {
	ps, err := s.Payments(sandbox.PaymentQuery{OrderID: order})
	if err != nil || len(ps.Payments) != 1 {
		t.Fatalf("%s: %+v %v", order, ps, err)
	}
	return fixtures.FormatID(ps.Payments[0].PaymentID)
}

// A resent result notify may not be rejected: the merchant answered the
// first (spec §5.1).
func TestPaymentResendCannotReject(t *testing.T) {
	s, _, base := payServer(t)
	sh := newCarefulShop(t)
	a := initPayment(t, base, sh, "pg_order_id", "ORD-RS")
	payCard(t, a.Value("pg_redirect_url"), "4716047261941981")
	sh.mu.Lock()
	sh.result = "rejected"
	sh.mu.Unlock()
	if _, err := s.ResendPayment(context.Background(), mustID(t, a.Value("pg_payment_id"))); err != nil {
		t.Fatal(err)
	}
	_, results := sh.got()
	if len(results) != 2 || results[1].Get("pg_can_reject") != "0" {
		t.Fatalf("the resend said pg_can_reject=%q", results[len(results)-1].Get("pg_can_reject"))
	}
	if st := status3(t, base, a.Value("pg_payment_id")); st.get("pg_payment_status") != "success" {
		t.Fatalf("a rejected resend revoked the payment: %s", st.body)
	}
}

// --public-url names the pages for a payer's browser.
func TestPaymentPublicURL(t *testing.T) {
	s := mock.RunT(t, mock.Options{ClockMode: "manual", Addr: "127.0.0.1:0", PublicURL: "http://shop.example:8080/"})
	sh := newCarefulShop(t)
	r := payPost(t, s.URL()+"/init_payment.php", signed("init_payment.php", paymentSecret, "pg_merchant_id", "9970",
		"pg_order_id", "pub", "pg_amount", "1", "pg_description", "d", "pg_result_url", sh.srv.URL+"/result"))
	if got := r.get("pg_redirect_url"); !strings.HasPrefix(got, "http://shop.example:8080/pay.html?customer=") {
		t.Errorf("pg_redirect_url %q", got)
	}
	if _, err := mock.New(mock.Options{PublicURL: "http://x/path"}); err == nil {
		t.Error("a public URL with a path is accepted")
	}
}

// Drill slow holds the check request's answer back past the check
// timeout: the payment is refused, no result notify follows, and the
// verdict asks for a status request.
func TestPaymentCheckSlowDrill(t *testing.T) {
	sc, err := scenario.Parse("slow.toml", []byte(`
[[merchants]]
id = "9970"
secret_key = "payment_secret_key"
payout_secret_key = "test_secret_key"
[[rules]]
kind = "payment"
match = { order_id = "SLOW-*" }
timeline = [{ at = "0s", status = "success" }]
drills = ["slow"]
`))
	if err != nil {
		t.Fatal(err)
	}
	s := mock.RunT(t, mock.Options{Scenario: sc, ClockMode: "manual", Addr: "127.0.0.1:0"})
	sh := newCarefulShop(t)
	a := initPayment(t, s.URL(), sh, "pg_order_id", "SLOW-1")
	payCard(t, a.Value("pg_redirect_url"), "4716047261941981")
	checks, results := sh.got()
	if len(checks) != 1 || len(results) != 0 {
		t.Fatalf("%d checks, %d results; want the check sent and no result", len(checks), len(results))
	}
	if p, err := s.Payment(mustID(t, a.Value("pg_payment_id"))); err != nil || len(p.Notifications) != 1 || p.Notifications[0].Drill != "slow" {
		t.Errorf("the check request does not say drill slow held its answer back: %+v %v", p.Notifications, err)
	}
	rep, _ := s.Verify("")
	if rep.OK || !strings.Contains(rep.Results[0].Message, "drill slow") {
		t.Fatalf("before a status request: %+v", rep.Results)
	}
	if st := status3(t, s.URL(), a.Value("pg_payment_id")); st.get("pg_payment_status") != "error" || !strings.Contains(st.get("pg_failure_description"), "did not answer within 30s") {
		t.Fatalf("status %s", st.body)
	}
	if rep, _ = s.Verify(""); !rep.OK {
		t.Fatalf("after a status request: %+v", rep.Results)
	}
}

// init_payment in every encoding; the spec's vector G verifies; the reply's
// fields come in the documented order; an idempotent repeat replays it.
func TestInitPaymentEncodingsAndReplay(t *testing.T) {
	s, _ := newServer(t, nil)
	kv := []string{"pg_merchant_id", "9970", "pg_amount", "1500.00", "pg_currency", "KZT", "pg_description", "Order 1001",
		"pg_result_url", "http://shop/hooks/result", "pg_success_url", "http://shop/ok", "pg_failure_url", "http://shop/fail",
		"pg_request_method", "POST", "pg_testing_mode", "1", "cart_id", "c-77"}
	for i, enc := range encodings {
		fs := signed("init_payment.php", paymentSecret, append(kv, "pg_order_id", "ENC-"+strconv.Itoa(i))...)
		r := do(t, s.Handler(), newRequest(t, enc, "/init_payment.php", fs))
		want := "pg_status,pg_payment_id,pg_redirect_url,pg_redirect_url_type,pg_salt,pg_sig"
		if got := strings.Join(r.names(), ","); got != want || !sign.Verify("init_payment.php", r.fields, paymentSecret) {
			t.Errorf("%s: %s", enc, r.body)
		}
	}
	// Vector G: the request as the spec computed it.
	g := kvs("pg_merchant_id", "9970", "pg_order_id", "ORD-1001", "pg_amount", "1500.00", "pg_currency", "KZT",
		"pg_description", "Order 1001", "pg_result_url", "http://shop/hooks/result", "pg_success_url", "http://shop/ok",
		"pg_failure_url", "http://shop/fail", "pg_request_method", "POST", "pg_testing_mode", "1",
		"pg_salt", "Xz3kP9qLmN2vB7tY", "cart_id", "c-77")
	if got := sign.Sign("init_payment.php", g, "pay_secret_key"); got != "a7094bf0f6b105d38127dbb3fd1dc465" {
		t.Fatalf("vector G: %s", got)
	}
	// A repeat with the same idempotency key replays; other fields are 9403.
	idem := append(append([]string{}, kv...), "pg_order_id", "IDEM", "pg_idempotency_key", "k-1")
	first := do(t, s.Handler(), newRequest(t, wire.EncForm, "/init_payment.php", signed("init_payment.php", paymentSecret, idem...)))
	again := do(t, s.Handler(), newRequest(t, wire.EncForm, "/init_payment.php", signed("init_payment.php", paymentSecret, idem...)))
	if first.get("pg_payment_id") == "" || again.get("pg_payment_id") != first.get("pg_payment_id") || again.get("pg_redirect_url") != first.get("pg_redirect_url") {
		t.Errorf("replay: %s\n%s", first.body, again.body)
	}
	other := append(append([]string{}, idem...), "pg_user_phone", "77001234567")
	if r := do(t, s.Handler(), newRequest(t, wire.EncForm, "/init_payment.php", signed("init_payment.php", paymentSecret, other...))); r.get("pg_error_code") != "9403" {
		t.Errorf("reused key: %s", r.body)
	}
	// The payout secret is refused, and the explanation says why.
	r := do(t, s.Handler(), newRequest(t, wire.EncForm, "/init_payment.php", signed("init_payment.php", payoutSecret, append(kv, "pg_order_id", "X")...)))
	if r.get("pg_error_code") != "9998" {
		t.Errorf("payout secret: %s", r.body)
	}
	req, _ := s.Requests(sandbox.RequestQuery{Path: "/init_payment.php", Outcome: "bad_signature"})
	if len(req.Entries) != 1 || req.Entries[0].Signature == nil || !strings.Contains(strings.Join(req.Entries[0].Signature.Hints, " "), "payout_secret_key") {
		t.Errorf("explanation: %+v", req.Entries)
	}
	// payment.php sends a browser on to the page.
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, newRequest(t, wire.EncForm, "/payment.php", signed("payment.php", paymentSecret, append(kv, "pg_order_id", "BROWSER")...)))
	if w.Code != http.StatusFound || !strings.Contains(w.Header().Get("Location"), "/pay.html?customer=") {
		t.Errorf("payment.php: %d %v %s", w.Code, w.Header(), w.Body)
	}
}

// The callbacks follow pg_request_method: GET in the query, XML in pg_xml.
func TestPaymentCallbackMethods(t *testing.T) {
	_, _, base := payServer(t)
	for _, method := range []string{"GET", "XML"} {
		var got *http.Request
		var body string
		var mu sync.Mutex
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			got, body = r, string(b)
			mu.Unlock()
		}))
		defer srv.Close()
		sh := &shop{srv: srv}
		a := initPayment(t, base, sh, "pg_order_id", "M-"+method, "pg_request_method", method, "pg_check_url", "")
		payCard(t, a.Value("pg_redirect_url"), "4716047261941981")
		mu.Lock()
		switch {
		case got == nil:
			t.Errorf("%s: no result notify", method)
		case method == "GET" && (got.Method != http.MethodGet || got.URL.Query().Get("pg_result") != "1"):
			t.Errorf("GET: %s %s", got.Method, got.URL)
		case method == "XML" && (got.Method != http.MethodPost || !strings.Contains(body, "pg_xml=")):
			t.Errorf("XML: %s %s", got.Method, body)
		}
		mu.Unlock()
	}
}

// The payer's steps are journaled beside the merchant's requests, the
// card masked, the check's refusal said.
func TestPaymentPayerJournal(t *testing.T) {
	s, _, base := payServer(t)
	sh := newCarefulShop(t)
	sh.mu.Lock()
	sh.check = "rejected"
	sh.mu.Unlock()
	a := initPayment(t, base, sh, "pg_order_id", "ORD-J")
	payCard(t, a.Value("pg_redirect_url"), "4716047261941981")
	rq, err := s.Requests(sandbox.RequestQuery{Path: "/pay.html"})
	if err != nil || len(rq.Entries) != 1 {
		t.Fatalf("%+v %v", rq, err)
	}
	e := rq.Entries[0]
	if e.Outcome != "error" || !strings.Contains(e.Description, "check request refused") || e.Fields.Value("card_number") != "4716-04XX-XXXX-1981" || e.Fields.Value("card_cvc") != "" {
		t.Errorf("%+v", e)
	}
}

// A payment whose lifetime ends while its payer is on the issuer's 3DS
// page is not charged by a late Confirm: it stays incomplete, with one
// result notify, and its page no longer sends the payer to the 3DS page.
func TestPayment3DSAfterLifetime(t *testing.T) {
	s, _, base := payServer(t)
	sh := newCarefulShop(t)
	a := initPayment(t, base, sh, "pg_order_id", "ORD-3DS-LATE", "pg_lifetime", "300")
	code, loc, _ := payCard(t, a.Value("pg_redirect_url"), "4916307416334310")
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/v2/user/3ds-page/") {
		t.Fatalf("3DS card: HTTP %d to %q", code, loc)
	}
	if _, err := s.Advance(301 * time.Second); err != nil {
		t.Fatal(err)
	}
	res, err := http.PostForm(base+loc, url.Values{"acs": {"confirm"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if st := status3(t, base, a.Value("pg_payment_id")); st.get("pg_payment_status") != "incomplete" {
		t.Fatalf("a Confirm after the lifetime's end charged the payment: %s\npage: %s", st.body, body)
	}
	if _, results := sh.got(); len(results) != 1 || results[0].Get("pg_failure_code") != "10018" {
		t.Fatalf("result notifies %v, want only the lifetime's end", results)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err = client.Get(a.Value("pg_redirect_url"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode == http.StatusSeeOther {
		t.Errorf("the expired payment's page still sends the payer to %s", res.Header.Get("Location"))
	}
	p, err := s.Payment(mustID(t, a.Value("pg_payment_id")))
	if err != nil || p.AwaitingACS {
		t.Errorf("the control API says the expired payment awaits 3-D Secure: %+v %v", p, err)
	}
}

// The lifetime may end while the merchant answers the check request: the
// charge is made when the answer comes, so the payment is not charged.
func TestPaymentLifetimeEndsDuringCheck(t *testing.T) {
	s, c, base := payServer(t)
	sh := newCarefulShop(t)
	a := initPayment(t, base, sh, "pg_order_id", "ORD-SLOWCHECK", "pg_lifetime", "300")
	end := c.Now().Add(300 * time.Second)
	advanced := make(chan struct{})
	sh.mu.Lock()
	sh.onCheck = func() {
		// The clock moves past the lifetime's end while the merchant
		// answers; the move's own result notify waits for the check
		// request (one callback of a payment at a time), so it is not
		// waited for here.
		go func() {
			defer close(advanced)
			if _, err := s.Advance(301 * time.Second); err != nil {
				t.Error(err)
			}
		}()
		for c.Now().Before(end) {
			runtime.Gosched()
		}
	}
	sh.mu.Unlock()
	payCard(t, a.Value("pg_redirect_url"), "4716047261941981")
	<-advanced
	if st := status3(t, base, a.Value("pg_payment_id")); st.get("pg_payment_status") != "incomplete" {
		t.Fatalf("the payment was charged after its lifetime ended during the check: %s", st.body)
	}
	if _, results := sh.got(); len(results) != 1 || results[0].Get("pg_failure_code") != "10018" {
		t.Fatalf("result notifies %v, want only the lifetime's end", results)
	}
}

// The payer's page waits for the check request and the result notify,
// however slow, past the server's write timeout (not past their own).
// The write timeout is a nanosecond: net/http's write deadline, which
// runs on the wall clock, has passed before any page is written, so the
// page comes only if the sandbox puts it off for the callbacks. The
// payment is made and its page opened in-process (no write deadline
// there); the card goes over the network.
func TestPaymentPageWaitsPastWriteTimeout(t *testing.T) {
	c := clock.NewManual(t0)
	s := mock.RunT(t, mock.Options{Clock: c, Addr: "127.0.0.1:0", WriteTimeout: time.Nanosecond})
	sh := newCarefulShop(t)
	req := newRequest(t, wire.EncForm, "/init_payment.php", initFields(sh, "pg_order_id", "ORD-SLOWSHOP"))
	req.Host = strings.TrimPrefix(s.URL(), "http://") // the page's URL names the server
	a := checkInit(t, do(t, s.Handler(), req))
	pageURL := a.Value("pg_redirect_url")
	open := httptest.NewRecorder()
	s.Handler().ServeHTTP(open, httptest.NewRequest(http.MethodGet, pageURL, nil))
	if open.Code != http.StatusOK {
		t.Fatalf("opening the page: HTTP %d", open.Code)
	}
	res, err := http.PostForm(pageURL, cardForm("4716047261941981"))
	if err != nil {
		t.Fatalf("the page after the card: %v (written past the write deadline?)", err)
	}
	defer res.Body.Close()
	page, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), sh.srv.URL+"/ok") {
		t.Fatalf("HTTP %d, want the way to the success URL:\n%s", res.StatusCode, page)
	}
	if checks, _ := sh.got(); len(checks) != 1 {
		t.Errorf("%d check requests, want 1", len(checks))
	}
}

// One card at a time: a second card sent while the first one's check
// request is under way is answered 409 and sends no check request.
func TestPaymentOneCardAtATime(t *testing.T) {
	_, _, base := payServer(t)
	sh := newCarefulShop(t)
	arrived, release := make(chan struct{}), make(chan struct{})
	var held atomic.Bool
	sh.onCheck = func() { // the first check request waits; any other is answered at once
		if held.CompareAndSwap(false, true) {
			close(arrived)
			<-release
		}
	}
	a := initPayment(t, base, sh, "pg_order_id", "ORD-TWICE", "pg_language", "en")
	first := make(chan int)
	go func() {
		code := 0
		defer func() { first <- code }() // also when payCard fails the test
		code, _, _ = payCard(t, a.Value("pg_redirect_url"), "4716047261941981")
	}()
	<-arrived
	code, _, page := payCard(t, a.Value("pg_redirect_url"), "5335215945367703")
	close(release)
	if code != http.StatusConflict || !strings.Contains(page, "being processed") {
		t.Errorf("a second card during the first one's check: HTTP %d\n%s", code, page)
	}
	if code := <-first; code != http.StatusOK {
		t.Errorf("the first card: HTTP %d", code)
	}
	checks, results := sh.got()
	if len(checks) != 1 || len(results) != 1 || results[0].Get("pg_result") != "1" {
		t.Fatalf("%d checks, results %v; want one check and one successful result", len(checks), results)
	}
}

// The 3DS page of a payment no card was sent for sends the payer to the
// card form.
func TestPaymentACSBeforeCard(t *testing.T) {
	_, _, base := payServer(t)
	sh := newCarefulShop(t)
	a := initPayment(t, base, sh, "pg_order_id", "ORD-ACS-EARLY")
	key := a.Value("pg_redirect_url")[strings.Index(a.Value("pg_redirect_url"), "customer=")+len("customer="):]
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, send := range []func(string) (*http.Response, error){client.Get, func(u string) (*http.Response, error) {
		return client.PostForm(u, url.Values{"acs": {"confirm"}})
	}} {
		res, err := send(base + "/v2/user/3ds-page/" + key)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "customer="+key) {
			t.Errorf("3DS page before a card: HTTP %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), body)
		}
	}
	if st := status3(t, base, a.Value("pg_payment_id")); st.get("pg_payment_status") == "error" || st.get("pg_payment_status") == "success" {
		t.Errorf("status %s", st.body)
	}
}

// A check request the merchant answered with a wrong signature, or not at
// all, refuses the payment: the payer and get_status3 are told in a few
// words; the control API keeps the whole reason (with the signing
// string) for the merchant's developer.
func TestPaymentRefusalTheirWords(t *testing.T) {
	s, _, base := payServer(t)
	sh := newCarefulShop(t)
	sh.check = "badsig"
	a := initPayment(t, base, sh, "pg_order_id", "ORD-BADSIG")
	_, _, page := payCard(t, a.Value("pg_redirect_url"), "4716047261941981")
	if !strings.Contains(page, "not signed as it must be") || strings.Contains(page, "does not verify") || strings.Contains(page, "signing string") {
		t.Errorf("the payer's page after a wrongly signed check answer:\n%s", page)
	}
	st := status3(t, base, a.Value("pg_payment_id"))
	if d := st.get("pg_failure_description"); st.get("pg_payment_status") != "error" || d != "Платеж отклонен магазином: the merchant's answer is not signed as it must be" {
		t.Errorf("status %s", st.body)
	}
	p, err := s.Payment(mustID(t, a.Value("pg_payment_id")))
	if err != nil || !strings.Contains(p.Refusal, "does not verify") {
		t.Errorf("the control API's refusal: %q %v", p.Refusal, err)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	b := initPayment(t, base, sh, "pg_order_id", "ORD-NOCHECK", "pg_check_url", closed.URL+"/check")
	_, _, page = payCard(t, b.Value("pg_redirect_url"), "4716047261941981")
	if !strings.Contains(page, "did not answer in time") || strings.Contains(page, "connection refused") {
		t.Errorf("the payer's page after a check URL that does not answer:\n%s", page)
	}
}

// A card the page cannot take is refused (422) on the form shown again,
// in the payer's language (pg_language), and no payment is charged.
func TestCardProblemInThePayersLanguage(t *testing.T) {
	s, _, base := payServer(t)
	sh := newCarefulShop(t)
	for i, c := range []struct{ lang, pan, want, not string }{
		{"ru", "4716047261941982", "Номер карты неверен", "Luhn"},
		{"ru", "4716", "Номер карты должен состоять из 13–19 цифр", "digits"},
		{"en", "4716047261941982", "The card number is not valid", "Номер"},
		{"kk", "4716047261941982", "Карта нөмірі қате", "Luhn"},
		{"uz", "4716", "Karta raqami 13–19 ta raqamdan", "digits"},
		{"ky", "4716", "Картанын номери 13–19 сандан", "digits"},
	} {
		a := initPayment(t, base, sh, "pg_order_id", "ORD-LANG-"+strconv.Itoa(i), "pg_language", c.lang)
		code, _, body := payCard(t, a.Value("pg_redirect_url"), c.pan)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="error"`) || !strings.Contains(body, c.want) ||
			strings.Contains(body, c.not) || !strings.Contains(body, `<form method="post"`) {
			t.Errorf("pg_language=%s, card %s: HTTP %d, want 422 and the form again saying %q (not %q):\n%s", c.lang, c.pan, code, c.want, c.not, body)
		}
		if p, err := s.Payment(mustID(t, a.Value("pg_payment_id"))); err != nil || p.Status != scenario.PaymentPending || p.CardPAN != "" {
			t.Errorf("pg_language=%s: payment %+v, %v: want it pending, no card taken", c.lang, p, err)
		}
	}
}

// The older test cards (spec §7), not Luhn-valid, are taken all the same,
// with their outcomes.
func TestPaymentOlderTestCards(t *testing.T) {
	_, _, base := payServer(t)
	sh := newCarefulShop(t)
	for _, c := range []struct{ pan, status, code string }{
		{"4400444400004440", "success", ""}, {"4400444400004441", "error", "10000"}, {"4400444400004443", "error", "10009"},
	} {
		a := initPayment(t, base, sh, "pg_order_id", "ORD-OLD-"+c.pan)
		if code, _, page := payCard(t, a.Value("pg_redirect_url"), c.pan); code != http.StatusOK {
			t.Errorf("%s: HTTP %d\n%s", c.pan, code, page)
		}
		st := status3(t, base, a.Value("pg_payment_id"))
		if st.get("pg_payment_status") != c.status || st.get("pg_failure_code") != c.code {
			t.Errorf("%s: %s", c.pan, st.body)
		}
	}
}

// The result notify's fields come in the documented order (spec §5.1):
// 1–19, the merchant's parameters, pg_salt, pg_sig, then 23–28.
func TestResultNotifyFieldOrder(t *testing.T) {
	_, _, base := payServer(t)
	want := "pg_order_id pg_payment_id pg_amount pg_currency pg_net_amount pg_ps_amount pg_ps_full_amount pg_ps_currency " +
		"pg_description pg_result pg_payment_date pg_can_reject pg_testing_mode pg_captured pg_card_pan cart_id pg_salt pg_sig " +
		"pg_payment_method pg_card_exp pg_card_owner pg_card_brand"
	if got := resultFieldNames(t, base, "pg_order_id", "ORD-ORDER"); got != want {
		t.Errorf("result notify fields\n got %s\nwant %s", got, want)
	}
}

// resultFieldNames pays a payment made with kv and returns the names of
// its result notify's fields, in the order they came, as a merchant that
// reads the raw body sees them.
func resultFieldNames(t *testing.T, base string, kv ...string) string {
	t.Helper()
	bodies := make(chan string, 4)
	raw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- string(b)
	}))
	defer raw.Close()
	a := initPayment(t, base, newShop(t), append([]string{"pg_result_url", raw.URL + "/result", "pg_check_url", ""}, kv...)...)
	payCard(t, a.Value("pg_redirect_url"), "4716047261941981")
	var names []string
	for _, kv := range strings.Split(<-bodies, "&") {
		names = append(names, kv[:strings.IndexByte(kv, '=')])
	}
	return strings.Join(names, " ")
}

// An unknown merchant on a payment route is 9997 in the payment
// reference's words, unsigned.
func TestPaymentUnknownMerchant(t *testing.T) {
	_, _, base := payServer(t)
	r := payPost(t, base+"/init_payment.php", signed("init_payment.php", paymentSecret, "pg_merchant_id", "1234",
		"pg_order_id", "X-1", "pg_amount", "10", "pg_description", "x"))
	if r.get("pg_error_code") != "9997" || r.get("pg_error_description") != "Неверный номер магазина" || r.get("pg_sig") != "" {
		t.Errorf("unknown merchant: %s", r.body)
	}
}

// A Host header no host has (too long for a name) does not end up in the
// page URL kept with each payment: the address the request came in on does.
func TestPaymentLongHost(t *testing.T) {
	_, _, base := payServer(t)
	fs := signed("init_payment.php", paymentSecret, "pg_merchant_id", "9970", "pg_order_id", "HOST-1", "pg_amount", "10",
		"pg_description", "x", "pg_result_url", "http://127.0.0.1:1/r")
	req, _ := http.NewRequest(http.MethodPost, base+"/init_payment.php", strings.NewReader(wire.EncodeForm(fs)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Host = strings.Repeat("a", 60000) + ".example"
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if len(body) > 2000 || !strings.Contains(string(body), "<pg_redirect_url>"+base+"/pay.html?customer=") {
		t.Fatalf("reply of %d bytes: %.300s", len(body), body)
	}
}

// A payment is saved before init_payment answers, a charge before the
// payer's page does, a capture and a refund before their replies (--state):
// a crash right after loses none. The state
// directory is copied as the replies left it, the sandbox still running.
func TestPaymentAcknowledgedOnceSaved(t *testing.T) {
	dir := t.TempDir()
	sh := newCarefulShop(t)
	s := mock.RunT(t, mock.Options{ClockMode: "manual", Addr: "127.0.0.1:0", StateDir: dir})
	made := initPayment(t, s.URL(), sh, "pg_order_id", "ORD-CRASH-1")
	paid := initPayment(t, s.URL(), sh, "pg_order_id", "ORD-CRASH-2")
	payCard(t, paid.Value("pg_redirect_url"), "4716047261941981")
	held := heldPayment(t, s.URL(), sh, "ORD-CRASH-3")
	payOp(t, s.URL(), "/do_capture.php", held, "pg_clearing_amount", "1000")
	payOp(t, s.URL(), "/revoke.php", paid.Value("pg_payment_id"), "pg_refund_amount", "500")
	crash := t.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(crash, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	after := mock.RunT(t, mock.Options{ClockMode: "manual", Addr: "127.0.0.1:0", StateDir: crash})
	if st := status3(t, after.URL(), made.Value("pg_payment_id")); st.get("pg_payment_status") != "new" {
		t.Errorf("the payment made: %s", st.body)
	}
	if st := status3(t, after.URL(), paid.Value("pg_payment_id")); st.get("pg_payment_status") != "success" || st.get("pg_refund_amount") != "-500.00" {
		t.Errorf("the payment paid, then refunded in part: %s", st.body)
	}
	if st := status3(t, after.URL(), held); st.get("pg_captured") != "1" || st.get("pg_clearing_amount") != "1000.00" {
		t.Errorf("the hold captured in part: %s", st.body)
	}
}

// Without a success URL, the payer's outcome page is titled in the
// payer's language.
func TestPaymentOutcomeWithoutURLInTheirLanguage(t *testing.T) {
	_, _, base := payServer(t)
	sh := newCarefulShop(t)
	a := initPayment(t, base, sh, "pg_order_id", "ORD-NOURL", "pg_success_url", "", "pg_failure_url", "", "pg_language", "ru")
	_, _, body := payCard(t, a.Value("pg_redirect_url"), "4716047261941981")
	if !strings.Contains(body, "<h1>Оплата прошла успешно</h1>") && !strings.Contains(body, "Оплата прошла успешно</") {
		t.Errorf("outcome page:\n%s", body)
	}
	if strings.Contains(body, "<title>success") || strings.Contains(body, ">success</h1>") {
		t.Errorf("the title is the English status:\n%s", body)
	}
}

// The demo shop's URLs on a loopback host are this sandbox's own, answered
// in-process: they work in a container too, where localhost callbacks go
// to the loopback host (here one that resolves nowhere).
func TestPaymentDemoShopInAContainer(t *testing.T) {
	c := clock.NewManual(t0)
	s := mock.RunT(t, mock.Options{Clock: c, Addr: "127.0.0.1:0", CallbackLoopbackHost: "host.invalid"})
	sh := newShop(t)
	a := initPayment(t, s.URL(), sh, "pg_order_id", "ORD-DEMO-C", "pg_check_url", "http://localhost:8080/_mock/demo/shop/check",
		"pg_result_url", "http://localhost:8080/_mock/demo/shop/result")
	payCard(t, a.Value("pg_redirect_url"), "4716047261941981")
	p, err := s.Payment(mustID(t, a.Value("pg_payment_id")))
	if err != nil || p.Status != "success" || len(p.Notifications) != 2 {
		t.Fatalf("payment %+v, %v; want success with a check request and a result notify", p, err)
	}
	for _, n := range p.Notifications {
		if n.State != "delivered" || len(n.Attempts) != 1 || !n.Attempts[0].Conforming || n.Attempts[0].SentTo != "" {
			t.Errorf("%s: %s %+v; want delivered in-process, answered as the demo shop answers", n.Kind, n.State, n.Attempts)
		}
	}
}
