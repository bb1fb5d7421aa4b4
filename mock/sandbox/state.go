package sandbox

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/persist"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// The state (--state): package persist writes and reads it; this file
// builds the world served from what it reads, and gives it what to save.

// DefaultStateInterval is the least time between two saves that no
// request waits on.
const DefaultStateInterval = persist.DefaultInterval

// StateError is a state file that cannot be resumed from: the sandbox
// stops rather than start empty. See [persist.StateError].
type StateError = persist.StateError

// scenarioEdit is how the scenario in force came to be, as the state holds
// it.
type scenarioEdit = persist.ScenarioEdit

// openState prepares saving to opts.StateDir and returns the world saved
// there, or nil when there is none yet. start is the scenario the sandbox
// was started with.
func (s *Sandbox) openState(start *scenario.Scenario) (*world, error) {
	dir := s.opts.StateDir
	if start.Source == nil {
		return nil, errors.New("--state: the scenario has no TOML text to save; load it with scenario.Parse or ScenarioPath")
	}
	s.start = persist.Started(start, s.opts.Seed, s.ClockMode())
	saver, err := persist.NewSaver(persist.Config{Dir: dir, Interval: s.opts.StateInterval, Gate: &s.gate,
		Snapshot: s.snapshot, Delta: s.delta, Log: s.log})
	if err != nil {
		return nil, fmt.Errorf("--state: %w", err)
	}
	s.saver = saver
	st, sc, err := persist.Load(dir, persist.LoadOptions{Start: s.start, JournalSize: s.opts.JournalSize, Log: s.log})
	if err != nil {
		return nil, err
	}
	if st == nil {
		s.log.Info("state: none saved yet; starting the scenario afresh", "dir", dir)
		return nil, nil
	}
	s.resumeClock(st.Clock)
	w, err := s.restoreWorld(st, sc)
	if err != nil { // what the checks let through
		return nil, &StateError{Path: filepath.Join(dir, persist.StateFile), Why: "it cannot be resumed: " + err.Error()}
	}
	ns, _ := w.notify.History("")
	pending := 0
	for _, n := range ns {
		if n.State == notify.StatePending {
			pending++
		}
	}
	s.log.Info("state: resumed", "dir", dir, "saved_at", st.SavedAt.Format(time.RFC3339), "payouts", len(st.Payouts),
		"notifications", len(ns), "pending", pending, "now", s.clock.Now().Format(time.RFC3339))
	return w, nil
}

// resumeClock puts the clock where the saved one stood: a manual clock at
// its reading; a sped-up clock (or one started at a set date) as if it had
// run on while the sandbox was down. The real clock reads the wall clock.
func (s *Sandbox) resumeClock(c persist.Clock) {
	s.origin = c.Origin
	switch ck := s.clock.(type) {
	case *clock.Manual:
		ck.Reset(c.Now)
	case *clock.Scaled:
		down := time.Since(c.Wall)
		ck.Reset(c.Now.Add(time.Duration(float64(down) * ck.Speed())))
	}
}

// restoreWorld rebuilds a saved world on its scenario sc: the ledger from
// the payouts, the schedule, the journal and the generator.
func (s *Sandbox) restoreWorld(st *persist.State, sc *scenario.Scenario) (*world, error) {
	gen := fixtures.NewGenAt(st.Seed, st.Draws, st.Salts)
	l, err := ledger.Restore(sc, gen, st.Payouts)
	if err != nil {
		return nil, err
	}
	if err := l.RestorePayments(st.Payments); err != nil {
		return nil, err
	}
	if err := l.RestoreStoredCards(st.Cards); err != nil {
		return nil, err
	}
	w := s.assemble(sc, st.Seed, gen, l)
	w.edits = st.Scenario
	w.journal.Restore(st.Journal)
	secret := func(id string) (string, bool) {
		m, ok := l.Merchant(id)
		return m.PayoutSecretKey, ok
	}
	if err := w.notify.Restore(st.Notify, secret); err != nil {
		return nil, err
	}
	return w, nil
}

// savedClock is the clock as a save holds it.
func (s *Sandbox) savedClock() persist.Clock {
	return persist.Clock{Mode: s.ClockMode(), Now: s.clock.Now(), Wall: time.Now(), Origin: s.origin}
}

// delta takes the changes made since the last save, for one record of the
// log; whole reports that they cannot be told that way (the world served
// was made afresh, a merchant reset, more changed than a delta keeps).
func (s *Sandbox) delta() (rec persist.Record, want uint64, whole bool) {
	s.gate.Lock()
	defer s.gate.Unlock()
	want = s.saver.Changed()
	w := s.world.Load()
	if w.fresh.Load() {
		return rec, want, true
	}
	ld, nd, jd := w.ledger.TakeDelta(), w.notify.TakeDelta(), w.journal.TakeDelta()
	rec = persist.Record{SavedAt: time.Now(), Draws: w.gen.Draws(), Salts: w.gen.Salts(), Clock: s.savedClock(),
		Payouts: ld.Payouts, Discarded: ld.Discarded, Payments: ld.Payments, Cards: ld.Cards, Notify: nd, Journal: jd}
	return rec, want, ld.Whole || nd.Whole || jd.Whole
}

// snapshot copies the state of the world served, and starts the changes
// the log records afresh. Changes that must be saved whole wait while it
// copies.
func (s *Sandbox) snapshot() (*persist.State, uint64) {
	s.gate.Lock()
	defer s.gate.Unlock()
	var want uint64
	if s.saver != nil {
		want = s.saver.Changed()
	}
	w := s.world.Load()
	w.fresh.Store(false)
	payouts, payments, stored := w.ledger.Save()
	return &persist.State{
		SavedAt: time.Now(), Start: s.start, Scenario: w.edits, Seed: w.seed, Draws: w.gen.Draws(), Salts: w.gen.Salts(), Clock: s.savedClock(),
		Payouts: payouts, Payments: payments, Cards: stored, Notify: w.notify.SaveState(), Journal: w.journal.SaveState(),
	}, want
}
