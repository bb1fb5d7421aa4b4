package expect

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/routes"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// PaymentState is a State that holds payments too, as the sandbox's does;
// a State without them has none.
type PaymentState interface {
	// Payments returns a merchant's payments (every merchant's for "").
	Payments(merchantID string) []ledger.Payment
}

// refundStatus is the status a payment refunded in full shows in st:
// success unless st says otherwise (a RefundState).
func refundStatus(st State) string {
	if r, ok := st.(interface{ RefundStatus() string }); ok {
		return r.RefundStatus()
	}
	return scenario.PaymentSuccess
}

func paymentsOf(st State, merchantID string) []ledger.Payment {
	if ps, ok := st.(PaymentState); ok {
		return ps.Payments(merchantID)
	}
	return nil
}

// findPayment is the payment an expectation names: the one with the
// payment id, else the last one made with the order id.
func findPayment(st State, merchantID string, order scenario.Text, id int64) (ledger.Payment, bool) {
	ps := paymentsOf(st, merchantID)
	for i := len(ps) - 1; i >= 0; i-- {
		if (id != 0 && ps[i].PaymentID == id) || (id == 0 && ps[i].OrderID == string(order)) {
			return ps[i], true
		}
	}
	return ledger.Payment{}, false
}

func checkPayment(x scenario.ExpectPayment, merchantID string, st State) (bool, string) {
	p, ok := findPayment(st, merchantID, x.OrderID, x.PaymentID)
	if !ok {
		return false, "no payment with " + ref(x.OrderID, x.PaymentID, merchantID)
	}
	now := st.Now()
	cur, _ := p.StatusAt(now)
	shown := p.ShownStatus(now, refundStatus(st))
	var found []string
	pass := true
	if x.Status != "" {
		okStatus := shown == x.Status && (x.ErrorCode == 0 || cur.ErrorCode == x.ErrorCode)
		pass = pass && okStatus
		summary := paymentSummary(p, now)
		if shown != cur.Status {
			summary += " (shown " + shown + ": refunded in full)"
		}
		found = append(found, summary)
	}
	if x.Captured != nil {
		got := p.Captured(now)
		pass = pass && got == *x.Captured
		found = append(found, capturedSummary(p, now))
	}
	if x.Refunded != nil {
		want, _ := money.FromFloat(*x.Refunded)
		got := p.RefundedAt(now)
		pass = pass && got == want
		found = append(found, fmt.Sprintf("payment %d refunded %s of %s in %d refund(s)", p.PaymentID, got.Fixed2(), p.ClearingAmountAt(now).Fixed2(), len(p.RefundsAt(now))))
	}
	if x.Result != "" || x.Polled {
		ns, _ := st.History(p.MerchantID)
		if x.Result != "" {
			okResult, msg := resultState(p, ns, x.Result)
			pass = pass && okResult
			found = append(found, msg)
		}
		if x.Polled {
			okPolled, msg := polledOnceFinal(p, st)
			pass = pass && okPolled
			found = append(found, msg)
		}
	}
	msg := strings.Join(found, "; ")
	if !pass {
		msg = "want " + x.Status + strings.TrimSpace(" "+resultWant(x)) + "; " + msg
	}
	return pass, msg
}

func resultWant(x scenario.ExpectPayment) string {
	var parts []string
	if x.Captured != nil {
		parts = append(parts, map[bool]string{true: "captured", false: "not captured"}[*x.Captured])
	}
	if x.Refunded != nil {
		parts = append(parts, fmt.Sprintf("refunded %.2f", *x.Refunded))
	}
	if x.Result != "" {
		parts = append(parts, "result notify "+x.Result)
	}
	if x.Polled {
		parts = append(parts, "a status request once final")
	}
	return strings.Join(parts, ", ")
}

