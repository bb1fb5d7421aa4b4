package sandbox

import (
	"context"
	"errors"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/redact"
	"github.com/freedompay-mock/freedompay-mock/mock/routes"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// Payment is a payment as both APIs show it: its status now, its timeline
// with each step placed in the past, present or future, and (one payment
// asked for) its callbacks: check requests and result notifies.
type Payment struct {
	PaymentID  int64  `json:"payment_id"`
	OrderID    string `json:"order_id"`
	MerchantID string `json:"merchant_id"`
	Method     string `json:"method"` // the script that made it: init_payment.php, payment.php, …
	Amount     string `json:"amount"`
	// NetAmount is what the merchant gets: the amount less its payment
	// commission (pg_net_amount).
	NetAmount   string     `json:"net_amount"`
	Currency    string     `json:"currency"`
	Description string     `json:"description"`
	Status      string     `json:"status"` // new, pending, success, error, incomplete, revoked; refunded as [payments] refund_status says
	ErrorCode   int        `json:"error_code,omitempty"`
	Failure     string     `json:"failure_description,omitempty"`
	Since       *time.Time `json:"since,omitempty"`
	Captured    bool       `json:"captured"`
	// ClearingAmount is the amount captured: "0.00" while held or unpaid.
	ClearingAmount string `json:"clearing_amount"`
	// CapturedAt is when a capture request captured it (absent for a
	// one-step payment and a hold captured by itself after 5 days).
	CapturedAt *time.Time `json:"captured_at,omitempty"`
	// RefundAmount is the total refunded, negative as get_status3.php
	// shows it: "0.00" before any refund.
	RefundAmount string `json:"refund_amount"`
	// Refunds are its refunds, each a child payment of its own id.
	Refunds []Refund `json:"refunds,omitempty"`
	// Refuses are the operations the payment's card (payments.md §7) or
	// its payment rule refuses, each with the code its request answers.
	Refuses   map[string]int `json:"refuses,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
	ExpiresAt time.Time      `json:"expires_at"`
	CardPAN   string         `json:"card_pan,omitempty"`
	CardBrand string         `json:"card_brand,omitempty"`
	DecidedBy string         `json:"decided_by,omitempty"`
	// Refusal says why the merchant's check request refused the payment.
	Refusal     string `json:"refusal,omitempty"`
	AwaitingACS bool   `json:"awaiting_3ds,omitempty"`
	PagePath    string `json:"page_path"`
	CheckURL    string `json:"check_url,omitempty"`
	ResultURL   string `json:"result_url,omitempty"`
	SuccessURL  string `json:"success_url,omitempty"`
	FailureURL  string `json:"failure_url,omitempty"`
	// RefundURL and CaptureURL are the legacy callbacks' ([payments]
	// legacy_notifies).
	RefundURL   string   `json:"refund_url,omitempty"`
	CaptureURL  string   `json:"capture_url,omitempty"`
	TestingMode bool     `json:"testing_mode"`
	Timeline    []Step   `json:"timeline"`
	Revision    int      `json:"revision,omitempty"`
	Drills      []string `json:"drills,omitempty"`
	// RecurringProfile is the recurring profile the payment started
	// (pg_recurring_start=1), once it is authorised.
	RecurringProfile *RecurringProfile `json:"recurring_profile,omitempty"`
	// Recurring marks a recurring charge (make_recurring_payment.php,
	// /g2g/recurrent); RecurringProfileID is the profile it charged.
	Recurring          bool  `json:"recurring,omitempty"`
	RecurringProfileID int64 `json:"recurring_profile_id,omitempty"`

	Notifications []notify.Notification `json:"notifications,omitempty"`
}

// Refund is one refund of a payment: its own payment id, the amount
// (negative), when it was made and its bank reference.
type Refund struct {
	PaymentID int64  `json:"payment_id"`
	Amount    string `json:"amount"`
	// NetAmount is what the refund takes from the merchant: all of it,
	// negative (the payment commission is not given back).
	NetAmount string    `json:"net_amount"`
	At        time.Time `json:"at"`
	Reference string    `json:"reference"`
}

// RecurringProfile is a recurring profile: its id, its lifetime in
// months, when it was started (the first payment's authorisation) and when
// it expires, and its state now: active, expired, or closed (the first
// payment revoked or refunded in full).
type RecurringProfile struct {
	ID        int64     `json:"id"`
	Months    int       `json:"lifetime_months"`
	StartedAt time.Time `json:"started_at"`
	ExpiresAt time.Time `json:"expires_at"`
	State     string    `json:"state"`
}

// PaymentView is p as shown at now, without its callbacks: its callback
// URLs' passwords masked (redact.URLs), and the card numbers and URL
// passwords in the texts the merchant sent (the description, the check's
// refusal) masked by redact.Text, as the journal masks them. The ledger
// keeps them as sent: the callbacks carry them so.
func PaymentView(p ledger.Payment, now time.Time) Payment {
	v := Payment{
		PaymentID: p.PaymentID, OrderID: p.OrderID, MerchantID: p.MerchantID, Method: p.Script,
		Amount: p.Amount.Fixed2(), NetAmount: p.Net().Fixed2(), Currency: p.Currency, Description: redact.Text(p.Description),
		Refuses:  p.Operations,
		Captured: p.Captured(now), ClearingAmount: p.ClearingAmountAt(now).Fixed2(), CreatedAt: p.CreatedAt, ExpiresAt: p.ExpiresAt,
		CardPAN: p.CardPAN, CardBrand: p.CardBrand, DecidedBy: p.DecidedBy, Refusal: redact.Text(p.Refusal), AwaitingACS: p.AwaitsACS(now),
		PagePath: routes.PaymentPage + "?customer=" + p.PageKey, CheckURL: redact.Text(p.CheckURL), ResultURL: redact.Text(p.ResultURL),
		SuccessURL: redact.Text(p.SuccessURL), FailureURL: redact.Text(p.FailureURL), TestingMode: p.TestingMode,
		RefundURL: redact.Text(p.RefundURL), CaptureURL: redact.Text(p.CaptureURL),
		Revision: p.Revision, Drills: p.Drills, Timeline: []Step{},
	}
	if !p.CapturedAt.IsZero() && !now.Before(p.CapturedAt) {
		at := p.CapturedAt
		v.CapturedAt = &at
	}
	v.RefundAmount = (-p.RefundedAt(now)).Fixed2()
	for _, r := range p.RefundsAt(now) {
		v.Refunds = append(v.Refunds, Refund{PaymentID: r.PaymentID, Amount: (-r.Amount).Fixed2(), NetAmount: (-r.Amount).Fixed2(), At: r.At, Reference: r.Reference})
	}
	if p.Refusal != "" {
		v.CardPAN, v.CardBrand = "", ""
	}
	if cur, ok := p.StatusAt(now); ok {
		v.Status, v.ErrorCode = cur.Status, cur.ErrorCode
		if cur.ErrorCode != 0 {
			v.Failure = wire.PaymentText(cur.ErrorCode)
		}
		at := cur.At
		v.Since = &at
	}
	v.Timeline = placed(p.Timeline, now)
	if pr, ok := p.Profile(now); ok {
		v.RecurringProfile = &RecurringProfile{ID: pr.ID, Months: pr.Months, StartedAt: pr.StartedAt, ExpiresAt: pr.ExpiresAt, State: p.ProfileState(now)}
	}
	if p.ChargeOf != 0 {
		v.Recurring, v.RecurringProfileID = true, p.ChargeOf
	}
	return v
}

// placed shows a timeline's steps as past, current or future at now.
func placed(tl []ledger.Step, now time.Time) []Step {
	current := ledger.InForce(tl, now)
	out := make([]Step, 0, len(tl))
	for i, s := range tl {
		when := "future"
		switch {
		case i == current:
			when = "current"
		case i < current:
			when = "past"
		}
		out = append(out, Step{At: s.At, Status: s.Status, ErrorCode: s.ErrorCode, Notify: s.Notify, When: when})
	}
	return out
}

// PaymentQuery selects payments: a merchant's, of an order id, in a status
// now, each when set; a page of them.
type PaymentQuery struct {
	MerchantID, OrderID, Status string
	Page
}

// Payments is a page of payments, in the order they were made.
type Payments struct {
	Now        time.Time `json:"now"`
	Payments   []Payment `json:"payments"`
	Matched    int       `json:"matched"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// paymentStatuses are the statuses a payment query may ask for.
var paymentStatuses = []string{scenario.PaymentNew, scenario.PaymentPending, scenario.PaymentSuccess,
	scenario.PaymentError, scenario.PaymentIncomplete, scenario.PaymentRevoked, scenario.PaymentRefunded}

// Payments lists the payments q selects.
func (s *Sandbox) Payments(q PaymentQuery) (Payments, error) {
	pg, err := q.paging()
	if err != nil {
		return Payments{}, err
	}
	if q.Status != "" && !oneOf(q.Status, paymentStatuses) {
		return Payments{}, errorf(BadRequest, "status=%q: want one of new, pending, success, error, incomplete, revoked, refunded", q.Status)
	}
	w := s.world.Load()
	if err := w.known(q.MerchantID); err != nil {
		return Payments{}, err
	}
	now := s.clock.Now()
	out, matched, next, ok := listed(w.ledger.ReadPayments, pg, func(p *ledger.Payment) bool {
		return (q.MerchantID == "" || p.MerchantID == q.MerchantID) && (q.OrderID == "" || p.OrderID == q.OrderID) &&
			(q.Status == "" || p.ShownStatus(now, w.sc.PaymentSettings.StatusRefunded()) == q.Status)
	}, func(p *ledger.Payment) int64 { return p.PaymentID }, paymentWeight, func(p *ledger.Payment) Payment { return w.paymentView(p.Clone(), now) })
	if !ok {
		return Payments{}, errorf(StaleCursor, "cursor=%q names a payment no longer listed (a reset or a new scenario came since): start from the first page", q.Cursor)
	}
	return Payments{Now: now, Payments: out, Matched: matched, NextCursor: next}, nil
}

// Payment is the payment with a payment id, with its callbacks.
func (s *Sandbox) Payment(paymentID int64) (Payment, error) {
	w := s.world.Load()
	p, ok := w.ledger.Payment(paymentID)
	if !ok {
		return Payment{}, errorf(NotFound, "no payment with payment id %d", paymentID)
	}
	return s.paymentDetail(w, p), nil
}

func (s *Sandbox) paymentDetail(w *world, p ledger.Payment) Payment {
	v := w.paymentView(p, s.clock.Now())
	ns, _ := s.stateOf(w).History(p.MerchantID)
	v.Notifications = []notify.Notification{}
	for _, n := range ns {
		if n.PaymentID == p.PaymentID {
			v.Notifications = append(v.Notifications, n)
		}
	}
	return v
}

// ForcedPayment is what forcing a payment's status did.
type ForcedPayment struct {
	Payment      Payment              `json:"payment"`
	Notification *notify.Notification `json:"notification,omitempty"` // the result notify sent, after its first attempt
	Warning      string               `json:"warning,omitempty"`
}

// ForcePayment ends a payment's timeline now with a status (success,
// error with an error code, incomplete, revoked) and, but for revoked,
// sends its result notify at once, returning after its first attempt (or
// when ctx ends).
func (s *Sandbox) ForcePayment(ctx context.Context, paymentID int64, status string, errorCode int) (ForcedPayment, error) {
	s.mutate.Lock()
	defer s.mutate.Unlock()
	w := s.world.Load()
	before, ok := w.ledger.Payment(paymentID)
	if !ok {
		return ForcedPayment{}, errorf(NotFound, "no payment with payment id %d", paymentID)
	}
	now := s.clock.Now()
	release := s.hold()
	p, i, err := w.ledger.ForcePayment(paymentID, status, errorCode, now)
	if err != nil {
		release()
		if errors.Is(err, ledger.ErrNoPayment) {
			return ForcedPayment{}, errorf(NotFound, "no payment with payment id %d", paymentID)
		}
		return ForcedPayment{}, kinded(err) // refused (400), or its timeline full (409)
	}
	w.notify.DropSteps(notify.ResultNotify, paymentID) // the steps to come are gone
	scheduleCapture(w, p, now)                         // a hold forced to success is captured at its end
	out := ForcedPayment{}
	if p.Timeline[i].Notify {
		n, _ := w.notify.FireKind(ctx, notify.ResultNotify, paymentID, i, release)
		out.Notification = &n
	} else {
		release()
	}
	s.changed()
	if was, _ := before.StatusAt(now); was.Status != scenario.PaymentNew && was.Status != scenario.PaymentPending {
		out.Warning = "the payment was already " + was.Status + "; FreedomPay never changes a final status, so a merchant may rightly ignore this notify"
	}
	after, _ := w.ledger.Payment(paymentID)
	out.Payment = s.paymentDetail(w, after)
	return out, nil
}

// ResendPayment sends the result notify of a payment's status now again;
// past notify.MaxResends resends of the payment it is refused (Conflict).
func (s *Sandbox) ResendPayment(ctx context.Context, paymentID int64) (Resent, error) {
	w := s.world.Load()
	if _, ok := w.ledger.Payment(paymentID); !ok {
		return Resent{}, errorf(NotFound, "no payment with payment id %d", paymentID)
	}
	n, err := w.notify.Resend(ctx, paymentID)
	switch {
	case errors.Is(err, notify.ErrNothingToResend):
		return Resent{}, errorf(Conflict, "the payment's status now (new, pending or revoked) sends no result notify")
	case err != nil:
		return Resent{}, kinded(err)
	case len(n.Attempts) == 0 && ctx.Err() != nil:
		return Resent{Notification: n}, kinded(ctx.Err())
	}
	return Resent{Notification: n}, nil
}

func oneOf(s string, set []string) bool {
	for _, v := range set {
		if s == v {
			return true
		}
	}
	return false
}

// paymentView is PaymentView with the status as the world's status routes
// show it: a payment refunded in full is what [payments] refund_status
// says.
func (w *world) paymentView(p ledger.Payment, now time.Time) Payment {
	v := PaymentView(p, now)
	if v.Status != "" {
		v.Status = p.ShownStatus(now, w.sc.PaymentSettings.StatusRefunded())
	}
	return v
}
