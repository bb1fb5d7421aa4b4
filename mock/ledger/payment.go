package ledger

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// Payment is one card payment (payments.md): what init_payment asked for,
// the card it was paid with, and the timeline of its statuses
// (scenario.PaymentNew … PaymentRevoked). A step that notifies sends the
// result notify.
type Payment struct {
	MerchantID  string
	OrderID     string
	PaymentID   int64
	Script      string // how it was made: "init_payment.php", "payment.php", …, or "scenario"
	Amount      money.Amount
	Currency    string
	Description string
	// Params are forwarded to the merchant in the check request, the
	// result notify and the redirect back: the request's fields without
	// the pg_ prefix, in request order (payments.md §2).
	Params sign.Fields
	// Callback and redirect URLs: the request's, else the merchant's.
	CheckURL, ResultURL, SuccessURL, FailureURL string
	// RefundURL and CaptureURL are the request's pg_refund_url and
	// pg_capture_url: legacy callbacks of a refund or cancel and of a
	// hold's capture, sent only with [payments] legacy_notifies
	// (payments.md §5.4, open point 13).
	RefundURL  string `json:",omitempty"`
	CaptureURL string `json:",omitempty"`
	// RequestMethod is how the check and result callbacks go: "GET",
	// "POST" or "XML"; "" for the scenario's [payments] encoding.
	RequestMethod string
	// SuccessMethod and FailureMethod send the payer back: GET, POST,
	// AUTOPOST or AUTOGET.
	SuccessMethod, FailureMethod string
	Language                     string
	Frame                        bool // pg_payment_route=frame
	TestingMode                  bool
	AutoClearing                 bool
	TimeoutAfterPayment          int // seconds
	UserPhone, UserEmail         string
	CreatedAt, ExpiresAt         time.Time
	// PageKey names the payment page (pg_redirect_url's customer=…).
	PageKey     string
	RedirectURL string // as the create reply gave it
	Reference   string // bank reference (RRN) of the charge
	// The card, once the payer has sent one: masked as FreedomPay shows it.
	CardPAN, CardBrand, CardExp, CardHolder string
	// ThreeDSChallenge sends every card through the 3DS page
	// (pg_3ds_challenge=1).
	ThreeDSChallenge bool
	// AwaitingACS is set while the issuer's 3DS page waits for the payer
	// (until the lifetime's end: see AwaitsACS).
	AwaitingACS bool
	// PendingOutcome is the outcome decided for a card on the 3DS page,
	// placed on the timeline once the page is answered.
	PendingOutcome []Pending `json:",omitempty"`
	// Refusal says why the check request refused the payment, when it did:
	// in full (shown to the merchant's developer: journal, control API,
	// dashboard); RefusalCause is the same in a few words, as the payer
	// and pg_failure_description are told it.
	Refusal      string
	RefusalCause string `json:",omitempty"`
	DecidedBy    string // what chose the outcome: a rule, a test card, the default
	Timeline     []Step // ascending; the first step is its creation (new)
	Revision     int    // counts the changes of its timeline
	Drills       []string
	// IdempotencyKey and Digest (of the request's fields) let a repeated
	// init_payment replay the first reply.
	IdempotencyKey, Digest string
	// A two-step payment's capture (do_capture.php, /g2g/clearing): when
	// it was captured and how much of it. Zero while held, and for a
	// one-step payment (see Captured).
	CapturedAt     time.Time    `json:",omitzero"`
	ClearingAmount money.Amount `json:",omitempty"`
	// RevokeID is the id of the cancel that released the hold
	// (/g2g/cancel's pg_payment_revoke_id).
	RevokeID int64 `json:",omitempty"`
	// Refunds are the refunds of the payment's money (revoke.php,
	// /g2g/refund), in the order they were made.
	Refunds []Refund `json:",omitempty"`
	// OverRefunds counts the refund requests refused for asking more than
	// remained or for a payment refunded in full; OverRefundsKept are the
	// first MaxOverRefundsKept of them. The expectation
	// refunds_within_payment reads them here, whatever the journal has let
	// go since.
	OverRefunds     int          `json:",omitempty"`
	OverRefundsKept []OverRefund `json:",omitempty"`
	// NetAmount is what the merchant gets of the payment: the amount less
	// its merchant's payment commission (pg_net_amount). A state saved
	// before it was kept holds none: the amount.
	NetAmount money.Amount `json:",omitempty"`
	// Operations are the operations the payment's card or rule refuses
	// (scenario.OpCapture, OpCancel, OpRefund) and the code each
	// answers: a test card's capabilities (payments.md §7), a payment
	// rule's operations.
	Operations map[string]int `json:",omitempty"`
	// A recurring start (pg_recurring_start=1): the profile's lifetime in
	// months and its id, given when the payment is made and in force once
	// it is authorised (see [Payment.Profile]). ProfileCard is the whole
	// number of the card it was paid with, kept so that payment rules
	// match its charges by card as they match a card on the page; it is
	// never shown (masked, it is CardPAN).
	RecurringMonths    int    `json:",omitempty"`
	RecurringProfileID int64  `json:",omitempty"`
	ProfileCard        string `json:",omitempty"`
	// ChargeOf is, for a recurring charge (make_recurring_payment.php,
	// /g2g/recurrent), the profile it charged.
	ChargeOf int64 `json:",omitempty"`
}