// paymentSummary says where a payment stands at now.
func paymentSummary(p ledger.Payment, now time.Time) string {
	cur, _ := p.StatusAt(now)
	s := fmt.Sprintf("payment %d is %s", p.PaymentID, cur.Status)
	if cur.ErrorCode != 0 {
		s += fmt.Sprintf(" (%d)", cur.ErrorCode)
	}
	if p.Refusal != "" {
		s += ", refused by the check request: " + p.Refusal
	}
	for _, step := range p.Timeline {
		if step.At.After(now) {
			return s + fmt.Sprintf("; next %s at %s", step.Status, step.At.Format(time.RFC3339))
		}
	}
	return s
}

// resultState holds when a genuine result notify of p is in state.
func resultState(p ledger.Payment, ns []notify.Notification, state string) (bool, string) {
	var parts []string
	for _, n := range ns {
		if n.PaymentID != p.PaymentID || n.Kind != notify.ResultNotify || n.Extra() {
			continue
		}
		if n.State == state {
			return true, fmt.Sprintf("result notify #%d (pg_result %s) to %s is %s%s", n.ID, n.Status, n.URL, n.State, attemptsSummary(n))
		}
		parts = append(parts, fmt.Sprintf("result notify #%d (pg_result %s) is %s%s", n.ID, n.Status, n.State, attemptsSummary(n)))
	}
	if len(parts) == 0 {
		return false, "no result notify has been made for payment " + strconv.FormatInt(p.PaymentID, 10)
	}
	return false, strings.Join(parts, "; ")
}

// finalAt is when p became final, false while it is not.
func finalAt(p ledger.Payment, now time.Time) (time.Time, bool) {
	cur, ok := p.StatusAt(now)
	if !ok || cur.Status == scenario.PaymentNew || cur.Status == scenario.PaymentPending {
		return time.Time{}, false
	}
	at := cur.At
	for i := len(p.Timeline) - 1; i > 0; i-- { // the first final step of the run that ends in cur
		s := p.Timeline[i-1]
		if s.At.After(now) || s.Status == scenario.PaymentNew || s.Status == scenario.PaymentPending {
			break
		}
		at = s.At
	}
	return at, true
}

// polledOnceFinal holds when a payment status request asked about p at or
// after it became final.
func polledOnceFinal(p ledger.Payment, st State) (bool, string) {
	final, ok := finalAt(p, st.Now())
	if !ok {
		return false, paymentSummary(p, st.Now()) + ": not final yet"
	}
	if e, ok := paymentPolled(st, p, final); ok {
		return true, fmt.Sprintf("the merchant asked %s at %s, after the payment became final at %s", e.Path, e.At.Format(time.RFC3339), final.Format(time.RFC3339))
	}
	return false, fmt.Sprintf("the merchant never asked the status of payment %d after it became final at %s: ask get_status3.php before fulfilling the order (a redirect to the success URL is no proof of payment)",
		p.PaymentID, final.Format(time.RFC3339))
}

// paymentPolled finds a payment status request about p at or after t.
func paymentPolled(st State, p ledger.Payment, t time.Time) (journal.Entry, bool) {
	id := strconv.FormatInt(p.PaymentID, 10)
	for _, path := range routes.PathsOf(routes.KindPaymentStatus) {
		for _, e := range st.Requests(journal.Filter{MerchantID: p.MerchantID, Path: path}).Entries {
			if asked(e) && (e.PaymentID == id || (e.PaymentID == "" && e.OrderID == p.OrderID)) && !e.At.Before(t) {
				return e, true
			}
		}
	}
	return journal.Entry{}, false
}

func checkNoPending(merchantID string, st State) (bool, string) {
	now := st.Now()
	var open []string
	n := 0
	for _, p := range paymentsOf(st, merchantID) {
		n++
		if cur, _ := p.StatusAt(now); cur.Status == scenario.PaymentNew || cur.Status == scenario.PaymentPending {
			if len(open) < 5 {
				open = append(open, fmt.Sprintf("payment %d (order %s) is %s", p.PaymentID, p.OrderID, cur.Status))
			}
		}
	}
	if len(open) == 0 {
		return true, fmt.Sprintf("%d payment(s), none new or pending", n)
	}
	return false, strings.Join(open, "; ") + ": a payer never finished, or its lifetime has not ended"
}

