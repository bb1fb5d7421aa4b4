package mock_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/expect"
	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// drillMerchant is a merchant service under test: it makes payouts, takes
// their notifies and polls their status. careful decides whether it checks
// what a notify claims; both treat a lost reply as "ask the status".
type drillMerchant struct {
	t       *testing.T
	careful bool
	id      string
	secret  string
	sandbox string
	srv     *httptest.Server
	client  *http.Client

	mu     sync.Mutex
	orders map[string]string // order id → amount; recorded before the create request
	ids    map[string]string // order id → pg_payment_id, once a create reply gave it
	paid   map[string]string // order id → final status its notifies or polls told
}

func newDrillMerchant(t *testing.T, sandbox string, careful bool) *drillMerchant {
	m := &drillMerchant{t: t, careful: careful, id: "9970", secret: "test_secret_key", sandbox: sandbox,
		client: &http.Client{Timeout: 500 * time.Millisecond}, orders: map[string]string{}, ids: map[string]string{}, paid: map[string]string{}}
	m.srv = httptest.NewServer(http.HandlerFunc(m.notify))
	t.Cleanup(m.srv.Close)
	return m
}

// notify answers a payout notify: a careful merchant acknowledges it only
// when it is signed with its secret for its own merchant id and order, with
// the amount it asked for; a naive one acknowledges anything.
func (m *drillMerchant) notify(w http.ResponseWriter, r *http.Request) {
	req, err := wire.Decode(r, 1<<20)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f := req.Fields
	order := f.Value("pg_order_id")
	if m.careful {
		m.mu.Lock()
		amount, known := m.orders[order]
		m.mu.Unlock()
		switch {
		case !sign.Verify(sign.ScriptName(r.URL.Path), f, m.secret):
			m.refuse(w, "bad signature")
			return
		case f.Value("pg_merchant_id") != m.id || !known:
			m.refuse(w, "not our order")
			return
		case f.Value("pg_payment_amount") != amount:
			m.refuse(w, "amount differs from the order's")
			return
		}
	}
	m.mu.Lock()
	if st := f.Value("pg_status"); st == "ok" || st == "error" {
		if _, done := m.paid[order]; !done || !m.careful {
			m.paid[order] = st // a careful merchant keeps the first final status
		}
	}
	m.mu.Unlock()
	ack := sign.Fields{{Name: "pg_status", Value: "ok"}, {Name: "pg_description", Value: "accepted"}, {Name: "pg_salt", Value: "ackSalt"}}
	ack = append(ack, sign.Field{Name: "pg_sig", Value: sign.Sign(sign.ScriptName(r.URL.Path), ack, m.secret)})
	w.Header().Set("Content-Type", "application/xml")
	_, _ = w.Write(wire.Encode(ack))
}

