package notify

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// The seam between the scheduler and a kind of callback, proved by a second
// kind made here and nowhere else: a bare result notify (payments.md §5.1).
// Everything these tests see of it beyond its fields and its ack rule
// (retries, the history, a drill's verdict, the deltas and a saved state
// that resumes) is the scheduler's own code, shared with the payout notify.

const resultSecret = "pay_secret_key"

// payment is a subject of the result kind: a timeline of pg_result values
// at moments ("" sends nothing: the payment is pending).
type payment struct {
	merchant, order, url string
	at                   []time.Time
	result               []string
	drills               []string
}

// resultKind is the test's result notify. Its subjects change only between
// runs; the lock is for the scheduler's lanes reading them meanwhile.
type resultKind struct {
	gen *fixtures.Gen
	mu  sync.Mutex
	pay map[int64]*payment
	// rejected lists the payments the merchant rejected, as Kind.Rejected
	// was told.
	rejected []int64
}

func (k *resultKind) kind() Kind {
	return Kind{
		Name: "result",
		Words: Words{Callback: "result notify", Subject: "payment", URL: "result_url", Secret: "payment secret",
			Request: "init_payment", Act: "ship the order"},
		Subject: func(id int64, t time.Time) (Subject, bool) {
			k.mu.Lock()
			defer k.mu.Unlock()
			p, ok := k.pay[id]
			if !ok {
				return Subject{}, false
			}
			in := -1
			for i, at := range p.at {
				if !at.After(t) {
					in = i
				}
			}
			return Subject{MerchantID: p.merchant, OrderID: p.order, Steps: len(p.at), InForce: in,
				Final: p.result[len(p.result)-1] != "", Drills: p.drills}, true
		},
		Build: func(id int64, i int, always bool) (Callback, bool) {
			k.mu.Lock()
			p, ok := k.pay[id]
			k.mu.Unlock()
			if !ok || i >= len(p.at) || (p.result[i] == "" && !always) {
				return Callback{}, false
			}
			return k.callback(id, p, p.result[i], p.at[i]), true
		},
		Drill: func(id int64, drill string, t time.Time, url string) (Callback, bool) {
			k.mu.Lock()
			p, ok := k.pay[id]
			k.mu.Unlock()
			if !ok || drill != scenario.DrillForged { // the only one made up here
				return Callback{}, false
			}
			return k.callback(id, p, "1", t), true
		},
		Ack:     k.ack,
		Retries: Every(30*time.Minute, 2*time.Hour),
		Timeout: 10 * time.Second,
		Retried: func(c Callback, n int) sign.Fields {
			// After a failed first attempt the merchant may no longer
			// reject; a fresh salt, signed again.
			fs := c.Fields.Without(sign.FieldSig).With("pg_can_reject", "0").With("pg_salt", k.gen.Salt())
			return append(fs, sign.Field{Name: sign.FieldSig, Value: sign.Sign(c.Script, fs, c.Secret)})
		},
		Rejected: func(id int64, _ time.Time) {
			k.mu.Lock()
			k.rejected = append(k.rejected, id)
			k.mu.Unlock()
		},
		Restored: func(n Notification) (Delivery, error) {
			return Delivery{Script: sign.ScriptName(n.URL), Secret: resultSecret}, nil
		},
	}
}

// callback is payment id's result notify saying result at t.
func (k *resultKind) callback(id int64, p *payment, result string, t time.Time) Callback {
	c := Callback{SubjectID: id, OrderID: p.order, MerchantID: p.merchant, URL: p.url, Status: result, At: t,
		Delivery: Delivery{Script: sign.ScriptName(p.url), Secret: resultSecret}}
	c.Fields = sign.Fields{
		{Name: "pg_order_id", Value: p.order},
		{Name: "pg_payment_id", Value: strconv.FormatInt(id, 10)},
		{Name: "pg_amount", Value: "1500.00"},
		{Name: "pg_result", Value: result},
		{Name: "pg_can_reject", Value: "1"},
		{Name: "pg_salt", Value: k.gen.Salt()},
	}
	c.Fields = append(c.Fields, sign.Field{Name: sign.FieldSig, Value: sign.Sign(c.Script, c.Fields, c.Secret)})
	return c
}

