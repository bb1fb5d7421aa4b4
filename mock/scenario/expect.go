package scenario

import (
	"fmt"
	"math"
	"strings"
)

// Expect is one expectation of a run, checked by `verify`. Exactly one of
// Notify, NoBadSignatures, Requests, Status, Payment, NoPendingPayments,
// HoldsSettled and RefundsWithinPayment is set.
type Expect struct {
	Name string `toml:"name"` // default: what it checks, in words
	// MerchantID limits the expectation to one merchant's payouts and
	// requests; default every merchant.
	MerchantID      Text            `toml:"merchant_id"`
	Notify          *ExpectNotify   `toml:"notify"`
	NoBadSignatures bool            `toml:"no_bad_signatures"`
	Requests        *ExpectRequests `toml:"requests"`
	Status          *ExpectStatus   `toml:"status"`
	// Payment checks a payment: its status, its result notify, a status
	// request about it once final.
	Payment *ExpectPayment `toml:"payment"`
	// NoPendingPayments holds when no payment is left new or pending:
	// every payer finished (or the lifetime ended).
	NoPendingPayments bool `toml:"no_pending_payments"`
	// HoldsSettled holds when every two-step payment authorised was
	// captured or cancelled by the merchant: none is left on hold, none
	// was captured by the hold's end after 5 days.
	HoldsSettled bool `toml:"holds_settled"`
	// RefundsWithinPayment holds when no refund request asked for more
	// than remained of its payment (10020) or for a payment refunded in
	// full already (11018).
	RefundsWithinPayment bool `toml:"refunds_within_payment"`
}

// ExpectPayment holds when the payment (the last one made with the order
// id, or the one with the payment id) is in Status now, its result notify
// reached Result, and, with Polled, the merchant asked its status after it
// became final, as a merchant that fulfils an order on the status API's
// word does. Unset fields hold always.
type ExpectPayment struct {
	OrderID   Text   `toml:"order_id"`
	PaymentID int64  `toml:"payment_id"`
	Status    string `toml:"status"`     // new, pending, success, error, incomplete or revoked
	ErrorCode int    `toml:"error_code"` // for error; default any
	Result    string `toml:"result"`     // the result notify's state: pending, delivered or failed
	Polled    bool   `toml:"polled"`
	// Captured, when set, is whether the payment's money is taken
	// (pg_captured); Refunded, when set, the total refunded.
	Captured *bool    `toml:"captured"`
	Refunded *float64 `toml:"refunded"`
}

// ExpectNotify holds when a notify of the payout reached State (and, when
// set, was sent with pg_status Status).
type ExpectNotify struct {
	OrderID   Text   `toml:"order_id"`
	PaymentID int64  `toml:"payment_id"`
	State     string `toml:"state"`  // pending, delivered (default) or failed
	Status    string `toml:"status"` // pg_status sent: ok or error; default any
}

// ExpectRequests holds when the number of gateway requests to Path (for the
// order, with the outcome, when set) is at least Min and at most Max.
type ExpectRequests struct {
	Path    string `toml:"path"`
	OrderID Text   `toml:"order_id"`
	Outcome string `toml:"outcome"` // ok, error or bad_signature; default any
	Min     *int   `toml:"min"`     // default 1
	Max     *int   `toml:"max"`     // default no limit
}

// ExpectStatus holds when the payout's status is Status now.
type ExpectStatus struct {
	OrderID   Text   `toml:"order_id"`
	PaymentID int64  `toml:"payment_id"`
	Status    string `toml:"status"`     // process, success or error
	ErrorCode int    `toml:"error_code"` // for error; default any
}

// Notify states an expectation can name.
const (
	NotifyPending   = "pending"
	NotifyDelivered = "delivered"
	NotifyFailed    = "failed"
)

// Outcomes of a gateway request an expectation can name.
const (
	OutcomeOK           = "ok"
	OutcomeError        = "error"
	OutcomeBadSignature = "bad_signature"
	OutcomeFault        = "fault" // a drill fault replaced the reply
)

