package ledger

import (
	"errors"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// Refund is one refund of a payment's money (revoke.php, /g2g/refund): a
// child payment with an id of its own from the payments' id space, shown
// in the parent's status as a refund_payment entry. Amount is what was
// given back, positive; the wire shows it negative (payments.md §3.3).
type Refund struct {
	PaymentID int64
	Amount    money.Amount
	At        time.Time
	Reference string // the refund's bank reference (RRN)
}

// Errors of refunds (revoke.php, /g2g/refund): the gateway answers each
// with its code (payments.md §6).
var (
	// ErrNotRefundable: only a successful payment is refunded; a failed,
	// unpaid or cancelled one is not (9013).
	ErrNotRefundable = errors.New("the payment is not successful: only a successful payment can be refunded")
	// ErrNotCapturedYet: a hold is captured before it is refunded, or
	// cancelled instead (10034).
	ErrNotCapturedYet = errors.New("the payment is held: capture it before a refund, or cancel it")
	// ErrRefundAmount: a refund of more than remains (10020).
	ErrRefundAmount = errors.New("the refund is more than remains of the payment")
	// ErrRefunded: nothing remains to refund (11018).
	ErrRefunded = errors.New("the payment is refunded in full already")
)

// RefundedAt is the total refunded at t, positive.
func (p Payment) RefundedAt(t time.Time) money.Amount {
	var sum money.Amount
	for _, r := range p.Refunds {
		if !r.At.After(t) {
			sum += r.Amount
		}
	}
	return sum
}

// RefundsAt are the refunds made by t.
func (p Payment) RefundsAt(t time.Time) []Refund {
	var out []Refund
	for _, r := range p.Refunds {
		if !r.At.After(t) {
			out = append(out, r)
		}
	}
	return out
}

// RefundedInFull reports whether nothing of a captured payment remains to
// refund at t.
func (p Payment) RefundedInFull(t time.Time) bool {
	return len(p.Refunds) > 0 && p.Captured(t) && p.RefundedAt(t) >= p.ClearingAmountAt(t)
}

// childIDs are the ids the payment's refunds and cancel were given.
func (p *Payment) childIDs() []int64 {
	var out []int64
	if p.RevokeID != 0 {
		out = append(out, p.RevokeID)
	}
	for _, r := range p.Refunds {
		out = append(out, r.PaymentID)
	}
	return out
}

// Refund gives back amount of merchantID's payment id at now, or all that
// remains when amount is 0 (revoke.php, /g2g/refund). What can be refunded
// is what was captured, less the refunds before; each refund gets an id of
// its own and a reference. The payment's timeline does not change: it
// stays success (payments.md §4, open point 5).
func (l *Ledger) Refund(merchantID string, id int64, amount money.Amount, now time.Time) (Payment, Refund, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.payByID[id]
	if p == nil || p.MerchantID != merchantID {
		return Payment{}, Refund{}, ErrNoPayment
	}
	s, ok := p.StatusAt(now)
	switch {
	case !ok || s.Status != scenario.PaymentSuccess:
		return p.clone(), Refund{}, ErrNotRefundable
	case !p.Captured(now):
		return p.clone(), Refund{}, ErrNotCapturedYet
	}
	if err := p.refused(scenario.OpRefund); err != nil {
		return p.clone(), Refund{}, err
	}
	left := p.ClearingAmountAt(now) - p.RefundedAt(now)
	switch {
	case left <= 0:
		return p.clone(), Refund{}, ErrRefunded
	case amount > left:
		return p.clone(), Refund{}, ErrRefundAmount
	case amount <= 0:
		amount = left
	}
	r := Refund{PaymentID: l.newPaymentID(), Amount: amount, At: now, Reference: l.gen.Reference()}
	p.Refunds = append(p.Refunds, r)
	l.childIDs[r.PaymentID] = p
	l.trackPayment(p)
	return p.clone(), r, nil
}
