package ledger

import (
	"errors"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// AutoCaptureAfter is how long a two-step payment's hold lasts: authorised
// and neither captured nor cancelled, it is captured in full this long
// after its authorisation (payments.md §3.4: "auto-cleared after 5 days").
const AutoCaptureAfter = 5 * 24 * time.Hour

// Errors of capture (do_capture.php, /g2g/clearing) and cancel
// (cancel.php, /g2g/cancel): the gateway answers each with its code
// (payments.md §6).
var (
	// ErrNotAuthorised: only an authorised payment is captured (10035).
	ErrNotAuthorised = errors.New("the payment is not authorised: only a successful payment can be captured")
	// ErrCaptured: the payment is captured already, by a capture, by
	// auto-clearing on authorisation or by the hold's end (10036).
	ErrCaptured = errors.New("the payment is captured already")
	// ErrClearingAmount: a capture of more than the payment's amount.
	ErrClearingAmount = errors.New("the clearing amount is more than the payment's amount")
	// ErrCancelled: the payment is revoked already (10033).
	ErrCancelled = errors.New("the payment is cancelled already")
	// ErrNotCancellable: a payment that is not authorised cannot be
	// cancelled (9013).
	ErrNotCancellable = errors.New("the payment is not authorised: only a successful payment can be cancelled")
	// ErrCancelCaptured: a captured payment cannot be cancelled, only
	// refunded (10012).
	ErrCancelCaptured = errors.New("the payment is captured: it can be refunded, not cancelled")
)

// authorised returns the success step in force at t.
func (p Payment) authorised(t time.Time) (Step, bool) {
	s, ok := p.StatusAt(t)
	return s, ok && s.Status == scenario.PaymentSuccess
}

// Captured reports whether the payment's money is taken at t: authorised
// and either auto-cleared (one-step), captured by a capture request, or
// held for AutoCaptureAfter without a capture or cancel.
func (p Payment) Captured(t time.Time) bool {
	s, ok := p.authorised(t)
	switch {
	case !ok:
		return false
	case p.AutoClearing:
		return true
	case !p.CapturedAt.IsZero() && !t.Before(p.CapturedAt):
		return true
	case p.Operations[scenario.OpCapture] != 0:
		return false // a card that takes no clearing: the hold's end captures nothing (payments.md §7)
	}
	return !t.Before(s.At.Add(AutoCaptureAfter))
}

// ClearingAmountAt is the amount captured at t: 0 while held (or never
// paid), the capture's amount after a partial capture, else the whole
// amount.
func (p Payment) ClearingAmountAt(t time.Time) money.Amount {
	if !p.Captured(t) {
		return 0
	}
	if !p.CapturedAt.IsZero() && !t.Before(p.CapturedAt) && p.ClearingAmount > 0 {
		return p.ClearingAmount
	}
	return p.Amount
}

// Capture captures merchantID's held payment id at now: amount of it, or
// all of it when amount is 0 (do_capture.php, /g2g/clearing). The
// timeline does not change: the payment stays success, captured from now.
func (l *Ledger) Capture(merchantID string, id int64, amount money.Amount, now time.Time) (Payment, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.payByID[id]
	if p == nil || p.MerchantID != merchantID {
		return Payment{}, ErrNoPayment
	}
	switch _, ok := p.authorised(now); {
	case !ok:
		return p.clone(), ErrNotAuthorised
	case p.Captured(now):
		return p.clone(), ErrCaptured
	case amount > p.Amount:
		return p.clone(), ErrClearingAmount
	}
	if err := p.refused(scenario.OpCapture); err != nil {
		return p.clone(), err
	}
	if amount <= 0 {
		amount = p.Amount
	}
	p.CapturedAt, p.ClearingAmount = now, amount
	l.trackPayment(p)
	return p.clone(), nil
}

// Cancel releases merchantID's held payment id at now (cancel.php,
// /g2g/cancel): it is revoked from now, nothing captured, and no result
// notify is sent (payments.md §4). The revoke gets an id of its own.
func (l *Ledger) Cancel(merchantID string, id int64, now time.Time) (Payment, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.payByID[id]
	if p == nil || p.MerchantID != merchantID {
		return Payment{}, ErrNoPayment
	}
	s, ok := p.StatusAt(now)
	switch {
	case ok && s.Status == scenario.PaymentRevoked:
		return p.clone(), ErrCancelled
	case !ok || s.Status != scenario.PaymentSuccess:
		return p.clone(), ErrNotCancellable
	case p.Captured(now):
		return p.clone(), ErrCancelCaptured
	}
	if err := p.refused(scenario.OpCancel); err != nil {
		return p.clone(), err
	}
	p.RevokeID = l.newPaymentID()
	l.childIDs[p.RevokeID] = p
	l.retime(p, now, []Step{{At: now, Status: scenario.PaymentRevoked}}, false)
	return p.clone(), nil
}
