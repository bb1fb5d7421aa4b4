package ledger

import (
	"fmt"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// Restore builds the ledger of sc holding payouts, as saved from
// [Ledger.Payouts]: sc gives the merchants, cards and rules, the payouts
// bring their timelines, and the balances follow from them. It fails on a
// payout of a merchant sc does not have, or a payment or order id used twice.
func Restore(sc *scenario.Scenario, gen *fixtures.Gen, payouts []Payout) (*Ledger, error) {
	l := accounts(sc, gen)
	for i := range payouts {
		p := payouts[i].clone()
		a := l.merchants[p.MerchantID]
		switch {
		case a == nil:
			return nil, fmt.Errorf("payout %d is of merchant %q, which the scenario does not have", p.PaymentID, p.MerchantID)
		case len(p.Timeline) == 0:
			return nil, fmt.Errorf("payout %d has no timeline", p.PaymentID)
		case l.byID[p.PaymentID] != nil:
			return nil, fmt.Errorf("payment id %d is used twice", p.PaymentID)
		case l.byOrder[orderKey{p.MerchantID, p.OrderID}] != nil:
			return nil, fmt.Errorf("merchant %s has order id %q twice", p.MerchantID, p.OrderID)
		}
		l.insert(&p)
		a.book(&p)
	}
	return l, nil
}
