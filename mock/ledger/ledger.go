// Package ledger is the sandbox's state: merchants with their secrets and
// balances, and payouts with the timelines that decide their status at any
// moment. It knows nothing of HTTP.
package ledger

import (
	"sync"
	"time"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// Merchant is a merchant account.
type Merchant struct {
	ID              string
	SecretKey       string // payments
	PayoutSecretKey string // payouts
	Balance         money.Amount
	Currency        string
	PostLink        string
}

// Step is a point of a payout's timeline, at an absolute time.
type Step struct {
	At        time.Time
	Status    string // scenario.StatusProcess, StatusSuccess or StatusError
	ErrorCode int    // for StatusError
	Notify    bool   // reaching the step sends a payout notify
}

// Payout is one payout and its timeline.
type Payout struct {
	MerchantID string
	OrderID    string
	PaymentID  int64
	Amount     money.Amount
	NetAmount  money.Amount
	ToPay      money.Amount // amount + commission: what the merchant's balance pays
	CardHash   string       // masked PAN, "440564-XX-XXXX-6150"
	PostLink   string       // callback URL; the merchant's when empty
	Timeline   []Step       // ascending; the first step is when the payout appears
	Debited    bool         // the balance has paid ToPay (on reaching success)
}

// StatusAt returns the timeline step in force at t. It reports false before
// the first step: the payout does not exist yet.
func (p Payout) StatusAt(t time.Time) (Step, bool) {
	var cur Step
	found := false
	for _, s := range p.Timeline {
		if s.At.After(t) {
			break
		}
		cur, found = s, true
	}
	return cur, found
}

// Ledger holds merchants and payouts. It is safe for concurrent use and
// hands out copies.
type Ledger struct {
	mu        sync.RWMutex
	merchants map[string]*Merchant
	payouts   []*Payout
	byID      map[int64]*Payout
}

// New builds the ledger of a validated scenario. Timelines count from origin;
// payment ids and cards the scenario leaves out come from gen, in file order.
func New(sc *scenario.Scenario, gen *fixtures.Gen, origin time.Time) *Ledger {
	l := &Ledger{merchants: map[string]*Merchant{}, byID: map[int64]*Payout{}}
	for _, m := range sc.Merchants {
		bal, _ := money.FromFloat(m.Balance) // validated
		l.merchants[string(m.ID)] = &Merchant{
			ID: string(m.ID), SecretKey: m.SecretKey, PayoutSecretKey: m.PayoutSecretKey,
			Balance: bal, Currency: m.Currency, PostLink: m.PostLink,
		}
	}
	taken := map[int64]bool{}
	for _, p := range sc.Payouts {
		taken[p.PaymentID] = true
	}
	for _, sp := range sc.Payouts {
		p := &Payout{MerchantID: string(sp.MerchantID), OrderID: string(sp.OrderID), PaymentID: sp.PaymentID, PostLink: sp.PostLink}
		for p.PaymentID == 0 || (sp.PaymentID == 0 && taken[p.PaymentID]) {
			p.PaymentID = gen.PaymentID()
		}
		taken[p.PaymentID] = true
		p.Amount, _ = money.FromFloat(sp.Amount)
		p.NetAmount = p.Amount
		commission, _ := money.FromFloat(sp.Commission)
		p.ToPay = p.Amount + commission
		if sp.NetAmount != nil {
			p.NetAmount, _ = money.FromFloat(*sp.NetAmount)
		}
		card := sp.Card
		if card == "" {
			card = gen.CardNumber()
		}
		p.CardHash = fixtures.MaskPAN(card)
		for _, s := range sp.Timeline {
			p.Timeline = append(p.Timeline, Step{
				At: origin.Add(s.At.Duration), Status: s.Status, ErrorCode: s.ErrorCode,
				Notify: s.Notifies(sc.Notify.ErrorsOn()),
			})
		}
		l.payouts = append(l.payouts, p)
		l.byID[p.PaymentID] = p
	}
	return l
}

// Merchant returns the merchant with the given id.
func (l *Ledger) Merchant(id string) (Merchant, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	m, ok := l.merchants[id]
	if !ok {
		return Merchant{}, false
	}
	return *m, true
}

// PayoutByID returns merchantID's payout with the given payment id.
func (l *Ledger) PayoutByID(merchantID string, paymentID int64) (Payout, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	p, ok := l.byID[paymentID]
	if !ok || p.MerchantID != merchantID {
		return Payout{}, false
	}
	return p.clone(), true
}

// Payout returns the payout with the given payment id, whatever its merchant.
func (l *Ledger) Payout(paymentID int64) (Payout, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	p, ok := l.byID[paymentID]
	if !ok {
		return Payout{}, false
	}
	return p.clone(), true
}

// PayoutByOrder returns merchantID's payout with the given order id.
func (l *Ledger) PayoutByOrder(merchantID, orderID string) (Payout, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	for _, p := range l.payouts {
		if p.MerchantID == merchantID && p.OrderID == orderID {
			return p.clone(), true
		}
	}
	return Payout{}, false
}

// Reach records that a payout has reached a step of its timeline: reaching
// success debits the merchant's balance by ToPay, once. It returns the payout
// and its merchant as they are afterwards.
func (l *Ledger) Reach(paymentID int64, step Step) (Payout, Merchant, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.byID[paymentID]
	if !ok {
		return Payout{}, Merchant{}, false
	}
	m := l.merchants[p.MerchantID]
	if step.Status == scenario.StatusSuccess && !p.Debited {
		p.Debited = true
		m.Balance -= p.ToPay
	}
	return p.clone(), *m, true
}

// Payouts returns every payout, in scenario order.
func (l *Ledger) Payouts() []Payout {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([]Payout, len(l.payouts))
	for i, p := range l.payouts {
		out[i] = p.clone()
	}
	return out
}

func (p *Payout) clone() Payout {
	c := *p
	c.Timeline = append([]Step(nil), p.Timeline...)
	return c
}
