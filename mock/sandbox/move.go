package sandbox

import (
	"fmt"
	"sync"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
)

// Moving a manual clock, whoever moves it (a Go test holding the
// *clock.Manual, Sandbox.Advance and Drain, the control API, the dashboard),
// runs the notify schedule: the sandbox follows the clock (clock.Follower),
// which stops at each moment something is due and lets the schedule
// deliver it there, dated then, before the move goes on. Sandbox.Advance is
// such a move that also collects this sandbox's attempts and waits for them
// to be saved.

// lastYear is the latest year the clock may reach: the protocol's dates
// have four-digit years.
const lastYear = 9999

// follow makes the sandbox run its schedule as its clock moves, when the
// clock is manual; it returns what stops that.
func (s *Sandbox) follow() (stop func()) {
	m, ok := s.clock.(*clock.Manual)
	if !ok {
		return func() {}
	}
	return m.Follow(follower{s})
}

// follower runs the schedule of the world served at each moment a manual
// clock stops at.
type follower struct{ s *Sandbox }

// Next is the schedule's next due moment; nothing once Close has begun, nor
// past the year 9999.
func (f follower) Next() (time.Time, bool) {
	if f.s.Stopping() {
		return time.Time{}, false
	}
	due, ok := f.s.world.Load().notify.NextDue()
	if !ok || due.Year() > lastYear {
		return time.Time{}, false
	}
	return due, true
}

// Run delivers what is due at the clock's reading. It holds the lock that
// a reset and a scenario change take, for this moment only, so they wait
// for one moment's deliveries at most; a move of this sandbox's own
// (by a *move) collects the attempts.
func (f follower) Run(by any) {
	s := f.s
	s.mutate.Lock()
	defer s.mutate.Unlock()
	if s.Stopping() {
		return
	}
	defer s.changed() // the clock moved, a step may have been reached
	made := s.world.Load().notify.RunAt(s.clock.Now())
	if mv, ok := by.(*move); ok && mv.s == s {
		mv.add(made)
	}
}

// move is one move of the clock made by this sandbox's Advance or Drain:
// the attempts it made.
type move struct {
	s        *Sandbox
	mu       sync.Mutex
	attempts []notify.Attempt
	bytes    int // about what the kept attempts weigh in a reply
	total    int // attempts made, kept or not
}

// MaxRunBytes bounds what a move of the clock reports of its attempts
// (advance, drain): the first attempts made, until about this many bytes
// of them (their fields and answers); the rest are counted
// (Run.AttemptedTotal) and listed by /_mock/notifications.
const MaxRunBytes = 4 << 20

func (mv *move) add(a []notify.Attempt) {
	mv.mu.Lock()
	defer mv.mu.Unlock()
	mv.total += len(a)
	for _, at := range a {
		w := attemptWeight(at)
		if mv.bytes+w > MaxRunBytes {
			continue
		}
		mv.bytes += w
		mv.attempts = append(mv.attempts, at)
	}
}

// attemptWeight is about what attempt a weighs in a reply.
func attemptWeight(a notify.Attempt) int {
	w := 256 + len(a.OrderID) + len(a.Error) + len(a.Reason) + len(a.SentTo) + len(a.Answer)
	for _, f := range a.Fields {
		w += len(f.Name) + len(f.Value) + 32
	}
	return w
}

// made returns the move's report: the attempts kept, in time order, and
// how many were made (nil: none).
func (mv *move) made() ([]notify.Attempt, int) {
	if mv == nil {
		return nil, 0
	}
	mv.mu.Lock()
	defer mv.mu.Unlock()
	notify.SortAttempts(mv.attempts)
	return mv.attempts, mv.total
}

// manual is the sandbox's clock when it is manual.
func (s *Sandbox) manual() (*clock.Manual, error) {
	m, ok := s.clock.(*clock.Manual)
	if !ok {
		return nil, notify.ErrNotManual
	}
	return m, nil
}

// Advance moves a manual clock forward by d, delivering every notify that
// falls due on the way, each at its due time, before it returns the
// attempts made. It is the same move as the clock's own
// [clock.Manual.Advance], which a test holding the clock may call instead:
// Advance also reports the attempts and, with a StateDir, returns once
// they are saved (a error of kind NotSaved when they cannot be). It
// refuses to take the clock past the year 9999 ([notify.ErrPastYear9999]),
// and a clock that moves by itself ([notify.ErrNotManual]).
//
// A resend or an early notify sent meanwhile is neither waited for nor
// reported here: its own caller waits for it. A merchant's handler
// answering a notify must not move the clock: the move would wait for the
// delivery that waits for it, until the notify times out.
func (s *Sandbox) Advance(d time.Duration) (Run, error) {
	return s.run(s.advance(d))
}

func (s *Sandbox) advance(d time.Duration) (*move, error) {
	if d < 0 {
		return nil, errorf(BadRequest, "advance by %s: the clock does not go back", d)
	}
	m, err := s.manual()
	if err != nil {
		return nil, err
	}
	mv := &move{s: s}
	m.Move(func(now time.Time) (time.Time, bool) {
		to := now.Add(d)
		if to.Year() > lastYear || to.Before(now) {
			err = notify.ErrPastYear9999
			return now, false
		}
		return to, true
	}, mv)
	if err != nil {
		return nil, err
	}
	s.changed() // the clock moved, even when nothing fell due
	return mv, s.saved()
}

// Drain moves a manual clock to each next due event until nothing is
// pending, and returns the attempts made. Each move to the next event is
// one move of the clock: Advance, Force, Reset and a scenario change wait
// for one moment's deliveries at most. It stops when Close begins (with
// ErrStopping), before an event after the year 9999
// ([notify.ErrPastYear9999], naming it) and when the scenario is replaced
// or reset meanwhile (without an error: the new run starts afresh).
func (s *Sandbox) Drain() (Run, error) {
	return s.run(s.drain())
}

func (s *Sandbox) drain() (*move, error) {
	sched := s.world.Load().notify
	if _, ok := sched.NextDue(); !ok {
		return nil, s.saved()
	}
	m, err := s.manual()
	if err != nil {
		return nil, err
	}
	mv := &move{s: s}
	for range notify.MaxDrainEvents {
		if s.Stopping() {
			return mv, ErrStopping
		}
		var done bool
		_, moved := m.Move(func(now time.Time) (time.Time, bool) {
			due, ok := sched.NextDue()
			switch {
			case s.world.Load().notify != sched || !ok:
				done = true
				return now, false
			case due.Year() > lastYear:
				err = fmt.Errorf("%w: the next event is due at %s", notify.ErrPastYear9999, due.Format(time.RFC3339))
				return now, false
			}
			return due, true
		}, mv)
		if err != nil {
			return mv, err
		}
		if done || !moved { // nothing left, or a reset ended the run drained
			return mv, s.saved()
		}
		s.changed()
	}
	return mv, errorf(Conflict, "drain stopped after %d events: the schedule does not end", notify.MaxDrainEvents)
}
