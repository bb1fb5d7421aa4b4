package scenario

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// paymentStatuses are the statuses an existing payment's timeline may name.
func paymentStatuses() []string {
	return []string{PaymentNew, PaymentPending, PaymentSuccess, PaymentError, PaymentIncomplete, PaymentRevoked}
}

// ruleStatuses are the statuses a payment rule's timeline may name: it
// starts when the payer sends the card, so the payment is no longer new,
// its lifetime can no longer end, and the merchant has not answered yet.
func ruleStatuses() []string {
	return []string{PaymentPending, PaymentSuccess, PaymentError}
}

// checkMerchantPayments checks a merchant's payment keys: its callback
// URLs, and the secret that signs what is sent to them.
func (v *validator) checkMerchantPayments(at func(key string) int, where string, m *Merchant, secretReported bool) {
	for _, u := range []struct{ key, url string }{
		{"check_url", m.CheckURL}, {"result_url", m.ResultURL}, {"success_url", m.SuccessURL}, {"failure_url", m.FailureURL},
	} {
		v.checkPaymentURL(func() int { return at(u.key) }, where+": "+u.key, u.url)
	}
	if m.SecretKey == "" && !secretReported && (m.CheckURL != "" || m.ResultURL != "") {
		v.add(at("secret_key"), "%s: secret_key is missing: the check request and the result notify are signed with it", where)
	}
}

// checkPaymentURL checks a payment callback URL: an absolute http(s) URL,
// as a payout's post_link, of at most MaxPaymentURL bytes. The demo
// merchant's path is not one: it answers payout notifies only.
func (v *validator) checkPaymentURL(line func() int, what, s string) {
	switch {
	case s == DemoPostLink:
		v.add(line(), "%s %q: the demo merchant answers payout notifies only (a merchant's post_link); a payment callback URL must be an absolute http(s) URL", what, s)
	case len(s) > MaxPaymentURL:
		v.add(line(), "%s is %d bytes; at most %d, as pg_check_url, pg_result_url, pg_success_url and pg_failure_url (payments.md §3.1)", what, len(s), MaxPaymentURL)
	default:
		v.checkURL(line, what, s)
	}
}

// checkPaymentSettings checks [payments]: each setting is one of its
// choices, each duration positive.
func (v *validator) checkPaymentSettings(ps PaymentSettings) {
	at := func(key string) int { return v.loc.key("payments", 0, key) }
	oneOf := func(key, got string, want ...string) {
		if got != "" && !slices.Contains(want, got) {
			v.add(at(key), "payments.%s is %q; want %s", key, got, orList(want))
		}
	}
	oneOf("order_id", ps.OrderID, OrderIDRequired, OrderIDOptional)
	oneOf("check_ack", ps.CheckAck, AckStrict, AckLenient)
	oneOf("result_ack", ps.ResultAck, AckLenient, AckStrict)
	oneOf("encoding", ps.Encoding, EncodingURL, EncodingMultipart, EncodingXML, EncodingGet)
	oneOf("clearing_flag", ps.ClearingFlag, ClearingFlagExample, ClearingFlagSchema)
	oneOf("refund_status", ps.RefundStatus, PaymentSuccess, PaymentRefunded, PaymentRevoked)
	if n := ps.RecurringMaxMonths; n < 0 || n > DefaultRecurringMaxMonths || n == 0 && ps.recurringMaxGiven {
		v.add(at("recurring_max_months"), "payments.recurring_max_months is %d; want 1 to %d (open point 14)", n, DefaultRecurringMaxMonths)
	}
	if p := ps.PageScript; p != nil && *p != DefaultPageScript && *p != "" {
		v.add(at("page_script"), "payments.page_script is %q; want %q (the default) or \"\" (the empty last segment of /g2g/payment_page/)", *p, DefaultPageScript)
	}
	for _, d := range []struct {
		key   string
		d     Duration
		given bool
	}{{"check_timeout", ps.CheckTimeout, ps.checkTimeoutGiven}, {"result_timeout", ps.ResultTimeout, ps.resultTimeoutGiven}} {
		if p := d.d.problem(); p != "" {
			v.add(at(d.key), "payments.%s: %s", d.key, p)
		} else if d.d.Duration < 0 || d.given && d.d.Duration == 0 {
			v.add(at(d.key), "payments.%s is %s; want a positive duration", d.key, d.d)
		} else if d.d.Duration > MaxCallbackTimeout {
			v.add(at(d.key), "payments.%s is %s; want at most %s (the payer's page waits for it)", d.key, d.d, MaxCallbackTimeout)
		}
	}
	for j, r := range ps.ResultRetries {
		if p := r.problem(); p != "" {
			v.add(at("result_retries"), "payments.result_retries[%d]: %s", j, p)
		} else if r.Duration <= 0 {
			v.add(at("result_retries"), "payments.result_retries[%d] is %s; want a positive duration", j, r)
		}
	}
}

