// Package expect checks a run against the scenario's expectations: notifies
// delivered, requests made, statuses reached, no bad signatures. The same
// checks answer `verify` and the control API's await.
package expect

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// State is what expectations are checked against: the server.
type State interface {
	Now() time.Time
	// Payouts returns a merchant's payouts (every merchant's for "").
	Payouts(merchantID string) []ledger.Payout
	// History returns a merchant's notifications kept and how many were
	// let go.
	History(merchantID string) ([]notify.Notification, int64)
	Requests(f journal.Filter) journal.Page
}

// Result is the verdict on one expectation.
type Result struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	MerchantID string `json:"merchant_id,omitempty"`
	OK         bool   `json:"ok"`
	// Message says what was found: on failure, why the expectation does
	// not hold.
	Message string `json:"message"`
}

// Report is the verdict on every expectation of a scenario.
type Report struct {
	OK       bool      `json:"ok"`
	Scenario string    `json:"scenario"`
	At       time.Time `json:"at"` // sandbox time of the check
	Passed   int       `json:"passed"`
	Failed   int       `json:"failed"`
	Results  []Result  `json:"expectations"`
}

// Verify checks every expectation; with merchantID set, only those that
// name that merchant (as a scoped scenario change makes them).
func Verify(scenarioName string, exps []scenario.Expect, merchantID string, st State) Report {
	r := Report{OK: true, Scenario: scenarioName, At: st.Now(), Results: []Result{}}
	for _, e := range exps {
		if merchantID != "" && string(e.MerchantID) != merchantID {
			continue
		}
		r.Add(Check(e, st))
	}
	for _, res := range Drills(st, merchantID) {
		r.Add(res)
	}
	return r
}

// Add counts one more result into the report.
func (r *Report) Add(res Result) {
	r.Results = append(r.Results, res)
	if res.OK {
		r.Passed++
	} else {
		r.Failed++
		r.OK = false
	}
}

// Check gives the verdict on one expectation now.
func Check(e scenario.Expect, st State) Result {
	res := Result{Name: e.Name, Kind: e.Kind(), MerchantID: string(e.MerchantID)}
	m := string(e.MerchantID)
	switch res.Kind {
	case "notify":
		res.OK, res.Message = checkNotify(*e.Notify, m, st)
	case "requests":
		res.OK, res.Message = checkRequests(*e.Requests, m, st)
	case "status":
		res.OK, res.Message = checkStatus(*e.Status, m, st)
	case "no_bad_signatures":
		res.OK, res.Message = checkSignatures(m, st)
	case "payment":
		res.OK, res.Message = checkPayment(*e.Payment, m, st)
	case "no_pending_payments":
		res.OK, res.Message = checkNoPending(m, st)
	case "holds_settled":
		res.OK, res.Message = checkHolds(m, st)
	case "refunds_within_payment":
		res.OK, res.Message = checkRefundRequests(m, st)
	default:
		res.Message = "the expectation checks nothing"
	}
	return res
}

// PayoutFinder is a State that finds the payouts of an order id or a
// payment id without listing every payout: an await looks often.
type PayoutFinder interface {
	// FindPayouts returns a merchant's payouts (every merchant's for "")
	// with the order id or the payment id, where either is set.
	FindPayouts(merchantID, orderID string, paymentID int64) []ledger.Payout
}

// findPayouts returns the payouts an expectation names.
func findPayouts(st State, merchantID string, order scenario.Text, paymentID int64) []ledger.Payout {
	if f, ok := st.(PayoutFinder); ok {
		return f.FindPayouts(merchantID, string(order), paymentID)
	}
	var out []ledger.Payout
	for _, p := range st.Payouts(merchantID) {
		if (order != "" && p.OrderID == string(order)) || (paymentID != 0 && p.PaymentID == paymentID) {
			out = append(out, p)
		}
	}
	return out
}

func ref(order scenario.Text, paymentID int64, merchantID string) string {
	s := scenario.PayoutRef(order, paymentID)
	if merchantID != "" {
		s += " of merchant " + merchantID
	}
	return s
}

func checkNotify(x scenario.ExpectNotify, merchantID string, st State) (bool, string) {
	ps := findPayouts(st, merchantID, x.OrderID, x.PaymentID)
	if len(ps) == 0 {
		return false, "no payout with " + ref(x.OrderID, x.PaymentID, merchantID)
	}
	ids := map[int64]bool{}
	for _, p := range ps {
		ids[p.PaymentID] = true
	}
	ns, dropped := st.History(merchantID)
	var mine []notify.Notification
	for _, n := range ns {
		if ids[n.PaymentID] && !n.Extra() {
			mine = append(mine, n)
		}
	}
	for _, n := range mine {
		if n.State == x.State && (x.Status == "" || n.Status == x.Status) {
			return true, fmt.Sprintf("notification #%d (pg_status %s) to %s is %s%s", n.ID, n.Status, n.URL, n.State, attemptsSummary(n))
		}
	}
	var msg string
	if len(mine) == 0 {
		msg = fmt.Sprintf("no notify has been made for %s: %s", ref(x.OrderID, x.PaymentID, merchantID), timelineSummary(ps[0], st.Now()))
	} else {
		var parts []string
		for _, n := range mine {
			parts = append(parts, fmt.Sprintf("notification #%d (pg_status %s) is %s%s", n.ID, n.Status, n.State, attemptsSummary(n)))
		}
		msg = "want a notify " + x.State
		if x.Status != "" {
			msg += " with pg_status " + x.Status
		}
		msg += "; " + strings.Join(parts, "; ")
	}
	if dropped > 0 {
		msg += fmt.Sprintf(" (%d older notifications were let go: --journal-size)", dropped)
	}
	return false, msg
}

