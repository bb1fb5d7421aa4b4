// Package clock is the sandbox's only source of "now". The real clock serves
// people; the manual clock lets tests and CI move time by hand, so a payout
// timeline of hours plays out in microseconds.
package clock

import (
	"slices"
	"sync"
	"time"
)

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// Real is the wall clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// Manual is a clock that moves only when told to. It is safe for concurrent
// use.
//
// Whatever moves it forward (Advance, Set, Move) runs its followers on the
// way: at each moment one of them has something due, the clock stops there
// and every follower does what is due before it moves on, so a sandbox
// following the clock has delivered what fell due, each at its own time,
// when the call returns. With no follower, moving it only moves it.
//
// One move runs at a time; another waits for it. A move waits for what its
// followers do, so whatever a follower waits for (a merchant's handler
// answering a notify) must not move the same clock: that move would wait
// for the delivery that waits for it, until the notify times out.
type Manual struct {
	mu        sync.Mutex
	now       time.Time
	resets    uint64 // Reset calls: a move under way stops at the next
	followers []*following

	moving sync.Mutex // one move at a time
}

// A Follower has things due at moments of a [Manual] clock and does them as
// the clock reaches them: the sandbox's notify scheduler is one.
type Follower interface {
	// Next reports the earliest moment something is due, if anything is.
	Next() (time.Time, bool)
	// Run does everything due at the clock's reading and returns once it is
	// done; afterwards Next no longer reports it. by is what the mover
	// passed to [Manual.Move], nil from Advance and Set.
	Run(by any)
}

type following struct{ f Follower }

// NewManual returns a manual clock reading t.
func NewManual(t time.Time) *Manual { return &Manual{now: t} }

// Now returns the clock's current reading.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Follow makes f run as the clock moves, after the followers that came
// before it; stop ends that, and is safe to call more than once. A move
// under way runs the followers it started with.
func (m *Manual) Follow(f Follower) (stop func()) {
	e := &following{f}
	m.mu.Lock()
	m.followers = append(m.followers, e)
	m.mu.Unlock()
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if i := slices.Index(m.followers, e); i >= 0 {
			m.followers = slices.Delete(m.followers, i, i+1)
		}
	}
}

// Advance moves the clock forward by d, counted from its reading when no
// other move is under way (a negative d counts as 0), runs what falls due on
// the way (see [Manual]) and returns the new reading.
func (m *Manual) Advance(d time.Duration) time.Time {
	now, _ := m.Move(func(now time.Time) (time.Time, bool) { return now.Add(max(d, 0)), true }, nil)
	return now
}

// Set moves the clock to t if t is later than its reading (a clock never
// goes back), runs what falls due up to t (see [Manual]) and returns the new
// reading.
func (m *Manual) Set(t time.Time) time.Time {
	now, _ := m.Move(func(time.Time) (time.Time, bool) { return t, true }, nil)
	return now
}

// Move moves the clock as Set does, to the moment to returns: to is called
// with the clock's reading once no other move is under way, so that a
// target counted from "now" counts from where this move starts; when it
// reports false the move is off and nothing runs. by is handed to each
// follower's Run, so that a mover can tell its own move from another's.
// Move returns the new reading, and false when the move was off or a
// [Manual.Reset] ended it part way.
func (m *Manual) Move(to func(now time.Time) (time.Time, bool), by any) (time.Time, bool) {
	m.moving.Lock()
	defer m.moving.Unlock()
	m.mu.Lock()
	target, ok := to(m.now)
	resets := m.resets
	followers := slices.Clone(m.followers)
	m.mu.Unlock()
	if !ok {
		return m.Now(), false
	}
	for {
		next, ok := earliest(followers)
		if !ok || next.After(target) {
			break
		}
		if !m.step(next, resets) {
			return m.Now(), false
		}
		for _, e := range followers {
			e.f.Run(by)
		}
	}
	if !m.step(target, resets) {
		return m.Now(), false
	}
	return m.Now(), true
}

// earliest is the first moment one of followers has something due.
func earliest(followers []*following) (time.Time, bool) {
	var first time.Time
	found := false
	for _, e := range followers {
		if t, ok := e.f.Next(); ok && (!found || t.Before(first)) {
			first, found = t, true
		}
	}
	return first, found
}

// step moves the clock to t, never back, unless it was reset since a move
// read resets; it reports whether the move goes on.
func (m *Manual) step(t time.Time, resets uint64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.resets != resets {
		return false
	}
	if t.After(m.now) {
		m.now = t
	}
	return true
}

// Reset puts the clock at t, earlier or later, running nothing: the
// sandbox's reset, when the whole run starts again. A move under way stops
// at its next step.
func (m *Manual) Reset(t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = t
	m.resets++
}

// Modes of a sandbox clock.
const (
	ModeReal   = "real"
	ModeManual = "manual"
)

// Scaled is wall time running speed times faster from a chosen start: it
// reads start when created, and start + speed × (wall time elapsed) later.
type Scaled struct {
	mu          sync.RWMutex
	start, wall time.Time
	speed       float64
}

// NewScaled returns a clock reading start now and running speed times faster
// than the wall clock. A speed of 0 or less means 1.
func NewScaled(start time.Time, speed float64) *Scaled {
	if speed <= 0 {
		speed = 1
	}
	return &Scaled{start: start, wall: time.Now(), speed: speed}
}

// Now returns the scaled time.
func (s *Scaled) Now() time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.start.Add(time.Duration(float64(time.Since(s.wall)) * s.speed))
}

// Reset makes the clock read start now, running on at the same speed.
func (s *Scaled) Reset(start time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.start, s.wall = start, time.Now()
}

// Speed is how many times faster than the wall clock it runs.
func (s *Scaled) Speed() float64 { return s.speed }

// WallDuration converts a span of this clock's time to wall time.
func (s *Scaled) WallDuration(d time.Duration) time.Duration {
	return time.Duration(float64(d) / s.speed)
}

// WallDuration converts a span of c's time to the wall time it takes to pass
// (d itself for the real clock; d/speed for a scaled one). It reports false
// for a clock that does not move by itself, such as [Manual].
func WallDuration(c Clock, d time.Duration) (time.Duration, bool) {
	switch c := c.(type) {
	case Real:
		return d, true
	case interface {
		WallDuration(time.Duration) time.Duration
	}:
		return c.WallDuration(d), true
	}
	return 0, false
}