// checkPayments checks [payments] and the payments that exist at start.
func (v *validator) checkPayments(sc *Scenario, merchants map[Text]*Merchant) {
	ps := sc.PaymentSettings
	v.checkPaymentSettings(ps)
	type orderKey struct{ merchant, order Text }
	orders := map[orderKey]bool{}
	ids := v.paymentIDs(sc)
	for i := range sc.Payments {
		p := &sc.Payments[i]
		at := func(key string) int { return v.loc.key(sc.paymentsTable, i, key) }
		where := fmt.Sprintf("payments[%d]", i)
		if m := merchants[p.MerchantID]; m == nil {
			v.add(at("merchant_id"), "%s: merchant_id %q is not one of [[merchants]]", where, p.MerchantID)
		} else if m.SecretKey == "" {
			v.add(at("merchant_id"), "%s: merchant %s has no secret_key: a payment's result notify and status replies are signed with it", where, p.MerchantID)
		}
		switch key := (orderKey{p.MerchantID, p.OrderID}); {
		case p.OrderID == "" && ps.OrderIDIsRequired():
			v.add(at("order_id"), "%s: order_id is missing (payments.order_id = %q lets a payment go without one)", where, OrderIDOptional)
		case len(p.OrderID) > 50:
			v.add(at("order_id"), "%s: order_id is %d characters; at most 50", where, len(p.OrderID))
		case p.OrderID != "" && orders[key]:
			v.add(at("order_id"), "%s: order_id %q is used twice for merchant %s", where, p.OrderID, p.MerchantID)
		default:
			orders[key] = true
		}
		switch first, seen := ids[p.PaymentID]; {
		case p.PaymentID < 0:
			v.add(at("payment_id"), "%s: payment_id %d is negative", where, p.PaymentID)
		case p.PaymentID > 0 && seen && first != where:
			v.add(at("payment_id"), "%s: payment_id %d is used twice: %s has it too", where, p.PaymentID, first)
		}
		if a, err := money.FromFloat(p.Amount); err != nil || a < 1 || a > money.Max {
			v.add(at("amount"), "%s: amount %v: want 0.01 to 99999999 with at most two decimals", where, p.Amount)
		}
		if p.Currency != "" && !isCurrency(p.Currency) {
			v.add(at("currency"), "%s: currency %q is not a 3-letter code such as KZT", where, p.Currency)
		}
		if n := utf8.RuneCountInString(p.Description); n > MaxPaymentDescription {
			v.add(at("description"), "%s: description is %d characters; at most %d", where, n, MaxPaymentDescription)
		}
		if p.Card != "" && !fixtures.ValidPAN(p.Card) {
			v.add(at("card"), "%s: card %q: want a card number of 13 to 20 digits that passes the Luhn check", where, p.Card)
		}
		for _, u := range []struct{ key, url string }{{"result_url", p.ResultURL}, {"success_url", p.SuccessURL}, {"failure_url", p.FailureURL}} {
			v.checkPaymentURL(func() int { return at(u.key) }, where+": "+u.key, u.url)
		}
		v.checkPaymentTimeline(func(j int) int { return v.loc.element(sc.paymentsTable, i, "timeline", j) }, where, p.Timeline, false)
		v.checkDrillNames(func() int { return at("drills") }, where+": drills", p.Drills)
		for _, d := range p.Drills {
			if d == DrillEarly || IsFault(d) {
				v.add(at("drills"), "%s: drill %q is for payouts made through the gateway (a payout rule's drills); a scenario payment has no create request to answer", where, d)
			}
		}
		v.checkDrillMix(func() int { return at("drills") }, where, nil, p.Drills)
	}
	var retries time.Duration
	for _, r := range ps.Retries() {
		if retries += max(r, 0); retries > MaxHorizon {
			break
		}
	}
	if retries > 0 {
		line := func() int {
			if sc.paymentsTable != "payments.existing" {
				return 0 // [[payments]] has no settings: the retries are the default
			}
			return v.loc.key("payments", 0, "result_retries")
		}
		v.horizon(line, "payments.result_retries: the last retry of the latest payment timeline step", v.paymentLatest+retries)
	}
}

