package mock_test

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// merchant is a merchant's callback endpoint built with httptest: it decodes
// each notify, verifies its signature with the exported verifier, and
// answers as told.
type merchant struct {
	*httptest.Server
	secret string

	mu       sync.Mutex
	received []sign.Fields
	badSig   int
	answer   func(w http.ResponseWriter, r *http.Request, fields sign.Fields)
}

func newMerchant(t *testing.T, secret string, answer func(http.ResponseWriter, *http.Request, sign.Fields)) *merchant {
	m := &merchant{secret: secret, answer: answer}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := wire.Decode(r, 1<<20)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		m.mu.Lock()
		m.received = append(m.received, req.Fields)
		if !sign.Verify(sign.ScriptName(r.URL.Path), req.Fields, m.secret) {
			m.badSig++
		}
		m.mu.Unlock()
		m.answer(w, r, req.Fields)
	}))
	t.Cleanup(m.Close)
	return m
}

func (m *merchant) got() []sign.Fields {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]sign.Fields(nil), m.received...)
}

func ackOK(w http.ResponseWriter, _ *http.Request, _ sign.Fields) {
	w.Header().Set("Content-Type", "application/xml")
	fmt.Fprint(w, `<?xml version="1.0" encoding="utf-8"?><pg_status>ok</pg_status>`)
}

