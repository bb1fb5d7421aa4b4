package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/gateway"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
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

// Pay is the payer sending a card: the check request first, when the
// payment has a check URL (anything but the merchant's signed ok refuses
// the payment, which then sends no result notify); then the charge.
func (ps payments) Pay(ctx context.Context, key string, c ledger.Card, now time.Time) (gateway.Paid, error) {
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
		refusal := ps.check(ctx, p, now)
		var drills []string
		if d := ps.w.ledger.RuleDrills(key, c); slices.Contains(d, scenario.FaultSlow) {
			// The drill: whatever the merchant answered, it came too late.
			drills = []string{scenario.FaultSlow}
			refusal = fmt.Sprintf("no answer within the check timeout (%s): drill slow held the merchant's answer back", ps.w.sc.PaymentSettings.CheckTimeoutOr())
		}
		if refusal != "" {
			release := ps.s.hold()
			refused, err := ps.w.ledger.Refuse(key, refusal, drills, now)
			if err == nil {
				ps.schedule(refused, firstAfter(refused, now), -1)
			}
			release()
			ps.s.changed()
			return gateway.Paid{Payment: refused, Refusal: refusal}, err
		}
	}
	release := ps.s.hold()
	ch, err := ps.w.ledger.StartCharge(key, c, now)
	if err != nil || ch.ThreeDS {
		release()
		if err == nil {
			ps.s.changed()
		}
		return gateway.Paid{Payment: ch.Payment, ThreeDS: ch.ThreeDS}, err
	}
	return ps.finish(ctx, ch, now, release)
}

// AnswerACS is the payer's answer on the 3DS page.
func (ps payments) AnswerACS(ctx context.Context, key string, confirm bool, now time.Time) (gateway.Paid, error) {
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
	return gateway.Paid{Payment: after, Rejection: rejection}, nil
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
	return n
}

// schedulePayment puts every step of a scenario's payment on w's schedule.
func schedulePayment(w *world, p ledger.Payment) {
	due := make([]time.Time, len(p.Timeline))
	for i, st := range p.Timeline {
		due[i] = st.At
	}
	_ = w.notify.ScheduleKind(notify.ResultNotify, p.PaymentID, due)
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

// check sends payment p's check request and waits for its answer: "" lets
// the payment go on, else why it may not.
func (ps payments) check(ctx context.Context, p ledger.Payment, now time.Time) string {
	m, _ := ps.w.ledger.Merchant(p.MerchantID)
	n, err := ps.w.notify.Call(ctx, notify.CheckRequest, ps.w.payments.Check(p, m.SecretKey, now))
	if err != nil {
		return err.Error()
	}
	if len(n.Attempts) == 0 {
		return "the check request could not be sent"
	}
	a := n.Attempts[0]
	switch {
	case a.Delivered && a.Outcome == "":
		return ""
	case a.Outcome != "":
		if d := notify.ReplyDescription(a.Answer); d != "" {
			return a.Reason + ": " + wire.Shorten(d, 200)
		}
		return a.Reason
	case a.HTTPStatus != 0 && a.HTTPStatus != http.StatusOK:
		return fmt.Sprintf("the check URL answered HTTP %d", a.HTTPStatus)
	case a.Reason != "":
		return a.Reason
	case a.Error != "":
		return a.Error
	}
	return "no acceptable answer to the check request"
}
