package mock

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/control"
	"github.com/freedompay-mock/freedompay-mock/mock/expect"
	"github.com/freedompay-mock/freedompay-mock/mock/gateway"
	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/redact"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// world is a scenario being served with all the state of its run: made
// afresh by a reset or a new scenario, so a run after a reset is the same
// as a run after start-up.
type world struct {
	sc      *scenario.Scenario
	edits   []scenarioEdit // how sc came to be, for a saved state
	seed    int64
	gen     *fixtures.Gen
	ledger  *ledger.Ledger
	notify  *notify.Scheduler
	journal *journal.Journal
	gateway *gateway.Gateway
	redact  *redact.Redactor // the scenario's secrets, masked in whatever the sandbox shows: logs, control API, dashboard
	// fresh is set until the world is first saved whole: the log of
	// changes (--state) cannot tell how it came to be.
	fresh *atomic.Bool
}

// newWorld builds the state of sc with timelines counted from origin.
func (s *Server) newWorld(sc *scenario.Scenario, origin time.Time) *world {
	seed := s.opts.Seed
	if seed == 0 {
		seed = sc.Seed
	}
	if seed == 0 {
		seed = fixtures.DefaultSeed
	}
	gen := fixtures.NewGen(seed)
	w := s.assemble(sc, seed, gen, ledger.New(sc, gen, origin))
	w.edits = []scenarioEdit{{File: sc.File, Source: string(sc.Source)}}
	for _, p := range w.ledger.Payouts() {
		w.notify.Schedule(p)
	}
	return w
}

// assemble builds a world around a ledger: its journal, notify schedule
// (empty) and gateway (the state its routes answer from; the routes
// themselves are the server's, made once).
func (s *Server) assemble(sc *scenario.Scenario, seed int64, gen *fixtures.Gen, l *ledger.Ledger) *world {
	w := &world{sc: sc, seed: seed, gen: gen, ledger: l, redact: newRedactor(sc), fresh: new(atomic.Bool)}
	w.fresh.Store(true)
	w.journal = journal.New(s.opts.JournalSize, func(id string) bool {
		_, ok := w.ledger.Merchant(id)
		return ok
	}, s.recorded)
	var gate sync.Locker
	var durable func(undo func()) func() error
	if s.saver != nil {
		gate = s.gate.RLocker()
		durable = func(undo func()) func() error {
			w := s.saver.register(undo)
			return func() error { return s.saver.wait(w) }
		}
		l.TrackDeltas()
		w.journal.TrackDeltas()
	}
	w.notify = notify.New(notify.Config{
		Clock: s.clock, Ledger: w.ledger, Gen: gen, Settings: sc.Notify,
		Location: sc.Gateway.Location(), Logger: s.log, HistorySize: s.opts.JournalSize,
		Allow: s.allow, LoopbackHost: s.loop, InContainer: s.opts.inContainer, OnChange: s.notified, Gate: gate, Drills: sc.Drills, Workers: s.opts.NotifyWorkers,
	})
	if s.saver != nil {
		w.notify.TrackDeltas()
	}
	w.gateway = gateway.New(gateway.Config{
		Ledger: w.ledger, Clock: s.clock, Gen: gen, Settings: sc.Gateway,
		Logger: s.log, MaxBody: s.opts.MaxBodyBytes, Schedule: w.notify.Schedule, Journal: w.journal,
		Gate: gate, Durable: durable, Held: w.notify, Drills: sc.Drills, Seed: seed, Early: w.notify.Early,
	})
	return w
}

// changed tells those waiting for a change, and the saver, that one came.
func (s *Server) changed() {
	s.changes.fire()
	s.awaits.Changed()
	if s.saver != nil {
		s.saver.touch(false)
	}
}

// recorded is changed for the journal: a request recorded wakes only the
// awaits it concerns; e is nil when a merchant's entries were forgotten.
func (s *Server) recorded(e *journal.Entry) {
	if e == nil {
		s.changed()
		return
	}
	s.changes.fire()
	s.awaits.Request(e)
	if s.saver != nil {
		s.saver.touch(false)
	}
}

// notified is changed for the notify schedule: a step reached or an
// attempt made is saved at once, not after --state-interval, so a crash
// right after a delivery is unlikely to send it again after the restart.
func (s *Server) notified() {
	s.changes.fire()
	s.awaits.Changed()
	if s.saver != nil {
		s.saver.touch(true)
	}
}

// hold takes the read side of the gate, when the state is saved, over a
// change that must be saved whole; it returns the release.
func (s *Server) hold() func() {
	if s.saver == nil {
		return func() {}
	}
	s.gate.RLock()
	return s.gate.RUnlock
}

// signal wakes everyone waiting for the next change.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