// paymentIDs maps each payment id given in the scenario to the first
// payout or payment that has it.
func (v *validator) paymentIDs(sc *Scenario) map[int64]string {
	ids := map[int64]string{}
	if len(sc.Payments) == 0 {
		return ids // a file of 100 000 payouts needs no map of their ids here
	}
	for i, p := range sc.Payouts {
		if _, ok := ids[p.PaymentID]; !ok && p.PaymentID > 0 {
			ids[p.PaymentID] = fmt.Sprintf("payouts[%d]", i)
		}
	}
	for i, p := range sc.Payments {
		if _, ok := ids[p.PaymentID]; !ok && p.PaymentID > 0 {
			ids[p.PaymentID] = fmt.Sprintf("payments[%d]", i)
		}
	}
	return ids
}

// checkPaymentRule checks what is particular to a payment rule (kind =
// "payment"); checkRules has checked its match keys as a payout rule's.
func (v *validator) checkPaymentRule(i int, r Rule) {
	at := func(key string) int { return v.loc.key("rules", i, key) }
	where := fmt.Sprintf("rules[%d]", i)
	if r.Match.IBAN != "" {
		v.add(at("match"), "%s: match.iban %q: iban matches payouts only", where, r.Match.IBAN)
	}
	if len(r.Timeline) == 0 {
		v.add(at("timeline"), "%s: timeline is missing; a payment rule says what happens to the payments it matches (with three_ds = true, drills or operations it may leave it out: success)", where)
	}
	v.checkPaymentTimeline(func(j int) int { return v.loc.element("rules", i, "timeline", j) }, where, r.Timeline, true)
	v.checkDrillNames(func() int { return at("drills") }, where+": drills", r.Drills)
	for _, op := range slices.Sorted(maps.Keys(r.Operations)) {
		code := r.Operations[op]
		switch {
		case !slices.Contains(Operations(), op):
			v.add(at("operations"), "%s: operations.%s: want %s", where, op, orList(Operations()))
		case code != 0 && !slices.Contains(wire.OperationCodes(), code):
			v.add(at("operations"), "%s: operations.%s = %d: want 0 (the operation goes through) or one of the codes of payments.md §6: %v", where, op, code, wire.OperationCodes())
		}
	}
	for _, d := range r.Drills {
		if d == DrillEarly || (IsFault(d) && d != FaultSlow) {
			v.add(at("drills"), "%s: drill %q is for payout rules: a payment rule decides what happens once the payer sends the card, when no request of the merchant's waits for a reply (of the faults, slow acts on payments: it holds the check request's answer back past the check timeout)", where, d)
		}
	}
}

