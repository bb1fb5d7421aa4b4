package gateway

import (
	"strconv"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// Refunds (payments.md §3.4): revoke.php and /g2g/refund give back all or
// part of a captured payment, as many times as the merchant likes, never
// more than remains. Each refund is a child payment with an id of its own,
// listed in get_status3.php's and status_v2's refund_payments with its
// amount negative; the payment itself stays success (open point 5).

// revokePHP answers revoke.php: status, and the transaction status the
// old PayBox SDK reads (payments.md §4: ok after a partial refund,
// revoked once nothing remains).
func (g *Gateway) revokePHP(c *call) (sign.Fields, error) {
	p, _, err := g.refund(c, "pg_refund_amount", "pg_amount", false)
	if err != nil {
		return nil, err
	}
	tx := "ok"
	if p.RefundedInFull(c.now) {
		tx = g.refundedTransaction()
	}
	return sign.Fields{
		{Name: "pg_status", Value: "ok"},
		{Name: "pg_transaction_status", Value: tx},
	}, nil
}

// g2gRefund answers /g2g/refund: the payment, the refund's own id and its
// status (payments.md §3.4).
func (g *Gateway) g2gRefund(c *call) (sign.Fields, error) {
	p, r, err := g.refund(c, "pg_amount", "pg_refund_amount", true)
	if err != nil {
		return nil, err
	}
	return sign.Fields{
		{Name: "pg_payment_id", Value: strconv.FormatInt(p.PaymentID, 10)},
		{Name: "pg_payment_refund_id", Value: strconv.FormatInt(r.PaymentID, 10)},
		{Name: "pg_status", Value: "ok"},
		{Name: "pg_refund_status", Value: "success"},
	}, nil
}

// refund reads a refund request and refunds the payment. The amount is
// in field, or in alias (open point 4: each route takes the other's name
// too); required, it must be at least 0.01, else absent or 0 refunds all
// that remains. pg_currency, when given, must be the payment's; receipt
// positions are taken and ignored.
func (g *Gateway) refund(c *call, field, alias string, required bool) (ledger.Payment, ledger.Refund, error) {
	id, err := paymentID(c.fields, true)
	if err != nil {
		return ledger.Payment{}, ledger.Refund{}, err
	}
	name, v := field, c.fields.Value(field)
	if a := c.fields.Value(alias); v == "" {
		name, v = alias, a
	} else if a != "" && a != v {
		x, errX := money.Parse(v)
		y, errY := money.Parse(a)
		switch {
		case errX != nil:
			return ledger.Payment{}, ledger.Refund{}, wire.Malformed(field, "want an amount, two decimals at most, such as 500.50")
		case errY != nil:
			return ledger.Payment{}, ledger.Refund{}, wire.Malformed(alias, "want an amount, two decimals at most, such as 500.50")
		case x != y:
			return ledger.Payment{}, ledger.Refund{}, wire.Malformed(alias, field+" and "+alias+" give different amounts; send one of them")
		}
	}
	if v == "" && required {
		return ledger.Payment{}, ledger.Refund{}, wire.Missing(field)
	}
	var amount money.Amount
	if v != "" {
		a, err := money.Parse(v)
		if err != nil || a < 0 || a > money.Max || (required && a < 1) {
			want := "want 0 (all that remains) to 99999999, two decimals at most, such as 500.50"
			if required {
				want = "want 0.01 to 99999999, two decimals at most, such as 500.50"
			}
			return ledger.Payment{}, ledger.Refund{}, wire.Malformed(name, want)
		}
		amount = a
	}
	if g.cfg.Payments == nil {
		return ledger.Payment{}, ledger.Refund{}, wire.NewError(wire.CodeSystem)
	}
	if cur := c.fields.Value("pg_currency"); cur != "" {
		if p, ok := g.cfg.Ledger.PaymentOf(c.merchant.ID, id, ""); ok && p.Currency != cur {
			return ledger.Payment{}, ledger.Refund{}, wire.Malformed("pg_currency", "want the payment's currency "+p.Currency)
		}
	}
	key := c.fields.Value("pg_idempotency_key")
	if len(key) > maxParam {
		return ledger.Payment{}, ledger.Refund{}, wire.Malformed("pg_idempotency_key", "want at most 255 characters")
	}
	rr := ledger.RefundRequest{Amount: amount, IdempotencyKey: key, Path: c.r.URL.Path}
	if key != "" {
		rr.Digest = digest(c.fields)
	}
	p, r, err := g.cfg.Payments.Refund(c.merchant.ID, id, rr, c.now)
	switch err {
	case ledger.ErrIdempotencyReused:
		return p, r, wire.Errorf(wire.CodeValidation, "pg_idempotency_key %q was used before for a refund with other fields", wire.Shorten(key, 60))
	case ledger.ErrTooManyRefunds:
		return p, r, wire.Errorf(wire.CodeSystem, "payment %d has %d refunds, as many as the sandbox keeps of one payment", p.PaymentID, ledger.MaxRefunds)
	case ledger.ErrTooManyPayments:
		return p, r, wire.Errorf(wire.CodeSystem, "merchant %s has as many payments, refunds included, as the sandbox keeps (--max-payments): reset the merchant (POST /_mock/reset?merchant_id=%s) to start afresh", c.merchant.ID, c.merchant.ID)
	}
	return p, r, operationError(err)
}
