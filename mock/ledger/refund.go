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
	// IdempotencyKey and Digest (of the request's fields) let a refund
	// request sent again with the same pg_idempotency_key replay it.
	IdempotencyKey string `json:",omitempty"`
	Digest         string `json:",omitempty"`
}

// RefundRequest is a refund asked for: all that remains when Amount is 0,
// replayed when a refund of the merchant's has IdempotencyKey and Digest.
type RefundRequest struct {
	Amount                 money.Amount
	IdempotencyKey, Digest string
	Path                   string // the route asked: "/revoke.php", "/g2g/refund"
}

// OverRefund is a refund request refused for asking more than remained of
// its payment (ErrRefundAmount, 10020) or for a payment refunded in full
// already (ErrRefunded, 11018), or by a payment rule's operations with
// either code: what the merchant was answered.
type OverRefund struct {
	At    time.Time
	Path  string
	Asked money.Amount // 0: all that remains
	Left  money.Amount
	Code  int    // CodeRefundExceeds or CodeRefundedBefore
	By    string // what refused it, when a test card or a rule scripted it ("rule 2")
}

// The codes the gateway answers ErrRefundAmount and ErrRefunded with
// (payments.md §6).
const (
	CodeRefundExceeds  = 10020
	CodeRefundedBefore = 11018
)

// MaxOverRefundsKept bounds the refused refund requests a payment keeps;
// Payment.OverRefunds counts them all.
const MaxOverRefundsKept = 5

// overRefund notes a refund request of p refused by err, answered code;
// l.mu is held.
func (l *Ledger) overRefund(p *Payment, rr RefundRequest, left money.Amount, now time.Time, code int, err error) error {
	if p.OverRefunds++; len(p.OverRefundsKept) < MaxOverRefundsKept {
		o := OverRefund{At: now, Path: rr.Path, Asked: rr.Amount, Left: max(left, 0), Code: code}
		if r, ok := err.(*Refused); ok {
			o.By = r.By
		}
		p.OverRefundsKept = append(p.OverRefundsKept, o)
	}
	l.trackPayment(p)
	return err
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
	// ErrTooManyRefunds: the payment has MaxRefunds refunds.
	ErrTooManyRefunds = errors.New("the payment has as many refunds as the sandbox keeps of one payment")
)

// MaxRefunds bounds the refunds of one payment: each is kept with it (and
// saved with it, --state). A refund is a payment of its merchant's too:
// it counts towards --max-payments.
const MaxRefunds = 100

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
// stays success (payments.md §4, open point 5). A request sent again with
// the same pg_idempotency_key and fields returns the refund it made, and
// true.
func (l *Ledger) Refund(merchantID string, id int64, rr RefundRequest, now time.Time) (Payment, Refund, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	amount := rr.Amount
	if rr.IdempotencyKey != "" {
		if q := l.refundIdem[orderKey{merchantID, rr.IdempotencyKey}]; q != nil {
			for _, r := range q.Refunds {
				if r.IdempotencyKey == rr.IdempotencyKey {
					if r.Digest != rr.Digest {
						return q.clone(), Refund{}, false, ErrIdempotencyReused
					}
					return q.clone(), r, true, nil // a replay: nothing more refunded
				}
			}
		}
	}
	p := l.payByID[id]
	if p == nil || p.MerchantID != merchantID {
		return Payment{}, Refund{}, false, ErrNoPayment
	}
	s, ok := p.StatusAt(now)
	switch {
	case !ok || s.Status != scenario.PaymentSuccess:
		return p.clone(), Refund{}, false, ErrNotRefundable
	case !p.Captured(now):
		return p.clone(), Refund{}, false, ErrNotCapturedYet
	}
	left := p.ClearingAmountAt(now) - p.RefundedAt(now)
	if err := p.refused(scenario.OpRefund); err != nil {
		if r, ok := err.(*Refused); ok && (r.Code == CodeRefundExceeds || r.Code == CodeRefundedBefore) {
			l.overRefund(p, rr, left, now, r.Code, err)
		}
		return p.clone(), Refund{}, false, err
	}
	switch {
	case left <= 0:
		err := l.overRefund(p, rr, left, now, CodeRefundedBefore, ErrRefunded)
		return p.clone(), Refund{}, false, err
	case amount > left:
		err := l.overRefund(p, rr, left, now, CodeRefundExceeds, ErrRefundAmount)
		return p.clone(), Refund{}, false, err
	case amount <= 0:
		amount = left
	}
	switch {
	case len(p.Refunds) >= MaxRefunds:
		return p.clone(), Refund{}, false, ErrTooManyRefunds
	case l.payCount[merchantID] >= l.maxPayments:
		return p.clone(), Refund{}, false, ErrTooManyPayments
	}
	r := Refund{PaymentID: l.newPaymentID(), Amount: amount, At: now, Reference: l.gen.Reference(),
		IdempotencyKey: rr.IdempotencyKey, Digest: rr.Digest}
	p.Refunds = append(p.Refunds, r)
	l.payCount[merchantID]++
	l.childIDs[r.PaymentID] = p
	if r.IdempotencyKey != "" {
		l.refundIdem[orderKey{merchantID, r.IdempotencyKey}] = p
	}
	l.trackPayment(p)
	return p.clone(), r, false, nil
}

// ShownStatus is the payment's status at t as the status routes show it:
// the step in force, or, for a payment refunded in full, refunded (the
// scenario's [payments] refund_status: success, the default, refunded or
// revoked; payments.md open point 5).
func (p Payment) ShownStatus(t time.Time, refunded string) string {
	s, _ := p.StatusAt(t)
	if s.Status == scenario.PaymentSuccess && refunded != "" && p.RefundedInFull(t) {
		return refunded
	}
	return s.Status
}

// RevokeByID finds merchantID's payment whose cancel (cancel.php,
// /g2g/cancel) has payment id id: a cancel is found by its own id as a
// refund is (payments.md §3.3).
func (l *Ledger) RevokeByID(merchantID string, id int64) (Payment, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	p := l.childIDs[id]
	if p == nil || p.MerchantID != merchantID || p.RevokeID != id {
		return Payment{}, false
	}
	return p.clone(), true
}

// RevokedAt is when the payment was cancelled: its last revoked step's
// time (a status forced before may have been revoked too), else when it
// was made.
func (p Payment) RevokedAt() time.Time {
	for i := len(p.Timeline) - 1; i >= 0; i-- {
		if p.Timeline[i].Status == scenario.PaymentRevoked {
			return p.Timeline[i].At
		}
	}
	return p.CreatedAt
}

// RefundByID finds merchantID's refund with payment id id: the payment it
// refunded and the refund (payments.md §3.3: by payment id "any payment
// type (also refunds) is found").
func (l *Ledger) RefundByID(merchantID string, id int64) (Payment, Refund, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	p := l.childIDs[id]
	if p == nil || p.MerchantID != merchantID {
		return Payment{}, Refund{}, false
	}
	for _, r := range p.Refunds {
		if r.PaymentID == id {
			return p.clone(), r, true
		}
	}
	return Payment{}, Refund{}, false
}
