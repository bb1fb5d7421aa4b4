package gateway

import (
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/routes"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// toIBAN answers POST /g2g/to_iban and /api/to_iban: a payout to a Kazakh
// bank account.
func (g *Gateway) toIBAN(c *call) (sign.Fields, error) {
	f := &form{fields: c.fields}
	f.requireAll("pg_order_id", "pg_amount", "pg_recipient_iban", "pg_recipient_iin", "pg_recipient_name",
		"pg_recipient_kbe", "pg_knp", "pg_bank_bik", "pg_post_link")
	order, amount, _ := f.orderID(), f.amount(), f.description()
	f.currency(c.merchant.Currency)
	iban := f.iban("pg_recipient_iban")
	f.digits("pg_recipient_iin", 12)
	f.digits("pg_recipient_kbe", 2)
	f.digits("pg_knp", 3)
	f.bic("pg_bank_bik")
	post := f.link("pg_post_link")
	if f.err != nil {
		return nil, f.err
	}
	cr, err := g.create(c, ledger.NewPayout{OrderID: order, Amount: amount, IBAN: iban, PostLink: post})
	if err != nil {
		return nil, err
	}
	return sign.Fields{
		idField(cr.Payout.PaymentID),
		field("pg_merchant_id", cr.MerchantID),
		field("pg_status", "ok"),
		field("pg_order_id", cr.OrderID),
		field("pg_payment_amount", cr.Amount.Fixed2()),
		g.paymentDate(cr.Payout),
		g.datetime(c.now),
	}, nil
}

// ibanPayout answers POST /api/iban_payout, the older IBAN path the
// official PHP payout SDK calls. That SDK sends no pg_post_link unless one
// is set, so the merchant's post_link from the scenario stands in for it.
// Its reply carries a pg_redirect_url, which the SDK reads: the payout's
// page on the sandbox.
func (g *Gateway) ibanPayout(c *call) (sign.Fields, error) {
	f := &form{fields: c.fields}
	f.requireAll("pg_order_id", "pg_amount", "pg_description", "pg_recipient_bank_bic", "pg_recipient_iban",
		"pg_recipient_iin_bin", "pg_recipient_name")
	order, amount, _ := f.orderID(), f.amount(), f.description()
	f.currency(c.merchant.Currency)
	f.bic("pg_recipient_bank_bic")
	iban := f.iban("pg_recipient_iban")
	f.digits("pg_recipient_iin_bin", 12)
	post := f.link("pg_post_link")
	user := f.userID()
	if f.err == nil && post == "" && c.merchant.PostLink == "" {
		f.fail(wire.Errorf(wire.CodeNoPostLink, "Field pg_post_link is required: the payout notify goes there (the merchant has no post_link in the scenario either)"))
	}
	if f.err != nil {
		return nil, f.err
	}
	cr, err := g.create(c, ledger.NewPayout{OrderID: order, Amount: amount, IBAN: iban, UserID: user, PostLink: post})
	if err != nil {
		return nil, err
	}
	return sign.Fields{
		field("pg_status", "ok"),
		idField(cr.Payout.PaymentID),
		field("pg_merchant_id", cr.MerchantID),
		field("pg_order_id", cr.OrderID),
		field("pg_payment_amount", cr.Amount.Fixed2()),
		g.paymentDate(cr.Payout),
		field("pg_redirect_url", c.base()+routes.PayoutPage+cr.PageKey),
	}, nil
}