// paymentDrills gives the verdict on every drill of a merchant's payments.
func paymentDrills(st State, merchantID string) []Result {
	var out []Result
	var ns []notify.Notification
	for _, p := range paymentsOf(st, merchantID) {
		if len(p.Drills) > 0 && ns == nil {
			ns, _ = st.History(merchantID)
		}
		for _, d := range p.Drills {
			if scenario.IsFault(d) && d != scenario.FaultSlow { // slow acts on the check request
				continue
			}
			res := Result{Name: fmt.Sprintf("drill %s (payment of order %s)", d, p.OrderID), Kind: "drill", MerchantID: p.MerchantID}
			res.OK, res.Message = paymentDrillVerdict(p, d, ns, st)
			out = append(out, res)
		}
	}
	return out
}

func paymentDrillVerdict(p ledger.Payment, d string, ns []notify.Notification, st State) (bool, string) {
	if d == scenario.DrillLost {
		return checkPaymentLost(p, ns, st)
	}
	if d == scenario.FaultSlow {
		return checkSlowCheck(p, st)
	}
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
	return false, "not run yet: " + paymentSummary(p, st.Now())
}

// checkPaymentLost holds when, with no result notify coming, the merchant
// asked the payment's status after the notify was withheld.
func checkPaymentLost(p ledger.Payment, ns []notify.Notification, st State) (bool, string) {
	i := slices.IndexFunc(ns, func(n notify.Notification) bool { return n.PaymentID == p.PaymentID && n.Drill == scenario.DrillLost })
	if i < 0 {
		return false, "not run yet: " + paymentSummary(p, st.Now())
	}
	final := ns[i].CreatedAt
	if e, ok := paymentPolled(st, p, final); ok {
		return true, fmt.Sprintf("no result notify came; the merchant asked %s at %s, after the payment became final at %s", e.Path, e.At.Format(time.RFC3339), final.Format(time.RFC3339))
	}
	return false, fmt.Sprintf("no result notify came for order %s (drill lost) and the merchant never asked its status after it became final at %s: "+
		"ask get_status3.php for payments whose result notify is overdue", p.OrderID, final.Format(time.RFC3339))
}

// checkSlowCheck holds when, its check request timed out (drill slow) and
// the payment refused with no result notify to follow, the merchant asked
// the payment's status: a merchant that answered ok to the check must not
// take the payment for made.
func checkSlowCheck(p ledger.Payment, st State) (bool, string) {
	if p.Refusal == "" {
		return false, "not run yet: " + paymentSummary(p, st.Now())
	}
	final, _ := finalAt(p, st.Now())
	if e, ok := paymentPolled(st, p, final); ok {
		return true, fmt.Sprintf("the check request timed out (drill slow) and the payment was refused; the merchant asked %s at %s", e.Path, e.At.Format(time.RFC3339))
	}
	return false, fmt.Sprintf("the check request for order %s timed out (drill slow), so FreedomPay refused the payment and sends no result notify; the merchant never asked its status since %s: "+
		"an ok to the check request is no payment: ask get_status3.php when no result notify comes", p.OrderID, final.Format(time.RFC3339))
}

// capturedSummary says whether p's money is taken at now, and how.
func capturedSummary(p ledger.Payment, now time.Time) string {
	switch {
	case !p.Captured(now):
		if _, ok := p.StatusAt(now); ok && !p.AutoClearing {
			return fmt.Sprintf("payment %d is not captured (%s)", p.PaymentID, paymentSummary(p, now))
		}
		return fmt.Sprintf("payment %d is not captured", p.PaymentID)
	case p.AutoClearing:
		return fmt.Sprintf("payment %d is captured (one-step, on authorisation)", p.PaymentID)
	case !p.CapturedAt.IsZero() && !now.Before(p.CapturedAt):
		return fmt.Sprintf("payment %d is captured: %s at %s", p.PaymentID, p.ClearingAmountAt(now).Fixed2(), p.CapturedAt.Format(time.RFC3339))
	}
	return fmt.Sprintf("payment %d is captured by the hold's end, 5 days after authorisation, not by the merchant", p.PaymentID)
}

