package mock_test

import (
	"bytes"
	"encoding/json"
	"html"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/redact"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// Secrets with the characters that JSON, HTML and log encoders escape.
const (
	oddPayoutSecret  = `pay"out<sec+ret&x'`
	oddPaymentSecret = "tab\tsecret-key"
)

// TestSecretsNeverShownInAnyForm: a client sends the scenario's secrets
// as a salt, an order id, a description, a path, a malformed field and a
// header value, and a card number in a description; neither the journal,
// the payouts, the notifications, the dashboard, a control error nor the
// log shows a secret, as it is or in any escaped form (\", \u003c, &#34;,
// &lt;, &#43;, %22, a log's quoting), nor the full card number.
func TestSecretsNeverShownInAnyForm(t *testing.T) {
	m := newMerchant(t, oddPayoutSecret, ackOK)
	sc, err := scenario.Parse("odd.toml", []byte(`
seed = 3
[clock]
mode = "manual"
[[merchants]]
id = "9970"
payout_secret_key = `+strconv.Quote(oddPayoutSecret)+`
secret_key = `+strconv.Quote(oddPaymentSecret)+`
balance = 100000
post_link = "`+m.URL+`/notify"
`))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	s := mock.RunT(t, mock.Options{Scenario: sc, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	post := func(path, body string) {
		t.Helper()
		resp, err := http.Post(s.URL()+path, "application/x-www-form-urlencoded", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	status := func(salt, secret string) sign.Fields {
		f := sign.Fields{{Name: "pg_merchant_id", Value: "9970"}, {Name: "pg_order_id", Value: "12345"}, {Name: "pg_salt", Value: salt}}
		return append(f, sign.Field{Name: sign.FieldSig, Value: sign.Sign("payout_status2", f, secret)})
	}
	post("/g2g/payout_status2", form(status("x-"+oddPayoutSecret+"-x", oddPayoutSecret)))
	post("/g2g/payout_status2", form(status(oddPaymentSecret, "wrong"))) // explained, salt and all
	create := sign.Fields{{Name: "pg_merchant_id", Value: "9970"}, {Name: "pg_order_id", Value: oddPaymentSecret}, {Name: "pg_amount", Value: "10"},
		{Name: "pg_description", Value: "to " + oddPayoutSecret + " 4111 1111 1111 1111"}, {Name: "pg_payment_to", Value: "4405645000006150"},
		{Name: "pg_post_link", Value: m.URL + "/notify"}, {Name: "pg_salt", Value: "salt"}}
	post("/g2g/p2p2nonreg", form(append(create, sign.Field{Name: sign.FieldSig, Value: sign.Sign("p2p2nonreg", create, oddPayoutSecret)})))
	post("/"+url.PathEscape(oddPayoutSecret)+"/4111111111111111", "a=b")
	post("/g2g/payout_status2", "pg_salt="+oddPaymentSecret+"%zz") // quoted in the error: tab\tsecret-key
	if _, err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	shown := map[string]string{}
	get := func(path string, header ...string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, s.URL()+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		shown[path+strings.Join(header, " ")] = string(data)
	}
	for _, path := range []string{"/_mock/requests", "/_mock/payouts", "/_mock/notifications", "/_mock/ui", "/_mock/ui/view", "/_mock/verify"} {
		get(path)
	}
	get("/_mock/payouts", "Origin", "http://"+oddPayoutSecret) // refused, quoting the Origin
	get("/_mock/" + url.PathEscape(oddPaymentSecret))          // no such route, quoting the path

	if !strings.Contains(shown["/_mock/payouts"], `"order_id": "<secret:14 chars>"`) ||
		!strings.Contains(shown["/_mock/requests"], "x-<secret:18 chars>-x") ||
		!strings.Contains(shown["/_mock/requests"], "to <secret:18 chars> 411111-XX-XXXX-1111") {
		t.Errorf("the payout or the requests are missing, or not masked:\n%.3000s", shown["/_mock/requests"])
	}
	if !strings.Contains(shown["/_mock/payouts"+"Origin http://"+oddPayoutSecret], "another origin (http://<secret:18 chars>)") {
		t.Errorf("the refusal does not show the Origin masked: %s", shown["/_mock/payouts"+"Origin http://"+oddPayoutSecret])
	}
	for _, path := range []string{"/_mock/requests", "/_mock/payouts", "/_mock/notifications", "/_mock/verify"} {
		if !json.Valid([]byte(shown[path])) {
			t.Errorf("%s is not JSON:\n%.500s", path, shown[path])
		}
	}
	s.Close()
	shown["the log"] = logs.String()
	for where, text := range shown {
		for _, secret := range []string{oddPayoutSecret, oddPaymentSecret} {
			for _, form := range escapedForms(secret) {
				if i := strings.Index(text, form); i >= 0 {
					t.Errorf("%s shows the secret %q as %q: …%s…", where, secret, form, text[max(0, i-200):min(len(text), i+100)])
				}
			}
		}
		for _, card := range []string{"4111111111111111", "4111 1111 1111 1111", "4405645000006150"} {
			if strings.Contains(text, card) {
				t.Errorf("%s shows the card number %s", where, card)
			}
		}
	}
}

// escapedForms are the forms a secret takes as it is written in JSON
// (with and without HTML escaping), in HTML (text, attributes, URLs) and in
// a text log's quoting; each also unescaped from HTML.
func escapedForms(secret string) []string {
	strip := func(s string) string { return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), `"`), `"`) }
	j, _ := json.Marshal(secret)
	var raw bytes.Buffer
	enc := json.NewEncoder(&raw)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(secret)
	forms := []string{secret, strip(string(j)), strip(raw.String()), strip(strconv.Quote(secret)),
		template.HTMLEscapeString(secret), html.EscapeString(secret), template.URLQueryEscaper(secret), url.PathEscape(secret)}
	for _, ctx := range []string{`<p>{{.}}</p>`, `<p title="{{.}}">`, `<a href="/x?o={{.}}">`} {
		var page bytes.Buffer
		_ = template.Must(template.New("").Parse(ctx)).Execute(&page, secret)
		pre, post, _ := strings.Cut(ctx, "{{.}}")
		forms = append(forms, strings.TrimSuffix(strings.TrimPrefix(page.String(), pre), post))
	}
	for _, f := range forms {
		if strings.Contains(redact.Secret(secret), f) {
			panic("a form of the secret is in its mask: " + f)
		}
	}
	return forms
}

// TestSwappedScenarioSecretsMasked: after PUT /_mock/scenario the new
// scenario's secrets are masked in the journal and the log, from the next
// request on.
func TestSwappedScenarioSecretsMasked(t *testing.T) {
	var logs bytes.Buffer
	s := mock.RunT(t, mock.Options{ClockMode: "manual", Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	const fresh = "fresh-swapped-secret"
	ctl(t, s, "", "PUT", "/_mock/scenario", "[[merchants]]\nid = \"9970\"\npayout_secret_key = \""+fresh+"\"\nbalance = 100\n", 200, nil)
	send(t, s, "9970", fresh, "/g2g/p2p2nonreg", "pg_order_id", "o-"+fresh, "pg_amount", "10", "pg_description", "d",
		"pg_payment_to", "4405645000006150", "pg_post_link", "http://127.0.0.1:9/n") // logged with its order id
	var page struct {
		Entries []struct {
			OrderID string `json:"order_id"`
		}
	}
	ctl(t, s, "", "GET", "/_mock/requests", "", 200, &page)
	if len(page.Entries) != 1 || page.Entries[0].OrderID != "o-<secret:20 chars>" {
		t.Errorf("entries %+v: want the order id with the new secret masked", page.Entries)
	}
	s.Close()
	if strings.Contains(logs.String(), fresh) || !strings.Contains(logs.String(), `order_id="o-<secret:20 chars>"`) {
		t.Errorf("the log shows the new secret, or not its mask:\n%s", logs.String())
	}
}

// TestPaymentFreeTextCardsMasked: a card number in a payment's
// description, in a merchant field it forwards and in the merchant's
// refusal of the check request goes to the merchant as it was sent, but
// the payments, their callbacks' fields and the dashboard show it masked.
// (A callback attempt's answer is shown as the merchant sent it.)
func TestPaymentFreeTextCardsMasked(t *testing.T) {
	s, _, base := payServer(t)
	sh := newCarefulShop(t)
	refuser := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		reply := sign.Fields{{Name: "pg_status", Value: "rejected"}, {Name: "pg_description", Value: "card 4916-1098-3083-2246 is blocked"},
			{Name: "pg_salt", Value: r.Form.Get("pg_salt")}}
		reply = append(reply, sign.Field{Name: "pg_sig", Value: sign.Sign("check", reply, paymentSecret)})
		w.Header().Set("Content-Type", "application/xml")
		w.Write(wire.Encode(reply))
	}))
	defer refuser.Close()
	paid := initPayment(t, base, sh, "pg_order_id", "ORD-CARD", "pg_description", "order 4111 1111 1111 1111", "cart_id", "5555555555554444")
	payCard(t, paid.Value("pg_redirect_url"), "4716047261941981")
	refused := initPayment(t, base, sh, "pg_order_id", "ORD-REF", "pg_check_url", refuser.URL+"/check")
	payCard(t, refused.Value("pg_redirect_url"), "4716047261941981")
	if _, results := sh.got(); len(results) != 1 || results[0].Get("pg_description") != "order 4111 1111 1111 1111" || results[0].Get("cart_id") != "5555555555554444" {
		t.Fatalf("the merchant got %v, want one result notify with the description and cart_id as sent", results)
	}

	shown := map[string]string{}
	for _, path := range []string{"/_mock/payments", "/_mock/payments/" + paid.Value("pg_payment_id"), "/_mock/ui", "/_mock/ui/view"} {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(res.Body)
		res.Body.Close()
		shown[path] = string(data)
	}
	p, err := s.Payment(mustID(t, paid.Value("pg_payment_id")))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(p)
	shown["the Go API"] = string(data)
	for path, want := range map[string]string{"/_mock/payments": "order 411111-XX-XXXX-1111",
		"/_mock/payments/" + paid.Value("pg_payment_id"): `"value": "555555-XX-XXXX-4444"`,
		"/_mock/ui": "The check request refused it: pg_status=rejected: card 491610-XX-XXXX-2246 is blocked"} {
		if !strings.Contains(shown[path], want) {
			t.Errorf("%s lacks %q:\n%.3000s", path, want, shown[path])
		}
	}
	for where, text := range shown {
		for _, card := range []string{"4111 1111 1111 1111", "5555555555554444", "refused it: card 4916-1098-3083-2246", "4916-1098-3083-2246 is blocked\""} {
			if i := strings.Index(text, card); i >= 0 {
				t.Errorf("%s shows the card number in %q: …%s…", where, card, text[max(0, i-200):min(len(text), i+100)])
			}
		}
	}
	var r sandbox.Payment
	getJSON(t, base+"/_mock/payments/"+refused.Value("pg_payment_id"), &r)
	if want := "card 491610-XX-XXXX-2246 is blocked"; !strings.HasSuffix(r.Refusal, want) {
		t.Errorf("refusal %q, want one ending %q", r.Refusal, want)
	}
}

// A card number in an unknown path is masked before the error quoting the
// path is shortened: a shortened quote keeps no run of its digits, in the
// reply or in the journal, wherever the cut falls.
func TestLongPathCardMaskedBeforeCut(t *testing.T) {
	s, _ := newServer(t, nil)
	const pan = "4111111111111111"
	for pad := 180; pad <= 200; pad += 4 {
		path := "/pay/" + strings.Repeat("x", pad) + pan
		for _, method := range []string{http.MethodGet, http.MethodDelete} { // 404, 405
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, httptest.NewRequest(method, path, nil))
			if w.Code == http.StatusOK || strings.Contains(w.Body.String(), pan[:8]) {
				t.Errorf("%s with %d bytes before the card: %d %s", method, pad, w.Code, w.Body)
			}
		}
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/_mock/requests?limit=100", nil))
	data := w.Body.Bytes()
	if strings.Contains(string(data), pan[:8]) || !strings.Contains(string(data), "Unknown path") {
		t.Errorf("the journal quotes the card's digits (or lacks the requests):\n%.2000s", data)
	}
}

// TestCardNumberAsFieldNameMasked: a client sends a card number as a
// field's name (a form built the wrong way round), once signed and once
// added after signing; the journal shows the name masked, in the fields
// and in the hint that names the field added, and the log line too.
func TestCardNumberAsFieldNameMasked(t *testing.T) {
	logs := &syncBuffer{mu: make(chan struct{}, 1)} // the demo merchant logs its notifies meanwhile
	s := mock.RunT(t, mock.Options{Scenario: scenario.Default(), Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	const pan = "4111111111111111"
	ids := []string{"pg_merchant_id", "9970", "pg_order_id", "12345", "pg_payment_id", "7777777777"}
	good := signed("payout_status2", payoutSecret, append(ids, pan, "x")...)
	late := append(signed("payout_status2", payoutSecret, ids...), sign.Field{Name: pan, Value: "x"})
	for _, fs := range []sign.Fields{good, late} {
		resp, err := http.Post(s.URL()+"/g2g/payout_status2", "application/x-www-form-urlencoded", strings.NewReader(fs.Values().Encode()))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get(s.URL() + "/_mock/requests?limit=10")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if strings.Contains(string(data), pan[:8]) || !strings.Contains(string(data), "is not in the signature") || !strings.Contains(string(data), "411111") {
		t.Errorf("the journal shows the card number sent as a name (or lacks the requests, or the hint):\n%.3000s", data)
	}
	if strings.Contains(logs.String(), pan[:8]) {
		t.Errorf("the log shows the card number sent as a name:\n%s", logs.String())
	}
}
