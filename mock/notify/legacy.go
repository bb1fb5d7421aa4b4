package notify

import (
	"strconv"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// The legacy callback kinds of the Platron family (payments.md §5.4, open
// point 13), sent only with [payments] legacy_notifies: a refund's (and a
// hold's cancel's) to the payment's pg_refund_url, a hold's capture's to
// its pg_capture_url. Current FreedomPay docs do not describe their
// fields; the sandbox sends pg_order_id, pg_payment_id, pg_refund_amount
// or pg_clearing_amount, the merchant's own fields, pg_salt and pg_sig
// [assumed], signed with the payment secret under the URL's last segment,
// and reads the answer and retries as it does the result notify's.
const (
	RefundNotify  = "refund"
	CaptureNotify = "capture"
)

// LegacyCallbacks makes both from the payment callbacks: their ledger,
// settings, signing, delivery and reading of the answer.
type LegacyCallbacks struct {
	pay *PaymentCallbacks
}

// NewLegacyCallbacks returns the legacy callbacks beside results.
func NewLegacyCallbacks(results *PaymentCallbacks) *LegacyCallbacks {
	return &LegacyCallbacks{results}
}

// Kinds returns the refund and capture callbacks, for [Config].Kinds. The
// subject of both is the payment: a refund callback's steps are its
// refunds, in order (a hold's cancel: one, of the whole amount), a
// capture callback's one step its capture. Both are answered and retried
// as the result notify is.
func (k *LegacyCallbacks) Kinds() []Kind {
	kind := func(name, callback, url, request, act string, subject func(int64, time.Time) (Subject, bool), build func(int64, int, bool) (Callback, bool)) Kind {
		return Kind{
			Name:    name,
			Words:   Words{Callback: callback, Subject: "payment", URL: url, Secret: "payment secret", Request: request, Act: act},
			Subject: subject, Build: build, Ack: k.pay.resultAck, Retries: k.pay.settings.Retries(),
			Timeout: k.pay.settings.ResultTimeoutOr(), Restored: k.pay.restored,
		}
	}
	return []Kind{
		kind(RefundNotify, "refund notify", "refund_url", "revoke.php", "give the money back", k.refundSubject, k.refund),
		kind(CaptureNotify, "capture notify", "capture_url", "do_capture.php", "count the money taken", k.captureSubject, k.capture),
	}
}

// refunds are what payment p gave back, in order: its refunds, or its
// cancel (the whole amount, under the cancel's id).
func refunds(p ledger.Payment) []ledger.Refund {
	if p.RevokeID != 0 {
		return []ledger.Refund{{PaymentID: p.RevokeID, Amount: p.Amount, At: p.RevokedAt()}}
	}
	return p.Refunds
}

func (k *LegacyCallbacks) refundSubject(id int64, t time.Time) (Subject, bool) {
	p, ok := k.pay.ledger.Payment(id)
	if !ok {
		return Subject{}, false
	}
	rs := refunds(p)
	s := Subject{MerchantID: p.MerchantID, OrderID: p.OrderID, Steps: len(rs), Final: len(rs) > 0, InForce: -1}
	for i, r := range rs {
		if !t.Before(r.At) {
			s.InForce = i
		}
	}
	return s, true
}

// refund is the refund callback of payment id's refund i (or cancel):
// pg_order_id, pg_payment_id, pg_refund_amount, the payment's own fields,
// pg_salt, pg_sig.
func (k *LegacyCallbacks) refund(id int64, i int, _ bool) (Callback, bool) {
	p, ok := k.pay.ledger.Payment(id)
	rs := refunds(p)
	if !ok || i < 0 || i >= len(rs) || p.RefundURL == "" {
		return Callback{}, false
	}
	return k.callback(p, p.RefundURL, rs[i].At, "refunded", "pg_refund_amount", rs[i].Amount.Fixed2()), true
}

// RefundDue is when the callback of payment p's refund (or cancel) id
// falls due, for [Scheduler.ScheduleKind]: nil unless the scenario sends
// legacy callbacks, p has a pg_refund_url and a refund id.
func (k *LegacyCallbacks) RefundDue(p ledger.Payment, id int64) []time.Time {
	if !k.pay.settings.LegacyNotifies || p.RefundURL == "" {
		return nil
	}
	rs := refunds(p)
	for i, r := range rs {
		if r.PaymentID == id {
			due := make([]time.Time, len(rs))
			due[i] = r.At
			return due
		}
	}
	return nil
}

// captureAt is when a hold is captured: by its capture request, else at
// the hold's end; false when it is not (a one-step payment is captured
// on authorisation and sends no capture callback).
func captureAt(p ledger.Payment) (time.Time, bool) {
	if p.AutoClearing {
		return time.Time{}, false
	}
	if !p.CapturedAt.IsZero() {
		return p.CapturedAt, true
	}
	// The hold's end: AutoCaptureAfter past the success in force then
	// (a status forced since may have put a later success in force).
	for _, s := range p.Timeline {
		if at := s.At.Add(ledger.AutoCaptureAfter); s.Status == scenario.PaymentSuccess && p.Captured(at) {
			return at, true
		}
	}
	return time.Time{}, false
}

func (k *LegacyCallbacks) captureSubject(id int64, t time.Time) (Subject, bool) {
	p, ok := k.pay.ledger.Payment(id)
	if !ok {
		return Subject{}, false
	}
	s := Subject{MerchantID: p.MerchantID, OrderID: p.OrderID, Revision: p.Revision, InForce: -1}
	if at, ok := captureAt(p); ok {
		s.Steps, s.Final = 1, true
		if !t.Before(at) {
			s.InForce = 0
		}
	}
	return s, true
}

// capture is the capture callback of payment id: pg_order_id,
// pg_payment_id, pg_clearing_amount, the payment's own fields, pg_salt,
// pg_sig.
func (k *LegacyCallbacks) capture(id int64, i int, _ bool) (Callback, bool) {
	p, ok := k.pay.ledger.Payment(id)
	if !ok || i != 0 || p.CaptureURL == "" {
		return Callback{}, false
	}
	at, ok := captureAt(p)
	if !ok {
		return Callback{}, false
	}
	return k.callback(p, p.CaptureURL, at, "captured", "pg_clearing_amount", p.ClearingAmountAt(at).Fixed2()), true
}

// CaptureDue is when payment p's capture callback falls due: false unless
// the scenario sends legacy callbacks, p has a pg_capture_url and is a
// hold that is captured, or will be at the hold's end.
func (k *LegacyCallbacks) CaptureDue(p ledger.Payment) (time.Time, bool) {
	if !k.pay.settings.LegacyNotifies || p.CaptureURL == "" {
		return time.Time{}, false
	}
	return captureAt(p)
}

// callback is a legacy callback of payment p to url at t, saying status,
// with its amount field.
func (k *LegacyCallbacks) callback(p ledger.Payment, url string, t time.Time, status, amountName, amount string) Callback {
	m, _ := k.pay.ledger.Merchant(p.MerchantID)
	c := Callback{SubjectID: p.PaymentID, OrderID: p.OrderID, MerchantID: p.MerchantID, URL: url, Status: status, At: t,
		Delivery: k.pay.delivery(p, url, m.SecretKey)}
	f := sign.Fields{
		{Name: "pg_order_id", Value: p.OrderID}, {Name: "pg_payment_id", Value: strconv.FormatInt(p.PaymentID, 10)},
		{Name: amountName, Value: amount},
	}
	c.Fields = k.pay.sign(append(f, p.Params...), c.Delivery)
	return c
}