// Pending is a step of an outcome decided and not yet placed: After is
// counted from the moment it is.
type Pending struct {
	After     time.Duration
	Status    string
	ErrorCode int   `json:",omitempty"`
	Notify    *bool `json:",omitempty"`
}

func pendingOf(steps []scenario.Step) []Pending {
	out := make([]Pending, len(steps))
	for i, s := range steps {
		out[i] = Pending{After: s.At.Duration, Status: s.Status, ErrorCode: s.ErrorCode, Notify: s.Notify}
	}
	return out
}

func stepsOf(ps []Pending) []scenario.Step {
	out := make([]scenario.Step, len(ps))
	for i, p := range ps {
		out[i] = scenario.Step{At: scenario.Duration{Duration: p.After}, Status: p.Status, ErrorCode: p.ErrorCode, Notify: p.Notify}
	}
	return out
}

// StatusAt returns the step in force at t; false before the payment exists.
func (p Payment) StatusAt(t time.Time) (Step, bool) { return stepAt(p.Timeline, t) }

// Final returns the last step when it is final: success, error,
// incomplete or revoked.
func (p Payment) Final() (Step, bool) {
	if len(p.Timeline) == 0 {
		return Step{}, false
	}
	s := p.Timeline[len(p.Timeline)-1]
	return s, s.Status != scenario.PaymentNew && s.Status != scenario.PaymentPending
}

// AwaitsACS reports whether the issuer's 3DS page waits for the payer at
// now: a card needs it and the payment's lifetime is not over.
func (p Payment) AwaitsACS(now time.Time) bool { return p.AwaitingACS && now.Before(p.ExpiresAt) }

// Paid reports whether the payer has sent a card (or the scenario says it
// was paid): the page takes no other.
func (p Payment) Paid() bool { return p.CardPAN != "" }

// ReadPayments is [Ledger.ReadPayouts] for payments.
func (l *Ledger) ReadPayments(f func([]*Payment)) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	f(l.payments)
}

// Clone is a copy of the payment that shares nothing with it.
func (p *Payment) Clone() Payment { return p.clone() }

func (p *Payment) clone() Payment {
	c := *p
	c.Timeline = append([]Step(nil), p.Timeline...)
	c.Params = append(sign.Fields(nil), p.Params...)
	c.Drills = append([]string(nil), p.Drills...)
	c.PendingOutcome = append([]Pending(nil), p.PendingOutcome...)
	c.Refunds = append([]Refund(nil), p.Refunds...)
	c.OverRefundsKept = append([]OverRefund(nil), p.OverRefundsKept...)
	c.Operations = maps.Clone(p.Operations)
	return c
}

// Errors of payment operations.
var (
	// ErrNoPayment: no payment has that id, order id or page.
	ErrNoPayment = errors.New("no such payment")
	// ErrIdempotencyReused: pg_idempotency_key was used before for a
	// request with other fields.
	ErrIdempotencyReused = errors.New("pg_idempotency_key was used before for another request")
	// ErrPaid: the payment's page takes no more cards.
	ErrPaid = errors.New("the payment has already been paid")
	// ErrExpired: the payment's lifetime is over.
	ErrExpired = errors.New("the payment's lifetime is over")
	// ErrTooManyPayments: the merchant has as many payments as the
	// sandbox keeps (--max-payments).
	ErrTooManyPayments = errors.New("too many payments")
	// ErrNoACS: the payment waits for no 3DS answer.
	ErrNoACS = errors.New("the payment waits for no 3-D Secure answer")
	// ErrCharging: a card sent for the payment is being processed (its
	// check request or result notify is under way).
	ErrCharging = errors.New("a card sent for this payment is being processed")
)

