package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/gateway"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// payments makes a world's payment changes for its gateway
// ([gateway.Payments]), each as every change is made: the ledger changes
// and the callback schedule gets the payment's new steps under the gate,
// then those waiting for a change are told.
//
// Payments are not in the state file yet (--state keeps payouts only).
type payments struct {
	s *Sandbox
	w *world
}

var _ gateway.Payments = payments{}

// Create makes a payment; its lifetime's end is scheduled (a result notify
// saying incomplete, unless it is paid first).
func (ps payments) Create(np ledger.NewPayment, now time.Time) (ledger.Payment, bool, error) {
	release := ps.s.hold()
	p, replayed, err := ps.w.ledger.CreatePayment(np, now)
	if err == nil && !replayed {
		ps.schedule(p, 0, -1)
	}
	release()
	if err == nil && !replayed {
		ps.s.changed()
		err = ps.s.saved() // acknowledged once it is saved (--state)
	}
	return p, replayed, err
}

// Open is the payer opening the page: a new payment is pending from now.
func (ps payments) Open(key string, now time.Time) (ledger.Payment, error) {
	release := ps.s.hold()
	before, _ := ps.w.ledger.PaymentByPage(key)
	p, err := ps.w.ledger.OpenPage(key, now)
	if err == nil && p.Revision != before.Revision {
		ps.schedule(p, firstAfter(p, now), -1)
	}
	release()
	if err == nil && p.Revision != before.Revision {
		ps.s.changed()
	}
	return p, err
}

// Capture captures a held payment: its timeline stays as it is (success),
// so nothing is scheduled; the change is told and saved as others are.
func (ps payments) Capture(merchantID string, id int64, amount money.Amount, now time.Time) (ledger.Payment, error) {
	release := ps.s.hold()
	p, err := ps.w.ledger.Capture(merchantID, id, amount, now)
	if err == nil {
		scheduleCapture(ps.w, p, now)
	}
	release()
	if err == nil {
		ps.s.changed()
		err = ps.s.saved() // acknowledged once it is saved (--state)
	}
	return p, err
}

// Cancel releases a held payment: revoked from now, its later steps (none
// but a scenario's) off the schedule; no result notify is sent.
func (ps payments) Cancel(merchantID string, id int64, now time.Time) (ledger.Payment, error) {
	release := ps.s.hold()
	p, err := ps.w.ledger.Cancel(merchantID, id, now)
	if err == nil {
		ps.schedule(p, firstAfter(p, now), -1)
		scheduleRefund(ps.w, p, p.RevokeID)
	}
	release()
	if err == nil {
		ps.s.changed()
		err = ps.s.saved() // acknowledged once it is saved (--state)
	}
	return p, err
}

// Refund gives back all or part of a captured payment: its timeline stays
// as it is (success), so nothing is scheduled; the change is told and
// saved before it is answered, as a capture's is.
func (ps payments) Refund(merchantID string, id int64, rr ledger.RefundRequest, now time.Time) (ledger.Payment, ledger.Refund, error) {
	release := ps.s.hold()
	p, r, replayed, err := ps.w.ledger.Refund(merchantID, id, rr, now)
	if err == nil && !replayed {
		scheduleRefund(ps.w, p, r.PaymentID)
	}
	release()
	switch err {
	case nil:
		ps.s.changed()
		err = ps.s.saved() // acknowledged once it is saved (--state)
	default: // a refusal counted with the payment (refunds_within_payment) is saved too
		ps.s.changed()
	}
	return p, r, err
}

// ChargeProfile makes a recurring charge: decided at once, its steps go
// on the schedule (its result notify goes out as the clock reaches them,
// after the reply: on a manual clock, on the next move, by=0s included),
// and it is answered once saved, as a payment made is.
func (ps payments) ChargeProfile(nc ledger.NewCharge, now time.Time) (ledger.Payment, ledger.Profile, error) {
	release := ps.s.hold()
	ch, pr, err := ps.w.ledger.ChargeProfile(nc, now)
	if err == nil {
		ps.schedule(ch.Payment, ch.From, -1)
	}
	release()
	if err != nil {
		return ledger.Payment{}, pr, err
	}
	ps.s.changed()
	return ch.Payment, pr, ps.s.saved() // acknowledged once it is saved (--state)
}

// Wait is the longest a card sent on a payment's page can take to answer:
// the check request's timeout and the result notify's first attempt's.
func (ps payments) Wait() time.Duration {
	st := ps.w.sc.PaymentSettings
	return st.CheckTimeoutOr() + st.ResultTimeoutOr()
}

// busy marks the card of page key as being processed until the func it
// returns is called; false when another card for it is, already.
func (ps payments) busy(key string) (func(), bool) {
	if _, taken := ps.w.paying.LoadOrStore(key, struct{}{}); taken {
		return nil, false
	}
	return func() { ps.w.paying.Delete(key) }, true
}

