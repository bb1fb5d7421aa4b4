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