// notifyScenario is a scenario whose merchant calls back at url.
func notifyScenario(t *testing.T, url, extra string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("notify.toml", []byte(`
seed = 5
[clock]
mode = "manual"
start = 2018-12-31T15:00:00Z
`+extra+`
[[merchants]]
id = "123456"
payout_secret_key = "asflerjgsdfv"
balance = 13481385.15
post_link = "`+url+`"

[[payouts]]
merchant_id = "123456"
order_id = "157674271"
payment_id = 12345678
amount = 5000
commission = 300
card = "1234567890121234"
timeline = [ { at = "0s", status = "process" }, { at = "5s", status = "success" } ]
`))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestNotifyIsSignedAsVectorC(t *testing.T) {
	m := newMerchant(t, "asflerjgsdfv", ackOK)
	s := mock.RunT(t, mock.Options{Scenario: notifyScenario(t, m.URL+"/hooks/post", "")})
	if s.Ready().Clock != "manual" {
		t.Fatalf("clock mode %q, want manual from the scenario", s.Ready().Clock)
	}
	if a, err := attempted(s.Advance(4 * time.Second)); err != nil || len(a) != 0 {
		t.Fatalf("Advance(4s) made %d attempts (%v), want 0: process steps do not notify", len(a), err)
	}
	a, err := attempted(s.Advance(time.Second))
	if err != nil || len(a) != 1 || !a[0].Delivered || !a[0].Conforming {
		t.Fatalf("Advance(1s): %+v %v, want one delivered, conforming attempt", a, err)
	}
	got := m.got()
	if len(got) != 1 || m.badSig != 0 {
		t.Fatalf("merchant received %d notifies, %d with a bad signature; want 1 good one", len(got), m.badSig)
	}
	// Vector C: the same fields, sent to .../hooks/post, signed with script "post".
	want := "pg_payment_id=12345678 pg_order_id=157674271 pg_card_hash=123456-XX-XXXX-1234 pg_status=ok " +
		"pg_balance=13476085.15 pg_payment_amount=5000.00 pg_to_pay=5300 pg_merchant_id=123456 " +
		"pg_payment_date=2018-12-31 15:00:05"
	var parts []string
	for _, f := range got[0] {
		if f.Name != "pg_salt" && f.Name != "pg_sig" {
			parts = append(parts, f.Name+"="+f.Value)
		}
	}
	if strings.Join(parts, " ") != want {
		t.Errorf("notify fields\n got %s\nwant %s", strings.Join(parts, " "), want)
	}
	vectorC := got[0].Without("pg_sig").Without("pg_salt").Without("pg_payment_date")
	vectorC = append(vectorC, sign.Field{Name: "pg_payment_date", Value: "2018-12-31 15:00:00"}, sign.Field{Name: "pg_salt", Value: "G66PbiRDxqa44tB8"})
	if sig := sign.Sign(sign.ScriptName(m.URL+"/hooks/post"), vectorC, "asflerjgsdfv"); sig != "882528008e01745284c9fe7dd789c2bc" {
		t.Errorf("the notify's fields with vector C's date and salt sign to %s, want vector C's 882528008e01745284c9fe7dd789c2bc", sig)
	}
	n := mock.AllNotifications(s)
	if len(n) != 1 || n[0].State != notify.StateDelivered || n[0].NextAttemptAt != nil || n[0].URL != m.URL+"/hooks/post" {
		t.Fatalf("notifications %+v, want one delivered", n)
	}
	// Nothing more happens: delivered notifies are not sent again.
	if a, _ := attempted(s.Drain()); len(a) != 0 {
		t.Errorf("Drain after delivery made %d attempts, want 0", len(a))
	}
}

func TestRetryLadderOnTheManualClock(t *testing.T) {
	m := newMerchant(t, "asflerjgsdfv", func(w http.ResponseWriter, _ *http.Request, _ sign.Fields) {
		http.Error(w, "down for maintenance", http.StatusInternalServerError)
	})
	s := mock.RunT(t, mock.Options{Scenario: notifyScenario(t, m.URL+"/cb", "")})
	start := time.Now()
	a, err := attempted(s.Drain())
	if err != nil {
		t.Fatal(err)
	}
	// The ladder's shortest wait is 30 minutes: a minute tells a drain
	// that waits from one that does not, with room for any machine.
	if took := time.Since(start); took > time.Minute {
		t.Errorf("a two-hour ladder took %s of wall time", took)
	}
	t5 := time.Date(2018, 12, 31, 15, 0, 5, 0, time.UTC)
	if len(a) != 5 {
		t.Fatalf("%d attempts, want 5 (first + 4 retries)", len(a))
	}
	for i, at := range a {
		if want := t5.Add(time.Duration(i) * 30 * time.Minute); !at.At.Equal(want) || at.HTTPStatus != 500 || at.Delivered || at.Reason != "HTTP 500" {
			t.Errorf("attempt %d: at %s HTTP %d delivered %v reason %q; want at %s, HTTP 500, failed", i+1, at.At, at.HTTPStatus, at.Delivered, at.Reason, want)
		}
	}
	n := mock.AllNotifications(s)[0]
	if n.State != notify.StateFailed || len(n.Attempts) != 5 || len(m.got()) != 5 {
		t.Errorf("state %s with %d attempts, merchant saw %d; want failed, 5, 5", n.State, len(n.Attempts), len(m.got()))
	}
	if got, want := s.Clock().Now(), t5.Add(2*time.Hour); !got.Equal(want) {
		t.Errorf("clock after drain %s, want %s", got, want)
	}
}

func TestRecoveryAfterFailures(t *testing.T) {
	var calls int
	var mu sync.Mutex
	m := newMerchant(t, "asflerjgsdfv", func(w http.ResponseWriter, r *http.Request, f sign.Fields) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n < 3 {
			http.Error(w, "", http.StatusBadGateway)
			return
		}
		ackOK(w, r, f)
	})
	s := mock.RunT(t, mock.Options{Scenario: notifyScenario(t, m.URL+"/cb", "")})
	if a, _ := attempted(s.Advance(time.Hour + 5*time.Second)); len(a) != 3 || !a[2].Delivered {
		t.Fatalf("within an hour of the success: %d attempts, last delivered %v; want 3, delivered on the third (at +0, +30m, +60m)", len(a), len(a) > 0 && a[len(a)-1].Delivered)
	}
	if st := mock.AllNotifications(s)[0].State; st != notify.StateDelivered {
		t.Errorf("state %s, want delivered", st)
	}
}

