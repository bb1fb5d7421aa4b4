package ledger

import (
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// A payment saved with a digest in request order (before digests sorted
// the fields) is replayed by the same request, which names it as its
// OrderedDigest; other fields are still ErrIdempotencyReused.
func TestReplayMatchesASavedOrderedDigest(t *testing.T) {
	l := New(scenario.Default(), fixtures.NewGen(42), t0)
	np := func(digest, ordered string) NewPayment {
		return NewPayment{Payment: Payment{MerchantID: "9970", OrderID: "o-1", Amount: 100},
			Lifetime: time.Hour, IdempotencyKey: "k", Digest: digest, OrderedDigest: ordered}
	}
	saved, _, err := l.CreatePayment(np("in-request-order", ""), t0)
	if err != nil {
		t.Fatal(err)
	}
	p, replayed, err := l.CreatePayment(np("sorted", "in-request-order"), t0)
	if err != nil || !replayed || p.PaymentID != saved.PaymentID {
		t.Errorf("the same request: got payment %d, replayed %v, %v; want %d replayed", p.PaymentID, replayed, err, saved.PaymentID)
	}
	if _, _, err := l.CreatePayment(np("sorted-other", "other-order"), t0); err != ErrIdempotencyReused {
		t.Errorf("other fields: got %v, want ErrIdempotencyReused", err)
	}
}
