package sandbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
)

// A change of state is made one way, whoever makes it (a gateway request
// creating or starting a payout, a forced status, a merchant's reset or
// scenario swap): under the read side of the save gate, the ledger changes and the
// notify schedule gets the payouts the change made or moved, so a saved
// state never holds one without the other; then the reply waits until the
// state file (--state) holds the change. A change that can be taken back
// (a payout made) is, when it cannot be saved, before any later save
// writes it: its steps were held on the schedule, so no notify of it went
// out. One that cannot (a merchant's reset) stays served, and the error
// says a restart would lose it.
//
// A whole reset or a whole new scenario is not a change of the world
// served but a new one: it is built whole (its payouts scheduled) before it
// is served, swapped in, and saved whole (swap, saved), so nothing is
// served that the state could hold half of.

// change is one change of state (see above).
type change struct {
	// apply changes w's ledger, under the gate, and returns the payouts
	// whose timelines the change made or moved.
	apply func(w *world) ([]ledger.Payout, error)
	// undo, when not nil, takes back what apply made when it cannot be
	// saved; the payouts' steps are held on the schedule until the change
	// is saved.
	undo func(w *world, made []ledger.Payout)
	// fire, when set, sends the notify of the step in force of the one
	// payout apply returns now instead of scheduling it, and waits, until
	// ctx ends, for its first attempt; the gate is let go once it is
	// queued.
	fire context.Context
}

// commit is what a change did: the payouts it made or moved, and the
// notify it fired.
type commit struct {
	payouts []ledger.Payout
	fired   *notify.Notification
}

// commit makes ch on the world served now; see the comment above.
func (s *Sandbox) commit(ch change) (commit, error) { return s.commitTo(s.world.Load(), ch) }

// commitTo makes ch on w: the world served now, or the one a gateway
// request in flight during a swap began on.
func (s *Sandbox) commitTo(w *world, ch change) (commit, error) {
	release := s.hold()
	made, err := ch.apply(w)
	if err != nil {
		release()
		return commit{}, err
	}
	out := commit{payouts: made}
	var wait func() error
	switch {
	case ch.fire != nil && len(made) == 1:
		p := made[0]
		if n, ok := w.notify.Fire(ch.fire, p, len(p.Timeline)-1, release); ok {
			out.fired = &n
		}
		release = func() {}
	case ch.undo != nil && s.saver != nil:
		for _, p := range made {
			w.notify.ScheduleHeld(p)
		}
		sw := s.saver.Register(func() {
			for _, p := range made {
				w.notify.Drop(p.PaymentID)
			}
			ch.undo(w, made)
		})
		wait = func() error { return s.saver.Wait(sw) }
	default:
		for _, p := range made {
			w.notify.Schedule(p)
		}
	}
	release()
	s.changed()
	if wait != nil {
		if err := wait(); err != nil {
			return commit{}, &Error{Kind: NotSaved, Err: fmt.Errorf("the change could not be saved, so it was taken back: %w", err)}
		}
		for _, p := range made {
			w.notify.Release(p.PaymentID)
		}
		return out, nil
	}
	return out, s.saved()
}

// gatewayCommit is w's gateway's way to make a change
// (gateway.Config.Commit): make creates or starts a payout; undo takes it
// back when it cannot be saved. It returns make's error as it is, else
// once the change is saved, or with an error of kind NotSaved after undo
// ran.
func (s *Sandbox) gatewayCommit(w *world) func(make func() (ledger.CreatedPayout, error), undo func(ledger.CreatedPayout)) (ledger.CreatedPayout, error) {
	return func(make func() (ledger.CreatedPayout, error), undo func(ledger.CreatedPayout)) (ledger.CreatedPayout, error) {
		var cr ledger.CreatedPayout
		_, err := s.commitTo(w, change{
			apply: func(*world) ([]ledger.Payout, error) {
				var err error
				cr, err = make()
				if err != nil {
					return nil, err
				}
				return []ledger.Payout{cr.Payout}, nil
			},
			undo: func(*world, []ledger.Payout) { undo(cr) },
		})
		var e *Error
		if errors.As(err, &e) && e.Kind == NotSaved {
			err = errors.Unwrap(e.Err) // the gateway says why in its own words
		}
		return cr, err
	}
}