// wait returns a channel closed at the next fire.
func (g *signal) wait() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ch == nil {
		g.ch = make(chan struct{})
	}
	return g.ch
}

func (g *signal) fire() {
	g.mu.Lock()
	if g.ch != nil {
		close(g.ch)
		g.ch = nil
	}
	g.mu.Unlock()
}

// Changed returns a channel closed at the next change of state: a request
// journalled, a payout step reached, a notify attempted, a reset.
func (s *Server) Changed() <-chan struct{} { return s.changes.wait() }

// swapCut bounds how long notifies in flight of a replaced world may take.
const swapCut = 2 * time.Second

// swap serves w from now on and stops the world it replaces.
func (s *Server) swap(w *world) {
	if s.state.Load() == stateServing {
		w.notify.Start()
	}
	old := s.world.Swap(w)
	ctx, cancel := context.WithTimeout(context.Background(), swapCut)
	defer cancel()
	old.notify.Close(ctx)
	s.changed()
}

// rewind puts the clock back where a run of sc starts and returns that
// moment: the scenario's [clock] start, else the reading at start-up. A
// clock that moves by itself at normal speed cannot go back: the run starts
// now.
func (s *Server) rewind(sc *scenario.Scenario) time.Time {
	start := s.origin
	if !sc.Clock.Start.IsZero() {
		start = sc.Clock.Start
	}
	switch c := s.clock.(type) {
	case *clock.Manual:
		c.Reset(start)
	case *clock.Scaled:
		c.Reset(start)
	}
	return s.clock.Now()
}

// Reset puts the sandbox back to the start of the scenario in force: with
// merchantID "", everything, the clock included; else that merchant's
// payouts, balance, saved cards, notifies and journal, its scenario
// payouts' timelines counted from now (the clock is shared and stays).
func (s *Server) Reset(merchantID string) error {
	if err := s.reset(merchantID); err != nil {
		return err
	}
	return s.saved()
}

func (s *Server) reset(merchantID string) error {
	s.mutate.Lock()
	defer s.mutate.Unlock()
	cur := s.world.Load()
	if merchantID == "" {
		s.swap(s.newWorld(cur.sc, s.rewind(cur.sc)))
		return nil
	}
	if _, ok := cur.ledger.Merchant(merchantID); !ok {
		return fmt.Errorf("%w %s in the scenario", ledger.ErrUnknownMerchant, merchantID)
	}
	return s.resetMerchant(cur, cur.sc, merchantID, cur.edits)
}

// saved returns once the changes made so far are saved, when the state
// is (--state), or with a [control.NotSavedError] saying why they cannot
// be: the reply of a control route confirms only what a restart keeps.
func (s *Server) saved() error {
	if s.saver == nil {
		return nil
	}
	if err := s.saver.flush(); err != nil {
		return &control.NotSavedError{Err: err}
	}
	return nil
}

// resetMerchant rebuilds one merchant's state from sc, which becomes the
// scenario in force.
func (s *Server) resetMerchant(cur *world, sc *scenario.Scenario, id string, edits []scenarioEdit) error {
	defer s.hold()()
	if err := cur.ledger.ResetMerchant(sc, id, s.clock.Now()); err != nil {
		return err
	}
	cur.notify.Forget(id)
	cur.journal.Forget(id)
	for _, p := range cur.ledger.Payouts() {
		if p.MerchantID == id {
			cur.notify.Schedule(p)
		}
	}
	next := *cur
	next.sc, next.edits, next.fresh = sc, edits, new(atomic.Bool)
	next.fresh.Store(true)
	s.world.Store(&next)
	s.changed()
	return nil
}

// ReplaceScenario parses and validates a scenario and serves it: with
// merchantID "", in place of the whole scenario, from its start (the clock
// goes back as on reset; its mode and speed stay as started); else only
// that merchant's entries of it, as [scenario.Scenario.WithMerchant] takes
// them, replace that merchant's.
func (s *Server) ReplaceScenario(data []byte, merchantID string) (control.ScenarioChange, error) {
	change, err := s.replaceScenario(data, merchantID)
	if err == nil {
		err = s.saved()
	}
	return change, err
}