// Kind names the expectation's kind: "notify", "no_bad_signatures",
// "requests", "status", or "" when none is set.
func (e Expect) Kind() string {
	switch {
	case e.Notify != nil:
		return "notify"
	case e.Requests != nil:
		return "requests"
	case e.Status != nil:
		return "status"
	case e.NoBadSignatures:
		return "no_bad_signatures"
	case e.Payment != nil:
		return "payment"
	case e.NoPendingPayments:
		return "no_pending_payments"
	case e.HoldsSettled:
		return "holds_settled"
	case e.RefundsWithinPayment:
		return "refunds_within_payment"
	}
	return ""
}

// Describe says in words what the expectation checks.
func (e Expect) Describe() string {
	var s string
	switch e.Kind() {
	case "notify":
		n := e.Notify
		s = "notify of " + PayoutRef(n.OrderID, n.PaymentID) + " " + n.State
		if n.Status != "" {
			s += " with pg_status " + n.Status
		}
	case "requests":
		r := e.Requests
		s = "requests to " + r.Path
		if r.OrderID != "" {
			s += " for order " + string(r.OrderID)
		}
		if r.Outcome != "" {
			s += " answered " + r.Outcome
		}
		s += " " + CountRange(r.Min, r.Max)
	case "status":
		st := e.Status
		s = PayoutRef(st.OrderID, st.PaymentID) + " is " + st.Status
		if st.ErrorCode != 0 {
			s += fmt.Sprintf(" (%d)", st.ErrorCode)
		}
	case "no_bad_signatures":
		s = "no request with a bad signature"
	case "payment":
		s = e.Payment.describe()
	case "no_pending_payments":
		s = "no payment left new or pending"
	case "holds_settled":
		s = "every hold captured or cancelled by the merchant"
	case "refunds_within_payment":
		s = "no refund asked for more than remained of its payment"
	default:
		return "(empty expectation)"
	}
	if e.MerchantID != "" {
		s = "merchant " + string(e.MerchantID) + ": " + s
	}
	return s
}

// PayoutRef names a payout by order id, else payment id: "order 12345".
func PayoutRef(order Text, paymentID int64) string {
	if order != "" {
		return "order " + string(order)
	}
	return fmt.Sprintf("payment %d", paymentID)
}

// CountRange says a count's bounds in words: "at least 1", "exactly 2".
func CountRange(lo, hi *int) string {
	switch {
	case lo != nil && hi != nil && *lo == *hi:
		return fmt.Sprintf("exactly %d", *lo)
	case lo != nil && hi != nil:
		return fmt.Sprintf("%d to %d", *lo, *hi)
	case hi != nil:
		return fmt.Sprintf("at most %d", *hi)
	case lo != nil:
		return fmt.Sprintf("at least %d", *lo)
	}
	return "at least 1"
}

// DefaultExpect fills an expectation's defaults: the notify state
// delivered, at least one request, and a name.
func DefaultExpect(e *Expect) {
	if e.Notify != nil && e.Notify.State == "" {
		e.Notify.State = NotifyDelivered
	}
	if r := e.Requests; r != nil && r.Min == nil && r.Max == nil {
		one := 1
		r.Min = &one
	}
	if e.Name == "" {
		e.Name = e.Describe()
	}
}