// ack is §5.1's rule: ok is taken, rejected only when the notify let the
// merchant reject, error is the merchant's answer; any other HTTP 200 is
// taken (lenient), not conforming.
func (k *resultKind) ack(c Callback, body []byte) Answer {
	fields, err := wire.DecodeXML(body)
	if err != nil {
		return Answer{Ack: Acknowledged, Reason: "HTTP 200 without a <response>"}
	}
	switch st := fields.Value("pg_status"); {
	case st == "ok":
		return Answer{Ack: Acknowledged, Conforming: true}
	case st == "rejected" && c.Fields.Value("pg_can_reject") == "1":
		return Answer{Ack: Rejected, Conforming: true, Reason: fields.Value("pg_description")}
	case st == "rejected":
		return Answer{Ack: Acknowledged, Conforming: true, Reason: "rejected, but pg_can_reject was 0: the payment stands"}
	case st == "error":
		return Answer{Ack: Errored, Conforming: true, Reason: fields.Value("pg_description")}
	}
	return Answer{Ack: Refused, Reason: "unknown pg_status"}
}

// shop is a merchant's result_url: /down/result fails twice with HTTP 503,
// /reject/result rejects every payment, and every path refuses a notify
// whose signature does not verify; it keeps what it got.
type shop struct {
	mu   sync.Mutex
	got  map[string][]sign.Fields // by path
	down int
}

func (m *shop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	query, _ := wire.ParseQuery(string(body))
	if r.Method == http.MethodGet {
		query, _ = wire.ParseQuery(r.URL.RawQuery)
	}
	m.mu.Lock()
	m.got[r.URL.Path] = append(m.got[r.URL.Path], query)
	down := r.URL.Path == "/down/result" && m.down < 2
	if down {
		m.down++
	}
	m.mu.Unlock()
	if down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	status := "ok"
	switch {
	case !sign.Explain("result", query.Without("PAYMENT_SYSTEM"), resultSecret).OK: // the URL's own
		status = "rejected"
	case r.URL.Path == "/reject/result":
		status = "rejected"
	}
	answer := sign.Fields{{Name: "pg_status", Value: status}, {Name: "pg_description", Value: "as the shop sees it"}, {Name: "pg_salt", Value: "s"}}
	answer = append(answer, sign.Field{Name: sign.FieldSig, Value: sign.Sign("result", answer, resultSecret)})
	w.Write(wire.Encode(answer))
}

// seam is a scheduler with the result kind, on a manual clock.
type seam struct {
	s     *Scheduler
	clk   *clock.Manual
	kind  *resultKind
	shop  *shop
	url   string
	drill scenario.Drills
}

var t0 = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

func newSeam(t *testing.T) *seam {
	t.Helper()
	sh := &shop{got: map[string][]sign.Fields{}}
	srv := httptest.NewServer(sh)
	t.Cleanup(srv.Close)
	x := &seam{clk: clock.NewManual(t0), kind: &resultKind{gen: fixtures.NewGen(7), pay: map[int64]*payment{}}, shop: sh, url: srv.URL,
		drill: scenario.Drills{HostileAfter: scenario.Duration{Duration: time.Minute}}}
	x.s = x.scheduler(t)
	return x
}

