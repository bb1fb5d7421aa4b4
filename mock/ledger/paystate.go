package ledger

import (
	"cmp"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/redact"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// RestorePayments adds saved payments, as [Ledger.Save] gave them, to a
// ledger [Restore] built. It fails on a payment of a merchant the scenario
// lacks, or an id or page used twice; [CheckPayments] reports more.
func (l *Ledger) RestorePayments(payments []Payment) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range payments {
		p := payments[i].clone()
		switch {
		case l.merchants[p.MerchantID] == nil:
			return fmt.Errorf("payment %d is of merchant %q, which the scenario does not have", p.PaymentID, p.MerchantID)
		case len(p.Timeline) == 0:
			return fmt.Errorf("payment %d has no timeline", p.PaymentID)
		case l.paymentIDTaken(p.PaymentID):
			return fmt.Errorf("payment id %d is used twice", p.PaymentID)
		case l.payByPage[p.PageKey] != nil:
			return fmt.Errorf("payment %d's page key is also another payment's", p.PaymentID)
		case p.RecurringProfileID != 0 && (p.RecurringProfileID == p.PaymentID || l.paymentIDTaken(p.RecurringProfileID)):
			return fmt.Errorf("payment %d's recurring profile id %d is used twice", p.PaymentID, p.RecurringProfileID)
		}
		l.insertPayment(&p)
	}
	return nil
}

// CheckPayments reports, at once, what in saved payments
// [Ledger.RestorePayments] would trust and must not: merchants sc lacks
// (nil sc: none judged), ids used twice (payoutIDs are the payouts'),
// amounts out of the wire's range, unknown statuses and codes, empty or
// unordered timelines, URLs that are not. Each problem starts with the
// payment's index and the field: "[3].Amount: …".
func CheckPayments(sc *scenario.Scenario, payments []Payment, payoutIDs map[int64]bool) []error {
	var errs []error
	add := func(i int, field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("[%d].%s: %s", i, field, fmt.Sprintf(format, args...)))
	}
	merchants := merchantIDs(sc)
	ids, pages := map[int64]int{}, map[string]int{}
	for i, p := range payments {
		if sc != nil && !merchants[p.MerchantID] {
			add(i, "MerchantID", "%q is not a merchant of the scenario", p.MerchantID)
		}
		switch j, dup := ids[p.PaymentID]; {
		case p.PaymentID <= 0:
			add(i, "PaymentID", "%d is not a payment id (a positive number)", p.PaymentID)
		case dup:
			add(i, "PaymentID", "%d is also payments[%d]'s", p.PaymentID, j)
		case payoutIDs[p.PaymentID]:
			add(i, "PaymentID", "%d is also a payout's", p.PaymentID)
		default:
			ids[p.PaymentID] = i
		}
		if j, dup := pages[p.PageKey]; dup || p.PageKey == "" {
			add(i, "PageKey", "%q is empty or also payments[%d]'s", p.PageKey, j)
		} else {
			pages[p.PageKey] = i
		}
		if p.Amount < 1 || p.Amount > money.Max {
			add(i, "Amount", "%d (%s) is out of the wire's range: want 1 to %d", int64(p.Amount), p.Amount.Fixed2(), int64(money.Max))
		}
		if p.CreatedAt.IsZero() || p.ExpiresAt.Before(p.CreatedAt) {
			add(i, "ExpiresAt", "%s is empty or before CreatedAt", p.ExpiresAt.Format(time.RFC3339))
		}
		for _, link := range []struct{ field, url string }{{"CheckURL", p.CheckURL}, {"ResultURL", p.ResultURL},
			{"SuccessURL", p.SuccessURL}, {"FailureURL", p.FailureURL}} {
			if link.url == "" {
				continue
			}
			if why := wire.CallbackURLProblem(link.url); why != "" {
				add(i, link.field, "%q: %s", shorten(redact.URLs(link.url)), why)
			}
		}
		if p.ClearingAmount < 0 || p.ClearingAmount > p.Amount {
			add(i, "ClearingAmount", "%s is negative or more than the amount %s", p.ClearingAmount.Fixed2(), p.Amount.Fixed2())
		}
		if p.Revision < 0 {
			add(i, "Revision", "%d is negative", p.Revision)
		}
		switch {
		case p.RecurringMonths < 0 || p.RecurringMonths > scenario.DefaultRecurringMaxMonths:
			add(i, "RecurringMonths", "%d is out of range: want 0 (no recurring start) to %d", p.RecurringMonths, scenario.DefaultRecurringMaxMonths)
		case (p.RecurringMonths > 0) != (p.RecurringProfileID > 0):
			add(i, "RecurringProfileID", "%d with RecurringMonths %d: a recurring start has both, another payment neither", p.RecurringProfileID, p.RecurringMonths)
		case p.RecurringProfileID > 0 && p.RecurringProfileID == p.PaymentID:
			add(i, "RecurringProfileID", "%d is the payment's own id", p.RecurringProfileID)
		case p.ChargeOf < 0:
			add(i, "ChargeOf", "%d is not a profile id", p.ChargeOf)
		}
		if p.NetAmount < 0 || p.NetAmount > p.Amount {
			add(i, "NetAmount", "%s is negative or more than the amount %s", p.NetAmount.Fixed2(), p.Amount.Fixed2())
		}
		var refunded money.Amount
		for j, r := range p.Refunds {
			if r.Amount < 1 || r.Amount > p.Amount || r.PaymentID <= 0 {
				add(i, fmt.Sprintf("Refunds[%d]", j), "amount %s or id %d out of range: want 0.01 to the amount %s, a positive id", r.Amount.Fixed2(), r.PaymentID, p.Amount.Fixed2())
			}
			refunded += r.Amount
		}
		if refunded > p.Amount {
			add(i, "Refunds", "%s in all, more than the amount %s", refunded.Fixed2(), p.Amount.Fixed2())
		}
		for _, op := range slices.Sorted(maps.Keys(p.Operations)) {
			if code := p.Operations[op]; !slices.Contains(scenario.Operations(), op) || !slices.Contains(wire.OperationCodes(), code) {
				add(i, "Operations", "%s = %d: want one of %v refused with a code of %v", shorten(op), code, scenario.Operations(), wire.OperationCodes())
			}
		}
		checkPaymentTimeline(p.Timeline, func(field, format string, args ...any) { add(i, field, format, args...) })
	}
	return errs
}