func (m *drillMerchant) refuse(w http.ResponseWriter, why string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><response><pg_status>rejected</pg_status><pg_description>%s</pg_description></response>`, why)
}

// call sends a signed request; ok is false when no FreedomPay reply came
// (timeout, reset, a proxy's 502) or the reply is a 9999.
func (m *drillMerchant) call(path string, kv ...string) (sign.Fields, bool) {
	fields := signed(sign.ScriptName(path), m.secret, append([]string{"pg_merchant_id", m.id}, kv...)...)
	resp, err := m.client.Post(m.sandbox+path, "application/x-www-form-urlencoded", strings.NewReader(wire.EncodeForm(fields)))
	if err != nil {
		return nil, false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, false
	}
	got, err := wire.DecodeXML(body)
	if err != nil || got.Value("pg_error_code") == "9999" {
		return got, false
	}
	return got, true
}

// pay makes a payout; when the reply is lost it asks the status instead
// of paying again.
func (m *drillMerchant) pay(order string) {
	m.mu.Lock()
	m.orders[order] = "100.00"
	m.mu.Unlock()
	if r, ok := m.call("/g2g/p2p2nonreg", "pg_order_id", order, "pg_amount", "100", "pg_description", "drill",
		"pg_payment_to", "4405645000006150", "pg_post_link", m.srv.URL+"/notify"); !ok {
		m.poll(order)
	} else if r.Value("pg_status") != "ok" {
		m.t.Errorf("create %s: %v", order, r)
	} else {
		m.mu.Lock()
		m.ids[order] = r.Value("pg_payment_id")
		m.mu.Unlock()
	}
}

// poll asks a payout's status and records a final one: by payment id and
// order id when a create reply gave the payment id, else by order id alone.
func (m *drillMerchant) poll(order string) {
	m.mu.Lock()
	id := m.ids[order]
	m.mu.Unlock()
	path, kv := "/api/payment_status2", []string{"pg_order_id", order}
	if id != "" {
		path, kv = "/g2g/payout_status2", append(kv, "pg_payment_id", id)
	}
	r, ok := m.call(path, kv...)
	if !ok || r.Value("pg_status") != "ok" {
		m.t.Errorf("status of %s: no reply", order)
		return
	}
	if st := r.Value("pg_payment_status"); st == "success" || st == "error" {
		m.mu.Lock()
		if _, done := m.paid[order]; !done {
			m.paid[order] = st
		}
		m.mu.Unlock()
	}
}

// runDrills plays scenarios/drills.toml against one merchant and returns
// the names of the drill verdicts that failed.
func runDrills(t *testing.T, careful bool) ([]string, expect.Report, *mock.Server) {
	sc, err := scenario.Embedded("drills.toml")
	if err != nil {
		t.Fatal(err)
	}
	c := clock.NewManual(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	s := mock.RunT(t, mock.Options{Scenario: sc, Clock: c})
	m := newDrillMerchant(t, s.URL(), careful)
	drills := append(scenario.DrillNames(), scenario.FaultNames()...)
	for _, d := range drills {
		m.pay(d + "-1")
	}
	if _, err := s.Advance(2 * time.Minute); err != nil {
		t.Fatal(err)
	}
	// Orders whose outcome no notify told: ask.
	for _, d := range drills {
		m.mu.Lock()
		_, known := m.paid[d+"-1"]
		m.mu.Unlock()
		if !known {
			m.poll(d + "-1")
		}
	}
	rep := mock.Report(s, "9970")
	var failed []string
	for _, r := range rep.Results {
		if r.Kind == "drill" && !r.OK {
			failed = append(failed, strings.Fields(r.Name)[1])
		} else if r.Kind != "drill" && !r.OK {
			t.Errorf("expectation %q failed: %s", r.Name, r.Message)
		}
	}
	sort.Strings(failed)
	return failed, rep, s
}

func TestDrillsCarefulMerchantPassesEveryDrill(t *testing.T) {
	failed, rep, s := runDrills(t, true)
	if len(failed) > 0 {
		for _, r := range rep.Results {
			if !r.OK {
				t.Errorf("%s: %s", r.Name, r.Message)
			}
		}
	}
	drills := 0
	for _, r := range rep.Results {
		if r.Kind == "drill" {
			drills++
		}
	}
	if want := len(scenario.DrillNames()) + len(scenario.FaultNames()); drills != want {
		t.Errorf("%d drill verdicts, want one per drill (%d)", drills, want)
	}
	// The hostile notifies are in the notifications list with their verdicts.
	ns, _ := mock.History(s, "9970")
	seen := map[string]*notify.Verdict{}
	for _, n := range ns {
		if n.Drill != "" {
			seen[n.Drill] = n.Verdict
		}
	}
	for _, d := range []string{"forged", "tampered", "unsigned", "replayed", "duplicate", "out_of_order", "late", "early"} {
		if v := seen[d]; v == nil || !v.OK {
			t.Errorf("notification of drill %s: verdict %+v", d, v)
		}
	}
	var lost struct {
		Notifications []notify.Notification `json:"notifications"`
	}
	ctl(t, s, "", "GET", "/_mock/notifications?order_id=lost-1", "", 200, &lost)
	if n := lost.Notifications; len(n) != 1 || n[0].State != notify.StateWithheld || n[0].Verdict == nil || !n[0].Verdict.OK {
		t.Errorf("the lost notify in the notifications list: %+v", n)
	}
	// The faulted create requests are journalled as such.
	page := mock.Journal(s, journal.Filter{MerchantID: "9970", Outcome: journal.OutcomeFault})
	var faults []string
	for _, e := range page.Entries {
		faults = append(faults, e.Fault)
		if !e.Made {
			t.Errorf("fault %s on %s: the payout was made, the entry says not", e.Fault, e.OrderID)
		}
	}
	sort.Strings(faults)
	if want := []string{"http_502", "reset", "slow", "system_error"}; !slices.Equal(faults, want) {
		t.Errorf("faults journalled %v, want %v", faults, want)
	}
}

func TestDrillsNaiveMerchantFailsExactlyTheHostileOnes(t *testing.T) {
	failed, rep, _ := runDrills(t, false)
	if want := []string{"forged", "replayed", "tampered", "unsigned"}; !slices.Equal(failed, want) {
		t.Errorf("failed drills %v, want %v", failed, want)
	}
	if rep.OK {
		t.Error("the report is ok for a merchant that believes forged notifies")
	}
	for _, r := range rep.Results {
		if strings.HasPrefix(r.Name, "drill forged") && !strings.Contains(r.Message, "merchant accepted a forged payout notify") {
			t.Errorf("forged verdict %q does not say the merchant accepted a forged payout notify", r.Message)
		}
	}
	var junit strings.Builder
	if err := rep.JUnit(&junit); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"forged", "tampered", "unsigned", "replayed"} {
		if !strings.Contains(junit.String(), "drill "+d) {
			t.Errorf("the JUnit report does not name drill %s", d)
		}
	}
}

// A merchant that creates again after a lost reply, instead of asking the
// status, fails the fault drill.
func TestDrillFaultWithoutPollFails(t *testing.T) {
	sc, err := scenario.Embedded("drills.toml")
	if err != nil {
		t.Fatal(err)
	}
	s := mock.RunT(t, mock.Options{Scenario: sc, Clock: clock.NewManual(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))})
	m := newDrillMerchant(t, s.URL(), true)
	m.call("/g2g/p2p2nonreg", "pg_order_id", "system_error-7", "pg_amount", "100", "pg_description", "d",
		"pg_payment_to", "4405645000006150", "pg_post_link", m.srv.URL+"/notify")
	rep := mock.Report(s, "9970")
	var res *expect.Result
	for i, r := range rep.Results {
		if r.Name == "drill fault system_error (order system_error-7)" {
			res = &rep.Results[i]
		}
	}
	if res == nil || res.OK || !strings.Contains(res.Message, "never asked its status") {
		t.Fatalf("verdict %+v: want a failure saying the merchant never asked the status", res)
	}
}

// Random faults come out the same for a seed, and one merchant's calls do
// not change which of another merchant's calls fail.
func TestDrillFaultsAreDeterministic(t *testing.T) {
	faultsOf := func(interleave bool) []string {
		m := newMerchant(t, "secret-a", ackOK)
		sc := twoMerchants(t, m.URL, `
[drills.faults]
system_error = 0.3
http_502 = 0.3
paths = ["/g2g/payout_status2"]
`)
		s := mock.RunT(t, mock.Options{Scenario: sc})
		status := func(id, secret, order string) {
			fields := signed("payout_status2", secret, "pg_merchant_id", id, "pg_order_id", order, "pg_payment_id", "1")
			resp, err := http.Post(s.URL()+"/g2g/payout_status2", "application/x-www-form-urlencoded", strings.NewReader(wire.EncodeForm(fields)))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		for range 20 {
			if interleave {
				status("9971", "secret-b", "B-1")
			}
			status("9970", "secret-a", "12345")
		}
		var out []string
		for _, e := range mock.Journal(s, journal.Filter{MerchantID: "9970"}).Entries {
			out = append(out, e.Fault)
		}
		return out
	}
	a, b, c := faultsOf(false), faultsOf(false), faultsOf(true)
	if !slices.Equal(a, b) || !slices.Equal(a, c) {
		t.Errorf("faults differ between runs:\n%v\n%v\n%v (with the other merchant's calls between)", a, b, c)
	}
	n := 0
	for _, f := range a {
		if f != "" {
			n++
		}
	}
	if n < 4 || n > 18 {
		t.Errorf("%d of 20 calls faulted at 60%%: %v", n, a)
	}
}

// A hostile notify still to come when the sandbox stops is sent after it
// starts again on its saved state.
func TestDrillsSurviveRestart(t *testing.T) {
	sc, err := scenario.Embedded("drills.toml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	s1, err := mock.Run(mock.Options{Scenario: sc, Clock: clock.NewManual(start), StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	m := newDrillMerchant(t, s1.URL(), true)
	m.pay("forged-1")
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := mock.Run(mock.Options{Scenario: sc, Clock: clock.NewManual(start), StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s2.Close() })
	if _, err := s2.Advance(time.Minute); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range mock.Report(s2, "9970").Results {
		if r.Name == "drill forged (order forged-1)" {
			found = true
			if !r.OK || !strings.Contains(r.Message, "refused the forged") {
				t.Errorf("%s: %s", r.Name, r.Message)
			}
		}
	}
	if !found {
		t.Error("no verdict on the forged notify after the restart")
	}
}

// A merchant whose suite never made a drill's payout does not pass it
// unseen, and a merchant id the scenario lacks cannot be verified.
func TestDrillsNotRunFail(t *testing.T) {
	sc, err := scenario.Embedded("drills.toml")
	if err != nil {
		t.Fatal(err)
	}
	s := mock.RunT(t, mock.Options{Scenario: sc, Clock: clock.NewManual(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))})
	rep := mock.Report(s, "9970")
	if rep.OK || rep.Failed != 13 {
		t.Errorf("verify with no payout made: ok=%v, %d failed; want the 13 drills failed as not run", rep.OK, rep.Failed)
	}
	var out map[string]string
	ctl(t, s, "", "GET", "/_mock/verify?merchant_id=12345", "", 404, &out)
	if !strings.Contains(out["error"], "no such merchant") {
		t.Errorf("verify for an unknown merchant: %v", out)
	}
}

// Same scenario, same seed, same calls: the same notifies, numbered and
// salted the same, though the drills' follow-ups come from lanes that run
// side by side.
func TestDrillsSameRunTwice(t *testing.T) {
	run := func() string {
		_, _, s := runDrills(t, true)
		ns, _ := mock.History(s, "9970")
		var b strings.Builder
		for _, n := range ns {
			fmt.Fprintf(&b, "#%d %s %s %s %v\n", n.ID, n.OrderID, n.Drill, n.State, n.Fields)
		}
		return b.String()
	}
	if a, b := run(), run(); a != b {
		t.Errorf("two runs differ:\n%s\n---\n%s", a, b)
	}
}

// answerWith answers every notify with HTTP status and a body; sdk makes
// the body the official PHP SDK's ack with pg_status body, signed with
// secret under the callback's script name.
func answerWith(status int, body string, sdk bool, secret string) func(http.ResponseWriter, *http.Request, sign.Fields) {
	return func(w http.ResponseWriter, r *http.Request, _ sign.Fields) {
		b := body
		if sdk {
			ack := sign.Fields{{Name: "pg_status", Value: body}, {Name: "pg_description", Value: "Success message"}, {Name: "pg_salt", Value: "ackSalt"}}
			ack = append(ack, sign.Field{Name: "pg_sig", Value: sign.Sign(sign.ScriptName(r.URL.Path), ack, secret)})
			b = string(wire.Encode(ack))
		}
		w.WriteHeader(status)
		fmt.Fprint(w, b)
	}
}

// drillPayouts declares payouts of merchant 9970, one per order id, each in
// process and then at its final step (a TOML inline table), with the drill
// its order id names ("forged-2": forged).
func drillPayouts(final string, orders ...string) string {
	var b strings.Builder
	for _, o := range orders {
		fmt.Fprintf(&b, "\n[[payouts]]\nmerchant_id = \"9970\"\norder_id = %q\namount = 100\n", o)
		fmt.Fprintf(&b, "timeline = [ { at = \"0s\", status = \"process\" }, %s ]\n", final)
		fmt.Fprintf(&b, "drills = [%q]\n", o[:strings.LastIndex(o, "-")])
	}
	return b.String()
}

// drillScenario has merchant 9970 calling back at url, the payouts extra
// declares, and the other merchant the drill "replayed" needs.
func drillScenario(t *testing.T, url, extra string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("drill-answers.toml", []byte(`
seed = 7
[clock]
mode = "manual"
start = 2026-03-01T10:00:00Z
[notify]
retries = ["10s"]
[drills]
hostile_after = "1s"
late_by = "20s"

[[merchants]]
id = "9970"
payout_secret_key = "test_secret_key"
balance = 1000000
post_link = "`+url+`/freedompay/post"

[[merchants]]
id = "9971"
payout_secret_key = "other_merchant_secret"
balance = 1000
post_link = "`+url+`/other/post"

[[payouts]]
merchant_id = "9971"
order_id = "other-1"
amount = 50
timeline = [ { at = "0s", status = "success", notify = false } ]
`+extra))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestHostileDrillVerdictsReadTheAnswer: a hostile notify is refused by an
// answer that is not 2xx or whose body is anything but an ok ack, and
// accepted by an empty body, a bare ok or an ok ack (whether or not the
// ack's own signature verifies); the verdict quotes the answer and names
// the rule. The PHP SDK's example receiver answers a forged notify with
// HTTP 200 "sig invalid": refused.
func TestHostileDrillVerdictsReadTheAnswer(t *testing.T) {
	const (
		refusesStatus = "an HTTP status other than 2xx refuses"
		refusesBody   = "a body other than an ok acknowledgement refuses"
		refusesAck    = "an acknowledgement whose pg_status is not ok refuses"
		acceptsAck    = "an ok acknowledgement accepts"
	)
	payouts := drillPayouts(`{ at = "10s", status = "error", error_code = 10001 }`, "forged-1") +
		drillPayouts(`{ at = "10s", status = "error", error_code = 10000 }`, "tampered-1") +
		drillPayouts(`{ at = "10s", status = "success" }`, "tampered-2", "unsigned-1", "replayed-1")
	for _, c := range []struct {
		name    string
		status  int
		body    string
		sdk     bool   // body is the pg_status of an SDK ack
		secret  string // the SDK ack's
		accepts bool
		shown   string // the answer as the verdict quotes it
		rule    string
	}{
		{"400 rejected", 400, `<?xml version="1.0" encoding="utf-8"?><response><pg_status>rejected</pg_status></response>`, false, "", false,
			`HTTP 400, body "<?xml version=\"1.0\" encoding=\"utf-8\"?><response><pg_status>rejected</pg_status><…"`, refusesStatus},
		{"500 empty", 500, "", false, "", false, "HTTP 500, empty body", refusesStatus},
		{"403 ok", 403, "ok", false, "", false, `HTTP 403, body "ok"`, refusesStatus},
		{"sig invalid", 200, "sig invalid", false, "", false, `HTTP 200, body "sig invalid"`, refusesBody},
		{"error", 200, "error", false, "", false, `HTTP 200, body "error"`, refusesBody},
		{"rejected", 200, "rejected", false, "", false, `HTTP 200, body "rejected"`, refusesBody},
		{"OK", 200, "OK", false, "", true, `HTTP 200, body "OK"`, "a bare ok accepts"},
		{"ok in white space", 200, " ok\n", false, "", true, `HTTP 200, body "ok"`, "a bare ok accepts"},
		{"empty", 200, "", false, "", true, "HTTP 200, empty body", "an empty body accepts"},
		{"204", 204, "", false, "", true, "HTTP 204, empty body", "an empty body accepts"},
		{"docs ok", 200, `<?xml version="1.0" encoding="utf-8"?>` + "\n<pg_status>ok</pg_status>", false, "", true,
			`HTTP 200, body "<?xml version=\"1.0\" encoding=\"utf-8\"?> <pg_status>ok</pg_status>"`, acceptsAck},
		{"docs error", 200, "<pg_status>error</pg_status>", false, "", false, `HTTP 200, body "<pg_status>error</pg_status>"`, refusesAck},
		{"sdk ok", 200, "ok", true, "test_secret_key", true, `?> <response><pg_status>ok</pg_status><pg_de…"`, acceptsAck},
		{"sdk ok signed wrong", 200, "ok", true, "not_the_secret", true, `?> <response><pg_status>ok</pg_status><pg_de…"`, acceptsAck},
		{"sdk rejected", 200, "rejected", true, "test_secret_key", false, `<response><pg_status>rejected</pg_status>`, refusesAck},
		{"json", 200, `{"status":"ok"}`, false, "", false, `HTTP 200, body "{\"status\":\"ok\"}"`, refusesBody},
		{"html", 200, "<!DOCTYPE html>\n<html><body><h1>OK</h1></body></html>", false, "", false,
			`HTTP 200, body "<!DOCTYPE html> <html><body><h1>OK</h1></body></html>"`, refusesBody},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := newMerchant(t, "test_secret_key", answerWith(c.status, c.body, c.sdk, c.secret))
			s := mock.RunT(t, mock.Options{Scenario: drillScenario(t, m.URL, payouts)})
			if _, err := s.Advance(time.Minute); err != nil {
				t.Fatal(err)
			}
			rep := mock.Report(s, "9970")
			judged := 0
			for _, r := range rep.Results {
				if r.Kind != "drill" {
					continue
				}
				judged++
				d := strings.Fields(r.Name)[1]
				want := "merchant refused the " + d + " payout notify: "
				if c.accepts {
					want = "merchant accepted a " + d + " payout notify: it answered "
					if d == "unsigned" {
						want = "merchant accepted an unsigned payout notify: it answered "
					}
				}
				if r.OK == c.accepts || !strings.HasPrefix(r.Message, want) || !strings.Contains(r.Message, c.shown) ||
					!strings.Contains(r.Message, " — "+c.rule) {
					t.Errorf("%s: ok %v, %q\nwant ok %v, %q…, quoting %s — %s", r.Name, r.OK, r.Message, !c.accepts, want, c.shown, c.rule)
				}
				if strings.Contains(r.Message, "test_secret_key") {
					t.Errorf("%s: the verdict shows the payout secret: %s", r.Name, r.Message)
				}
			}
			if judged != 5 {
				t.Errorf("%d drill verdicts, want 5: %+v", judged, rep.Results)
			}
		})
	}
}

