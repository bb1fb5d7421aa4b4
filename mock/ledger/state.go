package ledger

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/redact"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// Restore builds the ledger of sc holding payouts, as saved from
// [Ledger.Payouts]: sc gives the merchants, cards and rules, the payouts
// bring their timelines, and the balances follow from them. It fails on a
// payout of a merchant sc does not have, or a payment or order id used twice.
func Restore(sc *scenario.Scenario, gen *fixtures.Gen, payouts []Payout) (*Ledger, error) {
	l := accounts(sc, gen)
	for i := range payouts {
		p := payouts[i].clone()
		a := l.merchants[p.MerchantID]
		switch {
		case a == nil:
			return nil, fmt.Errorf("payout %d is of merchant %q, which the scenario does not have", p.PaymentID, p.MerchantID)
		case len(p.Timeline) == 0:
			return nil, fmt.Errorf("payout %d has no timeline", p.PaymentID)
		case l.byID[p.PaymentID] != nil:
			return nil, fmt.Errorf("payment id %d is used twice", p.PaymentID)
		case l.byOrder[orderKey{p.MerchantID, p.OrderID}] != nil:
			return nil, fmt.Errorf("merchant %s has order id %q twice", p.MerchantID, p.OrderID)
		}
		l.insert(&p)
		a.book(&p)
	}
	return l, nil
}

// Bounds of what saved payouts may hold, in minor units: a net amount or
// a commission is what [money.FromFloat] reads, below 10^15; what a
// merchant's payouts reserve in all stays far from overflowing a balance.
const (
	maxSaved    money.Amount = 1e17 - 1
	maxToPay                 = money.Max + maxSaved
	maxReserved money.Amount = math.MaxInt64 / 4
)

// Check reports, at once, what in saved payouts [Restore] would trust and
// must not: merchants sc lacks, ids used twice, amounts that are negative
// or out of the wire's range, unknown statuses and error codes, empty or
// unordered timelines, callback links that are not URLs. A nil sc checks no merchant. Each problem starts with the payout's index and the
// field, as in the file: "[3].Amount: -500 (-5.00) is negative".
func Check(sc *scenario.Scenario, payouts []Payout) []error {
	var errs []error
	add := func(i int, field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("[%d].%s: %s", i, field, fmt.Sprintf(format, args...)))
	}
	var merchants map[string]bool
	if sc != nil {
		merchants = map[string]bool{}
		for _, m := range sc.Merchants {
			merchants[string(m.ID)] = true
		}
	}
	byID := map[int64]int{}
	byOrder := map[orderKey]int{}
	byPage := map[string]int{}
	reserved := map[string]money.Amount{}
	for i := range payouts {
		p := &payouts[i]
		switch {
		case p.MerchantID == "":
			add(i, "MerchantID", "is empty")
		case merchants != nil && !merchants[p.MerchantID]:
			add(i, "MerchantID", "%q is not a merchant of the scenario", p.MerchantID)
		}
		if p.OrderID == "" {
			add(i, "OrderID", "is empty")
		} else if j, dup := byOrder[orderKey{p.MerchantID, p.OrderID}]; dup {
			add(i, "OrderID", "%q of merchant %s is also payouts[%d]'s", p.OrderID, p.MerchantID, j)
		} else {
			byOrder[orderKey{p.MerchantID, p.OrderID}] = i
		}
		if p.PaymentID <= 0 {
			add(i, "PaymentID", "%d is not a payment id (a positive number)", p.PaymentID)
		} else if j, dup := byID[p.PaymentID]; dup {
			add(i, "PaymentID", "%d is also payouts[%d]'s", p.PaymentID, j)
		} else {
			byID[p.PaymentID] = i
		}
		if p.PageKey != "" {
			if j, dup := byPage[p.PageKey]; dup {
				add(i, "PageKey", "%q is also payouts[%d]'s", p.PageKey, j)
			} else {
				byPage[p.PageKey] = i
			}
		}
		if p.Method == "" {
			add(i, "Method", "is empty; want %q or the gateway script that made it", MethodScenario)
		}
		checkAmounts(p, func(field, format string, args ...any) { add(i, field, format, args...) })
		if p.ToPay >= 0 && p.ToPay <= maxToPay {
			if r := reserved[p.MerchantID] + p.ToPay; r > maxReserved {
				add(i, "ToPay", "merchant %s's payouts reserve more than %s in all", p.MerchantID, maxReserved.Fixed2())
			} else {
				reserved[p.MerchantID] = r
			}
		}
		if p.CreatedAt.IsZero() {
			add(i, "CreatedAt", "is empty")
		}
		for _, link := range []struct{ field, url string }{{"PostLink", p.PostLink}, {"BackLink", p.BackLink}} {
			if link.url == "" {
				continue
			}
			if why := wire.CallbackURLProblem(link.url); why != "" {
				add(i, link.field, "%q: %s", shorten(redact.URLs(link.url)), why)
			}
		}
		if p.CardID < 0 {
			add(i, "CardID", "%d is negative; want a saved card's id, or 0 (left out) for a payout to no saved card", p.CardID)
		}
		if p.Revision < 0 {
			add(i, "Revision", "%d is negative", p.Revision)
		}
		for _, d := range p.Drills {
			if !slices.Contains(scenario.DrillNames(), d) && !scenario.IsFault(d) {
				add(i, "Drills", "%q is not a drill", d)
			}
		}
		checkTimeline(p.Timeline, func(field, format string, args ...any) { add(i, field, format, args...) })
	}
	return errs
}