func TestAckVerdicts(t *testing.T) {
	signedAck := func(secret string) func(http.ResponseWriter, *http.Request, sign.Fields) {
		return func(w http.ResponseWriter, r *http.Request, _ sign.Fields) {
			fs := sign.Fields{{Name: "pg_status", Value: "ok"}, {Name: "pg_description", Value: "Success message"},
				{Name: "pg_salt", Value: "d35c2d6142891f3cf1119c115af837b0"}, {Name: "pg_merchant_id", Value: "123456"}}
			fs = append(fs, sign.Field{Name: "pg_sig", Value: sign.Sign(sign.ScriptName(r.URL.Path), fs, secret)})
			w.Write(wire.Encode(fs))
		}
	}
	tests := []struct {
		name       string
		answer     func(http.ResponseWriter, *http.Request, sign.Fields)
		conforming bool
		reason     string
	}{
		{"bare ok", ackOK, true, ""},
		{"signed response", signedAck("asflerjgsdfv"), true, ""},
		{"response signed wrong", signedAck("other"), false, "signature of the reply does not verify"},
		{"json", func(w http.ResponseWriter, _ *http.Request, _ sign.Fields) { fmt.Fprint(w, `{"status":"ok"}`) }, false, "HTTP 200 but JSON body"},
		{"empty", func(w http.ResponseWriter, _ *http.Request, _ sign.Fields) {}, false, "HTTP 200 but empty body"},
		{"text", func(w http.ResponseWriter, _ *http.Request, _ sign.Fields) { fmt.Fprint(w, "OK") }, false, "not XML"},
		{"rejected", func(w http.ResponseWriter, _ *http.Request, _ sign.Fields) {
			fmt.Fprint(w, "<pg_status>error</pg_status>")
		}, false, `<pg_status> is "error"`},
		{"unsigned response", func(w http.ResponseWriter, _ *http.Request, _ sign.Fields) {
			fmt.Fprint(w, "<response><pg_status>ok</pg_status></response>")
		}, false, "pg_sig is missing"},
	}
	for _, tt := range tests {
		for _, ack := range []string{"lenient", "strict"} {
			t.Run(tt.name+"/"+ack, func(t *testing.T) {
				m := newMerchant(t, "asflerjgsdfv", tt.answer)
				s := mock.RunT(t, mock.Options{Scenario: notifyScenario(t, m.URL+"/hooks/post", "[notify]\nack = \""+ack+"\"\n")})
				a, err := attempted(s.Advance(5 * time.Second))
				if err != nil || len(a) != 1 {
					t.Fatalf("%d attempts (%v), want 1", len(a), err)
				}
				if a[0].Conforming != tt.conforming || !strings.Contains(a[0].Reason, tt.reason) || a[0].HTTPStatus != 200 {
					t.Errorf("conforming %v reason %q HTTP %d; want %v, %q, 200", a[0].Conforming, a[0].Reason, a[0].HTTPStatus, tt.conforming, tt.reason)
				}
				wantDelivered := tt.conforming || ack == "lenient"
				if a[0].Delivered != wantDelivered {
					t.Errorf("delivered %v, want %v with ack = %s", a[0].Delivered, wantDelivered, ack)
				}
			})
		}
	}
}

func TestEncodings(t *testing.T) {
	for _, enc := range []string{"urlencoded", "multipart", "xml"} {
		t.Run(enc, func(t *testing.T) {
			var ctype string
			m := newMerchant(t, "asflerjgsdfv", func(w http.ResponseWriter, r *http.Request, f sign.Fields) {
				ctype = r.Header.Get("Content-Type")
				ackOK(w, r, f)
			})
			s := mock.RunT(t, mock.Options{Scenario: notifyScenario(t, m.URL+"/hooks/post", "[notify]\nencoding = \""+enc+"\"\n")})
			if a, _ := attempted(s.Advance(5 * time.Second)); len(a) != 1 || !a[0].Delivered {
				t.Fatalf("attempts %+v, want one delivered", a)
			}
			got := m.got()
			if len(got) != 1 || m.badSig != 0 || got[0].Value("pg_order_id") != "157674271" {
				t.Fatalf("merchant got %v (bad signatures %d)", got, m.badSig)
			}
			want := map[string]string{"urlencoded": "application/x-www-form-urlencoded", "multipart": "multipart/form-data", "xml": "application/x-www-form-urlencoded"}[enc]
			if !strings.HasPrefix(ctype, want) {
				t.Errorf("Content-Type %q, want %s", ctype, want)
			}
		})
	}
}