// checkPaymentTimeline checks a payment's timeline, or a payment rule's
// (rule true):
// statuses among allowed, times ascending, error codes where they belong,
// and an order a payment can go through (new first; nothing after error,
// incomplete or revoked; only revoked after success, and only after it).
func (v *validator) checkPaymentTimeline(lineOf func(j int) int, where string, steps []Step, rule bool) {
	allowed, carriers := paymentStatuses(), `only "error" and "incomplete" steps carry one`
	if rule {
		allowed, carriers = ruleStatuses(), `only "error" steps carry one`
	}
	for j, s := range steps {
		w := fmt.Sprintf("%s.timeline[%d]", where, j)
		line := func() int { return lineOf(j) }
		v.checkAt(line, w, steps, j)
		v.paymentLatest = max(v.paymentLatest, s.At.Duration)
		if !slices.Contains(allowed, s.Status) {
			v.add(line(), "%s: status %q: want %s", w, s.Status, orList(allowed))
			continue
		}
		switch s.Status {
		case PaymentError:
			switch {
			case s.ErrorCode == 0:
				v.add(line(), "%s: error_code is missing; an error step carries one of %s", w, declineCodeList())
			case s.ErrorCode == PaymentLifetimeOver && !rule:
				v.add(line(), "%s: error_code %d is the end of the payment's lifetime: a step with status %q reports it", w, s.ErrorCode, PaymentIncomplete)
			case !slices.Contains(PaymentDeclineCodes(), s.ErrorCode):
				v.add(line(), "%s: error_code %d is not a payment decline code; want one of %s", w, s.ErrorCode, declineCodeList())
			}
		case PaymentIncomplete:
			if s.ErrorCode != 0 && s.ErrorCode != PaymentLifetimeOver {
				v.add(line(), "%s: error_code %d on an %q step; the end of the lifetime is always %d (leave error_code out)", w, s.ErrorCode, s.Status, PaymentLifetimeOver)
			}
		default:
			if s.ErrorCode != 0 {
				v.add(line(), "%s: error_code %d on a %q step; %s", w, s.ErrorCode, s.Status, carriers)
			}
		}
		if s.Notify != nil && *s.Notify && s.Status != PaymentSuccess && s.Status != PaymentError {
			v.add(line(), "%s: notify = true on a %q step: a result notify reports a success or an error only", w, s.Status)
		}
		v.checkPaymentOrder(line, w, steps, j, rule)
	}
}

// checkPaymentOrder checks that step j of a payment's timeline can follow
// the one before it.
func (v *validator) checkPaymentOrder(line func() int, w string, steps []Step, j int, rule bool) {
	s := steps[j]
	final := s.Status == PaymentError || s.Status == PaymentIncomplete || s.Status == PaymentRevoked || rule && s.Status == PaymentSuccess
	if final && j < len(steps)-1 {
		v.add(line(), "%s: %q is final; the steps after it can never happen", w, s.Status)
	}
	prev := ""
	if j > 0 {
		prev = steps[j-1].Status
	}
	switch {
	case s.Status == PaymentNew && j > 0:
		v.add(line(), "%s: %q can only be the first step", w, s.Status)
	case s.Status == PaymentRevoked && prev != PaymentSuccess:
		v.add(line(), "%s: %q needs a %q step right before it: only an authorised payment is revoked", w, s.Status, PaymentSuccess)
	case prev == PaymentSuccess && !rule && s.Status != PaymentRevoked:
		v.add(line(), "%s: status %q after %q: only %q can follow a success (the merchant rejected its result notify)", w, s.Status, PaymentSuccess, PaymentRevoked)
	}
}

func declineCodeList() string {
	var parts []string
	for _, c := range PaymentDeclineCodes() {
		parts = append(parts, strconv.Itoa(c))
	}
	return strings.Join(parts, ", ")
}

// orList quotes choices as `"a", "b" or "c"`.
func orList(choices []string) string {
	q := quoteAll(choices)
	if len(q) < 2 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