// shorten quotes at most 80 bytes of a value in a message.
func shorten(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// checkAmounts reports amounts out of range: the amount as the wire takes
// it (0.01 to 99 999 999), the others non-negative, and what the balance
// pays at least the amount.
func checkAmounts(p *Payout, add func(field, format string, args ...any)) {
	switch {
	case p.Amount < 0:
		add("Amount", "%d (%s) is negative", int64(p.Amount), p.Amount.Fixed2())
	case p.Amount < 1 || p.Amount > money.Max:
		add("Amount", "%d (%s) is out of the wire's range: want 1 to %d (0.01 to %s)", int64(p.Amount), p.Amount.Fixed2(), int64(money.Max), money.Max.Fixed2())
	}
	for _, a := range []struct {
		field    string
		v, limit money.Amount
	}{{"NetAmount", p.NetAmount, maxSaved}, {"ToPay", p.ToPay, maxToPay}} {
		switch {
		case a.v < 0:
			add(a.field, "%d (%s) is negative", int64(a.v), a.v.Fixed2())
		case a.v > a.limit:
			add(a.field, "%d is out of range: want at most %d", int64(a.v), int64(a.limit))
		}
	}
	if p.ToPay >= 0 && p.Amount > 0 && p.ToPay < p.Amount {
		add("ToPay", "%d (%s) is less than Amount %d: the balance pays the amount and the commission", int64(p.ToPay), p.ToPay.Fixed2(), int64(p.Amount))
	}
}

// checkTimeline reports a timeline a payout cannot have.
func checkTimeline(steps []Step, add func(field, format string, args ...any)) {
	checkSteps(steps, "a payout has at least the step it appears with", checkPayoutStep, add)
}

// checkSteps reports an empty timeline (empty says why it cannot be),
// steps out of time order, and what step reports of each step's status.
func checkSteps(steps []Step, empty string, step func(at string, s Step, add func(field, format string, args ...any)), add func(field, format string, args ...any)) {
	if len(steps) == 0 {
		add("Timeline", "is empty; %s", empty)
	}
	for j, s := range steps {
		at := fmt.Sprintf("Timeline[%d]", j)
		switch {
		case s.At.IsZero():
			add(at+".At", "is empty")
		case j > 0 && s.At.Before(steps[j-1].At):
			add(at+".At", "%s is before the step before (%s)", s.At.Format(time.RFC3339), steps[j-1].At.Format(time.RFC3339))
		}
		step(at, s, add)
	}
}

// checkPayoutStep reports a payout step's status and code.
func checkPayoutStep(at string, s Step, add func(field, format string, args ...any)) {
	switch s.Status {
	case scenario.StatusProcess, scenario.StatusSuccess:
		if s.ErrorCode != 0 {
			add(at+".ErrorCode", "%d on a %q step; only %q steps carry one", s.ErrorCode, s.Status, scenario.StatusError)
		}
	case scenario.StatusError:
		if !wire.IsPayoutError(s.ErrorCode) {
			add(at+".ErrorCode", "%d is not a payout error code; want one of %v", s.ErrorCode, wire.PayoutErrorCodes())
		}
	default:
		add(at+".Status", "%q is not a status; want %q, %q or %q", s.Status, scenario.StatusProcess, scenario.StatusSuccess, scenario.StatusError)
	}
}
