package expect

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/routes"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// Drills gives the verdict on every drill of the payouts of a merchant
// (every merchant's for ""), and on every drill fault that hid the reply
// to a payout made: did the merchant do what a careful one does?
func Drills(st State, merchantID string) []Result {
	var out []Result
	payouts := st.Payouts(merchantID)
	var ns []notify.Notification
	for _, p := range payouts {
		if len(p.Drills) > 0 && ns == nil {
			ns, _ = st.History(merchantID)
		}
		for _, d := range p.Drills {
			if scenario.IsFault(d) {
				continue // judged from the journal, below
			}
			res := Result{Name: fmt.Sprintf("drill %s (order %s)", d, p.OrderID), Kind: "drill", MerchantID: p.MerchantID}
			if d == scenario.DrillLost {
				res.OK, res.Message = checkLost(p, ns, st)
			} else {
				res.OK, res.Message = drillVerdict(p, d, ns, st.Now())
			}
			out = append(out, res)
		}
	}
	page := st.Requests(journal.Filter{MerchantID: merchantID, Outcome: journal.OutcomeFault})
	for _, e := range page.Entries {
		if !e.Made {
			continue
		}
		res := Result{Name: fmt.Sprintf("drill fault %s (order %s)", e.Fault, e.OrderID), Kind: "drill", MerchantID: e.MerchantID}
		if q, ok := polledAfter(st, e.MerchantID, e.OrderID, e.Seq); ok {
			res.OK, res.Message = true, fmt.Sprintf("the reply to %s was lost (%s) but the payout was made; the merchant asked %s about it", e.Path, e.Fault, q.Path)
		} else {
			res.Message = fmt.Sprintf("the reply to %s for order %s was lost (%s) but the payout was made, and the merchant never asked its status: "+
				"after 9999, a 502, a reset connection or a timeout, ask /api/payment_status2 with the order id (payout_status2 needs the payment id the lost reply carried); do not make a second payout", e.Path, e.OrderID, e.Fault)
		}
		out = append(out, res)
	}
	return append(out, paymentDrills(st, merchantID)...)
}

// Unrun fails each drill the scenario's rules name (for merchantID, or any
// merchant for "") that no payout has run: a merchant whose test suite
// never made the payout a drill needs would otherwise pass it unseen.
func Unrun(rules []scenario.Rule, merchantID string, st State) []Result {
	if !slices.ContainsFunc(rules, func(r scenario.Rule) bool { return len(r.Drills) > 0 }) {
		return nil // no drill to look for: no copy of every payout and payment
	}
	ran := map[string]bool{}     // by payouts
	paidRan := map[string]bool{} // by payments
	for _, p := range st.Payouts(merchantID) {
		for _, d := range p.Drills {
			ran[d] = true
		}
	}
	for _, p := range paymentsOf(st, merchantID) {
		for _, d := range p.Drills {
			paidRan[d] = true
		}
	}
	var out []Result
	for i, r := range rules {
		if merchantID != "" && r.Match.MerchantID != "" && !ledger.Glob(r.Match.MerchantID, merchantID) {
			continue
		}
		for _, d := range r.Drills {
			if r.IsPayment() {
				if !paidRan[d] {
					paidRan[d] = true // one failure per drill
					out = append(out, Result{Name: fmt.Sprintf("drill %s (not run by a payment)", d), Kind: "drill", MerchantID: merchantID,
						Message: fmt.Sprintf("no payment has run drill %s: pay a payment that rules[%d] matches (%s)", d, i, describeMatch(r.Match))})
				}
				continue
			}
			if ran[d] {
				continue
			}
			ran[d] = true // one failure per drill
			out = append(out, Result{Name: fmt.Sprintf("drill %s (not run)", d), Kind: "drill", MerchantID: merchantID,
				Message: fmt.Sprintf("no payout has run drill %s: make a payout that rules[%d] matches (%s)", d, i, describeMatch(r.Match))})
		}
	}
	return out
}