// CheckExpect returns what is wrong with an expectation, one message per
// problem; merchants, when not nil, are the merchant ids that exist.
func CheckExpect(e Expect, merchants map[Text]bool) []string {
	var out []string
	kinds := 0
	for _, set := range []bool{e.Notify != nil, e.NoBadSignatures, e.Requests != nil, e.Status != nil, e.Payment != nil, e.NoPendingPayments, e.HoldsSettled, e.RefundsWithinPayment} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		out = append(out, fmt.Sprintf("set exactly one of notify, no_bad_signatures, requests, status, payment, no_pending_payments, holds_settled and refunds_within_payment (%d set)", kinds))
	}
	if e.MerchantID != "" && merchants != nil && !merchants[e.MerchantID] {
		out = append(out, fmt.Sprintf("merchant_id %q is not one of [[merchants]]", e.MerchantID))
	}
	oneOf := func(what, v string, allowed ...string) {
		for _, a := range allowed {
			if v == a {
				return
			}
		}
		out = append(out, fmt.Sprintf("%s %q: want %s", what, v, strings.Join(quoteAll(allowed), ", ")))
	}
	payout := func(what string, order Text, pid int64) {
		if order == "" && pid == 0 {
			out = append(out, what+": say which payout: order_id or payment_id")
		}
		if pid < 0 {
			out = append(out, fmt.Sprintf("%s: payment_id %d is negative", what, pid))
		}
	}
	if n := e.Notify; n != nil {
		payout("notify", n.OrderID, n.PaymentID)
		oneOf("notify.state", n.State, NotifyPending, NotifyDelivered, NotifyFailed)
		if n.Status != "" {
			oneOf("notify.status", n.Status, "ok", "error")
		}
	}
	if r := e.Requests; r != nil {
		if !strings.HasPrefix(r.Path, "/") {
			out = append(out, fmt.Sprintf("requests.path %q: want a gateway path such as /g2g/payout_status2", r.Path))
		}
		if r.Outcome != "" {
			oneOf("requests.outcome", r.Outcome, OutcomeOK, OutcomeError, OutcomeBadSignature, OutcomeFault)
		}
		if r.Min != nil && *r.Min < 0 || r.Max != nil && *r.Max < 0 {
			out = append(out, "requests: min and max are counts, 0 or more")
		}
		if r.Min != nil && r.Max != nil && *r.Min > *r.Max {
			out = append(out, fmt.Sprintf("requests: min %d is above max %d", *r.Min, *r.Max))
		}
	}
	if p := e.Payment; p != nil {
		if p.OrderID == "" && p.PaymentID == 0 {
			out = append(out, "payment: say which payment: order_id or payment_id")
		}
		if p.OrderID != "" && p.PaymentID != 0 {
			out = append(out, "payment: say which payment by order_id or by payment_id, not both")
		}
		if p.PaymentID < 0 {
			out = append(out, fmt.Sprintf("payment: payment_id %d is negative", p.PaymentID))
		}
		if p.Status != "" {
			oneOf("payment.status", p.Status, PaymentNew, PaymentPending, PaymentSuccess, PaymentError, PaymentIncomplete, PaymentRevoked, PaymentRefunded)
		}
		if p.ErrorCode != 0 && p.Status != PaymentError {
			out = append(out, "payment.error_code goes with status \"error\"")
		}
		if p.Result != "" {
			oneOf("payment.result", p.Result, NotifyPending, NotifyDelivered, NotifyFailed)
		}
		if p.Status == "" && p.Result == "" && !p.Polled && p.Captured == nil && p.Refunded == nil {
			out = append(out, "payment: say what to check: status, result, polled, captured or refunded")
		}
		if r := p.Refunded; r != nil && (*r < 0 || *r > 99999999 || math.Round(*r*100) != *r*100) {
			out = append(out, fmt.Sprintf("payment.refunded %v: want an amount, 0 or more with two decimals at most", *r))
		}
	}
	if st := e.Status; st != nil {
		payout("status", st.OrderID, st.PaymentID)
		oneOf("status.status", st.Status, StatusProcess, StatusSuccess, StatusError)
		if st.ErrorCode != 0 && st.Status != StatusError {
			out = append(out, "status.error_code goes with status \"error\"")
		}
	}
	return out
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// describe says what a payment expectation checks: "payment of order 7 is
// success, its result notify delivered, its status asked once final".
func (p ExpectPayment) describe() string {
	s := "payment of " + PayoutRef(p.OrderID, p.PaymentID)
	var parts []string
	if p.Status != "" {
		st := "is " + p.Status
		if p.ErrorCode != 0 {
			st += fmt.Sprintf(" (%d)", p.ErrorCode)
		}
		parts = append(parts, st)
	}
	if p.Result != "" {
		parts = append(parts, "its result notify "+p.Result)
	}
	if p.Polled {
		parts = append(parts, "its status asked once final")
	}
	if p.Captured != nil {
		if *p.Captured {
			parts = append(parts, "captured")
		} else {
			parts = append(parts, "not captured")
		}
	}
	if p.Refunded != nil {
		parts = append(parts, fmt.Sprintf("refunded %.2f", *p.Refunded))
	}
	return s + " " + strings.Join(parts, ", ")
}