func (x *seam) scheduler(t *testing.T) *Scheduler {
	s := New(Config{Clock: x.clk, Gen: fixtures.NewGen(1), Logger: slog.New(slog.DiscardHandler), Drills: x.drill,
		Kinds: []Kind{x.kind.kind()}})
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// pay adds payment id, paid (pg_result 1) at t0+after, and schedules it.
func (x *seam) pay(t *testing.T, id int64, path string, after time.Duration, drills ...string) {
	t.Helper()
	x.kind.mu.Lock()
	x.kind.pay[id] = &payment{merchant: "9970", order: "ORD-" + strconv.FormatInt(id, 10), url: x.url + path,
		at: []time.Time{t0, t0.Add(after)}, result: []string{"", "1"}, drills: drills}
	x.kind.mu.Unlock()
	if err := x.s.ScheduleKind("result", id, []time.Time{t0, t0.Add(after)}); err != nil {
		t.Fatal(err)
	}
}

// until moves the clock from due moment to due moment up to end, running
// what is due at each.
func (x *seam) until(end time.Time) []Attempt {
	var out []Attempt
	for {
		due, ok := x.s.NextDue()
		if !ok || due.After(end) {
			break
		}
		if due.After(x.clk.Now()) {
			x.clk.Set(due)
		}
		out = append(out, x.s.RunAt(x.clk.Now())...)
	}
	x.clk.Set(end)
	return out
}

func (x *seam) only(t *testing.T, id int64) Notification {
	t.Helper()
	ns, _ := x.s.History("9970")
	var mine []Notification
	for _, n := range ns {
		if n.PaymentID == id && n.Drill == "" {
			mine = append(mine, n)
		}
	}
	if len(mine) != 1 {
		t.Fatalf("payment %d has %d genuine notifications, want 1: %+v", id, len(mine), mine)
	}
	return mine[0]
}

// TestKindRetries: a result notify whose first two attempts fail is retried
// on its kind's ladder (every 30 minutes), its retries saying
// pg_can_reject=0 under a fresh salt, and is kept in its merchant's
// history, its JSON naming its kind.
func TestKindRetries(t *testing.T) {
	x := newSeam(t)
	x.pay(t, 1700000001, "/down/result", time.Minute)
	x.until(t0.Add(3 * time.Hour))

	n := x.only(t, 1700000001)
	if n.Kind != "result" || n.State != StateDelivered || n.Status != "1" {
		t.Fatalf("kind %q, state %q, status %q; want result, delivered, 1", n.Kind, n.State, n.Status)
	}
	var at []time.Duration
	for _, a := range n.Attempts {
		at = append(at, a.At.Sub(t0))
	}
	if want := []time.Duration{time.Minute, 31 * time.Minute, 61 * time.Minute}; !slices.Equal(at, want) {
		t.Fatalf("attempts at %v, want %v", at, want)
	}
	got := x.shop.got["/down/result"]
	if len(got) != 3 {
		t.Fatalf("the shop got %d notifies, want 3", len(got))
	}
	salts := map[string]bool{}
	for i, fs := range got {
		want := "1"
		if i > 0 {
			want = "0"
		}
		if v := fs.Value("pg_can_reject"); v != want {
			t.Errorf("attempt %d: pg_can_reject %q, want %q", i+1, v, want)
		}
		if !sign.Explain("result", fs, resultSecret).OK {
			t.Errorf("attempt %d does not verify: %s", i+1, sign.Explain("result", fs, resultSecret))
		}
		salts[fs.Value("pg_salt")] = true
	}
	if len(salts) != 3 {
		t.Errorf("%d salts in 3 attempts, want each fresh", len(salts))
	}
	if n.Fields.Value("pg_salt") != got[2].Value("pg_salt") {
		t.Errorf("the notification keeps salt %q, want the last attempt's %q", n.Fields.Value("pg_salt"), got[2].Value("pg_salt"))
	}
	data, _ := json.Marshal(n)
	if !strings.Contains(string(data), `"kind":"result"`) {
		t.Errorf("JSON %s does not name its kind", data)
	}
}

// TestKindGivesUp: the ladder Every(30m, 2h) is four retries, then failed.
func TestKindGivesUp(t *testing.T) {
	x := newSeam(t)
	x.shop.down = -10 // down for the whole ladder
	x.pay(t, 1700000002, "/down/result", 0)
	x.until(t0.Add(5 * time.Hour))
	n := x.only(t, 1700000002)
	if n.State != StateFailed || len(n.Attempts) != 5 {
		t.Fatalf("state %q after %d attempts, want failed after 5", n.State, len(n.Attempts))
	}
}

// TestKindOutcomes: the kind's rule decides an answer: a rejection the
// notify allowed is kept as the attempt's outcome, delivered, and tells the
// kind; no retry follows.
func TestKindOutcomes(t *testing.T) {
	x := newSeam(t)
	x.pay(t, 1700000003, "/reject/result", 0)
	x.until(t0.Add(3 * time.Hour))
	n := x.only(t, 1700000003)
	if len(n.Attempts) != 1 {
		t.Fatalf("%d attempts, want 1", len(n.Attempts))
	}
	if a := n.Attempts[0]; !a.Delivered || a.Outcome != Rejected || a.Reason != "as the shop sees it" {
		t.Fatalf("attempt delivered %v, outcome %q, reason %q; want true, rejected, the shop's description", a.Delivered, a.Outcome, a.Reason)
	}
	if !slices.Equal(x.kind.rejected, []int64{1700000003}) {
		t.Fatalf("the kind was told of rejections %v, want [1700000003]", x.kind.rejected)
	}
	data, _ := json.Marshal(n.Attempts[0])
	if !strings.Contains(string(data), `"outcome":"rejected"`) {
		t.Errorf("attempt JSON %s lacks its outcome", data)
	}
}

// TestKindDrills: the drills need no code of the kind's beyond making up
// a forged notify: a duplicate and a forged result notify go out, and the
// verdicts speak in the kind's words. A rejected forgery tells the kind
// nothing: it is no genuine notify.
func TestKindDrills(t *testing.T) {
	x := newSeam(t)
	x.pay(t, 1700000004, "/hooks/result", 10*time.Minute, scenario.DrillDuplicate, scenario.DrillForged)
	x.until(t0.Add(time.Hour))

	ns, _ := x.s.History("9970")
	verdicts := map[string]*Verdict{}
	for _, n := range ns {
		if n.Drill != "" {
			verdicts[n.Drill] = n.Verdict
		}
	}
	if v := verdicts[scenario.DrillDuplicate]; v == nil || !v.OK || !strings.HasPrefix(v.Message, "merchant acknowledged the duplicate as it did the first") {
		t.Errorf("duplicate verdict %+v, want passed", v)
	}
	if v := verdicts[scenario.DrillForged]; v == nil || !v.OK || !strings.HasPrefix(v.Message, "merchant refused the forged result notify: ") {
		t.Errorf("forged verdict %+v, want passed, in the result notify's words", v)
	}
	if len(x.kind.rejected) != 0 {
		t.Errorf("the kind was told of rejections %v by drills' notifies, want none", x.kind.rejected)
	}
	// A forged notify a shop takes fails it, in the kind's words.
	fake := &Notification{Drill: scenario.DrillForged, kind: 1}
	x.s.judge(fake, Attempt{N: 1, HTTPStatus: 200, Answer: "ok", Delivered: true})
	if v := fake.Verdict; v == nil || v.OK || !strings.HasPrefix(v.Message, "merchant accepted a forged result notify") ||
		!strings.Contains(v.Message, "check pg_sig with your payment secret") {
		t.Errorf("verdict on a forged notify taken: %+v, want failed, in the result notify's words", v)
	}
}

// TestKindDeltasAndResume: the deltas name the kind of each step and
// notification, and a saved state resumes on a new scheduler: the retry
// pending goes out there, on the ladder, and a step still to come is
// reached.
func TestKindDeltasAndResume(t *testing.T) {
	x := newSeam(t)
	x.s.TrackDeltas()
	x.pay(t, 1700000005, "/down/result", 0)
	x.pay(t, 1700000006, "/hooks/result", 2*time.Hour)
	d := x.s.TakeDelta()
	if len(d.StepsAdded) != 4 {
		t.Fatalf("%d steps added, want 4", len(d.StepsAdded))
	}
	for _, st := range d.StepsAdded {
		if st.Kind != "result" {
			t.Fatalf("step %+v added without its kind", st)
		}
	}

	x.until(t0.Add(10 * time.Minute)) // the first attempt fails; a retry is due at 30m
	d = x.s.TakeDelta()
	if len(d.Notifications) != 1 || d.Notifications[0].Kind != "result" || d.Notifications[0].NextAttemptAt == nil {
		t.Fatalf("delta notifications %+v, want the result notify, pending", d.Notifications)
	}
	saved := x.s.SaveState()
	data, err := json.Marshal(saved)
	if err != nil {
		t.Fatal(err)
	}
	var back State
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if errs := Check(back, nil); len(errs) != 0 {
		t.Fatalf("Check(saved) = %v", errs)
	}

	x.s.Close(context.Background())
	x.s = x.scheduler(t)
	if err := x.s.Restore(back, func(string) (string, bool) { return "", true }); err != nil {
		t.Fatal(err)
	}
	x.s.Start()
	x.until(t0.Add(3 * time.Hour))
	n := x.only(t, 1700000005)
	if n.State != StateDelivered || len(n.Attempts) != 3 || !n.Attempts[1].At.Equal(t0.Add(30*time.Minute)) {
		t.Fatalf("resumed: state %q after %d attempts %+v; want delivered by the third, the second at 30m", n.State, len(n.Attempts), n.Attempts)
	}
	if got := x.shop.got["/down/result"]; got[1].Value("pg_can_reject") != "0" {
		t.Errorf("the resumed retry says pg_can_reject %q, want 0", got[1].Value("pg_can_reject"))
	}
	if m := x.only(t, 1700000006); m.State != StateDelivered || !m.CreatedAt.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("the step after the resume: %q at %s, want delivered at 2h", m.State, m.CreatedAt)
	}
	// A state naming a kind the scheduler does not send is refused.
	back.Notifications[0].Kind = "check"
	if err := x.scheduler(t).Restore(back, func(string) (string, bool) { return "", true }); err == nil || !strings.Contains(err.Error(), `callback kind "check"`) {
		t.Errorf("restoring an unknown kind: %v, want it refused", err)
	}
}

