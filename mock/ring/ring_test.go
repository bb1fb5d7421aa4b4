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
