package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	mocksign "github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

const (
	secret        = "test_secret_key"    // merchant 9970's payout secret
	paymentSecret = "payment_secret_key" // and its payment secret
)

// logBuffer collects the merchant's log lines, safe for concurrent use.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSpace(l.b.String()), "\n")
}

// count returns how many log lines are exactly line.
func (l *logBuffer) count(line string) int {
	n := 0
	for _, got := range l.lines() {
		if got == line {
			n++
		}
	}
	return n
}

func (l *logBuffer) mustHave(t *testing.T, line string) {
	t.Helper()
	if l.count(line) == 0 {
		t.Errorf("log has no line %q; got\n%s", line, strings.Join(l.lines(), "\n"))
	}
}

// world is a sandbox on a manual clock and the merchant it calls back.
type world struct {
	s   *mock.Server
	m   *merchant
	url string // the merchant's base URL
	log *logBuffer
}

// start runs the sandbox with merchant 9970 calling back at the merchant's
// /notify, in the given notify encoding, and the merchant against it (its
// checkout's callbacks come to its own URL). The merchant polls payouts
// only when the test says so. Options change the merchant's settings
// before it serves.
func start(t *testing.T, encoding string, opts ...func(*config)) *world {
	t.Helper()
	return startWith(t, encoding, "", opts...)
}

// startWith is start with more of the scenario: merchants, rules.
func startWith(t *testing.T, encoding, more string, opts ...func(*config)) *world {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil) // listening already: its URL goes into the scenario
	base := "http://" + ts.Listener.Addr().String()
	sc, err := scenario.Parse("merchant.toml", []byte(`
name = "sample merchant"
seed = 7
[clock]
mode = "manual"
start = 2026-01-01T00:00:00Z
[notify]
encoding = "`+encoding+`"
retries = ["1m"]

[[merchants]]
id = "9970"
payout_secret_key = "`+secret+`"
secret_key = "`+paymentSecret+`"
balance = 100000
post_link = "`+base+`/notify"

[[rules]]
match = { order_id = "fail-*" }
timeline = [ { at = "0s", status = "process" }, { at = "30s", status = "error", error_code = 10026 } ]
`+more))
	if err != nil {
		t.Fatal(err)
	}
	s := mock.RunT(t, mock.Options{Scenario: sc})
	cfg, err := configFromEnv(env{"FREEDOMPAY_URL": s.URL(), "CALLBACK_URL": base + "/notify", "PUBLIC_URL": base}.get)
	if err != nil {
		t.Fatal(err)
	}
	cfg.PollEvery = 0 // the test polls with pollOnce
	for _, o := range opts {
		o(&cfg)
	}
	logs := &logBuffer{}
	m := newMerchant(t.Context(), cfg, log.New(logs, "", 0))
	ts.Config.Handler = m.routes()
	ts.Start()
	t.Cleanup(ts.Close)
	return &world{s: s, m: m, url: ts.URL, log: logs}
}

type env map[string]string

func (e env) get(name string) string { return e[name] }

// payReply is the JSON answer of POST /pay.
type payReply struct {
	OrderID, PaymentID, Status, Error, Code, Description string
}

