package gateway

import (
	"strconv"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// Two-step payments (payments.md §3.4): a payment made with
// pg_auto_clearing=0, or for a merchant with auto_clearing = false, is
// authorised and held; do_capture.php and /g2g/clearing capture all or
// part of it, cancel.php and /g2g/cancel release it. A hold neither
// captured nor cancelled is captured in full 5 days after authorisation
// (ledger.AutoCaptureAfter).

// doCapture answers do_capture.php: status, the payment's amount and the
// amount captured.
func (g *Gateway) doCapture(c *call) (sign.Fields, error) {
	p, err := g.capture(c)
	if err != nil {
		return nil, err
	}
	return sign.Fields{
		{Name: "pg_status", Value: "ok"},
		{Name: "pg_amount", Value: p.Amount.Fixed2()},
		{Name: "pg_clearing_amount", Value: p.ClearingAmount.Fixed2()},
	}, nil
}

// g2gClearing answers /g2g/clearing: the docs' example's fields in order,
// the flag named as [payments] clearing_flag says (open point 4).
func (g *Gateway) g2gClearing(c *call) (sign.Fields, error) {
	p, err := g.capture(c)
	if err != nil {
		return nil, err
	}
	return sign.Fields{
		{Name: "pg_payment_id", Value: strconv.FormatInt(p.PaymentID, 10)},
		{Name: "pg_amount", Value: p.Amount.Fixed2()},
		{Name: "pg_clearing_amount", Value: p.ClearingAmount.Fixed2()},
		{Name: "pg_status", Value: "ok"},
		{Name: g.cfg.PaymentSettings.ClearingFlagField(), Value: "1"},
	}, nil
}

// capture reads a capture request (pg_payment_id, optional
// pg_clearing_amount) and captures the payment.
func (g *Gateway) capture(c *call) (ledger.Payment, error) {
	id, err := paymentID(c.fields, true)
	if err != nil {
		return ledger.Payment{}, err
	}
	var amount money.Amount
	if v := c.fields.Value("pg_clearing_amount"); v != "" {
		a, err := money.Parse(v)
		if err != nil || a < 1 || a > money.Max {
			return ledger.Payment{}, wire.Malformed("pg_clearing_amount", "want more than 0 and at most the payment's amount, two decimals at most, such as 1000.50")
		}
		amount = a
	}
	if g.cfg.Payments == nil {
		return ledger.Payment{}, wire.NewError(wire.CodeSystem)
	}
	p, err := g.cfg.Payments.Capture(c.merchant.ID, id, amount, c.now)
	switch err {
	case nil:
		return p, nil
	case ledger.ErrClearingAmount:
		return p, wire.Malformed("pg_clearing_amount", amount.Fixed2()+" is more than the payment's amount "+p.Amount.Fixed2())
	}
	return p, operationError(err)
}

// cancelPHP answers cancel.php: status alone.
func (g *Gateway) cancelPHP(c *call) (sign.Fields, error) {
	if _, err := g.cancel(c); err != nil {
		return nil, err
	}
	return sign.Fields{{Name: "pg_status", Value: "ok"}}, nil
}

// g2gCancel answers /g2g/cancel: the payment, the cancel's own id and
// its status (payments.md §3.4).
func (g *Gateway) g2gCancel(c *call) (sign.Fields, error) {
	p, err := g.cancel(c)
	if err != nil {
		return nil, err
	}
	return sign.Fields{
		{Name: "pg_payment_id", Value: strconv.FormatInt(p.PaymentID, 10)},
		{Name: "pg_payment_revoke_id", Value: strconv.FormatInt(p.RevokeID, 10)},
		{Name: "pg_status", Value: "ok"},
		{Name: "pg_revoke_status", Value: "success"},
	}, nil
}

// cancel reads a cancel request (pg_payment_id; /g2g/cancel's optional
// receipt positions are taken and ignored) and cancels the payment.
func (g *Gateway) cancel(c *call) (ledger.Payment, error) {
	id, err := paymentID(c.fields, true)
	if err != nil {
		return ledger.Payment{}, err
	}
	if g.cfg.Payments == nil {
		return ledger.Payment{}, wire.NewError(wire.CodeSystem)
	}
	p, err := g.cfg.Payments.Cancel(c.merchant.ID, id, c.now)
	return p, operationError(err)
}

// operationCodes are the error codes of a capture's, a cancel's or a
// refund's refusal (payments.md §6). A refund of a payment that did not
// succeed answers 9013, the revoke of an unsuccessful payment: the
// reference has no refund-specific code.
var operationCodes = []struct {
	err  error
	code int
}{
	{ledger.ErrNoPayment, wire.CodeNotFound},
	{ledger.ErrNotAuthorised, wire.CodeClearingFailed},
	{ledger.ErrCaptured, wire.CodeClearedBefore},
	{ledger.ErrCancelled, wire.CodeCancelledBefore},
	{ledger.ErrNotCancellable, wire.CodeCancelFailed},
	{ledger.ErrCancelCaptured, wire.CodeCancelRefused},
	{ledger.ErrNotRefundable, wire.CodeCancelFailed},
	{ledger.ErrNotCapturedYet, wire.CodeRefundNeedsHold},
	{ledger.ErrRefundAmount, wire.CodeRefundExceeds},
	{ledger.ErrRefunded, wire.CodeRefundedBefore},
}

// The ledger counts refused refunds by the codes they are answered with:
// each of these fails to compile (a negative uint) if the two differ.
const (
	_ uint = ledger.CodeRefundExceeds - wire.CodeRefundExceeds
	_ uint = wire.CodeRefundExceeds - ledger.CodeRefundExceeds
	_ uint = ledger.CodeRefundedBefore - wire.CodeRefundedBefore
	_ uint = wire.CodeRefundedBefore - ledger.CodeRefundedBefore
)

// operationError is the gateway's answer to a capture's, a cancel's or a
// refund's refusal; other errors pass as they are.
func operationError(err error) error {
	if r, ok := err.(*ledger.Refused); ok {
		return wire.OperationError(r.Code)
	}
	for _, c := range operationCodes { // == on sentinels: an error of any type may come
		if err == c.err {
			return wire.NewError(c.code)
		}
	}
	return err
}