func (s *Server) replaceScenario(data []byte, merchantID string) (control.ScenarioChange, error) {
	file := "PUT " + control.Prefix + "/scenario"
	sc, err := scenario.ParseUpload(file, data)
	if err != nil {
		return control.ScenarioChange{}, &control.InvalidError{Err: err}
	}
	s.mutate.Lock()
	defer s.mutate.Unlock()
	cur := s.world.Load()
	if merchantID == "" {
		s.swap(s.newWorld(sc, s.rewind(sc)))
		return control.ScenarioChange{Scenario: sc.Name, Summary: sc.Summary()}, nil
	}
	merged, ignored, err := cur.sc.WithMerchant(sc, scenario.Text(merchantID))
	if err != nil {
		return control.ScenarioChange{}, &control.InvalidError{Err: err}
	}
	merged.File = file
	edits := append(slices.Clip(cur.edits), scenarioEdit{MerchantID: merchantID, File: file, Source: string(data)})
	if err := s.resetMerchant(cur, merged, merchantID, edits); err != nil {
		return control.ScenarioChange{}, &control.InvalidError{Err: err}
	}
	return control.ScenarioChange{Scenario: merged.Name, Summary: merged.Summary(), MerchantID: merchantID, Ignored: ignored}, nil
}

// Payouts returns a merchant's payouts, every merchant's for "".
func (s *Server) Payouts(merchantID string) []ledger.Payout {
	all := s.world.Load().ledger.Payouts()
	if merchantID == "" {
		return all
	}
	out := all[:0]
	for _, p := range all {
		if p.MerchantID == merchantID {
			out = append(out, p)
		}
	}
	return out
}

// FindPayouts returns a merchant's payouts (every merchant's for "") with
// the order id or the payment id, where either is set, by index.
func (s *Server) FindPayouts(merchantID, orderID string, paymentID int64) []ledger.Payout {
	w := s.world.Load()
	var out []ledger.Payout
	if paymentID != 0 {
		if p, ok := w.ledger.Payout(paymentID); ok && (merchantID == "" || p.MerchantID == merchantID) {
			out = append(out, p)
		}
	}
	if orderID == "" {
		return out
	}
	ids := []string{merchantID}
	if merchantID == "" {
		ids = w.ledger.MerchantIDs()
	}
	for _, id := range ids {
		if p, ok := w.ledger.PayoutByOrder(id, orderID); ok && p.PaymentID != paymentID {
			out = append(out, p)
		}
	}
	return out
}

// Payout returns the payout with a payment id.
func (s *Server) Payout(paymentID int64) (ledger.Payout, bool) {
	return s.world.Load().ledger.Payout(paymentID)
}

// History returns a merchant's notifications kept (every merchant's for
// ""), oldest first, and how many older ones were let go.
func (s *Server) History(merchantID string) ([]notify.Notification, int64) {
	return s.world.Load().notify.History(merchantID)
}

// Requests queries the journal of gateway requests.
func (s *Server) Requests(f journal.Filter) journal.Page {
	return s.world.Load().journal.Query(f)
}

// Force ends a payout's timeline now with a status, and sends its notify
// at once, returning after the first attempt (or when ctx ends).
func (s *Server) Force(ctx context.Context, paymentID int64, status string, errorCode int) (control.Forced, error) {
	s.mutate.Lock()
	defer s.mutate.Unlock()
	w := s.world.Load()
	release := s.hold()
	f, err := w.ledger.Force(paymentID, status, errorCode, s.clock.Now())
	if err != nil {
		release()
		return control.Forced{}, err
	}
	out := control.Forced{Payout: f.Payout, Was: f.Was}
	if n, ok := w.notify.Fire(ctx, f.Payout, f.Step, release); ok {
		out.Notification = &n
	}
	s.changed()
	return out, s.saved()
}

// Resend sends the notify of a payout's current status again now,
// returning after the first attempt (or when ctx ends). It does not take
// the lock Advance and Drain hold: the scheduler queues its attempt on the
// payout's lane like any other, and each caller waits for its own.
func (s *Server) Resend(ctx context.Context, paymentID int64) (notify.Notification, error) {
	w := s.world.Load()
	if _, ok := w.ledger.Payout(paymentID); !ok {
		return notify.Notification{}, ledger.ErrUnknownPayout
	}
	n, ok := w.notify.Resend(ctx, paymentID)
	if !ok {
		return notify.Notification{}, control.ErrNotStarted
	}
	return n, nil
}

// Verify checks the scenario's expectations; with merchantID set, only
// those of that merchant.
func (s *Server) Verify(merchantID string) expect.Report {
	sc := s.Scenario()
	r := expect.Verify(sc.Name, sc.Expect, merchantID, s)
	for _, res := range expect.Unrun(sc.Rules, merchantID, s) {
		r.Add(res)
	}
	return r
}

// MerchantIDs are the merchants of the scenario in force.
func (s *Server) MerchantIDs() []string {
	var ids []string
	for _, m := range s.Scenario().Merchants {
		ids = append(ids, string(m.ID))
	}
	return ids
}

// KnownMerchant reports whether the scenario in force has merchant id.
func (s *Server) KnownMerchant(id string) bool {
	_, ok := s.world.Load().ledger.Merchant(id)
	return ok
}