// Pay is the payer sending a card: the check request first, when the
// payment has a check URL (anything but the merchant's signed ok refuses
// the payment, which then sends no result notify); then the charge, at
// the time the check request ended. One card per payment at a time: a
// second sent meanwhile is refused with ledger.ErrCharging.
func (ps payments) Pay(ctx context.Context, key string, c ledger.Card, now time.Time) (gateway.Paid, error) {
	done, ok := ps.busy(key)
	if !ok {
		return gateway.Paid{}, ledger.ErrCharging
	}
	defer done()
	p, ok := ps.w.ledger.PaymentByPage(key)
	switch {
	case !ok:
		return gateway.Paid{}, ledger.ErrNoPayment
	case p.Paid():
		return gateway.Paid{}, ledger.ErrPaid
	case !now.Before(p.ExpiresAt):
		return gateway.Paid{}, ledger.ErrExpired
	}
	if p.CheckURL != "" {
		slow := slices.Contains(ps.w.ledger.RuleDrills(key, c), scenario.FaultSlow)
		refusal, cause := ps.check(ctx, p, now, slow)
		var drills []string
		if slow {
			// The drill: whatever the merchant answered, it came too late.
			drills = []string{scenario.FaultSlow}
			refusal = fmt.Sprintf("no answer within the check timeout (%s): drill slow held the merchant's answer back", ps.w.sc.PaymentSettings.CheckTimeoutOr())
			cause = fmt.Sprintf("the merchant did not answer within %s", ps.w.sc.PaymentSettings.CheckTimeoutOr())
		}
		// The charge is made when the check request is answered: the
		// clock may have moved meanwhile, the lifetime ended.
		if later := ps.s.clock.Now(); later.After(now) {
			now = later
		}
		if refusal != "" {
			release := ps.s.hold()
			refused, err := ps.w.ledger.Refuse(key, refusal, cause, drills, now)
			if err == nil {
				ps.schedule(refused, firstAfter(refused, now), -1)
			}
			release()
			ps.s.changed()
			if err == nil {
				err = ps.s.saved()
			}
			return gateway.Paid{Payment: refused, Refusal: refusal, At: now}, err
		}
	}
	release := ps.s.hold()
	ch, err := ps.w.ledger.StartCharge(key, c, now)
	if err != nil || ch.ThreeDS {
		release()
		if err == nil {
			ps.s.changed()
		}
		return gateway.Paid{Payment: ch.Payment, ThreeDS: ch.ThreeDS, At: now}, err
	}
	return ps.finish(ctx, ch, now, release)
}

// AnswerACS is the payer's answer on the 3DS page.
func (ps payments) AnswerACS(ctx context.Context, key string, confirm bool, now time.Time) (gateway.Paid, error) {
	done, ok := ps.busy(key)
	if !ok {
		return gateway.Paid{}, ledger.ErrCharging
	}
	defer done()
	release := ps.s.hold()
	ch, err := ps.w.ledger.AnswerACS(key, confirm, now)
	if err != nil {
		release()
		return gateway.Paid{}, err
	}
	return ps.finish(ctx, ch, now, release)
}

// finish schedules a charge's steps with the gate held (release lets it
// go); a step reached now that notifies sends its result notify at once,
// and the payer's page waits for its first attempt, so that a merchant's
// rejection sends the payer to the failure URL (spec §5.1).
func (ps payments) finish(ctx context.Context, ch ledger.Charge, now time.Time, release func()) (gateway.Paid, error) {
	p := ch.Payment
	fire := -1
	for i := ch.From; i < len(p.Timeline); i++ {
		if st := p.Timeline[i]; !st.At.After(now) && st.Notify {
			fire = i
		}
	}
	if ps.schedule(p, ch.From, fire) == 0 && fire >= 0 {
		_ = ps.w.notify.ScheduleDrills(notify.ResultNotify, p.PaymentID, p.Timeline[fire].At)
	}
	var rejection string
	if fire >= 0 {
		n, _ := ps.w.notify.FireKind(ctx, notify.ResultNotify, p.PaymentID, fire, release)
		if len(n.Attempts) > 0 && n.Attempts[0].Outcome == notify.Rejected {
			rejection = notify.ReplyDescription(n.Attempts[0].Answer)
		}
	} else {
		release()
	}
	ps.s.changed()
	after, _ := ps.w.ledger.Payment(p.PaymentID)
	return gateway.Paid{Payment: after, Rejection: rejection, At: now}, ps.s.saved()
}

