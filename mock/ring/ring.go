// Package ring keeps the last n values of a stream and counts the rest.
package ring

// Ring keeps the last Cap values pushed and counts the ones it let go;
// made with [NewWeighted], it also keeps their weight (bytes, say) within
// a budget. The zero value keeps nothing; make one with [New]. It is not
// safe for concurrent use.
type Ring[T any] struct {
	buf     []T
	start   int // index of the oldest value
	n       int
	dropped int64

	weigh  func(T) int // nil: every value weighs nothing
	budget int         // the most weight kept, the newest value aside
	weight int         // weight of the values kept
}

// New returns a ring that keeps the last capacity values (at least 1).
func New[T any](capacity int) *Ring[T] {
	return &Ring[T]{buf: make([]T, max(capacity, 1))}
}

// NewWeighted returns a ring that keeps the last capacity values whose
// weights add up to at most budget: the oldest go first. The newest value
// is always kept, whatever it weighs.
func NewWeighted[T any](capacity, budget int, weigh func(T) int) *Ring[T] {
	r := New[T](capacity)
	r.weigh, r.budget = weigh, budget
	return r
}

// Push adds v, letting the oldest values go when the ring is full or over
// its budget.
func (r *Ring[T]) Push(v T) {
	if r.n == len(r.buf) {
		r.dropOldest()
	}
	r.buf[(r.start+r.n)%len(r.buf)] = v
	r.n++
	if r.weigh == nil {
		return
	}
	r.weight += r.weigh(v)
	for r.weight > r.budget && r.n > 1 {
		r.dropOldest()
	}
}

// dropOldest lets the oldest value go.
func (r *Ring[T]) dropOldest() {
	var zero T
	if r.weigh != nil {
		r.weight -= r.weigh(r.buf[r.start])
	}
	r.buf[r.start] = zero // for the collector
	r.start = (r.start + 1) % len(r.buf)
	r.n--
	r.dropped++
}

// Weight is the weight of the values kept (0 for a ring made by [New]).
func (r *Ring[T]) Weight() int { return r.weight }

// Len is the number of values kept.
func (r *Ring[T]) Len() int { return r.n }

// Dropped is the number of values let go since the ring was made.
func (r *Ring[T]) Dropped() int64 { return r.dropped }

// Each calls f on every value kept, oldest first, until f returns false.
func (r *Ring[T]) Each(f func(T) bool) {
	for i := 0; i < r.n; i++ {
		if !f(r.buf[(r.start+i)%len(r.buf)]) {
			return
		}
	}
}

// Values returns a copy of the values kept, oldest first.
func (r *Ring[T]) Values() []T {
	out := make([]T, 0, r.n)
	r.Each(func(v T) bool { out = append(out, v); return true })
	return out
}

// Of returns a ring of capacity holding vals, oldest first, that has let
// dropped values go: a ring saved with [Ring.Values] and [Ring.Dropped].
// Values beyond capacity let the oldest go, and are counted.
func Of[T any](capacity int, vals []T, dropped int64) *Ring[T] {
	return fill(New[T](capacity), vals, dropped)
}

// OfWeighted is [Of] for a ring made by [NewWeighted].
func OfWeighted[T any](capacity, budget int, weigh func(T) int, vals []T, dropped int64) *Ring[T] {
	return fill(NewWeighted(capacity, budget, weigh), vals, dropped)
}

func fill[T any](r *Ring[T], vals []T, dropped int64) *Ring[T] {
	for _, v := range vals {
		r.Push(v)
	}
	r.dropped += dropped
	return r
}
