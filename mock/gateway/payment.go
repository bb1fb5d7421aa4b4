package gateway

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/page"
	"github.com/freedompay-mock/freedompay-mock/mock/routes"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// Payments is how the gateway changes payments: the sandbox makes each
// change with its callbacks (the result notify scheduled, the check request
// sent and waited for).
type Payments interface {
	// Create makes a payment; replayed is true when an idempotency key
	// gave back an earlier one.
	Create(np ledger.NewPayment, now time.Time) (p ledger.Payment, replayed bool, err error)
	// Open is the payer opening the page of payment key.
	Open(key string, now time.Time) (ledger.Payment, error)
	// Pay is the payer sending card c on the page: the check request, then
	// the charge, the result notify sent and its first attempt waited for.
	Pay(ctx context.Context, key string, c ledger.Card, now time.Time) (Paid, error)
	// AnswerACS is the payer's answer on the issuer's 3DS page.
	AnswerACS(ctx context.Context, key string, confirm bool, now time.Time) (Paid, error)
	// Capture captures a held payment of merchantID: amount of it, or all
	// when amount is 0 (do_capture.php, /g2g/clearing).
	Capture(merchantID string, id int64, amount money.Amount, now time.Time) (ledger.Payment, error)
	// Cancel releases a held payment of merchantID (cancel.php,
	// /g2g/cancel): revoked, nothing captured.
	Cancel(merchantID string, id int64, now time.Time) (ledger.Payment, error)
	// Refund gives back amount of a captured payment of merchantID, or
	// all that remains when amount is 0 (revoke.php, /g2g/refund).
	Refund(merchantID string, id int64, rr ledger.RefundRequest, now time.Time) (ledger.Payment, ledger.Refund, error)
	// ChargeProfile makes a recurring charge of a profile
	// (make_recurring_payment.php, /g2g/recurrent): a payment decided at
	// once, its result notify scheduled (not waited for), answered once
	// saved. It returns the charge and the profile.
	ChargeProfile(nc ledger.NewCharge, now time.Time) (ledger.Payment, ledger.Profile, error)
	// Wait is the longest Pay and AnswerACS may take (the callbacks'
	// timeouts): the payer's page waits as long.
	Wait() time.Duration
}

// Paid is what became of a card sent on a payment's page.
type Paid struct {
	Payment ledger.Payment // as it is after: success, error, revoked, or pending
	ThreeDS bool           // the issuer's 3DS page waits for the payer
	Refusal string         // the check request refused the payment: why
	// Rejection is the pg_description of the merchant's rejection of the
	// result notify, shown to the payer (spec §5.1).
	Rejection string
	// At is the sandbox time the outcome was reached: the check request
	// may have taken a while.
	At time.Time
}

// Defaults and bounds of init_payment's fields (payments.md §3.1).
const (
	DefaultLifetime = 86400 * time.Second
	minLifetime     = 300
	maxLifetime     = 604800
	maxPaymentText  = 1024 // pg_description
	maxURL          = 255
	maxParam        = 255 // pg_param1..3, pg_idempotency_key
	// maxParams bounds the merchant's own fields a payment keeps and
	// forwards in every callback: FreedomPay documents no bound.
	maxParams = 8 << 10
)

// initPayment answers init_payment.php, init_payment and
// /g2g/payment_page/: a payment is made, new until the payer opens its
// page, and the reply gives the page's URL (spec §3.1).
func (g *Gateway) initPayment(c *call) (sign.Fields, error) {
	np, err := g.newPayment(c)
	if err != nil {
		return nil, err
	}
	if g.cfg.Payments == nil {
		return nil, wire.NewError(wire.CodeSystem)
	}
	np.PageURL = func(key string) string { return c.base() + routes.PaymentPage + "?customer=" + key }
	p, _, err := g.cfg.Payments.Create(np, c.now)
	switch err {
	case nil:
	case ledger.ErrTooManyPayments:
		return nil, wire.Errorf(wire.CodeSystem, "merchant %s has as many payments as the sandbox keeps (--max-payments): reset the merchant (POST /_mock/reset?merchant_id=%s) to start afresh", c.merchant.ID, c.merchant.ID)
	case ledger.ErrIdempotencyReused:
		return nil, wire.Errorf(wire.CodeValidation, "pg_idempotency_key %q was used before for a request with other fields", wire.Shorten(np.IdempotencyKey, 60))
	default:
		return nil, err
	}
	redirect := p.RedirectURL
	out := sign.Fields{
		{Name: "pg_status", Value: "ok"},
		{Name: "pg_payment_id", Value: strconv.FormatInt(p.PaymentID, 10)},
		{Name: "pg_redirect_url", Value: redirect},
		{Name: "pg_redirect_url_type", Value: "need data"},
	}
	if c.fields.Value("pg_generate_qr") == "1" {
		qr, err := page.QRDataURL(redirect)
		if err != nil {
			return nil, err
		}
		out = append(out, sign.Field{Name: "pg_redirect_qr", Value: qr})
	}
	return out, nil
}

