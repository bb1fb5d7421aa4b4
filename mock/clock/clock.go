// Package clock is the sandbox's only source of "now". The real clock serves
// people; the manual clock lets tests and CI move time by hand, so a payout
// timeline of hours plays out in microseconds.
package clock

import (
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

// Manual is a clock that moves only when told to. It is safe for concurrent use.
type Manual struct {
	mu  sync.Mutex
	now time.Time
}

// NewManual returns a manual clock reading t.
func NewManual(t time.Time) *Manual { return &Manual{now: t} }

// Now returns the clock's current reading.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Advance moves the clock forward by d (a negative d is ignored) and returns
// the new reading.
func (m *Manual) Advance(d time.Duration) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	if d > 0 {
		m.now = m.now.Add(d)
	}
	return m.now
}

// Set moves the clock to t if t is later than its reading; a clock never goes
// back. It returns the new reading.
func (m *Manual) Set(t time.Time) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t.After(m.now) {
		m.now = t
	}
	return m.now
}

// Reset puts the clock at t, earlier or later: the sandbox's reset, when
// the whole run starts again.
func (m *Manual) Reset(t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = t
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