// Refused is an operation on a payment (a capture, a cancel, a refund)
// that its card or its payment rule refuses: the request answers Code
// (payments.md §7).
type Refused struct {
	Operation string
	Code      int
	By        string // "the test card" or "rule N"
}

func (e *Refused) Error() string {
	return fmt.Sprintf("%s refused by %s (%d)", e.Operation, e.By, e.Code)
}

// refused is p's refusal of op, nil when p takes it.
func (p *Payment) refused(op string) error {
	if code := p.Operations[op]; code != 0 {
		return &Refused{Operation: op, Code: code, By: p.DecidedBy}
	}
	return nil
}

// NewPayment is what init_payment asks for.
type NewPayment struct {
	Payment        // the request's fields; ids, timeline and page are the ledger's
	Lifetime       time.Duration
	IdempotencyKey string
	// Digest names the request's fields, in any order; OrderedDigest
	// names them in request order, as a state saved before digests sorted
	// the fields holds a payment's, so that its replays still match.
	Digest, OrderedDigest string
	// PageURL, when set, is the payment page's URL for its key: kept as
	// RedirectURL, as the create reply gives it.
	PageURL func(key string) string
}

// CreatePayment makes a payment at now: status new until the payer sends a
// card, incomplete (10018, with a result notify) when its lifetime ends
// first. With an idempotency key used before for the same fields it
// returns that payment and true, even with the merchant at its
// maxPayments; for other fields, ErrIdempotencyReused.
func (l *Ledger) CreatePayment(np NewPayment, now time.Time) (Payment, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.merchants[np.MerchantID]; !ok {
		return Payment{}, false, ErrUnknownMerchant
	}
	// The key first: a replay makes nothing, so a merchant at
	// --max-payments still has its payments' requests replayed.
	if np.IdempotencyKey != "" {
		if p, ok := l.idem[orderKey{np.MerchantID, np.IdempotencyKey}]; ok {
			if p.Digest != np.Digest && (np.OrderedDigest == "" || p.Digest != np.OrderedDigest) {
				return Payment{}, false, ErrIdempotencyReused
			}
			return p.clone(), true, nil
		}
	}
	if l.payCount[np.MerchantID] >= l.maxPayments {
		return Payment{}, false, ErrTooManyPayments
	}
	p := np.Payment
	p.PaymentID = l.newPaymentID()
	key := md5.Sum([]byte(l.gen.Salt())) // pg_redirect_url's customer: 32 hex digits
	p.PageKey = hex.EncodeToString(key[:])
	if np.PageURL != nil {
		p.RedirectURL = np.PageURL(p.PageKey)
	}
	p.Reference = l.gen.Reference()
	p.NetAmount = p.Amount - l.merchants[p.MerchantID].PaymentCommission(p.Amount)
	p.CreatedAt, p.ExpiresAt = now, now.Add(np.Lifetime)
	p.IdempotencyKey, p.Digest = np.IdempotencyKey, np.Digest
	p.Timeline = []Step{
		{At: now, Status: scenario.PaymentNew},
		{At: p.ExpiresAt, Status: scenario.PaymentIncomplete, ErrorCode: wire.CodeLifetimeOver, Notify: true},
	}
	p.CardPAN, p.CardBrand, p.CardExp, p.CardHolder = "", "", "", ""
	p.RecurringProfileID, p.ProfileCard, p.ChargeOf = 0, "", 0
	if p.RecurringMonths > 0 {
		p.RecurringProfileID = l.newChildID(p.PaymentID)
	}
	l.insertPayment(&p)
	l.trackPayment(&p)
	return p.clone(), false, nil
}

// DefaultMaxPayments is how many payments a merchant keeps unless told
// otherwise (--max-payments).
const DefaultMaxPayments = 20000