func TestStepNotifyOverrides(t *testing.T) {
	m := newMerchant(t, "k", ackOK)
	sc, err := scenario.Parse("x.toml", []byte(`
[clock]
mode = "manual"
[[merchants]]
id = "1"
payout_secret_key = "k"
balance = 100
post_link = "`+m.URL+`/hook"
[[payouts]]
merchant_id = "1"
order_id = "quiet"
amount = 10
timeline = [ { at = "0s", status = "success", notify = false } ]
[[payouts]]
merchant_id = "1"
order_id = "chatty"
amount = 20
timeline = [ { at = "0s", status = "process", notify = true }, { at = "1s", status = "error", error_code = 10001 } ]
`))
	if err != nil {
		t.Fatal(err)
	}
	s := mock.RunT(t, mock.Options{Scenario: sc})
	if _, err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range m.got() {
		got = append(got, f.Value("pg_order_id")+":"+f.Value("pg_status")+":"+f.Value("pg_balance"))
	}
	// The quiet success still pays 10 out of the balance; the chatty payout
	// holds its 20 while in process and gives it back when it fails.
	if want := "chatty:process:70.00 chatty:error:90.00"; strings.Join(got, " ") != want {
		t.Errorf("notifies %q, want %q", strings.Join(got, " "), want)
	}
}

// A merchant that hangs, one that drops the connection, and one that works:
// the working one is served at once, the others fail on their own.
func TestFaultyMerchantsDoNotDelayOthers(t *testing.T) {
	release := make(chan struct{})
	hang := newMerchant(t, "k", func(w http.ResponseWriter, r *http.Request, _ sign.Fields) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) })
	drop := newMerchant(t, "k", func(w http.ResponseWriter, _ *http.Request, _ sign.Fields) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	good := newMerchant(t, "k", ackOK)
	sc, err := scenario.Parse("x.toml", []byte(`
[clock]
mode = "manual"
[notify]
timeout = "300ms"
retries = []
[[merchants]]
id = "1"
payout_secret_key = "k"
balance = 100
[[payouts]]
merchant_id = "1"
order_id = "hang"
amount = 1
post_link = "`+hang.URL+`/hook"
[[payouts]]
merchant_id = "1"
order_id = "drop"
amount = 1
post_link = "`+drop.URL+`/hook"
[[payouts]]
merchant_id = "1"
order_id = "good"
amount = 1
post_link = "`+good.URL+`/hook"
`))
	if err != nil {
		t.Fatal(err)
	}
	s := mock.RunT(t, mock.Options{Scenario: sc})
	a, err := attempted(s.Advance(0))
	if err != nil || len(a) != 3 {
		t.Fatalf("%d attempts (%v), want 3", len(a), err)
	}
	byOrder := map[string]notify.Notification{}
	for _, n := range mock.AllNotifications(s) {
		byOrder[n.OrderID] = n
	}
	h, d, g := byOrder["hang"].Attempts[0], byOrder["drop"].Attempts[0], byOrder["good"].Attempts[0]
	if !strings.Contains(h.Error, "timeout: no answer within 300ms") || h.LatencyMS < 300 {
		t.Errorf("hanging merchant: error %q after %.0fms, want a timeout after 300ms", h.Error, h.LatencyMS)
	}
	if d.Error == "" || d.HTTPStatus != 0 {
		t.Errorf("dropping merchant: error %q HTTP %d, want a connection error", d.Error, d.HTTPStatus)
	}
	if !g.Delivered || g.LatencyMS >= 300 {
		t.Errorf("good merchant: delivered %v after %.0fms; want delivered without waiting for the hanging one", g.Delivered, g.LatencyMS)
	}
	for _, o := range []string{"hang", "drop"} {
		if st := byOrder[o].State; st != notify.StateFailed {
			t.Errorf("%s: state %s, want failed (no retries configured)", o, st)
		}
	}
}