// schedule puts p's steps from index from on the callback schedule, but
// step skip (sent at once), and returns how many it put.
func (ps payments) schedule(p ledger.Payment, from, skip int) int {
	ps.w.notify.DropSteps(notify.ResultNotify, p.PaymentID) // its timeline changed: what stands is scheduled below
	due := make([]time.Time, len(p.Timeline))
	n := 0
	for i := from; i < len(due); i++ {
		if i != skip {
			due[i] = p.Timeline[i].At
			n++
		}
	}
	_ = ps.w.notify.ScheduleKind(notify.ResultNotify, p.PaymentID, due)
	scheduleCapture(ps.w, p, ps.s.clock.Now())
	return n
}

// scheduleRefund puts the legacy callback of p's refund (or cancel) id on
// w's schedule, when the scenario sends them ([payments] legacy_notifies)
// and p has a pg_refund_url. Like a recurring charge's result notify it
// goes out once the change is made: on a manual clock, on the next move.
func scheduleRefund(w *world, p ledger.Payment, id int64) {
	if due := w.legacy.RefundDue(p, id); due != nil {
		_ = w.notify.ScheduleKind(notify.RefundNotify, p.PaymentID, due)
	}
}

// scheduleCapture puts the legacy callback of p's capture on w's schedule
// in place of any before, when the scenario sends them and p has a
// pg_capture_url: a hold's capture at now, or its end to come (a timeline
// changed since is let go when it falls due, and Build sends nothing for a
// hold cancelled by then).
func scheduleCapture(w *world, p ledger.Payment, now time.Time) {
	if !w.sc.PaymentSettings.LegacyNotifies || p.CaptureURL == "" {
		return // nothing to send: no copy of the payment on every change
	}
	p, found := w.ledger.Payment(p.PaymentID) // as it is now: a capture may have come since p was read
	if !found {
		return
	}
	at, ok := w.legacy.CaptureDue(p)
	if !ok || at.Before(now) {
		return
	}
	w.notify.DropSteps(notify.CaptureNotify, p.PaymentID)
	_ = w.notify.ScheduleKind(notify.CaptureNotify, p.PaymentID, []time.Time{at})
}

// schedulePayment puts every step of a scenario's payment on w's schedule.
func schedulePayment(w *world, p ledger.Payment) {
	due := make([]time.Time, len(p.Timeline))
	for i, st := range p.Timeline {
		due[i] = st.At
	}
	_ = w.notify.ScheduleKind(notify.ResultNotify, p.PaymentID, due)
	scheduleCapture(w, p, p.CreatedAt)
}

// firstAfter is the index of p's first step after now.
func firstAfter(p ledger.Payment, now time.Time) int {
	for i, st := range p.Timeline {
		if st.At.After(now) {
			return i
		}
	}
	return len(p.Timeline)
}

// Causes of a check request's refusal, as the payer and the merchant's
// status request are told them (the whole reason goes to the journal, the
// control API and the dashboard).
const (
	causeRejected  = "the merchant answered rejected"
	causeError     = "the merchant answered error"
	causeSignature = "the merchant's answer is not signed as it must be"
	causeNoAnswer  = "the merchant did not answer in time"
	causeHTTP      = "the merchant's check URL answered HTTP %d"
	causeSending   = "the check request could not be sent"
)

// check sends payment p's check request and waits for its answer: "" lets
// the payment go on, else why it may not, in full and as the payer is told.
func (ps payments) check(ctx context.Context, p ledger.Payment, now time.Time, slow bool) (reason, cause string) {
	m, _ := ps.w.ledger.Merchant(p.MerchantID)
	cb := ps.w.payments.Check(p, m.SecretKey, now)
	if slow {
		cb.Drill = scenario.FaultSlow // its answer is held back past the timeout (Pay)
	}
	n, err := ps.w.notify.Call(ctx, notify.CheckRequest, cb)
	if err != nil {
		return err.Error(), causeSending
	}
	if len(n.Attempts) == 0 {
		return causeSending, causeSending
	}
	a := n.Attempts[0]
	switch {
	case a.Delivered && a.Outcome == "":
		return "", ""
	case a.Outcome != "":
		cause := causeError
		if a.Outcome == notify.Rejected {
			cause = causeRejected
		}
		if d := notify.ReplyDescription(a.Answer); d != "" {
			// The merchant's own words, as FreedomPay shows them.
			return a.Reason + ": " + wire.Shorten(d, 200), wire.Shorten(d, 200)
		}
		return a.Reason, cause
	case a.HTTPStatus != 0 && a.HTTPStatus != http.StatusOK:
		return fmt.Sprintf("the check URL answered HTTP %d", a.HTTPStatus), fmt.Sprintf(causeHTTP, a.HTTPStatus)
	case a.HTTPStatus == http.StatusOK && a.Reason != "":
		return a.Reason, causeSignature
	case a.Reason != "":
		return a.Reason, causeNoAnswer
	case a.Error != "":
		return a.Error, causeNoAnswer
	}
	return "no acceptable answer to the check request", causeSignature
}
