package ledger

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// ErrUnknownPayout is returned for a payment id the ledger does not hold.
var ErrUnknownPayout = errors.New("no such payout")

// ErrRefused is a change the ledger does not take as asked (a status or
// error code Force does not set); the error wrapping it says why.
var ErrRefused = errors.New("refused")

// refused is an error of ErrRefused that says only why.
type refused struct{ why string }

func (e refused) Error() string        { return e.why }
func (e refused) Is(target error) bool { return target == ErrRefused }

func refusef(format string, args ...any) error { return refused{fmt.Sprintf(format, args...)} }

// MaxSteps bounds what forcing makes of a timeline: a force (of a payout
// or a payment) is refused once the steps up to now number MaxSteps, so
// that forcing in a loop cannot grow a payout or payment, its notifies and
// every reply that shows them without bound. 64 is far more than a test
// forces one payout or payment; FreedomPay has no such bound to match, as
// it has no force.
const MaxSteps = 64

// ErrTooManySteps refuses a force of a payout or payment whose timeline
// holds MaxSteps steps up to now; the error wrapping it says so.
var ErrTooManySteps = errors.New("too many steps")

// full is an error of ErrTooManySteps: the timeline of a payout or
// payment (what) holds n steps up to now.
type full struct {
	what string
	n    int
}

func (e full) Error() string {
	return fmt.Sprintf("the %s's timeline holds %d steps up to now, and forcing stops at %d; reset its merchant to start afresh", e.what, e.n, MaxSteps)
}
func (e full) Is(target error) bool { return target == ErrTooManySteps }

// pastSteps counts the steps of a timeline up to now.
func pastSteps(timeline []Step, now time.Time) int {
	n := 0
	for _, s := range timeline {
		if !s.At.After(now) {
			n++
		}
	}
	return n
}

// Forced is a payout whose status the control API forced.
type Forced struct {
	Payout
	Step int // index of the step added
	// Was is the step in force before (zero for a payout not started).
	Was Step
}

