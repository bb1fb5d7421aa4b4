package gateway

import (
	"cmp"
	"strconv"
	"strings"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// findPayment looks a payment up for a status request: by pg_payment_id,
// or by pg_order_id (the last payment made with it); when both are given
// they must name the same payment. needID and needOrder make them required.
func (g *Gateway) findPayment(c *call, needID, needOrder bool) (ledger.Payment, error) {
	id, err := paymentID(c.fields, needID)
	if err != nil {
		return ledger.Payment{}, err
	}
	order := c.fields.Value("pg_order_id")
	if needOrder && order == "" {
		return ledger.Payment{}, wire.Missing("pg_order_id")
	}
	if id == 0 && order == "" {
		return ledger.Payment{}, wire.Errorf(wire.CodeValidation, "Field pg_payment_id or pg_order_id is required")
	}
	p, ok := g.cfg.Ledger.PaymentOf(c.merchant.ID, id, order)
	if !ok || (order != "" && p.OrderID != order) {
		return ledger.Payment{}, wire.NewError(wire.CodeNotFound)
	}
	return p, nil
}

// getStatus3 answers get_status3.php: the payment's status now, the
// documented fields in order (spec §3.3).
func (g *Gateway) getStatus3(c *call) (sign.Fields, error) {
	p, err := g.findPayment(c, false, false)
	if err != nil {
		if r, ok := g.operationOf(c); ok {
			return r, nil
		}
		return nil, err
	}
	st, _ := p.StatusAt(c.now)
	out := sign.Fields{
		{Name: "pg_status", Value: "ok"},
		{Name: "pg_payment_id", Value: strconv.FormatInt(p.PaymentID, 10)},
		{Name: "pg_can_reject", Value: "0"},
		{Name: "pg_payment_method", Value: "bankcard"},
		{Name: "pg_amount", Value: p.Amount.Fixed2()},
		{Name: "pg_currency", Value: p.Currency},
		{Name: "pg_payment_status", Value: g.paymentStatus(p, st, c.now)},
	}
	captured := p.Captured(c.now)
	if captured {
		out = append(out, sign.Field{Name: "pg_clearing_amount", Value: p.ClearingAmountAt(c.now).Fixed2()})
	}
	if st.Status == scenario.PaymentSuccess || st.Status == scenario.PaymentRevoked {
		out = append(out, sign.Field{Name: "pg_reference", Value: p.Reference})
	}
	if p.CardPAN != "" && p.Refusal == "" {
		out = append(out, sign.Field{Name: "pg_card_name", Value: p.CardHolder}, sign.Field{Name: "pg_card_pan", Value: p.CardPAN})
	}
	if refunds := p.RefundsAt(c.now); len(refunds) > 0 {
		out = append(out, g.refundPayments(c, refunds),
			sign.Field{Name: "pg_refund_amount", Value: (-p.RefundedAt(c.now)).Fixed2()})
	}
	if st.Status == scenario.PaymentError || st.Status == scenario.PaymentIncomplete {
		out = append(out, sign.Field{Name: "pg_failure_code", Value: strconv.Itoa(st.ErrorCode)},
			sign.Field{Name: "pg_failure_description", Value: failureText(p, st)})
	}
	return append(out, sign.Field{Name: "pg_captured", Value: boolText(captured)},
		sign.Field{Name: "pg_create_date", Value: g.date(p)}), nil
}

// operationOf answers a status request that names a refund or a cancel
// by its own payment id (payments.md §3.3: by payment id any payment
// type, refunds too, is found; by order id only the payment itself): the
// operation as a payment of its own, success, its amount negative. A
// refund is captured and dated when it was made, with its reference, as
// its entry in the payment's refund_payments shows it; a cancel released a
// hold, nothing captured, and is dated when it was made [assumed: the
// reference shows no such reply].
func (g *Gateway) operationOf(c *call) (sign.Fields, bool) {
	id, err := paymentID(c.fields, false)
	if err != nil || id == 0 {
		return nil, false
	}
	order := c.fields.Value("pg_order_id")
	if p, ok := g.cfg.Ledger.RevokeByID(c.merchant.ID, id); ok && (order == "" || order == p.OrderID) {
		return g.operationReply(p.RevokeID, p.Amount, p.Currency, p.Reference, false, p.RevokedAt()), true
	}
	p, r, ok := g.cfg.Ledger.RefundByID(c.merchant.ID, id)
	if !ok || (order != "" && order != p.OrderID) {
		return nil, false
	}
	return g.operationReply(r.PaymentID, r.Amount, p.Currency, r.Reference, true, r.At), true
}

// operationReply is get_status3.php's reply for an operation of id on
// amount (shown negative): pg_clearing_amount when captured, as a
// payment's reply has it.
func (g *Gateway) operationReply(id int64, amount money.Amount, currency, reference string, captured bool, at time.Time) sign.Fields {
	out := sign.Fields{
		{Name: "pg_status", Value: "ok"},
		{Name: "pg_payment_id", Value: strconv.FormatInt(id, 10)},
		{Name: "pg_can_reject", Value: "0"},
		{Name: "pg_payment_method", Value: "bankcard"},
		{Name: "pg_amount", Value: (-amount).Fixed2()},
		{Name: "pg_currency", Value: currency},
		{Name: "pg_payment_status", Value: scenario.PaymentSuccess},
	}
	if captured {
		out = append(out, sign.Field{Name: "pg_clearing_amount", Value: (-amount).Fixed2()})
	}
	return append(out, sign.Field{Name: "pg_reference", Value: reference},
		sign.Field{Name: "pg_captured", Value: boolText(captured)},
		sign.Field{Name: "pg_create_date", Value: at.In(g.loc).Format(notify.PaymentDateLayout)})
}

// statusV2 answers /g2g/status_v2: payment id and order id both required,
// the schema's fields in order (spec §3.3).
func (g *Gateway) statusV2(c *call) (sign.Fields, error) {
	p, err := g.findPayment(c, true, true)
	if err != nil {
		return nil, err
	}
	st, _ := p.StatusAt(c.now)
	captured := p.Captured(c.now)
	clearing := p.ClearingAmountAt(c.now).Fixed2()
	out := sign.Fields{
		{Name: "pg_payment_id", Value: strconv.FormatInt(p.PaymentID, 10)},
		{Name: "pg_order_id", Value: p.OrderID},
		{Name: "pg_currency", Value: p.Currency},
		{Name: "pg_status", Value: "ok"},
		{Name: "pg_payment_status", Value: g.paymentStatus(p, st, c.now)},
		{Name: "pg_amount", Value: p.Amount.Fixed2()},
		{Name: "pg_clearing_amount", Value: clearing},
		{Name: "pg_refund_amount", Value: (-p.RefundedAt(c.now)).Fixed2()},
		{Name: "pg_user_email", Value: p.UserEmail},
		{Name: "pg_card_name", Value: p.CardHolder},
		{Name: "pg_card_pan", Value: p.CardPAN},
		{Name: "pg_card_exp", Value: p.CardExp},
		{Name: "pg_card_brand", Value: p.CardBrand},
		{Name: "pg_user_phone", Value: p.UserPhone},
		{Name: "pg_payment_date", Value: g.at(st)},
		{Name: "pg_captured", Value: boolText(captured)},
	}
	if refunds := p.RefundsAt(c.now); len(refunds) > 0 {
		out = append(out, g.refundPayments(c, refunds))
	}
	if st.Status == scenario.PaymentRevoked && p.RevokeID != 0 {
		out = append(out, g.revokedPayments(c, p))
	}
	out = append(out, sign.Field{Name: "pg_reference", Value: p.Reference})
	if st.Status == scenario.PaymentError || st.Status == scenario.PaymentIncomplete {
		out = append(out, sign.Field{Name: "pg_failure_code", Value: strconv.Itoa(st.ErrorCode)},
			sign.Field{Name: "pg_failure_description", Value: failureText(p, st)})
	}
	c.tail = sign.Fields{g.datetime(c.now)} // after pg_sig, as the schema orders it
	return out, nil
}

// refundPayments is a status reply's pg_refund_payments: the field, empty,
// where it goes, its pg_refund_payment entries in c.groups (signed
// flattened, payments.md §3.3). Each entry is one refund: its id, status,
// amount (negative), date and reference. The tags are the reply's own
// pg_ names [assumed: the reference lists them without the prefix, as
// it does every field].
func (g *Gateway) refundPayments(c *call, refunds []ledger.Refund) sign.Field {
	entries := make([]sign.Node, len(refunds))
	for i, r := range refunds {
		entries[i] = sign.Node{Name: "pg_refund_payment", Children: []sign.Node{
			{Name: "pg_payment_id", Value: strconv.FormatInt(r.PaymentID, 10)},
			{Name: "pg_payment_status", Value: scenario.PaymentSuccess},
			{Name: "pg_amount", Value: (-r.Amount).Fixed2()},
			{Name: "pg_payment_date", Value: r.At.In(g.loc).Format(notify.PaymentDateLayout)},
			{Name: "pg_reference", Value: r.Reference},
		}}
	}
	if c.groups == nil {
		c.groups = map[string][]sign.Node{}
	}
	c.groups["pg_refund_payments"] = entries
	return sign.Field{Name: "pg_refund_payments"}
}

// revokedPayments is status_v2's pg_revoked_payments: the cancel that
// released p's hold (/g2g/cancel's pg_payment_revoke_id), its status
// success, as one pg_revoked_payment entry signed flattened as the refund
// entries are (payments.md §3.3: revoked_payments[payment_id,
// payment_status]).
func (g *Gateway) revokedPayments(c *call, p ledger.Payment) sign.Field {
	if c.groups == nil {
		c.groups = map[string][]sign.Node{}
	}
	c.groups["pg_revoked_payments"] = []sign.Node{{Name: "pg_revoked_payment", Children: []sign.Node{
		{Name: "pg_payment_id", Value: strconv.FormatInt(p.RevokeID, 10)},
		{Name: "pg_payment_status", Value: scenario.PaymentSuccess},
	}}}
	return sign.Field{Name: "pg_revoked_payments"}
}

// getStatus2 answers get_status2.php (by order id) and get_status.php (by
// order id or payment id): the older transaction status (spec §3.3, §4).
func (g *Gateway) getStatus2(c *call) (sign.Fields, error) {
	byOrder := strings.TrimSuffix(c.script, ".php") == "get_status2"
	p, err := g.findPayment(c, false, byOrder)
	if err != nil {
		return nil, err
	}
	st, _ := p.StatusAt(c.now)
	tx := TransactionStatus(st.Status, byOrder || c.fields.Value("pg_payment_id") == "")
	if p.RefundedInFull(c.now) {
		tx = g.refundedTransaction()
	}
	return sign.Fields{
		{Name: "pg_status", Value: "ok"},
		{Name: "pg_payment_id", Value: strconv.FormatInt(p.PaymentID, 10)},
		{Name: "pg_transaction_status", Value: tx},
		{Name: "pg_can_reject", Value: "0"},
		{Name: "pg_testing_mode", Value: boolText(p.TestingMode)},
		{Name: "pg_captured", Value: boolText(p.Captured(c.now))},
		{Name: "pg_create_date", Value: g.date(p)},
	}, nil
}

// paymentStatus is pg_payment_status of p at now, in force step st: the
// step's status, or for a payment refunded in full what [payments]
// refund_status says (open point 5).
func (g *Gateway) paymentStatus(p ledger.Payment, _ ledger.Step, now time.Time) string {
	return p.ShownStatus(now, g.cfg.PaymentSettings.StatusRefunded())
}

// refundedTransaction is pg_transaction_status of a payment refunded in
// full (payments.md §4: revoked; refunded, as one copy of the docs has
// it, when [payments] refund_status is refunded).
func (g *Gateway) refundedTransaction() string {
	if g.cfg.PaymentSettings.StatusRefunded() == scenario.PaymentRefunded {
		return scenario.PaymentRefunded
	}
	return "revoked"
}

// failureText is a failed payment's pg_failure_description: the code's
// text, or, for a payment the merchant's check request refused, that.
func failureText(p ledger.Payment, st ledger.Step) string {
	if p.Refusal != "" && st.Status == scenario.PaymentError {
		return "Платеж отклонен магазином: " + wire.Shorten(cmp.Or(p.RefusalCause, p.Refusal), 200)
	}
	return wire.PaymentText(st.ErrorCode)
}

// TransactionStatus is pg_transaction_status for a payment status (spec
// §4): asked by order id a new payment is "partial", asked by payment id
// "new"; a pending one is "pending" by order, "new" by id.
func TransactionStatus(status string, byOrder bool) string {
	switch status {
	case scenario.PaymentNew:
		if byOrder {
			return "partial"
		}
		return "new"
	case scenario.PaymentPending:
		if byOrder {
			return "pending"
		}
		return "new"
	case scenario.PaymentSuccess:
		return "ok"
	case scenario.PaymentError:
		return "failed"
	}
	return status // revoked, incomplete
}

func (g *Gateway) date(p ledger.Payment) string {
	return p.CreatedAt.In(g.loc).Format(notify.PaymentDateLayout)
}

func (g *Gateway) at(s ledger.Step) string { return s.At.In(g.loc).Format(notify.PaymentDateLayout) }

func boolText(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
