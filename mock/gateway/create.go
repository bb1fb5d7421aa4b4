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
func (g *Gateway) create(c *call, np ledger.NewPayout) (ledger.Created, error) {
	np.MerchantID = c.merchant.ID
	np.Method = c.script
	cr, err := g.change(func() (ledger.Created, error) { return g.cfg.Ledger.Create(np, c.now) },
		func(cr ledger.Created) { g.cfg.Ledger.Discard(cr.PaymentID) })
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

// change makes or starts a payout with f and hands it to the notify
// schedule, both under the gate. When the state is saved, the reply waits
// until the change is on disk: if it cannot be saved, undo takes it back
// (the payout's steps were held, so no notify of it has gone out) before
// any later save can write it, and the request is a 9999.
func (g *Gateway) change(f func() (ledger.Created, error), undo func(ledger.Created)) (ledger.Created, error) {
	durable := g.cfg.Durable != nil && g.cfg.Held != nil
	var wait func() error
	g.lock()
	cr, err := f()
	switch {
	case err != nil:
	case durable:
		g.cfg.Held.ScheduleHeld(cr.Payout)
		wait = g.cfg.Durable(func() { g.cfg.Held.Drop(cr.PaymentID); undo(cr) })
	default:
		g.schedule(cr.Payout)
	}
	g.unlock()
	if wait == nil {
		return cr, err
	}
	if serr := wait(); serr != nil {
		g.cfg.Logger.Error("payout taken back: the state could not be saved", "merchant", cr.MerchantID,
			"order_id", cr.OrderID, "payment_id", cr.PaymentID, "err", serr)
		return ledger.Created{}, wire.Errorf(wire.CodeSystem, "System error: the sandbox could not save the payout to its state, so it was not made (%v); "+
			"as at FreedomPay, check with payout_status2 before trying again", serr)
	}
	g.cfg.Held.Release(cr.PaymentID)
	return cr, nil
}

func (g *Gateway) lock() {
	if g.cfg.Gate != nil {
		g.cfg.Gate.Lock()
	}
}

func (g *Gateway) unlock() {
	if g.cfg.Gate != nil {
		g.cfg.Gate.Unlock()
	}
}

// refusal is the error of a payout that has failed the moment it is made.
func refusal(p ledger.Payout) error {
	if s, ok := p.StatusAt(p.CreatedAt); ok && s.Status == scenario.StatusError {
		return wire.NewError(s.ErrorCode)
	}
	return nil
}

func (g *Gateway) schedule(p ledger.Payout) {
	if g.cfg.Schedule != nil {
		g.cfg.Schedule(p)
	}
}

// idField and friends build reply fields.
func idField(p ledger.Payout) sign.Field {
	return sign.Field{Name: "pg_payment_id", Value: fixtures.FormatID(p.PaymentID)}
}

func field(name, value string) sign.Field { return sign.Field{Name: name, Value: value} }

func (g *Gateway) paymentDate(p ledger.Payout) sign.Field {
	return field("pg_payment_date", p.CreatedAt.In(g.loc).Format(DateTimeLayout))
}
