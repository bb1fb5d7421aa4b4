package ring

import (
	"slices"
	"testing"
)

func TestRingKeepsTheLast(t *testing.T) {
	r := New[int](3)
	var got []int
	each := func() []int {
		got = got[:0]
		r.Each(func(v int) bool { got = append(got, v); return true })
		return got
	}
	for i := 1; i <= 2; i++ {
		r.Push(i)
	}
	if !slices.Equal(each(), []int{1, 2}) || r.Dropped() != 0 {
		t.Fatalf("after 2: %v, %d dropped", got, r.Dropped())
	}
	for i := 3; i <= 7; i++ {
		r.Push(i)
	}
	if !slices.Equal(each(), []int{5, 6, 7}) || r.Dropped() != 4 || r.Len() != 3 {
		t.Fatalf("after 7: %v, %d dropped, len %d; want [5 6 7], 4, 3", got, r.Dropped(), r.Len())
	}
	n := 0
	r.Each(func(int) bool { n++; return false })
	if n != 1 {
		t.Errorf("Each went on after false: %d calls", n)
	}
}

func TestOfRestoresValuesAndDropped(t *testing.T) {
	r := New[int](3)
	for i := range 5 {
		r.Push(i)
	}
	back := Of(3, r.Values(), r.Dropped())
	if got := back.Values(); len(got) != 3 || got[0] != 2 || got[2] != 4 || back.Dropped() != 2 {
		t.Errorf("restored %v dropped %d, want [2 3 4] dropped 2", got, back.Dropped())
	}
	smaller := Of(2, r.Values(), r.Dropped())
	if got := smaller.Values(); len(got) != 2 || got[0] != 3 || smaller.Dropped() != 3 {
		t.Errorf("into a smaller ring: %v dropped %d, want [3 4] dropped 3", got, smaller.Dropped())
	}
}

// TestWeightedRingKeepsItsBudget: the oldest values go once the weight
// kept passes the budget, and are counted; the newest stays whatever it
// weighs.
func TestWeightedRingKeepsItsBudget(t *testing.T) {
	r := NewWeighted(100, 10, func(v int) int { return v })
	for _, v := range []int{3, 3, 3} {
		r.Push(v)
	}
	if r.Len() != 3 || r.Weight() != 9 || r.Dropped() != 0 {
		t.Fatalf("3+3+3 in a budget of 10: len %d, weight %d, dropped %d; want 3, 9, 0", r.Len(), r.Weight(), r.Dropped())
	}
	r.Push(4) // 13: the first 3 goes
	if !slices.Equal(r.Values(), []int{3, 3, 4}) || r.Weight() != 10 || r.Dropped() != 1 {
		t.Fatalf("after 4: %v, weight %d, dropped %d; want [3 3 4], 10, 1", r.Values(), r.Weight(), r.Dropped())
	}
	r.Push(50)
	if !slices.Equal(r.Values(), []int{50}) || r.Weight() != 50 || r.Dropped() != 4 {
		t.Fatalf("after 50: %v, weight %d, dropped %d; want [50], 50, 4", r.Values(), r.Weight(), r.Dropped())
	}
	back := OfWeighted(100, 10, func(v int) int { return v }, []int{6, 6}, 7)
	if !slices.Equal(back.Values(), []int{6}) || back.Dropped() != 8 {
		t.Errorf("OfWeighted: %v, dropped %d; want [6], 8", back.Values(), back.Dropped())
	}
}