// checkHolds holds when every two-step payment authorised was captured
// by a capture request or cancelled: a hold left open, or captured by
// its end after 5 days, is an order the merchant forgot.
func checkHolds(merchantID string, st State) (bool, string) {
	now := st.Now()
	holds, settled := 0, 0
	var open []string
	for _, p := range paymentsOf(st, merchantID) {
		if p.AutoClearing || !authorisedEver(p, now) {
			continue
		}
		holds++
		cur, _ := p.StatusAt(now)
		switch {
		case cur.Status == scenario.PaymentRevoked && p.RevokeID != 0, !p.CapturedAt.IsZero() && !now.Before(p.CapturedAt):
			settled++
			continue
		}
		if len(open) < 5 {
			if p.Captured(now) {
				open = append(open, fmt.Sprintf("payment %d (order %s) was captured by the hold's end, 5 days after authorisation: the merchant never captured nor cancelled it", p.PaymentID, p.OrderID))
			} else {
				open = append(open, fmt.Sprintf("payment %d (order %s) is still on hold: capture it (do_capture.php) or cancel it (cancel.php)", p.PaymentID, p.OrderID))
			}
		}
	}
	if holds == settled {
		return true, fmt.Sprintf("%d hold(s), each captured or cancelled by the merchant", holds)
	}
	more := ""
	if n := holds - settled - len(open); n > 0 {
		more = fmt.Sprintf("; and %d more (GET /_mock/payments lists them)", n)
	}
	return false, fmt.Sprintf("%d of %d hold(s) not settled: %s%s", holds-settled, holds, strings.Join(open, "; "), more)
}

// authorisedEver reports whether p was authorised by now.
func authorisedEver(p ledger.Payment, now time.Time) bool {
	for _, s := range p.Timeline {
		if s.At.After(now) {
			return false
		}
		if s.Status == scenario.PaymentSuccess {
			return true
		}
	}
	return false
}

// checkRefundRequests holds when no refund request was answered 10020
// (more than remains) or 11018 (refunded in full already): each is a
// refund the merchant's books thought possible. The payments keep count of
// those requests, so a verdict does not depend on what the journal still
// holds (--journal-size).
func checkRefundRequests(merchantID string, st State) (bool, string) {
	made, refused := 0, 0
	var over []string
	for _, p := range paymentsOf(st, merchantID) {
		made += len(p.Refunds)
		refused += p.OverRefunds
		for _, o := range p.OverRefundsKept {
			if len(over) == 5 {
				break
			}
			asked, why := "the rest", ledger.ErrRefundAmount.Error()
			if o.Asked > 0 {
				asked = o.Asked.Fixed2()
			}
			switch {
			case o.By != "":
				why = "refused by " + o.By + "'s operations"
			case o.Code == ledger.CodeRefundedBefore:
				why = ledger.ErrRefunded.Error()
			}
			over = append(over, fmt.Sprintf("%s at %s for payment %d (order %s) asked %s: %d %s (%s remained)",
				cmp.Or(o.Path, "a refund"), o.At.Format(time.RFC3339), p.PaymentID, p.OrderID, asked, o.Code, why, o.Left.Fixed2()))
		}
	}
	if refused == 0 {
		return true, fmt.Sprintf("%d refund(s) made, no request for more than remained", made)
	}
	if refused > len(over) {
		over = append(over, fmt.Sprintf("and %d more", refused-len(over)))
	}
	return false, strings.Join(over, "; ") + ": keep the refunds made (get_status3.php's pg_refund_amount) and refund at most what remains"
}