// TestKindCall: a callback waited for (a check request) goes out at once,
// by GET when its kind says so, once, and is kept in the history.
func TestKindCall(t *testing.T) {
	x := newSeam(t)
	p := &payment{merchant: "9970", order: "ORD-9", url: x.url + "/check/result?PAYMENT_SYSTEM=5"}
	c := x.kind.callback(1700000009, p, "1", t0)
	c.Encoding = EncodingQuery
	n, err := x.s.Call(context.Background(), "result", c)
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Attempts) != 1 || !n.Attempts[0].Delivered || !n.Attempts[0].Conforming {
		t.Fatalf("attempts %+v, want one, acknowledged", n.Attempts)
	}
	got := x.shop.got["/check/result"]
	if len(got) != 1 || got[0].Value("PAYMENT_SYSTEM") != "5" || got[0].Value("pg_order_id") != "ORD-9" {
		t.Fatalf("the shop got %v, want the URL's query and the fields", got)
	}
	if _, err := x.s.Call(context.Background(), "nope", c); err == nil {
		t.Error("Call of an unknown kind: no error")
	}
}

// TestPayoutJSONUnchanged: a payout notify and its attempts read as before
// kinds: no "kind", no "outcome".
func TestPayoutJSONUnchanged(t *testing.T) {
	data, _ := json.Marshal(Notification{Attempts: []Attempt{{N: 1}}})
	if s := string(data); strings.Contains(s, `"kind"`) || strings.Contains(s, `"outcome"`) {
		t.Fatalf("payout notification JSON %s names a kind or an outcome", s)
	}
	data, _ = json.Marshal(SavedStep{})
	if strings.Contains(string(data), `"kind"`) {
		t.Fatalf("payout step JSON %s names a kind", data)
	}
}
