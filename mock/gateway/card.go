package gateway

import (
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/routes"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// p2p2nonreg answers POST /g2g/p2p2nonreg: a payout to a card number the
// merchant collected itself.
func (g *Gateway) p2p2nonreg(c *call) (sign.Fields, error) {
	f := &form{fields: c.fields}
	f.requireAll("pg_order_id", "pg_amount", "pg_description", "pg_payment_to", "pg_post_link")
	order, amount, _ := f.orderID(), f.amount(), f.description()
	post := f.link("pg_post_link")
	f.currency(c.merchant.Currency)
	pan := f.card("pg_payment_to")
	user := f.userID()
	if f.err != nil {
		return nil, f.err
	}
	cr, err := g.create(c, ledger.NewPayout{OrderID: order, Amount: amount, Card: pan, UserID: user, PostLink: post})
	if err != nil {
		return nil, err
	}
	return sign.Fields{
		idField(cr.Payout.PaymentID),
		field("pg_merchant_id", cr.MerchantID),
		field("pg_order_id", cr.OrderID),
		field("pg_status", "ok"),
		field("pg_balance", cr.Balance.Fixed2()),
		field("pg_payment_amount", cr.Amount.Fixed2()),
		g.paymentDate(cr.Payout),
		field("pg_reference", cr.Reference),
		g.datetime(c.now),
	}, nil
}

// reg2nonreg answers POST /api/reg2nonreg: a payout whose recipient enters
// the card number on a page the gateway serves. The reply's pg_redirect_url
// is that page; the payout is in process, with its balance reserved, and
// starts when the card is submitted there.
func (g *Gateway) reg2nonreg(c *call) (sign.Fields, error) {
	f := &form{fields: c.fields}
	f.requireAll("pg_order_id", "pg_amount", "pg_description", "pg_order_time_limit", "pg_back_link", "pg_post_link")
	order, amount, _ := f.orderID(), f.amount(), f.description()
	f.currency(c.merchant.Currency)
	f.timeLimit()
	back, post := f.link("pg_back_link"), f.link("pg_post_link")
	user := f.userID()
	if f.err != nil {
		return nil, f.err
	}
	cr, err := g.create(c, ledger.NewPayout{OrderID: order, Amount: amount, UserID: user,
		PostLink: post, BackLink: back, AwaitCard: true})
	if err != nil {
		return nil, err
	}
	return sign.Fields{
		field("pg_status", "ok"),
		idField(cr.Payout.PaymentID),
		field("pg_merchant_id", cr.MerchantID),
		field("pg_redirect_url", c.base()+routes.PayoutPage+cr.PageKey),
	}, nil
}
