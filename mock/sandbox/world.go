package sandbox

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
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
	// payments makes the payment callbacks (result notify, check request).
	payments *notify.PaymentCallbacks
	// legacy makes the legacy refund and capture callbacks ([payments]
	// legacy_notifies).
	legacy *notify.LegacyCallbacks
	// paying holds the page keys of payments whose card is being
	// processed (check request, charge, result notify): one at a time.
	paying *sync.Map
	redact *redact.Redactor // the scenario's secrets, masked in whatever the sandbox shows: logs, control API, dashboard
	// fresh is set until the world is first saved whole: the log of
	// changes (--state) cannot tell how it came to be.
	fresh *atomic.Bool
}

// newWorld builds the state of sc with timelines counted from origin.
func (s *Sandbox) newWorld(sc *scenario.Scenario, origin time.Time) *world {
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
	for _, p := range w.ledger.Payments() {
		schedulePayment(w, p)
	}
	return w
}

// assemble builds a world around a ledger: its journal, notify schedule
// (empty) and gateway (the state its routes answer from; the routes
// themselves are the server's, made once).
func (s *Sandbox) assemble(sc *scenario.Scenario, seed int64, gen *fixtures.Gen, l *ledger.Ledger) *world {
	l.LimitPayments(s.opts.MaxPayments)
	l.LimitCards(s.opts.MaxCards)
	w := &world{sc: sc, seed: seed, gen: gen, ledger: l, redact: newRedactor(sc), fresh: new(atomic.Bool), paying: new(sync.Map)}
	w.fresh.Store(true)
	w.journal = journal.New(s.opts.JournalSize, func(id string) bool {
		_, ok := w.ledger.Merchant(id)
		return ok
	}, s.recorded)
	var gate sync.Locker
	if s.saver != nil {
		gate = s.gate.RLocker()
		l.TrackDeltas()
		w.journal.TrackDeltas()
	}
	w.payments = notify.NewPaymentCallbacks(w.ledger, gen, sc.PaymentSettings, sc.Gateway.Location())
	w.legacy = notify.NewLegacyCallbacks(w.payments)
	kinds := append(w.payments.Kinds(), notify.NewCardCallbacks(w.ledger, gen, sc.PaymentSettings).Kind())
	w.notify = notify.New(notify.Config{
		Clock: s.clock, Ledger: w.ledger, Gen: gen, Settings: sc.Notify,
		Location: sc.Gateway.Location(), Logger: s.log, HistorySize: s.opts.JournalSize,
		Allow: s.opts.Allow, LoopbackHost: s.opts.LoopbackHost, InContainer: s.opts.InContainer, OnChange: s.notified, Gate: gate, Drills: sc.Drills, Workers: s.opts.NotifyWorkers,
		Kinds: append(kinds, w.legacy.Kinds()...),
	})
	if s.saver != nil {
		w.notify.TrackDeltas()
	}
	w.gateway = gateway.New(gateway.Config{
		Ledger: w.ledger, Clock: s.clock, Gen: gen, Settings: sc.Gateway,
		Logger: s.log, MaxBody: s.opts.MaxBodyBytes, Commit: s.gatewayCommit(w), Journal: w.journal,
		Drills: sc.Drills, Seed: seed, Early: w.notify.Early,
		Payments: payments{s: s, w: w}, Cards: cards{s: s, w: w}, PaymentSettings: sc.PaymentSettings, PublicURL: s.opts.PublicURL,
	})
	return w
}

// changed tells those waiting for a change, and the saver, that one came.
func (s *Sandbox) changed() {
	s.changes.fire()
	s.awaits.Changed()
	if s.saver != nil {
		s.saver.Touch(false)
	}
}

// recorded is changed for the journal: a request recorded wakes only the
// awaits it concerns; e is numbered 0 when a merchant's entries were
// forgotten.
func (s *Sandbox) recorded(e journal.Entry) {
	if e.Seq == 0 {
		s.changed()
		return
	}
	s.changes.fire()
	s.awaits.Request(&e)
	if s.saver != nil {
		s.saver.Touch(false)
	}
}

// notified is changed for the notify schedule: a step reached or an
// attempt made is saved at once, not after --state-interval, so a crash
// right after a delivery is unlikely to send it again after the restart.
func (s *Sandbox) notified() {
	s.changes.fire()
	s.awaits.Changed()
	if s.saver != nil {
		s.saver.Touch(true)
	}
}

// hold takes the read side of the gate, when the state is saved, over a
// change that must be saved whole; it returns the release.
func (s *Sandbox) hold() func() {
	if s.saver == nil {
		return func() {}
	}
	s.gate.RLock()
	return s.gate.RUnlock
}

// signal wakes everyone waiting for the next change. Firing it with no one
// waiting, as every request does, takes no lock.
type signal struct {
	ch atomic.Pointer[chan struct{}]
}

// wait returns a channel closed at the next fire.
func (g *signal) wait() <-chan struct{} {
	for {
		if ch := g.ch.Load(); ch != nil {
			return *ch
		}
		ch := make(chan struct{})
		if g.ch.CompareAndSwap(nil, &ch) {
			return ch
		}
	}
}

func (g *signal) fire() {
	if g.ch.Load() == nil {
		return
	}
	if ch := g.ch.Swap(nil); ch != nil {
		close(*ch)
	}
}

// Changed returns a channel closed at the next change of state: a request
// journalled, a payout step reached, a notify attempted, a reset.
func (s *Sandbox) Changed() <-chan struct{} { return s.changes.wait() }

// swapCut bounds how long notifies in flight of a replaced world may take.
const swapCut = 2 * time.Second

// swap serves w from now on and stops the world it replaces.
func (s *Sandbox) swap(w *world) {
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
func (s *Sandbox) rewind(sc *scenario.Scenario) time.Time {
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