func attemptsSummary(n notify.Notification) string {
	if len(n.Attempts) == 0 {
		return ", not attempted yet"
	}
	last := n.Attempts[len(n.Attempts)-1]
	s := fmt.Sprintf(" after %d attempt(s); last at %s: ", len(n.Attempts), last.At.Format(time.RFC3339))
	switch {
	case last.Error != "":
		s += last.Error
	case last.HTTPStatus != 0 && last.Reason != "":
		s += fmt.Sprintf("HTTP %d, %s", last.HTTPStatus, last.Reason)
	case last.HTTPStatus != 0:
		s += fmt.Sprintf("HTTP %d", last.HTTPStatus)
	default:
		s += last.Reason
	}
	if n.NextAttemptAt != nil {
		s += "; next attempt at " + n.NextAttemptAt.Format(time.RFC3339)
	}
	return s
}

func timelineSummary(p ledger.Payout, now time.Time) string {
	cur, ok := p.StatusAt(now)
	if !ok {
		return fmt.Sprintf("payout %d starts at %s", p.PaymentID, p.Timeline[0].At.Format(time.RFC3339))
	}
	s := fmt.Sprintf("payout %d is %s", p.PaymentID, cur.Status)
	for _, step := range p.Timeline {
		if step.At.After(now) {
			return s + fmt.Sprintf("; next step %s at %s", step.Status, step.At.Format(time.RFC3339))
		}
	}
	if !cur.Notify {
		s += " and that step sends no notify"
	}
	return s
}

func checkRequests(x scenario.ExpectRequests, merchantID string, st State) (bool, string) {
	page := st.Requests(journal.Filter{MerchantID: merchantID, Path: x.Path, OrderID: string(x.OrderID), Outcome: x.Outcome})
	n := page.Matched
	ok := (x.Min == nil || n >= *x.Min) && (x.Max == nil || n <= *x.Max)
	what := "request(s) to " + x.Path
	if x.OrderID != "" {
		what += " for order " + string(x.OrderID)
	}
	if x.Outcome != "" {
		what += " answered " + x.Outcome
	}
	msg := fmt.Sprintf("%d %s; want %s", n, what, scenario.CountRange(x.Min, x.Max))
	if !ok && x.OrderID != "" {
		seen := map[string]int{}
		for _, e := range st.Requests(journal.Filter{MerchantID: merchantID, OrderID: string(x.OrderID)}).Entries {
			seen[e.Path+" ("+e.Outcome+")"]++
		}
		if len(seen) > 0 {
			msg += "; requests seen for that order: " + counts(seen)
		}
	}
	if page.Dropped > 0 {
		msg += fmt.Sprintf(" (%d older requests were let go: --journal-size)", page.Dropped)
	}
	return ok, msg
}

func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = fmt.Sprintf("%s ×%d", k, m[k])
	}
	return strings.Join(keys, ", ")
}

func checkStatus(x scenario.ExpectStatus, merchantID string, st State) (bool, string) {
	ps := findPayouts(st, merchantID, x.OrderID, x.PaymentID)
	if len(ps) == 0 {
		return false, "no payout with " + ref(x.OrderID, x.PaymentID, merchantID)
	}
	now := st.Now()
	var parts []string
	for _, p := range ps {
		cur, ok := p.StatusAt(now)
		if ok && cur.Status == x.Status && (x.ErrorCode == 0 || cur.ErrorCode == x.ErrorCode) {
			s := fmt.Sprintf("payout %d is %s since %s", p.PaymentID, cur.Status, cur.At.Format(time.RFC3339))
			if cur.ErrorCode != 0 {
				s += fmt.Sprintf(" (error %d)", cur.ErrorCode)
			}
			return true, s
		}
		s := timelineSummary(p, now)
		if ok && cur.ErrorCode != 0 {
			s += fmt.Sprintf(" (error %d)", cur.ErrorCode)
		}
		parts = append(parts, s)
	}
	return false, "want " + x.Status + "; " + strings.Join(parts, "; ")
}

func checkSignatures(merchantID string, st State) (bool, string) {
	page := st.Requests(journal.Filter{MerchantID: merchantID, Outcome: journal.OutcomeBadSignature})
	all := st.Requests(journal.Filter{MerchantID: merchantID, Limit: 1})
	if page.Matched == 0 {
		msg := fmt.Sprintf("%d request(s), none with a bad signature", all.Matched)
		if all.Dropped > 0 {
			msg += fmt.Sprintf(" (%d older requests were let go: --journal-size)", all.Dropped)
		}
		return true, msg
	}
	first := page.Entries[0]
	msg := fmt.Sprintf("%d of %d request(s) had a bad signature; the first, #%d %s %s at %s", page.Matched, all.Matched, first.Seq, first.Method, first.Path, first.At.Format(time.RFC3339))
	if first.MerchantID != "" {
		msg += " by merchant " + first.MerchantID
	}
	if ex := first.Signature; ex != nil {
		msg += fmt.Sprintf(": got pg_sig %q, want %s; signing string %s", ex.Got, ex.Expected, ex.SigningString)
		if len(ex.Hints) > 0 {
			msg += "; likely cause: " + strings.Join(ex.Hints, "; ")
		}
	}
	return false, msg + " (GET /_mock/requests?outcome=bad_signature lists them all)"
}
