package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	mocksign "github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// checkout posts /checkout and decodes its JSON answer, which must come
// with HTTP status want.
func (w *world) checkout(t *testing.T, form url.Values, want int) checkoutReply {
	t.Helper()
	resp, err := http.PostForm(w.url+"/checkout", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST /checkout %s: HTTP %d %s, want %d", form.Encode(), resp.StatusCode, body, want)
	}
	var r checkoutReply
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("POST /checkout %s: not JSON: %v\n%s", form.Encode(), err, body)
	}
	return r
}

// payments is GET /payments, by order id.
func (w *world) payments(t *testing.T) map[string]payment {
	t.Helper()
	resp, err := http.Get(w.url + "/payments")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []payment
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /payments: HTTP %d, %v", resp.StatusCode, err)
	}
	out := map[string]payment{}
	for _, p := range list {
		out[p.OrderID] = p
	}
	return out
}

// sandboxPayment is the sandbox's record of a payment, its callbacks
// included.
func (w *world) sandboxPayment(t *testing.T, paymentID string) sandbox.Payment {
	t.Helper()
	id, err := strconv.ParseInt(paymentID, 10, 64)
	if err != nil {
		t.Fatalf("payment id %q: %v", paymentID, err)
	}
	p, err := w.s.Payment(id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// callbacksOf returns a payment's callbacks of one kind (check or result)
// as the sandbox recorded them.
func callbacksOf(p sandbox.Payment, kind string) []notify.Notification {
	var out []notify.Notification
	for _, n := range p.Notifications {
		if n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

// acked checks that the sandbox's callback got one attempt, answered by
// the merchant with a signed <response> of pg_status want.
func acked(t *testing.T, n notify.Notification, want string) {
	t.Helper()
	if len(n.Attempts) != 1 {
		t.Fatalf("%s notify %d: %d attempts, want 1: %+v", n.Kind, n.ID, len(n.Attempts), n.Attempts)
	}
	a := n.Attempts[0]
	answer, err := wire.DecodeXML([]byte(a.Answer))
	if err != nil || a.HTTPStatus != http.StatusOK || !a.Conforming || answer.Value("pg_status") != want {
		t.Errorf("%s notify %d: HTTP %d conforming %v answer %q (%v); want HTTP 200 and a signed pg_status %s",
			n.Kind, n.ID, a.HTTPStatus, a.Conforming, a.Answer, err, want)
	}
	if !mocksign.Verify(scriptName(n.URL), answer, paymentSecret) {
		t.Errorf("%s notify %d: the answer's signature does not verify: %s", n.Kind, n.ID, a.Answer)
	}
}

// kinds lists the kinds and answers of callbacks, "result=1:ok".
func kinds(cs []callback) string {
	var out []string
	for _, c := range cs {
		k := c.Kind
		if c.Result != "" {
			k += "=" + c.Result
		}
		out = append(out, k+":"+c.Answer)
	}
	return strings.Join(out, " ")
}

func TestCheckoutPaid(t *testing.T) {
	w := start(t, scenario.EncodingURL)
	r := w.checkout(t, url.Values{"order_id": {"shop-1"}, "amount": {"1500"}, "cart_id": {"c-77"}}, http.StatusOK)
	if r.OrderID != "shop-1" || r.PaymentID == "" || r.Status != "success" || !r.Final || r.ThreeDS ||
		r.PageStatus != http.StatusOK || r.Outcome != outcomePaid || r.FailureCode != "" {
		t.Fatalf("POST /checkout: %+v, want a final success, paid by the result notify, page 200, no 3-D Secure", r)
	}
	if got := kinds(r.Callbacks); got != "check:ok result=1:ok" {
		t.Errorf("callbacks %s, want the check request and the result notify answered ok", got)
	}
	for _, c := range r.Callbacks {
		if !c.SignatureOK || c.PaymentID != r.PaymentID || c.Amount != "1500.00" || c.ReceivedAt.IsZero() {
			t.Errorf("callback %+v: want a verified one of payment %s, amount 1500.00", c, r.PaymentID)
		}
	}
	if c := r.Callbacks[1]; c.CanReject != "1" || c.Duplicate || c.Stale {
		t.Errorf("result notify %+v: want pg_can_reject 1, first of its kind", c)
	}

	p := w.sandboxPayment(t, r.PaymentID)
	if p.Status != "success" || p.Amount != "1500.00" || p.CheckURL != w.url+"/check" || p.ResultURL != w.url+"/result" ||
		p.SuccessURL != w.url+"/paid" || p.FailureURL != w.url+"/failed" {
		t.Errorf("the sandbox's payment: %+v", p)
	}
	checks, results := callbacksOf(p, notify.CheckRequest), callbacksOf(p, notify.ResultNotify)
	if len(checks) != 1 || len(results) != 1 || results[0].State != "delivered" {
		t.Fatalf("the sandbox sent %d check requests and %d result notifies (%+v), want one of each, delivered", len(checks), len(results), results)
	}
	acked(t, checks[0], "ok")
	acked(t, results[0], "ok")
	if got := results[0].Fields.Value("cart_id"); got != "c-77" {
		t.Errorf("the result notify's cart_id %q, want c-77, the merchant field of init_payment", got)
	}

	if got := w.payments(t)["shop-1"]; got.PaymentID != r.PaymentID || got.Outcome != outcomePaid || got.Status != "success" ||
		got.Amount != "1500.00" || got.CartID != "c-77" || len(got.Callbacks) != 2 {
		t.Errorf("GET /payments: %+v", got)
	}
	w.log.mustHave(t, "checkout order_id=shop-1 payment_id="+r.PaymentID+" amount=1500.00")
	w.log.mustHave(t, "check order_id=shop-1 payment_id="+r.PaymentID+" signature=ok answer=ok")
	w.log.mustHave(t, "result order_id=shop-1 payment_id="+r.PaymentID+" result=1 can_reject=1 signature=ok answer=ok duplicate=false stale=false outcome=paid")
	w.log.mustHave(t, "page order_id=shop-1 http=200 three_ds=false")
	w.log.mustHave(t, "payment status order_id=shop-1 payment_id="+r.PaymentID+" status=success")
}

func TestCheckoutDeclined(t *testing.T) {
	w := start(t, scenario.EncodingURL)
	r := w.checkout(t, url.Values{"order_id": {"shop-2"}, "amount": {"99.90"}, "card": {"4916109830832246"}}, http.StatusOK)
	if r.Status != "error" || !r.Final || r.FailureCode != "10009" || r.FailureDescription == "" ||
		r.Outcome != outcomeFailed || r.PageStatus != http.StatusOK {
		t.Fatalf("POST /checkout: %+v, want a final error 10009, failed by the result notify, page 200", r)
	}
	if got := kinds(r.Callbacks); got != "check:ok result=0:ok" {
		t.Errorf("callbacks %s, want the check request answered ok and pg_result=0 acknowledged", got)
	}
	if c := r.Callbacks[1]; c.ErrorCode != "10009" || c.Amount != "99.90" {
		t.Errorf("result notify %+v: want pg_failure_code 10009, amount 99.90", c)
	}
	results := callbacksOf(w.sandboxPayment(t, r.PaymentID), notify.ResultNotify)
	if len(results) != 1 {
		t.Fatalf("%d result notifies, want 1", len(results))
	}
	acked(t, results[0], "ok")
	w.log.mustHave(t, "result order_id=shop-2 payment_id="+r.PaymentID+" result=0 can_reject=0 signature=ok answer=ok duplicate=false stale=false outcome=failed")
}

func TestCheckout3DS(t *testing.T) {
	w := start(t, scenario.EncodingURL)
	r := w.checkout(t, url.Values{"order_id": {"shop-3"}, "amount": {"1500"}, "card": {"4916307416334310"}}, http.StatusOK)
	if !r.ThreeDS || r.Status != "success" || r.Outcome != outcomePaid || r.PageStatus != http.StatusOK {
		t.Fatalf("POST /checkout: %+v, want 3-D Secure confirmed, then a success paid by the result notify", r)
	}
	if got := kinds(r.Callbacks); got != "check:ok result=1:ok" {
		t.Errorf("callbacks %s", got)
	}
	if p := w.sandboxPayment(t, r.PaymentID); p.AwaitingACS || p.CardPAN != "4916-30XX-XXXX-4310" {
		t.Errorf("the sandbox's payment: awaiting 3DS %v, card %q", p.AwaitingACS, p.CardPAN)
	}
	w.log.mustHave(t, "page order_id=shop-3 http=200 three_ds=true")
}

// postForm posts fields as a form and returns the HTTP status and body.
func postForm(t *testing.T, to string, fields mocksign.Fields) (int, string) {
	t.Helper()
	resp, err := http.Post(to, "application/x-www-form-urlencoded", strings.NewReader(wire.EncodeForm(fields)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// signed appends pg_salt and a pg_sig computed by the sandbox's signer.
func signed(script, secret string, fs mocksign.Fields) mocksign.Fields {
	fs = append(fs, mocksign.Field{Name: "pg_salt", Value: "s4lt"})
	return append(fs, mocksign.Field{Name: "pg_sig", Value: mocksign.Sign(script, fs, secret)})
}

// A result notify or check request that does not verify is refused with
// HTTP 400 "sig invalid" and changes nothing.
func TestForgedCallbacksAreRefused(t *testing.T) {
	w := start(t, scenario.EncodingURL)
	r := w.checkout(t, url.Values{"order_id": {"shop-4"}, "amount": {"1500"}, "card": {"4916109830832246"}}, http.StatusOK)
	paid := mocksign.Fields{{Name: "pg_order_id", Value: "shop-4"}, {Name: "pg_payment_id", Value: r.PaymentID},
		{Name: "pg_amount", Value: "1500.00"}, {Name: "pg_currency", Value: "KZT"}, {Name: "pg_result", Value: "1"},
		{Name: "pg_can_reject", Value: "1"}, {Name: "cart_id", Value: "cart-shop-4"}}
	tampered := signed("result", paymentSecret, paid).With("pg_amount", "1.00")
	tests := []struct {
		name, path string
		fields     mocksign.Fields
	}{
		{"result, wrong secret", "/result", signed("result", "not the secret", paid)},
		{"result, payout secret", "/result", signed("result", secret, paid)},
		{"result, wrong script name", "/result", signed("/result", paymentSecret, paid)},
		{"result, tampered", "/result", tampered},
		{"result, unsigned", "/result", append(paid, mocksign.Field{Name: "pg_salt", Value: "s"})},
		{"check, wrong secret", "/check", signed("check", "not the secret", paid)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := postForm(t, w.url+tt.path, tt.fields)
			if status != http.StatusBadRequest || strings.TrimSpace(body) != "sig invalid" {
				t.Errorf("HTTP %d %q, want 400 \"sig invalid\"", status, body)
			}
		})
	}
	got := w.payments(t)["shop-4"]
	if got.Outcome != outcomeFailed {
		t.Errorf("outcome %q after forged result notifies, want failed still", got.Outcome)
	}
	want := "check:ok result=0:ok" + strings.Repeat(" result=1:sig invalid", 5) + " check:sig invalid"
	if k := kinds(got.Callbacks); k != want {
		t.Errorf("callbacks %s\nwant %s", k, want)
	}
	for _, c := range got.Callbacks[2:] {
		if c.SignatureOK {
			t.Errorf("refused callback %+v has signature_ok", c)
		}
	}
	w.log.mustHave(t, "result order_id=shop-4 payment_id="+r.PaymentID+" signature=bad answer=refused")

	// The same message signed right is taken: the signature decided. (A
	// success after a failure: money was taken, the order is paid.)
	status, body := postForm(t, w.url+"/result", signed("result", paymentSecret, paid))
	if status != http.StatusOK || !strings.Contains(body, "<pg_status>ok</pg_status>") {
		t.Errorf("well-signed result notify: HTTP %d %s", status, body)
	}
	if got := w.payments(t)["shop-4"]; got.Outcome != outcomePaid {
		t.Errorf("outcome %q after a verified pg_result=1, want paid", got.Outcome)
	}
}

// FreedomPay sends a result notify again, and a stale failure may follow a
// success: neither changes a paid order, and both are answered ok.
func TestResultNotifyIsIdempotent(t *testing.T) {
	w := start(t, scenario.EncodingURL)
	r := w.checkout(t, url.Values{"order_id": {"shop-5"}, "amount": {"1500"}}, http.StatusOK)
	id, _ := strconv.ParseInt(r.PaymentID, 10, 64)

	resent, err := w.s.ResendPayment(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	acked(t, resent.Notification, "ok")
	w.log.mustHave(t, "result order_id=shop-5 payment_id="+r.PaymentID+" result=1 can_reject=0 signature=ok answer=ok duplicate=true stale=false outcome=paid")

	// The sandbox's control API makes the payment fail after its success,
	// which FreedomPay never does: the notify is stale to the merchant.
	forced, err := w.s.ForcePayment(t.Context(), id, "error", 10001)
	if err != nil || forced.Notification == nil {
		t.Fatalf("ForcePayment: %+v, %v; want a result notify sent", forced, err)
	}
	acked(t, *forced.Notification, "ok")
	w.log.mustHave(t, "result order_id=shop-5 payment_id="+r.PaymentID+" result=0 can_reject=0 signature=ok answer=ok duplicate=false stale=true outcome=paid")

	got := w.payments(t)["shop-5"]
	if got.Outcome != outcomePaid || kinds(got.Callbacks) != "check:ok result=1:ok result=1:ok result=0:ok" {
		t.Fatalf("GET /payments: outcome %q, callbacks %s; want paid still", got.Outcome, kinds(got.Callbacks))
	}
	if c := got.Callbacks[2]; !c.Duplicate || c.Stale {
		t.Errorf("the resent notify: %+v, want a duplicate", c)
	}
	if c := got.Callbacks[3]; c.Duplicate || !c.Stale {
		t.Errorf("the late failure: %+v, want stale", c)
	}
}

// The sandbox's drills on result notifies: each hostile one is refused,
// the duplicate and the stale one acknowledged, and the sandbox judges
// every answer right.
func TestResultNotifyDrills(t *testing.T) {
	w := startWith(t, scenario.EncodingURL, `
[[merchants]]
id = "9971"
secret_key = "other_payment_secret"
payout_secret_key = "other_payout_secret"

[[rules]]
kind = "payment"
match = { card = "4716047261941981" }
drills = ["duplicate", "out_of_order", "forged", "tampered", "unsigned", "replayed"]
timeline = [{ at = "0s", status = "success" }]
`)
	r := w.checkout(t, url.Values{"order_id": {"shop-6"}, "amount": {"1500"}}, http.StatusOK)
	if _, err := w.s.Drain(); err != nil {
		t.Fatal(err)
	}
	verdicts := map[string]bool{}
	for _, n := range w.sandboxPayment(t, r.PaymentID).Notifications {
		if n.Drill == "" {
			continue
		}
		verdicts[n.Drill] = n.Verdict != nil && n.Verdict.OK
		if n.Verdict == nil || !n.Verdict.OK {
			t.Errorf("drill %s: verdict %+v", n.Drill, n.Verdict)
		}
	}
	if len(verdicts) != 6 {
		t.Errorf("verdicts %v, want one per drill", verdicts)
	}
	if got := w.payments(t)["shop-6"]; got.Outcome != outcomePaid {
		t.Errorf("outcome %q after the drills, want paid", got.Outcome)
	}
}

// A verified check request or result notify of an order the merchant did
// not make, or for another amount, is answered rejected, signed.
func TestCallbacksOfOtherOrdersAreRejected(t *testing.T) {
	w := start(t, scenario.EncodingURL)
	r := w.checkout(t, url.Values{"order_id": {"shop-7"}, "amount": {"1500"}}, http.StatusOK)
	msg := func(order, amount string, more ...mocksign.Field) mocksign.Fields {
		return append(mocksign.Fields{{Name: "pg_order_id", Value: order}, {Name: "pg_payment_id", Value: r.PaymentID},
			{Name: "pg_amount", Value: amount}, {Name: "pg_currency", Value: "KZT"}}, more...)
	}
	result := mocksign.Field{Name: "pg_result", Value: "1"}
	tests := []struct {
		name, script string
		fields       mocksign.Fields
		want         string
	}{
		{"check, unknown order", "check", msg("nobody", "1500.00"), "Unknown order"},
		{"check, other amount", "check", msg("shop-7", "15.00"), "Amount does not match the order"},
		{"check, other currency", "check", msg("shop-7", "1500.00").With("pg_currency", "USD"), "Amount does not match the order"},
		{"check, other payment", "check", msg("shop-7", "1500.00").With("pg_payment_id", "1"), "Another payment for this order"},
		{"check, paid already", "check", msg("shop-7", "1500"), "Order already paid"},
		{"result, unknown order", "result", msg("nobody", "1500.00", result), "Unknown order"},
		{"result, other amount", "result", msg("shop-7", "1500.01", result), "Amount does not match the order"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := postForm(t, w.url+"/"+tt.script, signed(tt.script, paymentSecret, tt.fields))
			answer, err := wire.DecodeXML([]byte(body))
			if err != nil || status != http.StatusOK || answer.Value("pg_status") != "rejected" || answer.Value("pg_description") != tt.want {
				t.Errorf("HTTP %d %s, want 200 and rejected, %q", status, body, tt.want)
			}
			if !mocksign.Verify(tt.script, answer, paymentSecret) {
				t.Errorf("the answer's signature does not verify under %q: %s", tt.script, body)
			}
		})
	}
	if got := w.payments(t)["shop-7"]; got.Outcome != outcomePaid {
		t.Errorf("outcome %q, want paid still", got.Outcome)
	}
}

// The payer's way back: signed fields as the payment page sends them, to
// the success or the failure URL.
func TestWayBack(t *testing.T) {
	w := start(t, scenario.EncodingURL)
	paid := w.checkout(t, url.Values{"order_id": {"shop-8"}, "amount": {"1500"}}, http.StatusOK)
	failed := w.checkout(t, url.Values{"order_id": {"shop-9"}, "amount": {"1500"}, "card": {"4916109830832246"}}, http.StatusOK)
	back := func(script, order, id string, more ...mocksign.Field) mocksign.Fields {
		fs := append(mocksign.Fields{{Name: "pg_order_id", Value: order}, {Name: "pg_payment_id", Value: id},
			{Name: "cart_id", Value: "cart-" + order}}, more...)
		return signed(script, paymentSecret, fs)
	}
	declined := []mocksign.Field{{Name: "pg_error_code", Value: "10009"}, {Name: "pg_error_description", Value: "Недостаточно средств"}}
	tests := []struct {
		name, method, path string
		fields             mocksign.Fields
		status             int
		text               string
	}{
		{"paid", "GET", "/paid", back("paid", "shop-8", paid.PaymentID), 200, "Thank you! Order shop-8 is paid."},
		{"paid, POST", "POST", "/paid", back("paid", "shop-8", paid.PaymentID), 200, "Thank you! Order shop-8 is paid."},
		{"failed", "GET", "/failed", back("failed", "shop-9", failed.PaymentID, declined...), 200,
			"Order shop-9 was not paid: Недостаточно средств (10009). You may try again."},
		{"signed for the other URL", "GET", "/paid", back("failed", "shop-8", paid.PaymentID), 400, "sig invalid"},
		{"forged", "GET", "/paid", back("paid", "shop-9", failed.PaymentID).With("pg_order_id", "shop-8"), 400, "sig invalid"},
		{"unknown order", "GET", "/paid", back("paid", "nobody", paid.PaymentID), 404, "No such order."},
		{"another payment", "GET", "/paid", back("paid", "shop-8", failed.PaymentID), 404, "No such order."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var resp *http.Response
			var err error
			if tt.method == "GET" {
				resp, err = http.Get(w.url + tt.path + "?" + wire.EncodeForm(tt.fields))
			} else {
				resp, err = http.Post(w.url+tt.path, "application/x-www-form-urlencoded", strings.NewReader(wire.EncodeForm(tt.fields)))
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || strings.TrimSpace(string(body)) != tt.text ||
				!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
				t.Errorf("HTTP %d %s %q, want %d %q", resp.StatusCode, resp.Header.Get("Content-Type"), body, tt.status, tt.text)
			}
		})
	}
	if k := kinds(w.payments(t)["shop-8"].Callbacks); k != "check:ok result=1:ok paid:200 paid:200 paid:400 paid:400 paid:404" {
		t.Errorf("shop-8's callbacks: %s", k)
	}
	w.log.mustHave(t, "back order_id=shop-9 payment_id="+failed.PaymentID+" to=failed signature=true http=200")
}

func TestCheckoutRefusals(t *testing.T) {
	w := start(t, scenario.EncodingURL)
	w.checkout(t, url.Values{"order_id": {"dup"}, "amount": {"10"}}, http.StatusOK)
	for _, form := range []url.Values{
		{"amount": {"10"}},
		{"order_id": {strings.Repeat("x", 51)}, "amount": {"10"}},
		{"order_id": {"a"}},
		{"order_id": {"a"}, "amount": {"12.345"}},
		{"order_id": {"a"}, "amount": {"0"}},
		{"order_id": {"a"}, "amount": {"-1"}},
		{"order_id": {"a"}, "amount": {"1e3"}},
	} {
		w.checkout(t, form, http.StatusBadRequest)
	}
	w.checkout(t, url.Values{"order_id": {"dup"}, "amount": {"10"}}, http.StatusConflict)

	// The page refuses a card that fails the Luhn check: no charge, and
	// the payment stays pending.
	r := w.checkout(t, url.Values{"order_id": {"typo"}, "amount": {"10"}, "card": {"4716047261941982"}}, http.StatusBadGateway)
	if p := w.sandboxPayment(t, r.PaymentID); p.Status != "pending" {
		t.Errorf("payment of a mistyped card: %s, want pending", p.Status)
	}

	// A wrong payment secret: init_payment.php refuses (9998) and the order
	// is forgotten, so no callback can pay it.
	bad := start(t, scenario.EncodingURL, func(c *config) { c.PaymentSecret = "not the secret" })
	resp, err := http.PostForm(bad.url+"/checkout", url.Values{"order_id": {"sec"}, "amount": {"10"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusBadGateway || out["code"] != "9998" {
		t.Errorf("POST /checkout with a wrong secret: HTTP %d %v (%v), want 502 with code 9998", resp.StatusCode, out, err)
	}
	if ps := bad.payments(t); len(ps) != 0 {
		t.Errorf("GET /payments after a refused init_payment: %+v, want none", ps)
	}
}

// The sample's signer against the spec's payment vectors (payments.md §8).
func TestPaymentSignVectors(t *testing.T) {
	const key = "pay_secret_key"
	tests := []struct {
		name, script, want string
		fields             url.Values
	}{
		{"G", scriptName("/init_payment.php"), "a7094bf0f6b105d38127dbb3fd1dc465", url.Values{
			"pg_merchant_id": {"9970"}, "pg_order_id": {"ORD-1001"}, "pg_amount": {"1500.00"}, "pg_currency": {"KZT"},
			"pg_description": {"Order 1001"}, "pg_result_url": {"http://shop/hooks/result"}, "pg_success_url": {"http://shop/ok"},
			"pg_failure_url": {"http://shop/fail"}, "pg_request_method": {"POST"}, "pg_testing_mode": {"1"},
			"pg_salt": {"Xz3kP9qLmN2vB7tY"}, "cart_id": {"c-77"}}},
		{"H", "init_payment.php", "00f99a5d39c0a3f8f78c48ecea466bdc", url.Values{
			"pg_status": {"ok"}, "pg_payment_id": {"1700000001"},
			"pg_redirect_url":      {"http://127.0.0.1:8080/pay.html?customer=8b1a9953c4611296a827abf8c47804d7"},
			"pg_redirect_url_type": {"need data"}, "pg_salt": {"q7WmZ2rT8sYp4KdL"}}},
		{"I", scriptName("http://shop/hooks/result"), "0f766728bab89916a7f173fc3cc6ed95", url.Values{
			"pg_order_id": {"ORD-1001"}, "pg_payment_id": {"1700000001"}, "pg_amount": {"1500.00"}, "pg_currency": {"KZT"},
			"pg_net_amount": {"1447.50"}, "pg_ps_amount": {"1500.00"}, "pg_ps_full_amount": {"1500.00"}, "pg_ps_currency": {"KZT"},
			"pg_description": {"Order 1001"}, "pg_result": {"1"}, "pg_payment_date": {"2025-01-15 12:30:45"},
			"pg_can_reject": {"1"}, "pg_testing_mode": {"1"}, "pg_captured": {"1"}, "pg_card_pan": {"4716-04XX-XXXX-1981"},
			"pg_card_exp": {"12/30"}, "pg_card_brand": {"VI"}, "pg_payment_method": {"bankcard"}, "cart_id": {"c-77"},
			"pg_salt": {"N4vR8tK2pQ6wX9zA"}}},
		{"J", "result", "2294a41238a384e00c047cf7df09e605", url.Values{
			"pg_status": {"ok"}, "pg_description": {"Order paid"}, "pg_salt": {"N4vR8tK2pQ6wX9zA"}}},
		{"K", scriptName("/get_status3.php"), "155c59862729b180c5f8abea9ba51370", url.Values{
			"pg_merchant_id": {"9970"}, "pg_order_id": {"ORD-1001"}, "pg_payment_id": {"1700000001"}, "pg_salt": {"s3Lt0kZ9"}}},
		{"L", scriptName("http://shop/hooks/check"), "2b903eaadf83a4ddaa04076664fc6e22", url.Values{
			"pg_order_id": {"ORD-1001"}, "pg_payment_id": {"1700000001"}, "pg_amount": {"1500.00"}, "pg_currency": {"KZT"},
			"pg_ps_amount": {"1500.00"}, "pg_ps_currency": {"KZT"}, "pg_ps_full_amount": {"1500.00"}, "cart_id": {"c-77"},
			"pg_salt": {"Cq1Wd5Ex7Rf3Tg9H"}}},
	}
	for _, tt := range tests {
		if got := sign(tt.script, tt.fields, key); got != tt.want {
			t.Errorf("vector %s: got %s, want %s", tt.name, got, tt.want)
		}
		tt.fields.Set("pg_sig", tt.want)
		if !verify(tt.script, tt.fields, key) {
			t.Errorf("vector %s does not verify", tt.name)
		}
	}
}

func TestCents(t *testing.T) {
	for in, want := range map[string]int64{"1500": 150000, "1500.5": 150050, "1500.00": 150000, "0.01": 1, "007": 700} {
		if got, ok := cents(in); !ok || got != want {
			t.Errorf("cents(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", ".5", "5.", "1.234", "-1", "+1", "1,5", "1e3", " 1", "1 ", "1234567890123"} {
		if _, ok := cents(bad); ok {
			t.Errorf("cents(%q) ok, want not an amount", bad)
		}
	}
	if !sameAmount("1500", "1500.00") || sameAmount("1500", "1500.01") || sameAmount("x", "x") {
		t.Error("sameAmount")
	}
}

// The compose example gives the merchant service the secrets and URLs its
// scenario's merchant has.
func TestComposeExampleAgrees(t *testing.T) {
	sc, err := scenario.Load("../scenarios/compose.toml")
	if err != nil {
		t.Fatal(err)
	}
	yaml, err := os.ReadFile("../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m scenario.Merchant
	for _, x := range sc.Merchants {
		if x.ID == "9970" {
			m = x
		}
	}
	for _, want := range []string{
		"MERCHANT_ID: \"9970\"",
		"PAYOUT_SECRET: " + m.PayoutSecretKey,
		"PAYMENT_SECRET: " + m.SecretKey,
		"CALLBACK_URL: " + m.PostLink,
		"PUBLIC_URL: " + strings.TrimSuffix(m.ResultURL, "/result"),
	} {
		if !strings.Contains(string(yaml), "\n      "+want+"\n") {
			t.Errorf("compose.yaml has no line %q for the merchant service (scenario: %+v)", want, m)
		}
	}
	if m.SecretKey == "" || m.CheckURL != strings.TrimSuffix(m.ResultURL, "result")+"check" {
		t.Errorf("compose.toml's merchant 9970: secret_key %q, check_url %q, result_url %q", m.SecretKey, m.CheckURL, m.ResultURL)
	}
}

// post is a POST of a form to the merchant, its JSON answer decoded; the
// HTTP status must be want.
func (w *world) post(t *testing.T, path string, form url.Values, want int) map[string]string {
	t.Helper()
	resp, err := http.PostForm(w.url+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]string
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want || json.Unmarshal(body, &out) != nil {
		t.Fatalf("POST %s %s: HTTP %d %s, want %d", path, form.Encode(), resp.StatusCode, body, want)
	}
	return out
}

// The merchant captures a held checkout in part, refunds in parts and
// refuses itself a refund of more than remains (FreedomPay would answer
// 10020); a second hold is cancelled. The sandbox agrees.
func TestCaptureRefundCancel(t *testing.T) {
	w := start(t, scenario.EncodingURL)
	r := w.checkout(t, url.Values{"order_id": {"hold-1"}, "amount": {"1500"}, "hold": {"1"}, "card": {"4111111111111111"}}, http.StatusOK)
	if r.Status != "success" {
		t.Fatalf("held checkout: %+v", r)
	}
	if p := w.sandboxPayment(t, r.PaymentID); p.Captured {
		t.Fatalf("a hold=1 checkout is captured: %+v", p)
	}
	w.post(t, "/refund", url.Values{"order_id": {"hold-1"}}, http.StatusConflict) // not captured yet
	if got := w.post(t, "/capture", url.Values{"order_id": {"hold-1"}, "amount": {"1000"}}, http.StatusOK); got["captured"] != "1000.00" {
		t.Fatalf("POST /capture: %v", got)
	}
	if got := w.post(t, "/capture", url.Values{"order_id": {"hold-1"}}, http.StatusBadGateway); got["code"] != "10036" {
		t.Errorf("a second capture: %v, want FreedomPay's 10036", got)
	}
	if got := w.post(t, "/refund", url.Values{"order_id": {"hold-1"}, "amount": {"600"}}, http.StatusOK); got["refunded_total"] != "600.00" {
		t.Fatalf("POST /refund 600: %v", got)
	}
	if got := w.post(t, "/refund", url.Values{"order_id": {"hold-1"}, "amount": {"500"}}, http.StatusConflict); !strings.Contains(got["error"], "400.00 remains") {
		t.Errorf("a refund beyond the rest: %v", got)
	}
	if got := w.post(t, "/refund", url.Values{"order_id": {"hold-1"}}, http.StatusOK); got["refunded_total"] != "1000.00" || got["transaction_status"] != "revoked" {
		t.Errorf("the rest: %v", got)
	}
	p := w.sandboxPayment(t, r.PaymentID)
	if p.ClearingAmount != "1000.00" || p.RefundAmount != "-1000.00" || len(p.Refunds) != 2 {
		t.Errorf("the sandbox's payment: %+v", p)
	}
	if got := w.payments(t)["hold-1"]; got.Captured != "1000.00" || got.Refunded != "1000.00" {
		t.Errorf("GET /payments: %+v", got)
	}

	c := w.checkout(t, url.Values{"order_id": {"hold-2"}, "amount": {"20"}, "hold": {"1"}, "card": {"4111111111111111"}}, http.StatusOK)
	w.post(t, "/cancel", url.Values{"order_id": {"hold-2"}}, http.StatusOK)
	if p := w.sandboxPayment(t, c.PaymentID); p.Status != "revoked" {
		t.Errorf("after POST /cancel: %+v", p)
	}
	w.post(t, "/cancel", url.Values{"order_id": {"nope"}}, http.StatusNotFound)
	w.log.mustHave(t, "captured order_id=hold-1 payment_id="+r.PaymentID+" amount=1000.00")
	w.log.mustHave(t, "refunded order_id=hold-1 payment_id="+r.PaymentID+" amount=400.00")
}
