package control

import (
	"errors"
	"net/http/httptest"
	"testing"
	"testing/synctest"

	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
)

// heldBody is an upload whose body says when it is first read and then
// waits for its release, failing the read.
type heldBody struct {
	reading chan<- chan struct{} // its release, sent at its first read
	release chan struct{}
}

func (b heldBody) Read([]byte) (int, error) {
	b.reading <- b.release
	<-b.release
	return 0, errors.New("released")
}

func (b heldBody) Close() error { return nil }

// TestUploadsAreReadTwoAtATime sends more scenarios at once than the
// control API reads: the others wait with their bodies unread, and one
// is read as soon as a reader is free.
func TestUploadsAreReadTwoAtATime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &handlers{uploads: make(chan struct{}, sandbox.MaxParsing)}
		const sent = sandbox.MaxParsing + 3
		reading := make(chan chan struct{}, sent)
		for range sent {
			r := httptest.NewRequest("PUT", "/_mock/scenario", nil)
			r.Body = heldBody{reading, make(chan struct{})}
			go func() { _, _ = h.scenario(r) }()
		}
		for ended := 0; ended < sent; ended++ {
			synctest.Wait() // every upload reads its body or waits its turn
			if want := min(sandbox.MaxParsing, sent-ended); len(reading) != want {
				t.Fatalf("%d uploads sent at once, %d ended: %d bodies being read, want %d", sent, ended, len(reading), want)
			}
			close(<-reading) // one ends; the next waiting one may start
		}
	})
}
