// Package ring keeps the last n values of a stream and counts the rest.
package ring

// Ring keeps the last Cap values pushed and counts the ones it let go. The
// zero value keeps nothing; make one with [New]. It is not safe for
// concurrent use.
type Ring[T any] struct {
	buf     []T
	start   int // index of the oldest value
	n       int
	dropped int64
}

// New returns a ring that keeps the last capacity values (at least 1).
func New[T any](capacity int) *Ring[T] {
	return &Ring[T]{buf: make([]T, max(capacity, 1))}
}

// Push adds v, letting the oldest value go when the ring is full.
func (r *Ring[T]) Push(v T) {
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = v
		r.n++
		return
	}
	r.buf[r.start] = v
	r.start = (r.start + 1) % len(r.buf)
	r.dropped++
}

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
	r := New[T](capacity)
	for _, v := range vals {
		r.Push(v)
	}
	r.dropped += dropped
	return r
}
