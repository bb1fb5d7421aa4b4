package clock

import (
	"testing"
	"time"
)

func TestManual(t *testing.T) {
	t0 := time.Date(2024, 11, 28, 11, 10, 3, 0, time.UTC)
	c := NewManual(t0)
	if got := c.Advance(5 * time.Second); !got.Equal(t0.Add(5 * time.Second)) {
		t.Fatalf("Advance(5s) = %v, want %v", got, t0.Add(5*time.Second))
	}
	c.Advance(-time.Hour)
	c.Set(t0)
	if got := c.Now(); !got.Equal(t0.Add(5 * time.Second)) {
		t.Fatalf("clock went back: got %v, want %v", got, t0.Add(5*time.Second))
	}
	if got := c.Set(t0.Add(time.Hour)); !got.Equal(t0.Add(time.Hour)) {
		t.Fatalf("Set = %v, want %v", got, t0.Add(time.Hour))
	}
}

func TestScaled(t *testing.T) {
	t0 := time.Date(2024, 11, 28, 0, 0, 0, 0, time.UTC)
	c := NewScaled(t0, 3600)
	if got := c.Now(); got.Before(t0) || got.After(t0.Add(time.Hour)) {
		t.Fatalf("scaled clock right after start reads %v, want within an hour of %v", got, t0)
	}
	if d, ok := WallDuration(c, time.Hour); !ok || d != time.Second {
		t.Fatalf("an hour at speed 3600 takes %v (%v), want 1s", d, ok)
	}
	if _, ok := WallDuration(NewManual(t0), time.Hour); ok {
		t.Fatal("a manual clock claims to move by itself")
	}
}

// schedule is a Follower with things due at fixed moments; it records the
// clock's reading each time it runs something.
type schedule struct {
	c   *Manual
	due []time.Time // ascending
	ran []time.Time
	by  []any
}

func (s *schedule) Next() (time.Time, bool) {
	if len(s.due) == 0 {
		return time.Time{}, false
	}
	return s.due[0], true
}

func (s *schedule) Run(by any) {
	now := s.c.Now()
	for len(s.due) > 0 && !s.due[0].After(now) {
		s.due = s.due[1:]
		s.ran = append(s.ran, now)
		s.by = append(s.by, by)
	}
}

// Moving a manual clock stops at each moment a follower has something due,
// for every follower, so each runs at its own time; with none it just moves.
func TestManualRunsFollowersOnTheWay(t *testing.T) {
	t0 := time.Date(2024, 11, 28, 11, 10, 3, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	c := NewManual(t0)
	a := &schedule{c: c, due: []time.Time{at(5 * time.Second), at(time.Minute), at(2 * time.Hour)}}
	b := &schedule{c: c, due: []time.Time{at(30 * time.Second)}}
	stopA := c.Follow(a)
	c.Follow(b)

	if got := c.Advance(time.Hour); !got.Equal(at(time.Hour)) {
		t.Fatalf("Advance(1h) reads %s, want %s", got, at(time.Hour))
	}
	if want := []time.Time{at(5 * time.Second), at(time.Minute)}; !equalTimes(a.ran, want) {
		t.Errorf("a ran at %v, want %v", a.ran, want)
	}
	if want := []time.Time{at(30 * time.Second)}; !equalTimes(b.ran, want) {
		t.Errorf("b ran at %v, want %v", b.ran, want)
	}

	stopA()
	stopA() // twice is fine
	c.Set(at(3 * time.Hour))
	if len(a.ran) != 2 {
		t.Errorf("a stopped following, yet ran at %v", a.ran)
	}

	c2 := NewManual(t0)
	if got := c2.Advance(time.Hour); !got.Equal(at(time.Hour)) {
		t.Errorf("a clock with no follower reads %s after Advance(1h), want %s", got, at(time.Hour))
	}
}

// Move hands its by to the followers, counts its target from where it
// starts, and may be called off.
func TestManualMove(t *testing.T) {
	t0 := time.Date(2024, 11, 28, 11, 10, 3, 0, time.UTC)
	c := NewManual(t0)
	s := &schedule{c: c, due: []time.Time{t0.Add(time.Second)}}
	c.Follow(s)
	if now, ok := c.Move(func(now time.Time) (time.Time, bool) { return now.Add(time.Hour), false }, nil); ok || !now.Equal(t0) || len(s.ran) != 0 {
		t.Fatalf("a move called off: reads %s (%v), ran %v; want %s, false, nothing", now, ok, s.ran, t0)
	}
	tag := new(int)
	if now, ok := c.Move(func(now time.Time) (time.Time, bool) { return now.Add(time.Minute), true }, tag); !ok || !now.Equal(t0.Add(time.Minute)) {
		t.Fatalf("Move(+1m) reads %s (%v), want %s", now, ok, t0.Add(time.Minute))
	}
	if len(s.by) != 1 || s.by[0] != any(tag) {
		t.Errorf("the follower got by %v, want the mover's", s.by)
	}
}

// A Reset during a move ends the move: the run starts again from the reset
// reading.
func TestManualResetEndsAMove(t *testing.T) {
	t0 := time.Date(2024, 11, 28, 11, 10, 3, 0, time.UTC)
	c := NewManual(t0)
	s := &schedule{c: c, due: []time.Time{t0.Add(time.Second), t0.Add(2 * time.Second)}}
	c.Follow(resetting{s, c, t0})
	if now := c.Advance(time.Hour); !now.Equal(t0) {
		t.Errorf("after a reset during Advance(1h) the clock reads %s, want %s", now, t0)
	}
	if len(s.ran) != 1 {
		t.Errorf("ran at %v, want once: the reset ended the move", s.ran)
	}
}

// resetting resets the clock after its schedule runs.
type resetting struct {
	*schedule
	c  *Manual
	to time.Time
}

func (r resetting) Run(by any) {
	r.schedule.Run(by)
	r.c.Reset(r.to)
}

func equalTimes(a, b []time.Time) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}
