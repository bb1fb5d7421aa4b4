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