// LimitPayments sets how many payments each merchant keeps; n ≤ 0 is
// DefaultMaxPayments.
func (l *Ledger) LimitPayments(n int) {
	if n <= 0 {
		n = DefaultMaxPayments
	}
	l.mu.Lock()
	l.maxPayments = n
	l.mu.Unlock()
}

func (l *Ledger) insertPayment(p *Payment) {
	l.bookPayment(p)
	l.payCount[p.MerchantID] += 1 + len(p.Refunds)
	l.payments = append(l.payments, p)
	l.payByID[p.PaymentID] = p
	l.payByOrder[orderKey{p.MerchantID, p.OrderID}] = p // the last one made
	l.payByPage[p.PageKey] = p
	for _, id := range p.childIDs() {
		l.childIDs[id] = p
	}
	for _, r := range p.Refunds {
		if r.IdempotencyKey != "" {
			l.refundIdem[orderKey{p.MerchantID, r.IdempotencyKey}] = p
		}
	}
	if p.RecurringProfileID != 0 { // the profile's id is in the payments' id space too
		l.childIDs[p.RecurringProfileID] = p
	}
	if p.IdempotencyKey != "" {
		l.idem[orderKey{p.MerchantID, p.IdempotencyKey}] = p
	}
}

// Payment returns the payment with the given id, whatever its merchant.
func (l *Ledger) Payment(id int64) (Payment, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	p, ok := l.payByID[id]
	if !ok {
		return Payment{}, false
	}
	return p.clone(), true
}

// PaymentOf finds merchantID's payment by payment id or, when id is 0, the
// last one made with orderID (payments.md §3.3).
func (l *Ledger) PaymentOf(merchantID string, id int64, orderID string) (Payment, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var p *Payment
	if id != 0 {
		p = l.payByID[id]
	} else {
		p = l.payByOrder[orderKey{merchantID, orderID}]
	}
	if p == nil || p.MerchantID != merchantID {
		return Payment{}, false
	}
	return p.clone(), true
}

// PaymentByPage returns the payment whose page has the given key.
func (l *Ledger) PaymentByPage(key string) (Payment, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	p, ok := l.payByPage[key]
	if !ok {
		return Payment{}, false
	}
	return p.clone(), true
}

// Payments returns every payment, in the order they were made.
func (l *Ledger) Payments() []Payment {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([]Payment, len(l.payments))
	for i, p := range l.payments {
		out[i] = p.clone()
	}
	return out
}

// OpenPage is the payer opening the payment page at now: a new payment is
// pending from then on. It fails for a payment paid or expired.
func (l *Ledger) OpenPage(key string, now time.Time) (Payment, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, err := l.open(key, now)
	if err != nil {
		return Payment{}, err
	}
	if s, _ := p.StatusAt(now); s.Status == scenario.PaymentNew {
		l.retime(p, now, []Step{{At: now, Status: scenario.PaymentPending}}, true)
	}
	return p.clone(), nil
}

// open finds a payment whose page still takes a card; l.mu is held.
func (l *Ledger) open(key string, now time.Time) (*Payment, error) {
	p, ok := l.payByPage[key]
	switch {
	case !ok:
		return nil, ErrNoPayment
	case p.Paid(), p.ChargeOf != 0: // a recurring charge has no payer
		return p, ErrPaid
	case !now.Before(p.ExpiresAt):
		return p, ErrExpired
	}
	if s, _ := p.StatusAt(now); s.Status != scenario.PaymentNew && s.Status != scenario.PaymentPending {
		return p, ErrPaid // forced, or the scenario's: final already
	}
	return p, nil
}

// retime replaces what p's timeline holds after now with next; with
// expiry, the lifetime's end stays after it. l.mu is held.
func (l *Ledger) retime(p *Payment, now time.Time, next []Step, expiry bool) {
	kept := p.Timeline[:0:0]
	for _, s := range p.Timeline {
		if s.At.After(now) {
			break
		}
		kept = append(kept, s)
	}
	kept = append(kept, next...)
	if expiry && p.ExpiresAt.After(now) {
		kept = append(kept, Step{At: p.ExpiresAt, Status: scenario.PaymentIncomplete, ErrorCode: wire.CodeLifetimeOver, Notify: true})
	}
	p.Timeline = kept
	p.Revision++
	l.trackPayment(p)
}
