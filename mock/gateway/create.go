package gateway

import (
	"errors"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// create makes a payout for an authenticated request whose fields have
// passed their checks, hands it to the notify schedule, and returns it. A
// payout whose timeline fails at once is made (its order id is spent and a
// notify follows) and answered with its error code, as a refused payout is.
func (g *Gateway) create(c *call, np ledger.NewPayout) (ledger.CreatedPayout, error) {
	np.MerchantID = c.merchant.ID
	np.Method = c.script
	cr, err := g.change(func() (ledger.CreatedPayout, error) { return g.cfg.Ledger.CreatePayout(np, c.now) },
		func(cr ledger.CreatedPayout) { g.cfg.Ledger.Discard(cr.PaymentID) })
	switch {
	case errors.Is(err, ledger.ErrDuplicateOrder):
		return cr, wire.Errorf(wire.CodeNonUniqueOrder, "Non-unique order id: merchant %s already has a payout with pg_order_id %s", np.MerchantID, np.OrderID)
	case errors.Is(err, ledger.ErrInsufficient):
		return cr, wire.Errorf(wire.CodeInsufficient, "Insufficient payout balance: %v", err)
	case err != nil:
		return cr, err
	}
	g.cfg.Logger.Info("payout created", "merchant", cr.MerchantID, "order_id", cr.OrderID, "payment_id", cr.PaymentID,
		"method", cr.Method, "decided_by", cr.DecidedBy, "to_pay", cr.ToPay.String())
	c.made = true
	for _, d := range cr.Drills {
		if scenario.IsFault(d) {
			c.fault = d
		}
	}
	g.early(c.ctx, cr.Payout)
	return cr, refusal(cr.Payout)
}

// change makes or starts a payout with f through the sandbox's one way
// to change state (Config.Commit): the payout goes to the notify schedule
// with the change, and when the state is saved, the reply waits until the
// change is on disk. If it cannot be saved, undo takes it back (no notify
// of it has gone out) and the request is a 9999.
func (g *Gateway) change(f func() (ledger.CreatedPayout, error), undo func(ledger.CreatedPayout)) (ledger.CreatedPayout, error) {
	if g.cfg.Commit == nil {
		return f()
	}
	var made error
	cr, err := g.cfg.Commit(func() (ledger.CreatedPayout, error) {
		cr, err := f()
		made = err
		return cr, err
	}, undo)
	switch {
	case made != nil:
		return cr, made
	case err != nil:
		g.cfg.Logger.Error("payout taken back: the state could not be saved", "merchant", cr.MerchantID,
			"order_id", cr.OrderID, "payment_id", cr.PaymentID, "err", err)
		return ledger.CreatedPayout{}, wire.Errorf(wire.CodeSystem, "System error: the sandbox could not save the payout to its state, so it was not made (%v); "+
			"as at FreedomPay, check with payout_status2 before trying again", err)
	}
	return cr, nil
}

// refusal is the error of a payout that has failed the moment it is made.
func refusal(p ledger.Payout) error {
	if s, ok := p.StatusAt(p.CreatedAt); ok && s.Status == scenario.StatusError {
		return wire.NewError(s.ErrorCode)
	}
	return nil
}

// idField and friends build reply fields.
func idField(paymentID int64) sign.Field {
	return sign.Field{Name: "pg_payment_id", Value: fixtures.FormatID(paymentID)}
}

func field(name, value string) sign.Field { return sign.Field{Name: name, Value: value} }

func (g *Gateway) paymentDate(p ledger.Payout) sign.Field {
	return field("pg_payment_date", p.CreatedAt.In(g.loc).Format(DateTimeLayout))
}
