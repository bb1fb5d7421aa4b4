package ledger

import (
	"slices"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// Payments and the payout balance ([payments] credit_payout_balance): a
// payment's money reaches its merchant's payout balance when it is
// captured, net of the payment commission; each refund takes its amount
// back when it is made, and a captured payment revoked after (its
// merchant rejected the result notify) takes back what it gave. The
// moves are booked at their times, as a payout's are, so the balance at
// any moment follows from the clock alone: a hold's capture 5 days after
// its authorisation is booked when it is authorised.

// Net is what the merchant gets of the payment: NetAmount, or the amount
// for a payment saved before net amounts were kept.
func (p Payment) Net() money.Amount {
	if p.NetAmount == 0 {
		return p.Amount
	}
	return p.NetAmount
}

// CaptureTime is when the payment's money is taken (or will be, a hold's
// end being known once it is authorised): false for a payment never
// authorised, or a hold cancelled first.
func (p Payment) CaptureTime() (time.Time, bool) {
	var auth *Step
	for i := range p.Timeline {
		if p.Timeline[i].Status == scenario.PaymentSuccess {
			auth = &p.Timeline[i]
			break
		}
	}
	switch {
	case auth == nil:
		return time.Time{}, false
	case p.AutoClearing:
		return auth.At, true
	case !p.CapturedAt.IsZero():
		return p.CapturedAt, true
	}
	at := auth.At.Add(AutoCaptureAfter)
	return at, p.Captured(at)
}

// bookPayment books p's moves on its merchant's payout balance anew, when
// the scenario credits payments to it; l.mu is held. A payment in another
// currency than its merchant's balance moves nothing.
func (l *Ledger) bookPayment(p *Payment) {
	if !l.creditPayments {
		return
	}
	a := l.merchants[p.MerchantID]
	if a == nil || p.Currency != a.Currency {
		return
	}
	want := a.paymentMoves(p)
	if slices.Equal(a.booked[p.PaymentID], want) {
		return // most changes (the page opened, a notify) move no money
	}
	a.unbookMoves(a.booked[p.PaymentID])
	for _, m := range want {
		a.add(m.at, m.amount, m.pid)
	}
	if a.booked == nil {
		a.booked = map[int64][]move{}
	}
	if len(want) == 0 {
		delete(a.booked, p.PaymentID)
	} else {
		a.booked[p.PaymentID] = want
	}
}

// paymentMoves are the moves p makes on a's balance: its capture's net,
// its refunds, and a revocation after the capture.
func (a *account) paymentMoves(p *Payment) []move {
	at, ok := p.CaptureTime()
	if !ok {
		return nil
	}
	captured := p.Amount // read apart from the clock: a revocation at the capture's instant hides it there
	if !p.CapturedAt.IsZero() && p.ClearingAmount > 0 {
		captured = p.ClearingAmount
	}
	net := captured - a.PaymentCommission(captured)
	if captured == p.Amount {
		net = p.Net()
	}
	out := []move{{at, net, p.PaymentID}}
	left := net
	for _, r := range p.Refunds {
		out = append(out, move{r.At, -r.Amount, p.PaymentID})
		left -= r.Amount
	}
	if last := p.Timeline[len(p.Timeline)-1]; last.Status == scenario.PaymentRevoked && !last.At.Before(at) && left > 0 {
		out = append(out, move{last.At, -left, p.PaymentID}) // what it gave, less what refunds took back already
	}
	return out
}