func (w *world) pay(t *testing.T, form url.Values, want int) payReply {
	t.Helper()
	resp, err := http.PostForm(w.url+"/pay", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		OrderID     string `json:"order_id"`
		PaymentID   string `json:"payment_id"`
		Status      string `json:"status"`
		Error       string `json:"error"`
		Code        string `json:"code"`
		Description string `json:"description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("POST /pay %s: not JSON: %v", form.Encode(), err)
	}
	if resp.StatusCode != want {
		t.Fatalf("POST /pay %s: HTTP %d %+v, want %d", form.Encode(), resp.StatusCode, r, want)
	}
	return payReply(r)
}

func (w *world) seen(t *testing.T) []seenNotify {
	t.Helper()
	resp, err := http.Get(w.url + "/seen")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var seen []seenNotify
	if err := json.NewDecoder(resp.Body).Decode(&seen); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /seen: HTTP %d, %v", resp.StatusCode, err)
	}
	return seen
}

// poll polls the payout once and checks whether its status is final.
func (w *world) poll(t *testing.T, paymentID string, wantFinal bool) {
	t.Helper()
	w.m.mu.Lock()
	o := w.m.orders[paymentID]
	w.m.mu.Unlock()
	if o == nil {
		t.Fatalf("the merchant does not track payment %s", paymentID)
	}
	final, err := w.m.pollOnce(t.Context(), o)
	if err != nil || final != wantFinal {
		t.Fatalf("pollOnce(%s): final %v, %v; want final %v", paymentID, final, err, wantFinal)
	}
}

func TestPayoutIsNotifiedAndPolledToSuccess(t *testing.T) {
	w := start(t, scenario.EncodingURL)
	p := w.pay(t, url.Values{"order_id": {"o-1"}}, http.StatusOK)
	if p.OrderID != "o-1" || p.PaymentID == "" || p.Status != "ok" {
		t.Fatalf("POST /pay: %+v, want order o-1 with a payment id and status ok", p)
	}
	w.log.mustHave(t, "created order_id=o-1 payment_id="+p.PaymentID)

	w.poll(t, p.PaymentID, false)
	w.log.mustHave(t, "status order_id=o-1 payment_id="+p.PaymentID+" status=process")
	if w.m.paid(p.PaymentID) {
		t.Errorf("paid before any notify or final status")
	}

	// A card that is no test card: process, then success after 5 s, when
	// the sandbox posts the notify (before Advance returns).
	run, err := w.s.Advance(5 * time.Second)
	attempts := run.Attempted
	if err != nil || len(attempts) != 1 {
		t.Fatalf("Advance(5s): %d attempts, %v; want 1", len(attempts), err)
	}
	page, err := w.s.Notifications(sandbox.NotificationQuery{})
	if err != nil {
		t.Fatal(err)
	}
	n := page.Notifications
	if len(n) != 1 || n[0].State != "delivered" || len(n[0].Attempts) != 1 {
		t.Fatalf("sandbox notifications %+v, want one delivered", n)
	}
	if a := n[0].Attempts[0]; !a.Delivered || !a.Conforming || a.HTTPStatus != http.StatusOK {
		t.Errorf("attempt: delivered %v conforming %v HTTP %d (%s); want a delivered, conforming HTTP 200 ack",
			a.Delivered, a.Conforming, a.HTTPStatus, a.Reason)
	}
	seen := w.seen(t)
	if len(seen) != 1 || seen[0].OrderID != "o-1" || seen[0].PaymentID != p.PaymentID || seen[0].Status != "ok" ||
		!seen[0].SignatureOK || seen[0].Duplicate || seen[0].ReceivedAt.IsZero() {
		t.Fatalf("GET /seen: %+v, want one verified ok notify of o-1", seen)
	}
	w.log.mustHave(t, "notify order_id=o-1 payment_id="+p.PaymentID+" status=ok signature=ok ack=ok duplicate=false")
	if !w.m.paid(p.PaymentID) {
		t.Errorf("not paid after a verified ok notify")
	}

	w.poll(t, p.PaymentID, true)
	w.poll(t, p.PaymentID, true)
	w.log.mustHave(t, "status order_id=o-1 payment_id="+p.PaymentID+" status=success")
	final := "final order_id=o-1 status=success by_poll=true by_notify=true"
	if got := w.log.count(final); got != 1 {
		t.Errorf("%d lines %q, want 1", got, final)
	}

	// FreedomPay may send a notify again: acked, logged as a duplicate.
	id, _ := strconv.ParseInt(p.PaymentID, 10, 64)
	resent, err := w.s.Resend(t.Context(), id)
	again := resent.Notification
	if err != nil || len(again.Attempts) != 1 || !again.Attempts[0].Delivered || !again.Attempts[0].Conforming {
		t.Fatalf("Resend: %+v, %v; want a delivered, conforming attempt", again, err)
	}
	if seen := w.seen(t); len(seen) != 2 || !seen[1].Duplicate || !seen[1].SignatureOK {
		t.Errorf("GET /seen after a resend: %+v, want a second, verified entry marked duplicate", seen)
	}
	w.log.mustHave(t, "notify order_id=o-1 payment_id="+p.PaymentID+" status=ok signature=ok ack=ok duplicate=true")
}

func TestFailedPayout(t *testing.T) {
	w := start(t, scenario.EncodingURL)
	p := w.pay(t, url.Values{"order_id": {"fail-1"}, "amount": {"250"}}, http.StatusOK)
	if a, err := w.s.Advance(30 * time.Second); err != nil || len(a.Attempted) != 1 || !a.Attempted[0].Conforming {
		t.Fatalf("Advance(30s): %+v, %v; want one conforming attempt", a, err)
	}
	w.log.mustHave(t, "notify order_id=fail-1 payment_id="+p.PaymentID+" status=error signature=ok ack=ok duplicate=false")
	w.poll(t, p.PaymentID, true)
	w.log.mustHave(t, "final order_id=fail-1 status=error by_poll=true by_notify=true")
	if w.m.paid(p.PaymentID) {
		t.Errorf("a failed payout counts as paid")
	}
}

func TestFinalByPollBeforeNotify(t *testing.T) {
	w := start(t, scenario.EncodingURL, func(c *config) {
		c.CallbackURL = strings.Replace(c.CallbackURL, "/notify", "/nowhere", 1) // 404: the notify does not arrive
	})
	p := w.pay(t, url.Values{"order_id": {"o-2"}}, http.StatusOK)
	if a, err := w.s.Advance(5 * time.Second); err != nil || len(a.Attempted) != 1 || a.Attempted[0].HTTPStatus != http.StatusNotFound {
		t.Fatalf("Advance(5s): %+v, %v; want one attempt answered 404", a, err)
	}
	w.poll(t, p.PaymentID, true)
	w.log.mustHave(t, "final order_id=o-2 status=success by_poll=true by_notify=false")
	if !w.m.paid(p.PaymentID) {
		t.Errorf("not paid after polling saw success")
	}
}

// Every notify encoding the sandbox can send is read and verified.
func TestNotifyEncodings(t *testing.T) {
	for _, enc := range []string{scenario.EncodingURL, scenario.EncodingMultipart, scenario.EncodingXML} {
		t.Run(enc, func(t *testing.T) {
			w := start(t, enc)
			p := w.pay(t, url.Values{"order_id": {"enc-" + enc}}, http.StatusOK)
			a, err := w.s.Advance(5 * time.Second)
			if err != nil || len(a.Attempted) != 1 || !a.Attempted[0].Delivered || !a.Attempted[0].Conforming {
				t.Fatalf("Advance(5s): %+v, %v; want one delivered, conforming attempt", a, err)
			}
			if seen := w.seen(t); len(seen) != 1 || !seen[0].SignatureOK || seen[0].PaymentID != p.PaymentID {
				t.Errorf("GET /seen: %+v, want one verified notify of %s", seen, p.PaymentID)
			}
		})
	}
}

// A notify that does not verify is refused, signed, and pays nothing.
func TestForgedNotifyIsRejected(t *testing.T) {
	w := start(t, scenario.EncodingURL)
	p := w.pay(t, url.Values{"order_id": {"o-3"}}, http.StatusOK) // in process
	notify := func(sig func(mocksign.Fields) string) mocksign.Fields {
		fs := mocksign.Fields{{Name: "pg_payment_id", Value: p.PaymentID}, {Name: "pg_order_id", Value: "o-3"},
			{Name: "pg_status", Value: "ok"}, {Name: "pg_merchant_id", Value: "9970"}, {Name: "pg_salt", Value: "forged"}}
		if s := sig(fs); s != "" {
			fs = append(fs, mocksign.Field{Name: "pg_sig", Value: s})
		}
		return fs
	}
	tests := []struct {
		name, description string
		fields            mocksign.Fields
	}{
		{"wrong secret", "Invalid signature", notify(func(fs mocksign.Fields) string { return mocksign.Sign("notify", fs, "not the secret") })},
		{"wrong script name", "Invalid signature", notify(func(fs mocksign.Fields) string { return mocksign.Sign("/notify", fs, secret) })},
		{"upper-case hex", "Invalid signature", notify(func(fs mocksign.Fields) string { return strings.ToUpper(mocksign.Sign("notify", fs, secret)) })},
		{"no signature", "Missing signature", notify(func(mocksign.Fields) string { return "" })},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, ack := postNotify(t, w.url+"/notify", tt.fields)
			if status != http.StatusBadRequest || ack.Value("pg_status") != "rejected" || ack.Value("pg_description") != tt.description {
				t.Errorf("HTTP %d %v, want 400 with pg_status rejected, %q", status, ack, tt.description)
			}
			if !mocksign.Verify("notify", ack, secret) {
				t.Errorf("the refusal's signature does not verify with script name notify: %v", ack)
			}
			if w.m.paid(p.PaymentID) {
				t.Errorf("a notify with a bad signature made the payout paid")
			}
			if seen := w.seen(t); len(seen) != i+1 || seen[i].SignatureOK || seen[i].Duplicate {
				t.Errorf("GET /seen: %+v, want entry %d with signature_ok false", seen, i+1)
			}
			w.log.mustHave(t, "notify order_id=o-3 payment_id="+p.PaymentID+" status=ok signature=bad ack=rejected duplicate=false")
		})
	}
	// The same message, signed right, is accepted: the signature decided.
	status, ack := postNotify(t, w.url+"/notify", notify(func(fs mocksign.Fields) string { return mocksign.Sign("notify", fs, secret) }))
	if status != http.StatusOK || ack.Value("pg_status") != "ok" || !mocksign.Verify("notify", ack, secret) {
		t.Errorf("well-signed notify: HTTP %d %v, want 200 and a signed ok", status, ack)
	}
	if !w.m.paid(p.PaymentID) {
		t.Errorf("a verified ok notify did not make the payout paid")
	}
}

func TestUndecodableNotify(t *testing.T) {
	w := start(t, scenario.EncodingURL)
	resp, err := http.Post(w.url+"/notify", "application/x-www-form-urlencoded", strings.NewReader("pg_xml=%3Cresponse%3E"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	ack, err := wire.DecodeXML(body)
	if err != nil || resp.StatusCode != http.StatusBadRequest || ack.Value("pg_status") != "rejected" {
		t.Errorf("HTTP %d %s (%v), want 400 rejected", resp.StatusCode, body, err)
	}
}

func postNotify(t *testing.T, to string, fields mocksign.Fields) (int, mocksign.Fields) {
	t.Helper()
	resp, err := http.Post(to, "application/x-www-form-urlencoded", strings.NewReader(wire.EncodeForm(fields)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	ack, err := wire.DecodeXML(body)
	if err != nil {
		t.Fatalf("answer is not XML: %v\n%s", err, body)
	}
	return resp.StatusCode, ack
}

func TestRefusals(t *testing.T) {
	w := start(t, scenario.EncodingURL)
	w.pay(t, url.Values{"order_id": {"dup"}}, http.StatusOK)
	wrongSecret := start(t, scenario.EncodingURL, func(c *config) { c.Secret = "not the secret" })
	tests := []struct {
		name     string
		w        *world
		form     url.Values
		wantCode string
	}{
		{"order id used", w, url.Values{"order_id": {"dup"}}, "9991"},
		{"bad amount", w, url.Values{"order_id": {"amt"}, "amount": {"12.345"}}, "9403"},
		{"wrong secret", wrongSecret, url.Values{"order_id": {"sec"}}, "9998"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := tt.w
			r := w.pay(t, tt.form, http.StatusBadGateway)
			if r.Code != tt.wantCode || r.Description == "" || !strings.Contains(r.Error, tt.wantCode) {
				t.Errorf("POST /pay: %+v, want code %s with its description", r, tt.wantCode)
			}
			w.log.mustHave(t, fmt.Sprintf("refused order_id=%s code=%s description=%q", tt.form.Get("order_id"), tt.wantCode, r.Description))
		})
	}
	w.pay(t, url.Values{"order_id": {""}}, http.StatusBadRequest)
}

// The payout request is tried again only while the gateway cannot be
// reached, never once a request may have got there.
func TestCreateRetriesOnlyWhenUnreachable(t *testing.T) {
	newM := func(gateway string) (*merchant, *[]time.Duration) {
		cfg, _ := configFromEnv(env{"FREEDOMPAY_URL": gateway}.get)
		m := newMerchant(t.Context(), cfg, log.New(io.Discard, "", 0))
		var waits []time.Duration
		m.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
		return m, &waits
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close() // connection refused from now on
	m, waits := newM(closed)
	if _, err := m.create(t.Context(), "o", "1000"); err == nil {
		t.Fatal("create against a closed port succeeded")
	}
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}
	if fmt.Sprint(*waits) != fmt.Sprint(want) {
		t.Errorf("waits %v, want %v", *waits, want)
	}

	for name, h := range map[string]http.HandlerFunc{
		"HTTP 500":          func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", 500) },
		"connection closed": func(w http.ResponseWriter, _ *http.Request) { panic(http.ErrAbortHandler) },
	} {
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			hits := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				hits++
				mu.Unlock()
				h(w, r)
			}))
			defer srv.Close()
			m, waits := newM(srv.URL)
			if _, err := m.create(t.Context(), "o", "1000"); err == nil {
				t.Fatal("create succeeded")
			}
			mu.Lock()
			defer mu.Unlock()
			if hits != 1 || len(*waits) != 0 {
				t.Errorf("%d requests, %d waits; want 1 request, no retry", hits, len(*waits))
			}
		})
	}
}

// The sample's signer against the spec's vectors, and FreedomPay's
// flattening of nested XML (vector F).
func TestSignVectors(t *testing.T) {
	tests := []struct {
		name, script, secret, want string
		fields                     url.Values
	}{
		{"A", "payout_status2", "test_secret_key", "aac04fa34ae2e48c9e44efea48cb4b6b", url.Values{
			"pg_merchant_id": {"9970"}, "pg_order_id": {"12345"}, "pg_payment_id": {"7777777777"}, "pg_salt": {"FdsmjkonfzxsDF"}}},
		{"C", scriptName("http://merchant/hooks/post"), "asflerjgsdfv", "882528008e01745284c9fe7dd789c2bc", url.Values{
			"pg_balance": {"13476085.15"}, "pg_card_hash": {"123456-XX-XXXX-1234"}, "pg_merchant_id": {"123456"},
			"pg_order_id": {"157674271"}, "pg_payment_amount": {"5000.00"}, "pg_payment_date": {"2018-12-31 15:00:00"},
			"pg_payment_id": {"12345678"}, "pg_salt": {"G66PbiRDxqa44tB8"}, "pg_status": {"ok"}, "pg_to_pay": {"5300"}}},
		{"D", "post", "asflerjgsdfv", "579736010e22a4cac4de3f787fe0fbdc", url.Values{
			"pg_description": {"Success message"}, "pg_merchant_id": {"123456"},
			"pg_salt": {"d35c2d6142891f3cf1119c115af837b0"}, "pg_status": {"ok"}}},
		{"E", scriptName("/g2g/p2p2nonreg"), "payout_secret", "74fb35ba527f5322bd2e0703a4e6bdad", url.Values{
			"pg_amount": {"1000"}, "pg_currency": {"KZT"}, "pg_description": {"Payout"}, "pg_merchant_id": {"9970"},
			"pg_order_id": {"ORD12345"}, "pg_payment_to": {"4671593866478252"},
			"pg_post_link": {"http://127.0.0.1:9000/hooks/post"}, "pg_salt": {"YtfwCGiBHsFLpYGk"}}},
	}
	for _, tt := range tests {
		if got := sign(tt.script, tt.fields, tt.secret); got != tt.want {
			t.Errorf("vector %s: got %s, want %s", tt.name, got, tt.want)
		}
		tt.fields.Set("pg_sig", tt.want)
		if !verify(tt.script, tt.fields, tt.secret) {
			t.Errorf("vector %s does not verify", tt.name)
		}
	}

	f, err := decodeXML([]byte(`<?xml version="1.0" encoding="utf-8"?><request><pg_amount>25</pg_amount>` +
		`<pg_description>test</pg_description><pg_merchant_id>1</pg_merchant_id><pg_order_id>23</pg_order_id>` +
		`<pg_receipt_positions><item><count>1</count><name>Item A</name><tax_type>3</tax_type><price>10</price></item>` +
		`<item><count>2</count><name>Item B</name><tax_type>0</tax_type><price>7.5</price></item></pg_receipt_positions>` +
		`<pg_salt>molbulak</pg_salt></request>`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sign("init_payment.php", f, "sk"), "27c3782b1f4af8b02221f0ca260001ea"; got != want {
		t.Errorf("vector F: got %s, want %s (fields %v)", got, want, f)
	}
}

func TestScriptName(t *testing.T) {
	for in, want := range map[string]string{
		"/g2g/payout_status2": "payout_status2",
		"/init_payment.php":   "init_payment.php",
		"/notify":             "notify",
		"https://shop.kz/hooks/payout-result?x=1": "payout-result",
		"https://shop.kz/hooks/post/":             "post",
	} {
		if got := scriptName(in); got != want {
			t.Errorf("scriptName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := configFromEnv(env{}.get)
	if err != nil {
		t.Fatal(err)
	}
	want := config{GatewayURL: "http://sandbox:8080", MerchantID: "9970", Secret: "test_secret_key",
		PaymentSecret: "payment_secret_key", Listen: ":8000", CallbackURL: "http://merchant:8000/notify",
		PublicURL: "http://merchant:8000", Card: "4405645000006150", Amount: "1000", OrderPrefix: "order",
		PollEvery: time.Second, CreateOnStart: true}
	if cfg != want {
		t.Errorf("defaults\n got %+v\nwant %+v", cfg, want)
	}
	// The default secrets are merchant 9970's in the sandbox's default scenario.
	for _, m := range scenario.Default().Merchants {
		if m.ID == "9970" && m.PayoutSecretKey != cfg.Secret {
			t.Errorf("PAYOUT_SECRET default %q, but the default scenario's merchant 9970 has %q", cfg.Secret, m.PayoutSecretKey)
		}
		if m.ID == "9970" && m.SecretKey != cfg.PaymentSecret {
			t.Errorf("PAYMENT_SECRET default %q, but the default scenario's merchant 9970 has secret_key %q", cfg.PaymentSecret, m.SecretKey)
		}
	}
	if cfg, _ := configFromEnv(env{"PUBLIC_URL": "http://shop.example/"}.get); cfg.PublicURL != "http://shop.example" {
		t.Errorf("PUBLIC_URL=http://shop.example/: PublicURL %q, want it without the trailing slash", cfg.PublicURL)
	}
	if cfg, _ := configFromEnv(env{"CREATE_ON_START": "0", "POLL_EVERY": "250ms"}.get); cfg.CreateOnStart || cfg.PollEvery != 250*time.Millisecond {
		t.Errorf("CREATE_ON_START=0 POLL_EVERY=250ms: %+v", cfg)
	}
	for _, bad := range []env{{"POLL_EVERY": "soon"}, {"POLL_EVERY": "0s"}, {"CREATE_ON_START": "maybe"}} {
		if _, err := configFromEnv(bad.get); err == nil {
			t.Errorf("configFromEnv(%v): no error", bad)
		}
	}
}

// lineWriter hands each log line to a channel, so a test can wait for one.
type lineWriter chan string

func (c lineWriter) Write(p []byte) (int, error) {
	c <- strings.TrimSpace(string(p))
	return len(p), nil
}

// run, as main calls it: it listens, makes the payout of CREATE_ON_START,
// polls it, and stops promptly when its context ends (SIGTERM in main).
func TestRunCreatesOnStartAndStops(t *testing.T) {
	s := mock.RunT(t, mock.Options{ClockMode: "manual"}) // the default scenario: merchant 9970
	lines := make(lineWriter, 100)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, env{"FREEDOMPAY_URL": s.URL(), "LISTEN": "127.0.0.1:0", "POLL_EVERY": "10ms",
			"CALLBACK_URL": "http://127.0.0.1:1/notify", "ORDER_PREFIX": "start"}.get, log.New(lines, "", 0))
	}()
	timeout := time.After(10 * time.Second)
	for waiting := true; waiting; {
		select {
		case line := <-lines:
			waiting = !strings.HasPrefix(line, "status order_id=start-") || !strings.HasSuffix(line, " status=process")
		case err := <-done:
			t.Fatalf("run returned %v before the payout was polled", err)
		case <-timeout:
			t.Fatal("no status line within 10s")
		}
	}
	cancel()
	stopped := time.Now()
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v, want nil after cancel", err)
			}
			if took := time.Since(stopped); took > time.Second {
				t.Errorf("run took %s to stop, want under 1s", took)
			}
			return
		case <-lines:
		case <-timeout:
			t.Fatal("run did not return after cancel")
		}
	}
}

func TestRunPortBusy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := run(t.Context(), env{"LISTEN": ln.Addr().String()}.get, log.New(io.Discard, "", 0)); err == nil {
		t.Error("run on a busy port: no error")
	}
}

// A multipart notify posted by hand, as some integrations send it.
func TestMultipartNotifyByHand(t *testing.T) {
	w := start(t, scenario.EncodingURL)
	fs := mocksign.Fields{{Name: "pg_payment_id", Value: "42"}, {Name: "pg_order_id", Value: "x y"},
		{Name: "pg_status", Value: "error"}, {Name: "pg_salt", Value: "s"}}
	fs = append(fs, mocksign.Field{Name: "pg_sig", Value: mocksign.Sign("notify", fs, secret)})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range fs {
		mw.WriteField(f.Name, f.Value)
	}
	mw.Close()
	resp, err := http.Post(w.url+"/notify?shop=1", mw.FormDataContentType(), &body) // the query is not signed
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("HTTP %d, want 200", resp.StatusCode)
	}
	// An order id with a space is quoted: one event, one line.
	w.log.mustHave(t, `notify order_id="x y" payment_id=42 status=error signature=ok ack=ok duplicate=false`)
}