func checkPaymentTimeline(steps []Step, add func(field, format string, args ...any)) {
	checkSteps(steps, "a payment has at least the step it is made with", checkPaymentStep, add)
}

// checkPaymentStep reports a payment step's status and code.
func checkPaymentStep(at string, s Step, add func(field, format string, args ...any)) {
	switch s.Status {
	case scenario.PaymentNew, scenario.PaymentPending, scenario.PaymentSuccess, scenario.PaymentRevoked:
		if s.ErrorCode != 0 {
			add(at+".ErrorCode", "%d on a %q step; only error and incomplete steps carry one", s.ErrorCode, s.Status)
		}
	case scenario.PaymentError, scenario.PaymentIncomplete:
		if !wire.IsPaymentError(s.ErrorCode) {
			add(at+".ErrorCode", "%d is not a payment error code; want one of %v", s.ErrorCode, wire.PaymentErrorCodes())
		}
	default:
		add(at+".Status", "%q is not a payment status; want new, pending, success, error, incomplete or revoked", s.Status)
	}
}

// addScenarioPayment adds a payment of the scenario, its timeline counted
// from origin; l.mu is held or the ledger not yet shared. taken holds the
// payment ids in use or reserved; a generated id is added to it.
func (l *Ledger) addScenarioPayment(sp scenario.Payment, origin time.Time, taken map[int64]bool) {
	a := l.merchants[string(sp.MerchantID)]
	m := a.Merchant
	p := &Payment{MerchantID: m.ID, OrderID: string(sp.OrderID), PaymentID: sp.PaymentID, Script: MethodScenario,
		Currency: cmp.Or(sp.Currency, m.Currency), Description: sp.Description,
		ResultURL: cmp.Or(sp.ResultURL, m.ResultURL), SuccessURL: cmp.Or(sp.SuccessURL, m.SuccessURL),
		FailureURL: cmp.Or(sp.FailureURL, m.FailureURL), CheckURL: m.CheckURL,
		AutoClearing: m.AutoClearing, TestingMode: true, CreatedAt: origin, ExpiresAt: origin.Add(scenarioLifetime),
		Language: "ru", Drills: append([]string(nil), sp.Drills...)}
	for p.PaymentID == 0 || (sp.PaymentID == 0 && taken[p.PaymentID]) {
		p.PaymentID = l.gen.PaymentID()
	}
	taken[p.PaymentID] = true
	p.Amount, _ = money.FromFloat(sp.Amount)
	p.NetAmount = p.Amount - m.PaymentCommission(p.Amount)
	key := md5.Sum([]byte(l.gen.Salt()))
	p.PageKey = hex.EncodeToString(key[:])
	p.Reference = l.gen.Reference()
	card := sp.Card
	if card == "" {
		card = l.gen.CardNumber()
	}
	p.CardPAN, p.CardBrand, p.CardExp, p.CardHolder = MaskPAN(card), Brand(card), "12/30", "TEST CARDHOLDER"
	p.Operations = l.operations(p, card)
	steps := sp.Timeline
	if len(steps) == 0 {
		steps = []scenario.Step{{Status: scenario.PaymentSuccess}}
	}
	for _, s := range steps {
		st := Step{At: origin.Add(s.At.Duration), Status: s.Status, ErrorCode: s.ErrorCode}
		st.Notify = s.Status == scenario.PaymentSuccess || s.Status == scenario.PaymentError || s.Status == scenario.PaymentIncomplete
		if s.Notify != nil {
			st.Notify = *s.Notify
		}
		p.Timeline = append(p.Timeline, st)
	}
	if first := p.Timeline[0]; first.At.After(origin) || first.Status != scenario.PaymentNew {
		p.Timeline = append([]Step{{At: origin, Status: scenario.PaymentNew}}, p.Timeline...)
	}
	sort.SliceStable(p.Timeline, func(i, j int) bool { return p.Timeline[i].At.Before(p.Timeline[j].At) })
	l.insertPayment(p)
}

// scenarioLifetime is the lifetime of a payment the scenario makes: the
// default of init_payment's pg_lifetime.
const scenarioLifetime = 86400 * time.Second

// merchantIDs are sc's merchant ids; none for a nil sc.
func merchantIDs(sc *scenario.Scenario) map[string]bool {
	out := map[string]bool{}
	if sc != nil {
		for _, m := range sc.Merchants {
			out[string(m.ID)] = true
		}
	}
	return out
}
