package gateway

import (
	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// payoutStatus2 answers POST /g2g/payout_status2: the payout's status at the
// server's current time. Both pg_payment_id and pg_order_id are required and
// must name the same payout; otherwise the payout is "not found" (11068,
// unsigned, as the real gateway answers).
func (g *Gateway) payoutStatus2(c *call) (sign.Fields, error) {
	id, err := paymentID(c.fields, true)
	if err != nil {
		return nil, err
	}
	order, err := required(c.fields, "pg_order_id")
	if err != nil {
		return nil, err
	}
	p, ok := g.cfg.Ledger.PayoutStatusByID(c.merchant.ID, id, c.now)
	if !ok || p.OrderID != order {
		return nil, wire.NewError(wire.CodeNotFound)
	}
	return g.statusReply(c, p, true)
}

// apiPaymentStatus2 answers POST /api/payment_status2, the merchant-API twin:
// pg_order_id is required and pg_payment_id optional (absent or 0: look the
// payout up by order id alone). Fields come in the merchant API's order.
func (g *Gateway) apiPaymentStatus2(c *call) (sign.Fields, error) {
	order, err := required(c.fields, "pg_order_id")
	if err != nil {
		return nil, err
	}
	id, err := paymentID(c.fields, false)
	if err != nil {
		return nil, err
	}
	p, ok := g.cfg.Ledger.PayoutStatusByOrder(c.merchant.ID, order, c.now)
	if !ok || (id != 0 && p.PaymentID != id) {
		return nil, wire.NewError(wire.CodeNotFound)
	}
	return g.statusReply(c, p, false)
}

// apiPaymentStatus answers POST /api/payment_status and
// /api/iban_payout/payment_status, the older status paths of the official
// PHP payout SDK: pg_order_id or pg_payment_id (or both, naming the same
// payout). The reply is /api/payment_status2's.
func (g *Gateway) apiPaymentStatus(c *call) (sign.Fields, error) {
	order := c.fields.Value("pg_order_id")
	id, err := paymentID(c.fields, false)
	if err != nil {
		return nil, err
	}
	if order == "" && id == 0 {
		return nil, wire.Errorf(wire.CodeValidation, "Field pg_order_id or pg_payment_id is required")
	}
	var p ledger.PayoutStatus
	var ok bool
	if order != "" {
		p, ok = g.cfg.Ledger.PayoutStatusByOrder(c.merchant.ID, order, c.now)
		ok = ok && (id == 0 || p.PaymentID == id)
	} else {
		p, ok = g.cfg.Ledger.PayoutStatusByID(c.merchant.ID, id, c.now)
	}
	if !ok {
		return nil, wire.NewError(wire.CodeNotFound)
	}
	return g.statusReply(c, p, false)
}

// statusReply is a status route's reply: the two ids in the order the route
// documents (the gateway API puts the merchant first, the merchant API the
// payment), then the payout's status at the server's current time. A payout
// whose timeline has not started yet is not found. The gateway API's reply
// carries the amounts and the time too (spec §3, sample B); the merchant
// API's is documented with the ids, the statuses and the order id only,
// and carries nothing more: a merchant reading pg_amount there would pass
// here and fail at FreedomPay.
func (g *Gateway) statusReply(c *call, p ledger.PayoutStatus, gatewayAPI bool) (sign.Fields, error) {
	if !p.Started {
		return nil, wire.NewError(wire.CodeNotFound)
	}
	ids := [2]sign.Field{field("pg_merchant_id", p.MerchantID), idField(p.PaymentID)}
	if !gatewayAPI {
		ids[0], ids[1] = ids[1], ids[0]
	}
	reply := append(c.reply[:0],
		ids[0],
		ids[1],
		sign.Field{Name: "pg_status", Value: "ok"},
		sign.Field{Name: "pg_payment_status", Value: p.Step.Status},
		sign.Field{Name: "pg_order_id", Value: p.OrderID},
	)
	if !gatewayAPI {
		return reply, nil
	}
	return append(reply,
		sign.Field{Name: "pg_amount", Value: p.Amount.String()},
		sign.Field{Name: "pg_net_amount", Value: p.NetAmount.String()},
		g.datetime(c.now),
	), nil
}

// required returns a field that must be present and non-empty.
func required(fields sign.Fields, name string) (string, error) {
	v, ok := fields.Get(name)
	if !ok || v == "" {
		return "", wire.Missing(name)
	}
	return v, nil
}

// paymentID reads pg_payment_id: digits, at most 20 of them. When it is
// optional, absence reads as 0.
func paymentID(fields sign.Fields, must bool) (int64, error) {
	v, ok := fields.Get("pg_payment_id")
	if !ok || v == "" {
		if must {
			return 0, wire.Missing("pg_payment_id")
		}
		return 0, nil
	}
	id, ok := fixtures.ParseID(v)
	if !ok {
		return 0, wire.Malformed("pg_payment_id", "want a payment id of digits")
	}
	return id, nil
}