func TestControlAPI(t *testing.T) {
	m := newMerchant(t, "asflerjgsdfv", ackOK)
	s := mock.RunT(t, mock.Options{Scenario: notifyScenario(t, m.URL+"/hooks/post", "")})
	call := func(method, path, body string, want int) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("%s %s: not JSON: %v", method, path, err)
		}
		if resp.StatusCode != want {
			t.Fatalf("%s %s: HTTP %d %v, want %d", method, path, resp.StatusCode, out, want)
		}
		return out
	}
	if c := call("GET", "/_mock/clock", "", 200); c["now"] != "2018-12-31T15:00:00Z" || c["mode"] != "manual" {
		t.Errorf("clock %v", c)
	}
	if r := call("POST", "/_mock/clock/advance?by=4s", "", 200); len(r["attempted"].([]any)) != 0 || r["now"] != "2018-12-31T15:00:04Z" {
		t.Errorf("advance 4s: %v", r)
	}
	r := call("POST", "/_mock/clock/advance", `{"by":"1s"}`, 200)
	att := r["attempted"].([]any)
	if len(att) != 1 || att[0].(map[string]any)["http_status"] != 200.0 || att[0].(map[string]any)["conforming"] != true {
		t.Errorf("advance 1s: %v, want one conforming attempt", r)
	}
	call("POST", "/_mock/clock/advance?by=-1s", "", 400)
	call("POST", "/_mock/clock/advance", `{"by":`, 400)
	call("POST", "/_mock/clock/advance", ``, 400)
	if d := call("POST", "/_mock/clock/drain", "", 200); len(d["attempted"].([]any)) != 0 {
		t.Errorf("drain: %v", d)
	}
	ns := call("GET", "/_mock/notifications", "", 200)["notifications"].([]any)
	n := ns[0].(map[string]any)
	for _, k := range []string{"payment_id", "order_id", "merchant_id", "url", "state", "next_attempt_at", "attempts"} {
		if _, ok := n[k]; !ok {
			t.Errorf("notification lacks %q: %v", k, n)
		}
	}
	if n["state"] != "delivered" || n["payment_id"] != 12345678.0 {
		t.Errorf("notification %v", n)
	}
	a := n["attempts"].([]any)[0].(map[string]any)
	for _, k := range []string{"at", "http_status", "error", "latency_ms", "conforming", "reason", "fields"} {
		if _, ok := a[k]; !ok && k != "error" && k != "reason" {
			t.Errorf("attempt lacks %q: %v", k, a)
		}
	}

	real := mock.RunT(t, mock.Options{})
	resp, err := http.Post(real.URL()+"/_mock/clock/advance?by=1s", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("advance on a real clock: HTTP %d, want 409", resp.StatusCode)
	}
}