func describeMatch(m scenario.Match) string {
	var parts []string
	for _, kv := range [][2]string{{"merchant_id", m.MerchantID}, {"order_id", m.OrderID}, {"card", m.Card}, {"iban", m.IBAN}} {
		if kv[1] != "" {
			parts = append(parts, fmt.Sprintf("%s %q", kv[0], kv[1]))
		}
	}
	if m.AmountMin != nil {
		parts = append(parts, fmt.Sprintf("amount ≥ %v", *m.AmountMin))
	}
	if m.AmountMax != nil {
		parts = append(parts, fmt.Sprintf("amount ≤ %v", *m.AmountMax))
	}
	if len(parts) == 0 {
		return "any payout"
	}
	return strings.Join(parts, ", ")
}

// drillVerdict is the verdict the notify drill d of payout p recorded, or
// why there is none yet.
func drillVerdict(p ledger.Payout, d string, ns []notify.Notification, now time.Time) (bool, string) {
	for _, n := range ns {
		if n.PaymentID == p.PaymentID && n.Drill == d && n.Verdict != nil {
			return n.Verdict.OK, n.Verdict.Message
		}
	}
	for _, n := range ns {
		if n.PaymentID == p.PaymentID && n.Drill == d {
			return false, fmt.Sprintf("not judged yet: notification #%d is %s%s", n.ID, n.State, attemptsSummary(n))
		}
	}
	return false, "not run yet: " + timelineSummary(p, now)
}

// LostVerdicts fills in the verdict of each withheld notify of the drill
// "lost" in ns, which depends on the merchant's polls so far.
func LostVerdicts(st State, ns []notify.Notification) {
	payouts := map[string]map[int64]ledger.Payout{} // by merchant, read once each
	for i, n := range ns {
		if n.Drill != scenario.DrillLost || n.Verdict != nil {
			continue
		}
		byID, ok := payouts[n.MerchantID]
		if !ok {
			byID = map[int64]ledger.Payout{}
			for _, p := range st.Payouts(n.MerchantID) {
				byID[p.PaymentID] = p
			}
			payouts[n.MerchantID] = byID
		}
		if n.Kind == notify.ResultNotify {
			if p, ok := findPayment(st, n.MerchantID, "", n.PaymentID); ok {
				ok, msg := checkPaymentLost(p, ns[i:i+1], st)
				ns[i].Verdict = &notify.Verdict{OK: ok, Message: msg}
			}
			continue
		}
		if p, ok := byID[n.PaymentID]; ok {
			ok, msg := checkLost(p, ns[i:i+1], st)
			ns[i].Verdict = &notify.Verdict{OK: ok, Message: msg}
		}
	}
}

// checkLost holds when, with no notify coming, the merchant asked the
// payout's status after it became final.
func checkLost(p ledger.Payout, ns []notify.Notification, st State) (bool, string) {
	i := slices.IndexFunc(ns, func(n notify.Notification) bool { return n.PaymentID == p.PaymentID && n.Drill == scenario.DrillLost })
	if i < 0 {
		return false, "not run yet: " + timelineSummary(p, st.Now())
	}
	final := ns[i].CreatedAt
	for _, path := range routes.PathsOf(routes.KindStatus) {
		for _, e := range st.Requests(journal.Filter{MerchantID: p.MerchantID, Path: path}).Entries {
			if asked(e) && (e.OrderID == p.OrderID || e.PaymentID == fmt.Sprint(p.PaymentID)) && !e.At.Before(final) {
				return true, fmt.Sprintf("no notify came; the merchant asked %s at %s, after the payout became final at %s", path, e.At.Format(time.RFC3339), final.Format(time.RFC3339))
			}
		}
	}
	return false, fmt.Sprintf("no notify came for order %s (drill lost) and the merchant never asked its status after it became final at %s: "+
		"poll payout_status2 for orders whose notify is overdue", p.OrderID, final.Format(time.RFC3339))
}

// asked reports whether a status request counts as asking: answered, or
// answered with a drill fault (the merchant asked; the sandbox failed it).
func asked(e journal.Entry) bool {
	return e.Outcome == journal.OutcomeOK || e.Outcome == journal.OutcomeFault
}

// polledAfter finds a status request for an order after journal entry seq.
func polledAfter(st State, merchantID, order string, seq int64) (journal.Entry, bool) {
	for _, path := range routes.PathsOf(routes.KindStatus) {
		for _, e := range st.Requests(journal.Filter{MerchantID: merchantID, Path: path, OrderID: order}).Entries {
			if asked(e) && e.Seq > seq {
				return e, true
			}
		}
	}
	return journal.Entry{}, false
}
