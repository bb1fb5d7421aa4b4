package gateway

import (
	"strconv"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// Recurring charges (payments.md §3.5): init_payment with
// pg_recurring_start=1 and pg_recurring_lifetime starts a profile once the
// payment is authorised (its id goes to the merchant in the result notify,
// pg_recurring_profile_id); make_recurring_payment.php (and its .php-less
// twin, open point 1) and /g2g/recurrent charge it. A charge is answered at
// once with its payment id; its outcome follows in its own result notify.

// ParseMonths reads pg_recurring_lifetime: a count of months from 1 to
// most, ASCII digits only (no sign, no spaces), as every count the
// sandbox reads.
func ParseMonths(v string, most int) (int, bool) {
	if !fixtures.IsDigits(v) {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > most {
		return 0, false
	}
	return n, true
}

// recurring reads pg_recurring_start and pg_recurring_lifetime: the
// profile's lifetime in months when the payment starts one, else 0. A
// start needs its lifetime (9403 naming it); a lifetime without a start
// is checked and ignored.
func (f *form) recurring(most int) int {
	start := f.flag("pg_recurring_start", false)
	v := f.str("pg_recurring_lifetime")
	if v == "" {
		if start && f.err == nil {
			f.fail(wire.Errorf(wire.CodeValidation, "Field pg_recurring_lifetime is required with pg_recurring_start=1: the profile's lifetime in months, 1 to %d", most))
		}
		return 0
	}
	n, ok := ParseMonths(v, most)
	if !ok {
		f.fail(wire.Malformed("pg_recurring_lifetime", "months, 1 to "+strconv.Itoa(most)))
		return 0
	}
	if !start {
		return 0
	}
	return n
}

// makeRecurringPayment answers make_recurring_payment.php and
// make_recurring_payment: the charge's id, amount and currency, the
// profile and its expiry, in the order the KZ docs list them.
func (g *Gateway) makeRecurringPayment(c *call) (sign.Fields, error) {
	p, pr, err := g.chargeProfile(c, false)
	if err != nil {
		return nil, err
	}
	return sign.Fields{
		{Name: "pg_status", Value: "ok"},
		{Name: "pg_payment_id", Value: strconv.FormatInt(p.PaymentID, 10)},
		{Name: "pg_amount", Value: p.Amount.Fixed2()},
		{Name: "pg_currency", Value: p.Currency},
		{Name: "pg_recurring_profile", Value: strconv.FormatInt(pr.ID, 10)},
		{Name: "pg_recurring_profile_expiry_date", Value: pr.ExpiresAt.In(g.loc).Format(notify.PaymentDateLayout)},
	}, nil
}

// g2gRecurrent answers /g2g/recurrent: the charge's id, the status, the
// profile and the time, in the API dump's order.
func (g *Gateway) g2gRecurrent(c *call) (sign.Fields, error) {
	p, pr, err := g.chargeProfile(c, true)
	if err != nil {
		return nil, err
	}
	return sign.Fields{
		{Name: "pg_payment_id", Value: strconv.FormatInt(p.PaymentID, 10)},
		{Name: "pg_status", Value: "ok"},
		{Name: "pg_recurring_profile", Value: strconv.FormatInt(pr.ID, 10)},
		g.datetime(c.now),
	}, nil
}

// chargeProfile reads a recurring charge, in the docs' order, and makes
// it. g2g is /g2g/recurrent, which lists pg_order_id among its fields
// (required as init_payment's is, open point 2); make_recurring_payment.php
// has it optional (absent: the charge's payment id). pg_amount is optional
// on both: absent, the first payment's (PLATRON; docs/choices.md).
func (g *Gateway) chargeProfile(c *call, g2g bool) (ledger.Payment, ledger.Profile, error) {
	f := &form{fields: c.fields}
	required := []string{"pg_recurring_profile", "pg_description"}
	if g2g && g.cfg.PaymentSettings.OrderIDIsRequired() {
		required = []string{"pg_description", "pg_order_id", "pg_recurring_profile"}
	}
	f.requireAll(required...)
	if f.err != nil {
		return ledger.Payment{}, ledger.Profile{}, f.err
	}
	profile, ok := fixtures.ParseID(f.str("pg_recurring_profile"))
	if !ok {
		f.fail(wire.Malformed("pg_recurring_profile", "want a recurring profile id of digits, as pg_recurring_profile_id gave it"))
	}
	nc := ledger.NewCharge{MerchantID: c.merchant.ID, ProfileID: profile, Script: c.script}
	nc.OrderID = f.orderID()
	if f.str("pg_amount") != "" {
		nc.Amount = f.amount()
	}
	nc.Currency = f.str("pg_currency")
	nc.Description = f.text("pg_description", maxPaymentText)
	nc.ResultURL = f.paymentURL("pg_result_url", "")
	nc.RefundURL = f.paymentURL("pg_refund_url", "") // legacy: called with [payments] legacy_notifies (open point 13)
	nc.RequestMethod = f.oneOf("pg_request_method", "GET", "POST", "XML")
	f.text("pg_encoding", maxParam)
	if f.err != nil {
		return ledger.Payment{}, ledger.Profile{}, f.err
	}
	var err error
	if nc.Params, err = ownFields(c.fields); err != nil {
		return ledger.Payment{}, ledger.Profile{}, err
	}
	if g.cfg.Payments == nil {
		return ledger.Payment{}, ledger.Profile{}, wire.NewError(wire.CodeSystem)
	}
	p, pr, err := g.cfg.Payments.ChargeProfile(nc, c.now)
	return p, pr, g.recurringError(c, nc, pr, err)
}

// recurringError is the gateway's answer to a recurring charge's refusal
// (docs/choices.md): a profile the merchant does not have is 9403 naming
// pg_recurring_profile; one expired, or whose first payment was revoked
// or refunded in full, is 10019 ("operation refused: use another card"),
// signed. Other errors pass as they are.
func (g *Gateway) recurringError(c *call, nc ledger.NewCharge, pr ledger.Profile, err error) error {
	switch err {
	case nil:
		return nil
	case ledger.ErrNoProfile:
		return wire.Malformed("pg_recurring_profile", "merchant "+c.merchant.ID+" has no recurring profile "+strconv.FormatInt(nc.ProfileID, 10)+
			" (its id comes in the result notify of an authorised payment made with pg_recurring_start=1)")
	case ledger.ErrProfileExpired:
		return refused(wire.CodeNotAvailable, "recurring profile "+strconv.FormatInt(pr.ID, 10)+" expired "+pr.ExpiresAt.In(g.loc).Format(notify.PaymentDateLayout))
	case ledger.ErrProfileClosed:
		return refused(wire.CodeNotAvailable, "recurring profile "+strconv.FormatInt(pr.ID, 10)+": its first payment was revoked or refunded in full")
	case ledger.ErrProfileCurrency:
		return wire.Malformed("pg_currency", "want the recurring profile's currency "+pr.Currency)
	case ledger.ErrTooManyPayments:
		return wire.Errorf(wire.CodeSystem, "merchant %s has as many payments as the sandbox keeps (--max-payments): reset the merchant (POST /_mock/reset?merchant_id=%s) to start afresh", c.merchant.ID, c.merchant.ID)
	}
	return err
}

// refused is a signed refusal with code's payment text and why, in
// parentheses, for the merchant's developer.
func refused(code int, why string) error {
	return &wire.Error{Code: code, Description: wire.PaymentText(code) + " (" + why + ")", Signed: true}
}