// Force ends a payout's timeline at now with status (success or error, with
// a payout error code): steps still to come are dropped, the balance moves
// follow, and the payout's Revision goes up so that a schedule made from
// the old timeline is not acted on. It fails with ErrTooManySteps when the
// timeline holds MaxSteps steps up to now.
func (l *Ledger) Force(paymentID int64, status string, errorCode int, now time.Time) (Forced, error) {
	switch status {
	case scenario.StatusSuccess:
		if errorCode != 0 {
			return Forced{}, refusef("error_code %d goes with status \"error\", not \"success\"", errorCode)
		}
	case scenario.StatusError:
		if !wire.IsPayoutError(errorCode) {
			return Forced{}, refusef("error_code %d is not a payout error code; want one of %v", errorCode, wire.PayoutErrorCodes())
		}
	default:
		return Forced{}, refusef("status %q: want \"success\" or \"error\"", status)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.byID[paymentID]
	if !ok {
		return Forced{}, ErrUnknownPayout
	}
	if n := pastSteps(p.Timeline, now); n >= MaxSteps {
		return Forced{}, full{"payout", n}
	}
	was, _ := p.StatusAt(now)
	kept := p.Timeline[:0:0]
	for _, s := range p.Timeline {
		if !s.At.After(now) {
			kept = append(kept, s)
		}
	}
	kept = append(kept, Step{At: now, Status: status, ErrorCode: errorCode,
		Notify: status == scenario.StatusSuccess || l.errorsNotify})
	a := l.merchants[p.MerchantID]
	a.unbook(p.PaymentID)
	p.Timeline = kept
	p.AwaitingCard = false
	p.Revision++
	a.book(p)
	l.track(p)
	return Forced{Payout: p.clone(), Step: len(kept) - 1, Was: was}, nil
}

// MerchantIDs lists the merchants, in order.
func (l *Ledger) MerchantIDs() []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	ids := make([]string, 0, len(l.merchants))
	for id := range l.merchants {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// ResetMerchant replaces everything the ledger holds of merchant id (its
// account, saved cards and payouts, those made through the gateway
// included) with what sc says of it, the payouts' timelines counted from
// origin, and the rules with sc's. A merchant sc does not name is removed.
// It fails, changing nothing, when a payment id of sc is another
// merchant's.
func (l *Ledger) ResetMerchant(sc *scenario.Scenario, id string, origin time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	taken := map[int64]bool{}
	for pid, p := range l.byID {
		if p.MerchantID != id {
			taken[pid] = true
		}
	}
	for pid, p := range l.payByID {
		if p.MerchantID != id {
			taken[pid] = true
		}
	}
	for pid, p := range l.childIDs {
		if p.MerchantID != id {
			taken[pid] = true
		}
	}
	for pid, c := range l.storedByID {
		if c.MerchantID != id {
			taken[pid] = true
		}
	}
	for _, sp := range sc.Payments {
		if string(sp.MerchantID) == id && sp.PaymentID != 0 && taken[sp.PaymentID] {
			return fmt.Errorf("payment_id %d of payment order %s is already another merchant's", sp.PaymentID, sp.OrderID)
		}
	}
	for _, sp := range sc.Payouts {
		if string(sp.MerchantID) == id && sp.PaymentID != 0 && taken[sp.PaymentID] {
			return fmt.Errorf("payment_id %d of order %s is already another merchant's payout", sp.PaymentID, sp.OrderID)
		}
	}
	l.forget(id)
	l.rules, l.every, l.creditPayments = sc.Rules, sc.Drills.Every, sc.PaymentSettings.CreditPayoutBalance
	for _, m := range sc.Merchants {
		if string(m.ID) == id {
			l.addMerchant(m)
		}
	}
	if l.merchants[id] == nil {
		return nil
	}
	var cards []scenario.Card
	for _, c := range sc.Cards {
		if string(c.MerchantID) == id {
			cards = append(cards, c)
		}
	}
	l.addCards(cards)
	for _, sp := range sc.Payouts {
		if string(sp.MerchantID) == id && sp.PaymentID != 0 {
			taken[sp.PaymentID] = true
		}
	}
	for _, sp := range sc.Payments {
		if string(sp.MerchantID) == id && sp.PaymentID != 0 {
			taken[sp.PaymentID] = true
		}
	}
	for _, sp := range sc.Payouts {
		if string(sp.MerchantID) == id {
			l.addPayout(sp, origin, taken)
		}
	}
	for _, sp := range sc.Payments {
		if string(sp.MerchantID) == id {
			l.addScenarioPayment(sp, origin, taken)
		}
	}
	return nil
}

// forget removes merchant id and all it holds.
func (l *Ledger) forget(id string) {
	delete(l.merchants, id)
	for k := range l.cards {
		if k.merchant == id {
			delete(l.cards, k)
		}
	}
	for k := range l.cardIDs {
		if k.merchant == id {
			delete(l.cardIDs, k)
		}
	}
	kept := l.payouts[:0]
	for _, p := range l.payouts {
		if p.MerchantID != id {
			kept = append(kept, p)
			continue
		}
		delete(l.byID, p.PaymentID)
		delete(l.byOrder, orderKey{p.MerchantID, p.OrderID})
		if p.PageKey != "" {
			delete(l.byPage, p.PageKey)
		}
	}
	clear(l.payouts[len(kept):])
	l.payouts = kept
	pays := l.payments[:0]
	for _, p := range l.payments {
		if p.MerchantID != id {
			pays = append(pays, p)
			continue
		}
		delete(l.payByID, p.PaymentID)
		delete(l.payByPage, p.PageKey)
		for _, cid := range p.childIDs() {
			delete(l.childIDs, cid)
		}
		delete(l.childIDs, p.RecurringProfileID)
		if q := l.payByOrder[orderKey{id, p.OrderID}]; q == p {
			delete(l.payByOrder, orderKey{id, p.OrderID})
		}
		if p.IdempotencyKey != "" {
			delete(l.idem, orderKey{id, p.IdempotencyKey})
		}
		for _, r := range p.Refunds {
			if r.IdempotencyKey != "" {
				delete(l.refundIdem, orderKey{id, r.IdempotencyKey})
			}
		}
	}
	delete(l.payCount, id)
	clear(l.payments[len(pays):])
	l.payments = pays
	stored := l.stored[:0]
	for _, c := range l.stored {
		if c.MerchantID != id {
			stored = append(stored, c)
			continue
		}
		delete(l.storedByID, c.PaymentID)
		delete(l.storedByPage, c.PageKey)
	}
	clear(l.stored[len(stored):])
	l.stored = stored
}