// With a real clock sped up 1000 times, the loop delivers a notify due 5 s
// of sandbox time after start within milliseconds of wall time.
func TestRealClockLoopDelivers(t *testing.T) {
	got := make(chan sign.Fields, 1)
	m := newMerchant(t, "asflerjgsdfv", func(w http.ResponseWriter, r *http.Request, f sign.Fields) {
		ackOK(w, r, f)
		got <- f
	})
	sc := notifyScenario(t, m.URL+"/hooks/post", "")
	s := mock.RunT(t, mock.Options{Scenario: sc, ClockMode: "real", Speed: 1000})
	if s.Ready().Clock != "real" {
		t.Fatalf("mode %q, want real: the option wins over the scenario", s.Ready().Clock)
	}
	select {
	case f := <-got:
		if f.Value("pg_order_id") != "157674271" {
			t.Errorf("notify for order %q", f.Value("pg_order_id"))
		}
	case <-time.After(10 * time.Second): // a bound on failure, not a wait for the server
		t.Fatal("no notify within 10 s of wall time; due after 5 ms")
	}
	if _, err := s.Advance(time.Second); err == nil {
		t.Error("Advance on a real clock succeeded")
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	target := newMerchant(t, "asflerjgsdfv", ackOK)
	m := newMerchant(t, "asflerjgsdfv", func(w http.ResponseWriter, r *http.Request, _ sign.Fields) {
		http.Redirect(w, r, target.URL+"/hooks/post", http.StatusFound)
	})
	s := mock.RunT(t, mock.Options{Scenario: notifyScenario(t, m.URL+"/hooks/post", "[notify]\nretries = []\n")})
	a, err := attempted(s.Advance(5 * time.Second))
	if err != nil || len(a) != 1 || a[0].Delivered || a[0].HTTPStatus != 302 || !strings.Contains(a[0].Reason, "redirects are not followed") {
		t.Fatalf("attempts %+v (%v), want one failed HTTP 302 saying redirects are not followed", a, err)
	}
	if len(target.got()) != 0 {
		t.Errorf("the redirect target received %d notifies", len(target.got()))
	}
}

// A post_link ending in "/" signs as its last segment by default, and as
// "" (the official PHP SDK's reading) with notify.script_name.
func TestTrailingSlashScriptName(t *testing.T) {
	for _, tc := range []struct{ setting, want string }{{"", "hooks"}, {`script_name = "after-last-slash"`, ""}} {
		m := newMerchant(t, "asflerjgsdfv", ackOK)
		s := mock.RunT(t, mock.Options{Scenario: notifyScenario(t, m.URL+"/hooks/", "[notify]\n"+tc.setting)})
		if _, err := s.Drain(); err != nil {
			t.Fatal(err)
		}
		got := m.got()
		if len(got) != 1 || !sign.Verify(tc.want, got[0], "asflerjgsdfv") {
			t.Errorf("setting %q: notify %v does not verify with script name %q", tc.setting, got, tc.want)
		}
	}
}

func TestHealthAndReady(t *testing.T) {
	s, err := mock.New(mock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		return w.Code, w.Body.String()
	}
	if code, _ := get("/_mock/health"); code != 200 {
		t.Errorf("health before start: %d, want 200", code)
	}
	if code, body := get("/_mock/ready"); code != 503 || !strings.Contains(body, "not started") {
		t.Errorf("ready before start: %d %s, want 503 not started", code, body)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if code, body := get("/_mock/ready"); code != 200 || !strings.Contains(body, `"scenario": "default"`) {
		t.Errorf("ready after start: %d %s, want 200 naming the scenario", code, body)
	}
	s.Close()
	if code, body := get("/_mock/ready"); code != 503 || !strings.Contains(body, "shutting down") {
		t.Errorf("ready after close: %d %s, want 503 shutting down", code, body)
	}
}

// A stop with a notify attempt in flight to a merchant that never answers
// ends within the shutdown budget, well under docker stop's 10 s: the
// default's and one set by --shutdown-timeout.
func TestCloseWithAnAttemptInFlight(t *testing.T) {
	for _, budget := range []time.Duration{0, 300 * time.Millisecond} {
		got := make(chan struct{}, 1)
		release := make(chan struct{})
		hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		sc := notifyScenario(t, hang.URL, "")
		sc.Clock = scenario.Clock{Mode: "real", Speed: 1}
		sc.Payouts[0].Timeline = []scenario.Step{{Status: scenario.StatusSuccess}}
		s, err := mock.Run(mock.Options{Scenario: sc, ShutdownTimeout: budget})
		if err != nil {
			t.Fatal(err)
		}
		<-got // the attempt is in flight
		began := time.Now()
		_ = s.Close()
		took := time.Since(began)
		close(release)
		hang.Close()
		want := cmp.Or(budget, mock.DefaultShutdownTimeout)
		// Below the budget, Close did not wait for the attempt: a busy
		// machine only makes it later. Above, the margins are wide and
		// still tell: the default must end under docker stop's 10 s, and
		// a budget set to 300 ms well before the default's 4 s (which
		// would mean the setting was ignored).
		limit := 9 * time.Second
		if budget != 0 {
			limit = mock.DefaultShutdownTimeout - time.Second
		}
		if took > limit || took < want-100*time.Millisecond {
			t.Errorf("Close took %s with an attempt in flight; the budget is %s, want between it and %s", took, want, limit)
		} else {
			t.Logf("Close with an attempt in flight, budget %s: %s", want, took.Round(10*time.Millisecond))
		}
	}
}

// A merchant's answer that echoes its secret or a card number is shown
// masked in the notification's attempts, the ack read all the same.
func TestAnswerShownMasked(t *testing.T) {
	const pan = "4111111111111111"
	m := newMerchant(t, "asflerjgsdfv", func(w http.ResponseWriter, _ *http.Request, _ sign.Fields) {
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprint(w, `<?xml version="1.0" encoding="utf-8"?><response><pg_status>ok</pg_status><pg_description>paid to `+pan+
			` with key asflerjgsdfv `+strings.Repeat("x", 3000)+`</pg_description></response>`)
	})
	s := mock.RunT(t, mock.Options{Scenario: notifyScenario(t, m.URL+"/hooks/post", "")})
	a, err := attempted(s.Advance(5 * time.Second))
	if err != nil || len(a) != 1 || !a[0].Delivered {
		t.Fatalf("Advance(5s): %+v %v, want one delivered attempt", a, err)
	}
	n := mock.AllNotifications(s)
	if len(n) != 1 || len(n[0].Attempts) != 1 {
		t.Fatalf("notifications %+v, want one with one attempt", n)
	}
	ans := n[0].Attempts[0].Answer
	if strings.Contains(ans, pan[:8]) || strings.Contains(ans, "asflerjgsdfv") || !strings.Contains(ans, "<pg_status>ok</pg_status>") {
		t.Errorf("the answer shown: %.300s", ans)
	}
}