// newPayment reads init_payment's fields, in the docs' order, stopping at
// the first problem.
func (g *Gateway) newPayment(c *call) (np ledger.NewPayment, err error) {
	f := &form{fields: c.fields}
	set := g.cfg.PaymentSettings
	required := []string{"pg_amount", "pg_description"}
	if set.OrderIDIsRequired() {
		required = append([]string{"pg_order_id"}, required...)
	}
	f.requireAll(required...)
	m := c.merchant
	p := ledger.Payment{MerchantID: m.ID, Script: c.script}
	p.OrderID = f.orderID()
	p.Amount = f.amount()
	p.Description = f.text("pg_description", maxPaymentText)
	p.Currency = f.str("pg_currency")
	if p.Currency == "" {
		p.Currency = m.Currency
	} else if len(p.Currency) != 3 || strings.ToUpper(p.Currency) != p.Currency || !isAlnumUpper(p.Currency) {
		f.fail(wire.Malformed("pg_currency", "an ISO 4217 code such as KZT"))
	}
	lifetime := DefaultLifetime
	if n, ok := f.seconds("pg_lifetime", minLifetime, maxLifetime, "seconds, 300 to 604800"); ok {
		lifetime = time.Duration(n) * time.Second
	}
	p.TestingMode = f.flag("pg_testing_mode", true)
	p.AutoClearing = f.flag("pg_auto_clearing", m.AutoClearing)
	p.ThreeDSChallenge = f.flag("pg_3ds_challenge", false)
	f.flag("pg_generate_qr", false)
	p.RecurringMonths = f.recurring(set.RecurringMaxMonthsOr())
	p.CheckURL = f.paymentURL("pg_check_url", m.CheckURL)
	p.ResultURL = f.paymentURL("pg_result_url", m.ResultURL)
	p.SuccessURL = f.paymentURL("pg_success_url", m.SuccessURL)
	p.FailureURL = f.paymentURL("pg_failure_url", m.FailureURL)
	p.RefundURL = f.paymentURL("pg_refund_url", "") // legacy: called with [payments] legacy_notifies (open point 13)
	p.CaptureURL = f.paymentURL("pg_capture_url", "")
	f.paymentURL("pg_site_url", "")
	f.paymentURL("pg_state_url", "")
	p.RequestMethod = f.oneOf("pg_request_method", "GET", "POST", "XML")
	p.SuccessMethod = f.oneOf("pg_success_url_method", "GET", "POST", "AUTOPOST", "AUTOGET")
	p.FailureMethod = f.oneOf("pg_failure_url_method", "GET", "POST", "AUTOPOST", "AUTOGET")
	f.oneOf("pg_state_url_method", "GET", "POST")
	p.Language = page.Lang(f.str("pg_language"))
	if v := f.str("pg_payment_route"); v != "" {
		p.Frame = v == "frame"
	}
	if n, ok := f.seconds("pg_timeout_after_payment", 1, 3600, "seconds, at least 1"); ok {
		p.TimeoutAfterPayment = n
	}
	p.UserPhone = f.str("pg_user_phone")
	p.UserEmail = f.str("pg_user_contact_email")
	if p.UserEmail == "" {
		p.UserEmail = f.str("pg_user_email")
	}
	if v := f.str("pg_user_id"); v != "" && !fixtures.IsUserID(v) {
		f.fail(wire.Malformed("pg_user_id", "1 to 50 of a-z, A-Z, 0-9, _ and -"))
	}
	for _, name := range []string{"pg_param1", "pg_param2", "pg_param3", "pg_idempotency_key"} {
		f.text(name, maxParam)
	}
	if p.ResultURL == "" && f.err == nil {
		f.fail(wire.Errorf(wire.CodeNoPostLink, "pg_result_url is missing and merchant %s has no result_url in the scenario: the result notify goes there", m.ID))
	}
	if f.err != nil {
		return ledger.NewPayment{}, f.err
	}
	if p.Params, err = ownFields(c.fields); err != nil {
		return ledger.NewPayment{}, err
	}
	return ledger.NewPayment{Payment: p, Lifetime: lifetime, IdempotencyKey: f.str("pg_idempotency_key"),
		Digest: digest(c.fields), OrderedDigest: orderedDigest(c.fields)}, nil
}

