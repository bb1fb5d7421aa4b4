package ledger

import (
	"cmp"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// Recurring charges (payments.md §3.5): a payment made with
// pg_recurring_start=1 and pg_recurring_lifetime (months) starts a
// recurring profile once it is authorised; its id reaches the merchant in
// that payment's result notify (pg_recurring_profile_id). The merchant
// then charges the profile's card with make_recurring_payment.php or
// /g2g/recurrent, without the payer: each charge is a payment of its own,
// decided at once and told by a result notify of its own.
//
// The profile is kept with the payment that started it: its id is drawn
// when the payment is made, from the payments' id space, and it is in
// force from the payment's authorisation for its lifetime, while the
// payment stays successful and not refunded in full.

// Profile is a recurring profile as it is at some moment.
type Profile struct {
	ID         int64
	MerchantID string
	PaymentID  int64 // the payment that started it
	Months     int   // pg_recurring_lifetime
	// Amount and Currency are the first payment's: a charge's default.
	Amount   money.Amount
	Currency string
	// The card, masked as the payment shows it.
	CardPAN, CardBrand string
	// StartedAt is the first payment's authorisation; ExpiresAt is Months
	// later, on the calendar.
	StartedAt, ExpiresAt time.Time
}

// Profile states, as [Payment.ProfileState] tells them.
const (
	ProfileActive  = "active"
	ProfileExpired = "expired" // its lifetime is over
	// ProfileClosed: the first payment was revoked (cancelled, rejected,
	// forced) or refunded in full.
	ProfileClosed = "closed"
)

// Errors of recurring charges: the gateway answers each with its code
// (docs/choices.md).
var (
	// ErrNoProfile: no profile has the id, it is another merchant's, or
	// its first payment has not been authorised.
	ErrNoProfile = errors.New("no such recurring profile")
	// ErrProfileExpired: the profile's lifetime is over.
	ErrProfileExpired = errors.New("the recurring profile has expired")
	// ErrProfileClosed: the profile's first payment was revoked or
	// refunded in full.
	ErrProfileClosed = errors.New("the recurring profile's first payment was revoked or refunded in full")
	// ErrProfileCurrency: a charge in another currency than the profile's.
	ErrProfileCurrency = errors.New("the charge's currency is not the recurring profile's")
)

// Profile returns the recurring profile p started, as it is at t: false
// when p is no recurring start or was not authorised by t.
func (p Payment) Profile(t time.Time) (Profile, bool) {
	if p.RecurringProfileID == 0 || p.RecurringMonths <= 0 {
		return Profile{}, false
	}
	var started time.Time
	for _, s := range p.Timeline {
		if s.At.After(t) {
			break
		}
		if s.Status == scenario.PaymentSuccess {
			started = s.At
			break
		}
	}
	if started.IsZero() {
		return Profile{}, false
	}
	return Profile{ID: p.RecurringProfileID, MerchantID: p.MerchantID, PaymentID: p.PaymentID, Months: p.RecurringMonths,
		Amount: p.Amount, Currency: p.Currency, CardPAN: p.CardPAN, CardBrand: p.CardBrand,
		StartedAt: started, ExpiresAt: started.AddDate(0, p.RecurringMonths, 0)}, true
}

// ProfileState is the state at t of the profile p started: active,
// expired or closed; "" when there is none (see [Payment.Profile]).
func (p Payment) ProfileState(t time.Time) string {
	pr, ok := p.Profile(t)
	switch {
	case !ok:
		return ""
	case !t.Before(pr.ExpiresAt):
		return ProfileExpired
	}
	if _, ok := p.authorised(t); !ok || p.RefundedInFull(t) {
		return ProfileClosed
	}
	return ProfileActive
}

// NewCharge is a recurring charge asked for.
type NewCharge struct {
	MerchantID  string
	ProfileID   int64
	Script      string       // make_recurring_payment.php, make_recurring_payment or recurrent
	OrderID     string       // "": the charge's payment id
	Amount      money.Amount // 0: the first payment's
	Currency    string       // "" or the profile's
	Description string
	// ResultURL, RefundURL and RequestMethod: "" for the first payment's.
	ResultURL, RefundURL, RequestMethod string
	Params                              sign.Fields // the request's own fields, forwarded as init_payment's are
}

// ChargeProfile makes a recurring charge of merchantID's profile at now: a
// payment of its own, in the profile's currency, paid with its card and
// decided at once as a card on the page is (the first payment rule that
// matches, else the card's test-card outcome, else success), without a 3DS
// page: a rule's three_ds is ignored, its timeline placed. The charge is
// captured on authorisation as the merchant's payments are. It returns the
// charge with the index of its first outcome step (Charge.From), and the
// profile.
func (l *Ledger) ChargeProfile(nc NewCharge, now time.Time) (Charge, Profile, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, ok := l.merchants[nc.MerchantID]
	if !ok {
		return Charge{}, Profile{}, ErrUnknownMerchant
	}
	start := l.childIDs[nc.ProfileID]
	if start == nil || start.RecurringProfileID != nc.ProfileID || start.MerchantID != nc.MerchantID {
		return Charge{}, Profile{}, ErrNoProfile
	}
	pr, ok := start.Profile(now)
	if !ok {
		return Charge{}, Profile{}, ErrNoProfile
	}
	switch start.ProfileState(now) {
	case ProfileExpired:
		return Charge{}, pr, ErrProfileExpired
	case ProfileClosed:
		return Charge{}, pr, ErrProfileClosed
	}
	if nc.Currency != "" && nc.Currency != start.Currency {
		return Charge{}, pr, ErrProfileCurrency
	}
	if l.payCount[nc.MerchantID] >= l.maxPayments {
		return Charge{}, pr, ErrTooManyPayments
	}
	p := Payment{MerchantID: nc.MerchantID, Script: nc.Script, Amount: cmp.Or(nc.Amount, start.Amount), Currency: start.Currency,
		Description: nc.Description, Params: append(sign.Fields(nil), nc.Params...),
		ResultURL: cmp.Or(nc.ResultURL, start.ResultURL), RequestMethod: cmp.Or(nc.RequestMethod, start.RequestMethod),
		RefundURL: cmp.Or(nc.RefundURL, start.RefundURL), CaptureURL: start.CaptureURL,
		Language: start.Language, TestingMode: start.TestingMode, AutoClearing: a.AutoClearing,
		CreatedAt: now, ExpiresAt: now, ChargeOf: nc.ProfileID,
		CardPAN: start.CardPAN, CardBrand: start.CardBrand, CardExp: start.CardExp, CardHolder: start.CardHolder}
	p.PaymentID = l.newPaymentID()
	p.OrderID = cmp.Or(nc.OrderID, strconv.FormatInt(p.PaymentID, 10))
	key := md5.Sum([]byte(l.gen.Salt()))
	p.PageKey = hex.EncodeToString(key[:]) // no page is served for it (open refuses a charge)
	p.Reference = l.gen.Reference()
	p.NetAmount = p.Amount - a.PaymentCommission(p.Amount)
	p.Timeline = []Step{{At: now, Status: scenario.PaymentNew}}
	steps, decided, drills := l.chargeOutcome(&p, start.ProfileCard)
	p.Operations = l.operations(&p, start.ProfileCard)
	if cardExpired(start.CardExp, now) {
		steps, decided = []scenario.Step{{Status: scenario.PaymentError, ErrorCode: wire.CodeCardExpired}}, "the card's expiry date"
	}
	p.DecidedBy, p.Drills = decided, drills
	l.insertPayment(&p)
	return l.place(&p, steps, now), pr, nil
}

// chargeOutcome decides a recurring charge paid with pan as
// [Ledger.paymentOutcome] decides a card on the page, without its 3DS.
func (l *Ledger) chargeOutcome(p *Payment, pan string) ([]scenario.Step, string, []string) {
	steps, _, decided, drills := l.paymentOutcome(p, pan)
	return steps, decided, drills
}

// cardExpired reports whether a card whose expiry reads "MM/YY" (as
// Payment.CardExp keeps it) is expired at now; false when it does not
// read so.
func cardExpired(exp string, now time.Time) bool {
	m, y, ok := strings.Cut(exp, "/")
	if !ok || len(m) != 2 || len(y) != 2 {
		return false
	}
	return Card{ExpMonth: m, ExpYear: y}.expired(now)
}

// newChildID draws a payment id not in use and not parent's, for an id
// given before parent is inserted; l.mu is held.
func (l *Ledger) newChildID(parent int64) int64 {
	for {
		if id := l.newPaymentID(); id != parent {
			return id
		}
	}
}
