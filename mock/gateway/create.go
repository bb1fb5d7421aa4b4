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
	cr, err := g.change(func() (ledger.Created, error) { return g.cfg.Ledger.Create(np, c.now) })
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
// schedule, both under the gate, then waits until it is saved.
func (g *Gateway) change(f func() (ledger.Created, error)) (ledger.Created, error) {
	if g.cfg.Gate != nil {
		g.cfg.Gate.Lock()
	}
	cr, err := f()
	if err == nil {
		g.schedule(cr.Payout)
	}
	if g.cfg.Gate != nil {
		g.cfg.Gate.Unlock()
	}
	if err == nil && g.cfg.Durable != nil {
		g.cfg.Durable()
	}
	return cr, err
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