// ownFields are the merchant's own fields of a request, which a payment
// keeps and forwards in its callbacks: those without pg_, and
// pg_param1..3, in request order, at most maxParams bytes of them.
func ownFields(fields sign.Fields) (sign.Fields, error) {
	var own sign.Fields
	size := 0
	for _, fl := range fields {
		switch {
		case !strings.HasPrefix(fl.Name, "pg_"),
			fl.Name == "pg_param1", fl.Name == "pg_param2", fl.Name == "pg_param3":
			own = append(own, fl)
			size += len(fl.Name) + len(fl.Value)
		}
	}
	if size > maxParams {
		return nil, wire.Errorf(wire.CodeValidation, "The merchant's own fields (those without pg_, and pg_param1..3) hold %d bytes; the sandbox keeps at most %d with a payment", size, maxParams)
	}
	return own, nil
}

// seconds reads an optional count of seconds from lo to hi: ASCII digits
// only, as the sandbox reads every count and id (fixtures.ParseID);
// strconv alone would take a sign. It reports false when the field is
// absent or malformed (then want says what it must be).
func (f *form) seconds(name string, lo, hi int, want string) (int, bool) {
	v := f.str(name)
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if !fixtures.IsDigits(v) || err != nil || n < lo || n > hi {
		f.fail(wire.Malformed(name, want))
		return 0, false
	}
	return n, true
}

// text reads an optional field of at most n characters.
func (f *form) text(name string, n int) string {
	v := f.str(name)
	if f.err == nil && utf8.RuneCountInString(v) > n {
		f.fail(wire.Malformed(name, "at most "+strconv.Itoa(n)+" characters"))
	}
	return v
}

// flag reads an optional 0/1 field; absent, it is def.
func (f *form) flag(name string, def bool) bool {
	switch f.str(name) {
	case "":
		return def
	case "1":
		return true
	case "0":
		return false
	}
	f.fail(wire.Malformed(name, "0 or 1"))
	return def
}

// oneOf reads an optional field that is one of values (any case), upper-cased.
func (f *form) oneOf(name string, values ...string) string {
	v := strings.ToUpper(f.str(name))
	if v == "" {
		return ""
	}
	for _, ok := range values {
		if v == ok {
			return v
		}
	}
	f.fail(wire.Malformed(name, "one of "+strings.Join(values, ", ")))
	return ""
}

// paymentURL reads an optional URL of at most 255 characters; absent, it
// is the merchant's.
func (f *form) paymentURL(name, merchant string) string {
	v := f.str(name)
	if v == "" {
		return merchant
	}
	if f.err == nil && len(v) > maxURL {
		f.fail(wire.Malformed(name, "at most 255 characters"))
	}
	return f.link(name)
}

// digest names a request's fields but its salt and signature, whatever
// their order: the same request sent again with a pg_idempotency_key, its
// fields in any order, has the same digest. The fields are sorted by name,
// then value, but for a list's items ("items[]"), which keep their order:
// PHP reads them as the list, so in another order they are another
// request. (A name that is not a list has one value: the wire refuses it
// twice with two.)
func digest(fields sign.Fields) string {
	kept := unsalted(fields)
	slices.SortStableFunc(kept, func(a, b sign.Field) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 || strings.HasSuffix(a.Name, "[]") {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	})
	return hashFields(kept)
}

// orderedDigest is digest in request order, as a state saved before the
// digest sorted the fields holds it (see ledger.NewPayment.OrderedDigest).
func orderedDigest(fields sign.Fields) string { return hashFields(unsalted(fields)) }

// unsalted is a copy of fields without pg_salt and pg_sig, which differ
// from one sending of a request to the next.
func unsalted(fields sign.Fields) sign.Fields {
	kept := make(sign.Fields, 0, len(fields))
	for _, f := range fields {
		if f.Name != "pg_salt" && f.Name != sign.FieldSig {
			kept = append(kept, f)
		}
	}
	return kept
}

// hashFields is the MD5, in hex, of fields query-escaped in their order.
func hashFields(fields sign.Fields) string {
	h := md5.New()
	for _, f := range fields {
		h.Write([]byte(url.QueryEscape(f.Name) + "=" + url.QueryEscape(f.Value) + "&"))
	}
	return hex.EncodeToString(h.Sum(nil))
}