// TestDrillAcksReadTheAnswer: a duplicate, a stale or a late notify wants
// an ack as the merchant means it, and delivered: an "already processed"
// text, a pg_status other than ok, or an answer the sandbox does not
// deliver (HTTP 204) fails the drill, saying which.
func TestDrillAcksReadTheAnswer(t *testing.T) {
	payouts := drillPayouts(`{ at = "5s", status = "success" }`, "duplicate-1", "out_of_order-1", "late-1")
	for _, c := range []struct {
		name   string
		status int
		body   string
		ok     bool
		want   string // in each verdict
	}{
		{"bare ok", 200, "ok", true, `HTTP 200, body "ok" — a bare ok accepts`},
		{"docs ok", 200, "<pg_status>ok</pg_status>", true, `HTTP 200, body "<pg_status>ok</pg_status>" — an ok acknowledgement accepts`},
		{"already processed", 200, "already processed", false, `HTTP 200, body "already processed" — a body other than an ok acknowledgement refuses`},
		{"docs error", 200, "<pg_status>error</pg_status>", false, "an acknowledgement whose pg_status is not ok refuses"},
		{"204", 204, "", false, "HTTP 204, empty body — an empty body accepts, but the attempt is not delivered: a notify is delivered by HTTP 200 only"},
	} {
		t.Run(c.name, func(t *testing.T) {
			// The first notify of an order is acknowledged (the late one
			// is the first of its order); the ones after it get the answer.
			seen := map[string]bool{}
			var mu sync.Mutex
			answer := answerWith(c.status, c.body, false, "")
			m := newMerchant(t, "test_secret_key", func(w http.ResponseWriter, r *http.Request, f sign.Fields) {
				mu.Lock()
				order := f.Value("pg_order_id")
				first := !seen[order] && !strings.HasPrefix(order, "late-")
				seen[order] = true
				mu.Unlock()
				if first {
					ackOK(w, r, f)
					return
				}
				answer(w, r, f)
			})
			s := mock.RunT(t, mock.Options{Scenario: drillScenario(t, m.URL, payouts)})
			if _, err := s.Advance(2 * time.Minute); err != nil {
				t.Fatal(err)
			}
			judged := 0
			for _, r := range mock.Report(s, "9970").Results {
				if r.Kind != "drill" {
					continue
				}
				judged++
				if r.OK != c.ok || !strings.Contains(r.Message, c.want) {
					t.Errorf("%s: ok %v, %q\nwant ok %v, saying %q", r.Name, r.OK, r.Message, c.ok, c.want)
				}
			}
			if judged != 3 {
				t.Errorf("%d drill verdicts, want 3", judged)
			}
		})
	}
}

// The drill "replayed" sends the other merchant's first payout: it copies
// that one, not every payout. 600 replayed notifies allocated 164 MB when
// each copied all 601 payouts to find it (quadratic), 11 MB now.
func TestReplayedDrillCopiesOnePayout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	defer srv.Close()
	const n = 600
	orders := make([]string, n)
	for i := range orders {
		orders[i] = fmt.Sprintf("replayed-%d", i+1)
	}
	sc := drillScenario(t, srv.URL, drillPayouts(`{ at = "1h", status = "success" }`, orders...))
	s := mock.RunT(t, mock.Options{Scenario: sc})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	run, err := s.Advance(2 * time.Second)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if run.AttemptedTotal < n {
		t.Fatalf("%d notifies attempted, want %d replayed ones at least", run.AttemptedTotal, n)
	}
	b := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d notifies attempted, %d bytes allocated", run.AttemptedTotal, b)
	if b > 40<<20 {
		t.Errorf("%d replayed notifies allocated %d bytes: want under 40 MiB", n, b)
	}
}
