package mock_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

const (
	payoutSecret  = "test_secret_key"    // default scenario, merchant 9970
	paymentSecret = "payment_secret_key" // default scenario, merchant 9970
)

var t0 = time.Date(2024, 11, 28, 11, 10, 3, 0, time.UTC)

// encodings are the ways a client may send a request (spec §1; JSON:
// payments.md §1).
var encodings = []string{wire.EncForm, wire.EncMultipart, wire.EncXMLField, wire.EncQuery, wire.EncJSON}

// newRequest builds a request to path carrying fields in the given encoding.
func newRequest(t testing.TB, enc, path string, fields sign.Fields) *http.Request {
	t.Helper()
	switch enc {
	case wire.EncForm:
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(fields.Values().Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	case wire.EncMultipart:
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for _, f := range fields {
			if err := mw.WriteField(f.Name, f.Value); err != nil {
				t.Fatal(err)
			}
		}
		mw.Close()
		r := httptest.NewRequest(http.MethodPost, path, &b)
		r.Header.Set("Content-Type", mw.FormDataContentType())
		return r
	case wire.EncXMLField:
		var x strings.Builder
		x.WriteString(`<?xml version="1.0" encoding="utf-8"?><request>`)
		for _, f := range fields {
			fmt.Fprintf(&x, "<%s>%s</%s>", f.Name, xmlEscape(f.Value), f.Name)
		}
		x.WriteString("</request>")
		body := url.Values{"pg_xml": {x.String()}}.Encode()
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	case wire.EncQuery:
		return httptest.NewRequest(http.MethodGet, path+"?"+fields.Values().Encode(), nil)
	case wire.EncJSON:
		var j bytes.Buffer
		j.WriteString("{")
		for i, f := range fields {
			name, _ := json.Marshal(f.Name)
			value, _ := json.Marshal(f.Value)
			if i > 0 {
				j.WriteString(",")
			}
			fmt.Fprintf(&j, "%s:%s", name, value)
		}
		j.WriteString("}")
		r := httptest.NewRequest(http.MethodPost, path, &j)
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	t.Fatalf("unknown encoding %q", enc)
	return nil
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// kvs builds fields from name, value pairs.
func kvs(kv ...string) sign.Fields {
	var fs sign.Fields
	for i := 0; i < len(kv); i += 2 {
		fs = append(fs, sign.Field{Name: kv[i], Value: kv[i+1]})
	}
	return fs
}

// signed returns fields plus pg_salt and pg_sig for script and secret.
func signed(script, secret string, kv ...string) sign.Fields {
	fs := append(kvs(kv...), sign.Field{Name: "pg_salt", Value: "FdsmjkonfzxsDF"})
	return append(fs, sign.Field{Name: "pg_sig", Value: sign.Sign(script, fs, secret)})
}

// reply is a decoded gateway reply.
type reply struct {
	status int
	ctype  string
	body   string
	fields sign.Fields
}

func (r reply) get(name string) string { return r.fields.Value(name) }

func (r reply) names() []string {
	var out []string
	for _, f := range r.fields {
		out = append(out, f.Name)
	}
	return out
}

func do(t testing.TB, h http.Handler, r *http.Request) reply {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	body := w.Body.String()
	fields, err := wire.DecodeXML([]byte(body))
	if err != nil {
		t.Fatalf("reply is not XML: %v\n%s", err, body)
	}
	return reply{status: w.Code, ctype: w.Header().Get("Content-Type"), body: body, fields: fields}
}

func newServer(t testing.TB, sc *scenario.Scenario) (*mock.Server, *clock.Manual) {
	t.Helper()
	c := clock.NewManual(t0)
	s, err := mock.New(mock.Options{Scenario: sc, Clock: c})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func TestPayoutStatus2Success(t *testing.T) {
	s, _ := newServer(t, nil)
	for _, enc := range encodings {
		t.Run(enc, func(t *testing.T) {
			req := signed("payout_status2", payoutSecret,
				"pg_merchant_id", "9970", "pg_order_id", "12345", "pg_payment_id", "7777777777")
			r := do(t, s.Handler(), newRequest(t, enc, "/g2g/payout_status2", req))
			if r.status != 200 || !strings.HasPrefix(r.ctype, "application/xml") {
				t.Fatalf("HTTP %d %s, want 200 application/xml", r.status, r.ctype)
			}
			want := []string{"pg_merchant_id", "pg_payment_id", "pg_status", "pg_payment_status", "pg_order_id",
				"pg_amount", "pg_net_amount", "pg_datetime", "pg_salt", "pg_sig"}
			if got := strings.Join(r.names(), ","); got != strings.Join(want, ",") {
				t.Fatalf("fields %s, want %s\n%s", got, strings.Join(want, ","), r.body)
			}
			for name, want := range map[string]string{
				"pg_status": "ok", "pg_payment_status": "process", "pg_amount": "13441.5",
				"pg_net_amount": "13441.5", "pg_datetime": "2024-11-28T11:10:03+00:00", "pg_payment_id": "7777777777",
			} {
				if got := r.get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			if !sign.Verify("payout_status2", r.fields, payoutSecret) {
				t.Errorf("reply signature does not verify with the payout secret:\n%s", r.body)
			}
			if r.get("pg_salt") == "FdsmjkonfzxsDF" || len(r.get("pg_salt")) != 16 {
				t.Errorf("reply salt %q is not fresh", r.get("pg_salt"))
			}
		})
	}
}

func TestStatusFollowsTheClock(t *testing.T) {
	s, c := newServer(t, nil)
	ask := func(order, id string) string {
		req := signed("payout_status2", payoutSecret, "pg_merchant_id", "9970", "pg_order_id", order, "pg_payment_id", id)
		r := do(t, s.Handler(), newRequest(t, wire.EncForm, "/g2g/payout_status2", req))
		return r.get("pg_payment_status") + r.get("pg_error_code")
	}
	if got := ask("12345", "7777777777"); got != "process" {
		t.Fatalf("at start: %q, want process", got)
	}
	c.Advance(4 * time.Second)
	if got := ask("12345", "7777777777"); got != "process" {
		t.Fatalf("after 4s: %q, want process", got)
	}
	c.Advance(time.Second)
	if got := ask("12345", "7777777777"); got != "success" {
		t.Fatalf("after 5s: %q, want success", got)
	}
	// Order 1003: process, then error 10001 at 30s.
	p, _ := mock.PayoutByOrder(s, "9970", "1003")
	id := fmt.Sprint(p.PaymentID)
	if got := ask("1003", id); got != "process" {
		t.Fatalf("1003 after 5s: %q, want process", got)
	}
	c.Advance(25 * time.Second)
	if got := ask("1003", id); got != "error" {
		t.Fatalf("1003 after 30s: %q, want error", got)
	}
}

func TestAPIPaymentStatus2(t *testing.T) {
	s, c := newServer(t, nil)
	c.Advance(5 * time.Second)
	for _, enc := range encodings {
		t.Run(enc, func(t *testing.T) {
			for _, id := range []string{"", "0", "7777777777"} {
				kv := []string{"pg_merchant_id", "9970", "pg_order_id", "12345"}
				if id != "" {
					kv = append(kv, "pg_payment_id", id)
				}
				r := do(t, s.Handler(), newRequest(t, enc, "/api/payment_status2", signed("payment_status2", payoutSecret, kv...)))
				// As documented, and nothing more (spec §3: payment_id,
				// merchant_id, status, payment_status, order_id).
				want := "pg_payment_id,pg_merchant_id,pg_status,pg_payment_status,pg_order_id,pg_salt,pg_sig"
				if got := strings.Join(r.names(), ","); got != want {
					t.Fatalf("payment_id %q: fields %s, want %s\n%s", id, got, want, r.body)
				}
				if r.get("pg_payment_status") != "success" || !sign.Verify("payment_status2", r.fields, payoutSecret) {
					t.Errorf("payment_id %q: status %q, signature ok %v\n%s", id, r.get("pg_payment_status"),
						sign.Verify("payment_status2", r.fields, payoutSecret), r.body)
				}
			}
		})
	}
}

// Every rule of a status request, in every encoding, on both status paths.
func TestStatusErrors(t *testing.T) {
	s, _ := newServer(t, nil)
	type tc struct {
		name   string
		fields sign.Fields
		code   string
		text   string
		signed bool
	}
	for _, path := range []string{"/g2g/payout_status2", "/api/payment_status2"} {
		script := sign.ScriptName(path)
		ok := func(kv ...string) sign.Fields { return signed(script, payoutSecret, kv...) }
		tests := []tc{
			{"no merchant", ok("pg_order_id", "12345", "pg_payment_id", "7777777777"), "9403", "pg_merchant_id", false},
			{"merchant not digits", ok("pg_merchant_id", "99x", "pg_order_id", "12345", "pg_payment_id", "7777777777"), "9403", "pg_merchant_id", false},
			{"unknown merchant", ok("pg_merchant_id", "1234", "pg_order_id", "12345", "pg_payment_id", "7777777777"), "9997", "Invalid merchant number", false},
			{"no salt", kvs("pg_merchant_id", "9970", "pg_order_id", "12345", "pg_payment_id", "7777777777", "pg_sig", "x"), "9403", "pg_salt", false},
			{"no sig", ok("pg_merchant_id", "9970", "pg_order_id", "12345", "pg_payment_id", "7777777777").Without("pg_sig"), "9403", "pg_sig", false},
			{"wrong secret", signed(script, "nope", "pg_merchant_id", "9970", "pg_order_id", "12345", "pg_payment_id", "7777777777"), "9998", "Некорректная подпись запроса", false},
			{"payment secret", signed(script, paymentSecret, "pg_merchant_id", "9970", "pg_order_id", "12345", "pg_payment_id", "7777777777"), "9998", "Некорректная подпись запроса", false},
			{"wrong script", signed("/g2g/"+script, payoutSecret, "pg_merchant_id", "9970", "pg_order_id", "12345", "pg_payment_id", "7777777777"), "9998", "Некорректная подпись запроса", false},
			{"no order", ok("pg_merchant_id", "9970", "pg_payment_id", "7777777777"), "9403", "pg_order_id", true},
			{"payment id not digits", ok("pg_merchant_id", "9970", "pg_order_id", "12345", "pg_payment_id", "77x"), "9403", "pg_payment_id", true},
			{"unknown payment", ok("pg_merchant_id", "9970", "pg_order_id", "12345", "pg_payment_id", "1"), "11068", "Payment not found.", false},
			{"order of another payout", ok("pg_merchant_id", "9970", "pg_order_id", "1001", "pg_payment_id", "7777777777"), "11068", "Payment not found.", false},
			{"unknown order", ok("pg_merchant_id", "9970", "pg_order_id", "nope", "pg_payment_id", "7777777777"), "11068", "Payment not found.", false},
		}
		if script == "payout_status2" {
			tests = append(tests, tc{"no payment id", ok("pg_merchant_id", "9970", "pg_order_id", "12345"), "9403", "pg_payment_id", true})
		}
		for _, enc := range encodings {
			for _, tt := range tests {
				t.Run(script+"/"+enc+"/"+tt.name, func(t *testing.T) {
					r := do(t, s.Handler(), newRequest(t, enc, path, tt.fields))
					if r.status != 200 || r.get("pg_status") != "error" || r.get("pg_error_code") != tt.code {
						t.Fatalf("HTTP %d status %q code %q, want 200 error %s\n%s", r.status, r.get("pg_status"), r.get("pg_error_code"), tt.code, r.body)
					}
					if d := r.get("pg_error_description"); !strings.Contains(d, tt.text) {
						t.Errorf("description %q, want it to contain %q", d, tt.text)
					}
					_, hasSig := r.fields.Get("pg_sig")
					if hasSig != tt.signed {
						t.Fatalf("signed %v, want %v\n%s", hasSig, tt.signed, r.body)
					}
					if tt.signed {
						if !sign.Verify(script, r.fields, payoutSecret) || r.get("pg_datetime") == "" {
							t.Errorf("signed error does not verify or lacks pg_datetime:\n%s", r.body)
						}
						if got, want := strings.Join(r.names(), ","), "pg_status,pg_error_code,pg_error_description,pg_datetime,pg_salt,pg_sig"; got != want {
							t.Errorf("fields %s, want %s", got, want)
						}
					} else if len(r.fields) != 3 {
						t.Errorf("unsigned error has fields %v, want status, code and description only", r.names())
					}
				})
			}
		}
	}
}

func TestGatewaySettings(t *testing.T) {
	sc, err := scenario.Embedded("newer-docs.toml") // 1100, unsigned errors, Asia/Almaty
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newServer(t, sc)
	bad := signed("payout_status2", "wrong", "pg_merchant_id", "554433", "pg_order_id", "A-1", "pg_payment_id", "1")
	if r := do(t, s.Handler(), newRequest(t, wire.EncForm, "/g2g/payout_status2", bad)); r.get("pg_error_code") != "1100" {
		t.Errorf("bad signature: code %q, want 1100", r.get("pg_error_code"))
	}
	noOrder := signed("payout_status2", "pay-out secret", "pg_merchant_id", "554433", "pg_payment_id", "1")
	r := do(t, s.Handler(), newRequest(t, wire.EncForm, "/g2g/payout_status2", noOrder))
	if _, signed := r.fields.Get("pg_sig"); r.get("pg_error_code") != "9403" || signed {
		t.Errorf("with sign_errors = false: code %q signed %v, want unsigned 9403", r.get("pg_error_code"), signed)
	}
	p, _ := mock.PayoutByOrder(s, "554433", "A-1")
	ok := signed("payout_status2", "pay-out secret", "pg_merchant_id", "554433", "pg_order_id", "A-1", "pg_payment_id", fmt.Sprint(p.PaymentID))
	r = do(t, s.Handler(), newRequest(t, wire.EncForm, "/g2g/payout_status2", ok))
	if got := r.get("pg_datetime"); got != "2024-11-28T16:10:03+05:00" {
		t.Errorf("pg_datetime %q, want Almaty time 2024-11-28T16:10:03+05:00", got)
	}

	// status_secret = "payment" signs status with the payment secret.
	def := scenario.Default()
	def.Gateway.StatusSecret = scenario.SecretPayment
	s, _ = newServer(t, def)
	req := signed("payout_status2", paymentSecret, "pg_merchant_id", "9970", "pg_order_id", "12345", "pg_payment_id", "7777777777")
	r = do(t, s.Handler(), newRequest(t, wire.EncForm, "/g2g/payout_status2", req))
	if !sign.Verify("payout_status2", r.fields, paymentSecret) {
		t.Errorf("status_secret = payment: reply not signed with the payment secret:\n%s", r.body)
	}
}

func TestLenientEmptyValues(t *testing.T) {
	sc := scenario.Default()
	fs := kvs("pg_merchant_id", "9970", "pg_order_id", "12345", "pg_payment_id", "7777777777", "pg_user_id", "", "pg_salt", "s")
	dropped := append(fs, sign.Field{Name: "pg_sig", Value: sign.Sign("payout_status2", fs.Without("pg_user_id"), payoutSecret)})
	for _, lenient := range []bool{false, true} {
		sc.Gateway.AcceptSigWithoutEmpty = lenient
		s, _ := newServer(t, sc)
		r := do(t, s.Handler(), newRequest(t, wire.EncForm, "/g2g/payout_status2", dropped))
		if got := r.get("pg_status") == "ok"; got != lenient {
			t.Errorf("accept_sig_without_empty = %v: accepted %v, want %v\n%s", lenient, got, lenient, r.body)
		}
	}
}

func TestBadInputKeepsServing(t *testing.T) {
	s, _ := newServer(t, nil)
	big := httptest.NewRequest(http.MethodPost, "/g2g/payout_status2", strings.NewReader("pg_x="+strings.Repeat("a", mock.DefaultMaxBodyBytes)))
	big.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r := do(t, s.Handler(), big); r.status != http.StatusRequestEntityTooLarge || !strings.Contains(r.get("pg_error_description"), "exceeds 1048576 bytes") {
		t.Errorf("oversized body: HTTP %d %q, want 413 naming the limit", r.status, r.get("pg_error_description"))
	}
	for name, req := range map[string]*http.Request{
		"bad xml":          formRequest("pg_xml=<request><pg_merchant_id>9970"),
		"bad escape":       formRequest("pg_merchant_id=%zz"),
		"bad charset":      formRequest(url.Values{"pg_xml": {`<?xml version="1.0" encoding="windows-1251"?><request/>`}}.Encode()),
		"json":             withType(httptest.NewRequest(http.MethodPost, "/g2g/payout_status2", strings.NewReader(`{}`)), "application/json"),
		"multipart no end": withType(httptest.NewRequest(http.MethodPost, "/g2g/payout_status2", strings.NewReader("--x\r\n")), "multipart/form-data; boundary=x"),
	} {
		r := do(t, s.Handler(), req)
		if r.status != 200 || r.get("pg_error_code") != "9403" {
			t.Errorf("%s: HTTP %d code %q, want 200 and 9403\n%s", name, r.status, r.get("pg_error_code"), r.body)
		}
	}
	// Still serving.
	ok := signed("payout_status2", payoutSecret, "pg_merchant_id", "9970", "pg_order_id", "12345", "pg_payment_id", "7777777777")
	if r := do(t, s.Handler(), newRequest(t, wire.EncForm, "/g2g/payout_status2", ok)); r.get("pg_status") != "ok" {
		t.Errorf("after bad input: %s", r.body)
	}
}

func formRequest(body string) *http.Request {
	return withType(httptest.NewRequest(http.MethodPost, "/g2g/payout_status2", strings.NewReader(body)), "application/x-www-form-urlencoded")
}

func withType(r *http.Request, ct string) *http.Request {
	r.Header.Set("Content-Type", ct)
	return r
}

func TestHealthcheck(t *testing.T) {
	s, _ := newServer(t, nil)
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/status/healthcheck", nil))
	if got, want := strings.TrimSpace(w.Body.String()), `{"status":"ok","time":"2024-11-28T11:10:03Z"}`; got != want || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("got %s (%s), want %s", got, w.Header().Get("Content-Type"), want)
	}
}

// End to end through a real listener, as a merchant's test would run it.
func TestRunT(t *testing.T) {
	s := mock.RunT(t, mock.Options{})
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || strings.HasSuffix(s.URL(), "/") {
		t.Fatalf("URL %q, want http://127.0.0.1:<port> without a trailing slash", s.URL())
	}
	p, _ := mock.PayoutByOrder(s, "9970", "1001")
	req := signed("payout_status2", payoutSecret, "pg_merchant_id", "9970", "pg_order_id", "1001", "pg_payment_id", fmt.Sprint(p.PaymentID))
	resp, err := http.PostForm(s.URL()+"/g2g/payout_status2", req.Values())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fields, err := wire.DecodeXML(body)
	if err != nil || fields.Value("pg_payment_status") != "success" || !sign.Verify("payout_status2", fields, payoutSecret) {
		t.Fatalf("reply %s (%v), want a signed success", body, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := http.PostForm(s.URL()+"/g2g/payout_status2", req.Values()); err == nil {
		t.Fatal("server still answers after Close")
	}
}

func TestBusyPortIsAnError(t *testing.T) {
	s := mock.RunT(t, mock.Options{})
	_, err := mock.Run(mock.Options{Addr: strings.TrimPrefix(s.URL(), "http://")})
	if err == nil || !strings.Contains(err.Error(), "listen on") {
		t.Fatalf("Run on a busy port: %v, want a listen error", err)
	}
}

func TestSameSeedSameRun(t *testing.T) {
	run := func(seed int64) string {
		s, err := mock.New(mock.Options{Clock: clock.NewManual(t0), Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		for _, p := range mock.LedgerPayouts(s, "") {
			req := signed("payout_status2", payoutSecret, "pg_merchant_id", "9970", "pg_order_id", p.OrderID, "pg_payment_id", fmt.Sprint(p.PaymentID))
			out.WriteString(do(t, s.Handler(), newRequest(t, wire.EncForm, "/g2g/payout_status2", req)).body)
		}
		return out.String()
	}
	a, b, c := run(0), run(42), run(7)
	if a != b {
		t.Errorf("seed 0 (the scenario's 42) and seed 42 differ")
	}
	if run(42) != a {
		t.Errorf("two runs with seed 42 differ")
	}
	if c == a {
		t.Errorf("seeds 7 and 42 gave the same replies")
	}
}

func FuzzGateway(f *testing.F) {
	s, err := mock.New(mock.Options{Clock: clock.NewManual(t0)})
	if err != nil {
		f.Fatal(err)
	}
	ok := signed("payout_status2", payoutSecret, "pg_merchant_id", "9970", "pg_order_id", "12345", "pg_payment_id", "7777777777")
	f.Add("application/x-www-form-urlencoded", ok.Values().Encode())
	f.Add("application/x-www-form-urlencoded", "pg_xml=%3Crequest%3E%3Cpg_merchant_id%3E9970%3C%2Fpg_merchant_id%3E%3C%2Frequest%3E")
	f.Add("multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"pg_merchant_id\"\r\n\r\n9970\r\n--b--\r\n")
	f.Add("text/xml", "<request><a><b><c>1</c></b></a></request>")
	f.Fuzz(func(t *testing.T, ctype, body string) {
		r := httptest.NewRequest(http.MethodPost, "/g2g/payout_status2", strings.NewReader(body))
		r.Header.Set("Content-Type", ctype)
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, r)
		if w.Code != 200 && w.Code != 413 {
			t.Fatalf("HTTP %d for %q %q", w.Code, ctype, body)
		}
		fields, err := wire.DecodeXML(w.Body.Bytes())
		if err != nil || (fields.Value("pg_status") != "ok" && fields.Value("pg_status") != "error") {
			t.Fatalf("reply is not a gateway reply: %v\n%s", err, w.Body)
		}
	})
}

// Paths are cleaned as a web server does, never redirected: a POST does
// not follow a redirect.
func TestPathsAreCleanedNotRedirected(t *testing.T) {
	s, _ := newServer(t, nil)
	req := signed("payout_status2", payoutSecret, "pg_merchant_id", "9970", "pg_order_id", "12345", "pg_payment_id", "7777777777")
	for path, want := range map[string]string{
		"//g2g/payout_status2":          "ok",
		"/g2g/./payout_status2":         "ok",
		"/api/../g2g//payout_status2":   "ok",
		"/../../etc/passwd":             "9403",
		"/g2g/../g2g/payout_status2/..": "9403",
	} {
		r := do(t, s.Handler(), newRequest(t, wire.EncForm, path, req))
		got := r.get("pg_status")
		if got == "error" {
			got = r.get("pg_error_code")
		}
		if got != want || r.status == http.StatusMovedPermanently {
			t.Errorf("%s: HTTP %d %s, want %s", path, r.status, got, want)
		}
	}
}

// A reply's Date header is the real time of the reply, as net/http writes
// it (the sandbox makes it once a second), not the sandbox's clock.
func TestReplyDateIsTheRealTime(t *testing.T) {
	s, _ := newServer(t, nil) // sandbox time: 2024
	before := time.Now().Truncate(time.Second)
	req := httptest.NewRequest(http.MethodPost, "/g2g/payout_status2", strings.NewReader(signed("payout_status2", payoutSecret,
		"pg_merchant_id", "9970", "pg_order_id", "12345", "pg_payment_id", "7777777777").Values().Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, req)
	after := time.Now()
	date, err := http.ParseTime(w.Header().Get("Date"))
	if err != nil || len(w.Header()["Date"]) != 1 || date.Before(before) || date.After(after) {
		t.Fatalf("Date %q (%v), want one between %v and %v", w.Header()["Date"], err, before, after)
	}
}
