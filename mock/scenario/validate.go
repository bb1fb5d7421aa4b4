package scenario

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/redact"
	"github.com/freedompay-mock/freedompay-mock/mock/routes"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// validator collects every problem of a scenario with its line.
type validator struct {
	file  string
	loc   *locator
	probs []error
	more  int // problems found beyond maxProblems, counted but not spelled out

	start  time.Time     // the scenario's clock start; zero for "now"
	latest time.Duration // the latest timeline step seen, from the clock's start

	paymentLatest time.Duration // the latest step of a payment's timeline or a payment rule's
}

// MaxHorizon bounds how far past the clock's start a scenario may schedule
// anything (a timeline step, a notify's last retry): the protocol's dates
// have four-digit years, and a sandbox clock moved past 9999 has nothing
// to show.
const MaxHorizon = 100 * 365 * 24 * time.Hour

// horizon reports d, a time from the clock's start, past MaxHorizon or past
// the year 9999.
func (v *validator) horizon(line func() int, what string, d time.Duration) {
	switch {
	case d > MaxHorizon:
		v.add(line(), "%s is %s after the clock's start: at most 100 years (876000h); the protocol's dates have four-digit years", what, d)
	case !v.start.IsZero() && v.start.Add(d).Year() > 9999:
		v.add(line(), "%s is %s after the clock's start (%s): past the year 9999, which the protocol's dates cannot show", what, d, v.start.Format(time.RFC3339))
	}
}

func (v *validator) add(line int, format string, args ...any) {
	if len(v.probs) >= maxProblems { // 300 000 empty [[payouts]] are a million problems
		v.more++
		return
	}
	v.probs = append(v.probs, Problem{v.file, line, fmt.Sprintf(format, args...)})
}

// validate returns the scenario's problems, at most maxProblems of them, and
// how many more it found.
func (sc *Scenario) validate(file string, loc *locator) ([]error, int) {
	v := &validator{file: file, loc: loc, start: sc.Clock.Start}
	g := sc.Gateway
	if g.BadSignatureCode != 9998 && g.BadSignatureCode != 1100 {
		v.add(loc.key("gateway", 0, "bad_signature_code"), "gateway.bad_signature_code is %d; want 9998 or 1100", g.BadSignatureCode)
	}
	if g.StatusSecret != SecretPayout && g.StatusSecret != SecretPayment {
		v.add(loc.key("gateway", 0, "status_secret"), "gateway.status_secret is %q; want %q or %q", g.StatusSecret, SecretPayout, SecretPayment)
	}
	if _, err := time.LoadLocation(g.Timezone); err != nil {
		v.add(loc.key("gateway", 0, "timezone"), "gateway.timezone %q is not a known time zone (e.g. \"UTC\", \"Asia/Almaty\")", g.Timezone)
	}
	n := sc.Notify
	if n.Ack != AckLenient && n.Ack != AckStrict {
		v.add(loc.key("notify", 0, "ack"), "notify.ack is %q; want %q or %q", n.Ack, AckLenient, AckStrict)
	}
	for j, r := range n.Retries {
		if p := r.problem(); p != "" {
			v.add(loc.key("notify", 0, "retries"), "notify.retries[%d]: %s", j, p)
		} else if r.Duration <= 0 {
			v.add(loc.key("notify", 0, "retries"), "notify.retries[%d] is %s; want a positive duration", j, r)
		}
	}
	if p := n.Timeout.problem(); p != "" {
		v.add(loc.key("notify", 0, "timeout"), "notify.timeout: %s", p)
	} else if n.Timeout.Duration < 0 {
		v.add(loc.key("notify", 0, "timeout"), "notify.timeout is %s; want a positive duration", n.Timeout)
	}
	switch n.Encoding {
	case EncodingURL, EncodingMultipart, EncodingXML:
	default:
		v.add(loc.key("notify", 0, "encoding"), "notify.encoding is %q; want %q, %q or %q", n.Encoding, EncodingURL, EncodingMultipart, EncodingXML)
	}
	if n.ScriptName != ScriptLastSegment && n.ScriptName != ScriptAfterLastSlash {
		v.add(loc.key("notify", 0, "script_name"), "notify.script_name is %q; want %q or %q", n.ScriptName, ScriptLastSegment, ScriptAfterLastSlash)
	}
	if c := sc.Clock; c.Mode != "real" && c.Mode != "manual" {
		v.add(loc.key("clock", 0, "mode"), "clock.mode is %q; want \"real\" or \"manual\"", c.Mode)
	}
	if sc.Clock.Speed < 0 {
		v.add(loc.key("clock", 0, "speed"), "clock.speed is %v; want a positive number", sc.Clock.Speed)
	}
	if sc.Seed < 0 {
		v.add(loc.key("", 0, "seed"), "seed is %d; want a positive number", sc.Seed)
	}

	merchants := map[Text]*Merchant{}
	if len(sc.Merchants) == 0 {
		v.add(0, "no [[merchants]]: a scenario needs at least one merchant")
	}
	for i := range sc.Merchants {
		m := &sc.Merchants[i]
		at := func(key string) int { return loc.key("merchants", i, key) }
		where := fmt.Sprintf("merchants[%d]", i)
		switch {
		case m.ID == "":
			v.add(at("id"), "%s: id is missing", where)
		case !fixtures.IsDigits(string(m.ID)):
			v.add(at("id"), "%s: id %q must be digits, as pg_merchant_id is", where, m.ID)
		case merchants[m.ID] != nil:
			v.add(at("id"), "%s: merchant id %s is used twice", where, m.ID)
		default:
			merchants[m.ID] = m
		}
		if m.PayoutSecretKey == "" {
			v.add(at("payout_secret_key"), "%s: payout_secret_key is missing", where)
		}
		if m.SecretKey == "" && g.StatusSecret == SecretPayment {
			v.add(at("secret_key"), "%s: secret_key is missing and gateway.status_secret is %q", where, SecretPayment)
		}
		if _, err := money.FromFloat(m.Balance); err != nil {
			v.add(at("balance"), "%s: balance: %v", where, err)
		}
		if !isCurrency(m.Currency) {
			v.add(at("currency"), "%s: currency %q is not a 3-letter code such as KZT", where, m.Currency)
		}
		v.checkPostLink(func() int { return at("post_link") }, where+": post_link", m.PostLink)
		v.checkMerchantPayments(at, where, m, g.StatusSecret == SecretPayment)
		if p := m.CommissionPercent; p < 0 || p > 100 {
			v.add(at("commission_percent"), "%s: commission_percent %v: want 0 to 100", where, p)
		}
		if p := m.PaymentCommissionPercent; !(p >= 0 && p < 100) {
			v.add(at("payment_commission_percent"), "%s: payment_commission_percent %v: want 0 or more and below 100", where, p)
		}
		if _, err := money.FromFloat(m.CommissionFixed); err != nil || m.CommissionFixed < 0 {
			v.add(at("commission_fixed"), "%s: commission_fixed %v: want a non-negative amount with at most two decimals", where, m.CommissionFixed)
		}
	}
	if p := sc.PayoutSettings.DefaultDelay.problem(); p != "" {
		v.add(loc.key("payouts", 0, "default_delay"), "payouts.default_delay: %s", p)
	} else if d := sc.PayoutSettings.DefaultDelay.Duration; d < 0 {
		v.add(loc.key("payouts", 0, "default_delay"), "payouts.default_delay: %s is negative: want 0s or more", d)
	} else if d := sc.PayoutSettings.DefaultDelay.Duration; d < 0 {
		v.add(loc.key("payouts", 0, "default_delay"), "payouts.default_delay is %s; want a positive duration", sc.PayoutSettings.DefaultDelay)
	}
	v.checkRules(sc.Rules, merchants)
	v.checkDrills(sc)
	v.checkCards(sc.Cards, merchants)
	known := map[Text]bool{}
	for id := range merchants {
		known[id] = true
	}
	for i, e := range sc.Expect {
		for _, msg := range CheckExpect(e, known) {
			v.add(loc.table("expect", i), "expect[%d] (%s): %s", i, e.Name, msg)
		}
		if r := e.Requests; r != nil && strings.HasPrefix(r.Path, "/") {
			// Requests to a path the gateway does not serve are never
			// counted as any route's.
			if msg := routes.Unknown(r.Path); msg != "" {
				v.add(loc.key("expect", i, "requests"), "expect[%d] (%s): requests.path %q %s", i, e.Name, r.Path, msg)
			}
		}
	}

	type orderKey struct{ merchant, order Text }
	orders := map[orderKey]bool{}
	ids := map[int64]bool{}
	for i := range sc.Payouts {
		p := &sc.Payouts[i]
		at := func(key string) int { return loc.key(sc.payoutsTable, i, key) }
		where := fmt.Sprintf("payouts[%d]", i)
		if merchants[p.MerchantID] == nil {
			v.add(at("merchant_id"), "%s: merchant_id %q is not one of [[merchants]]", where, p.MerchantID)
		}
		switch {
		case p.OrderID == "":
			v.add(at("order_id"), "%s: order_id is missing", where)
		case len(p.OrderID) > 50:
			v.add(at("order_id"), "%s: order_id is %d characters; at most 50", where, len(p.OrderID))
		case orders[orderKey{p.MerchantID, p.OrderID}]:
			v.add(at("order_id"), "%s: order_id %q is used twice for merchant %s", where, p.OrderID, p.MerchantID)
		default:
			orders[orderKey{p.MerchantID, p.OrderID}] = true
		}
		switch {
		case p.PaymentID < 0:
			v.add(at("payment_id"), "%s: payment_id %d is negative", where, p.PaymentID)
		case p.PaymentID > 0 && ids[p.PaymentID]:
			v.add(at("payment_id"), "%s: payment_id %d is used twice", where, p.PaymentID)
		case p.PaymentID > 0:
			ids[p.PaymentID] = true
		}
		if a, err := money.FromFloat(p.Amount); err != nil || a < 1 || a > money.Max {
			v.add(at("amount"), "%s: amount %v: want 0.01 to 99999999 with at most two decimals", where, p.Amount)
		}
		if p.Commission != nil {
			if _, err := money.FromFloat(*p.Commission); err != nil {
				v.add(at("commission"), "%s: commission: %v", where, err)
			}
		}
		if p.NetAmount != nil {
			if _, err := money.FromFloat(*p.NetAmount); err != nil {
				v.add(at("net_amount"), "%s: net_amount: %v", where, err)
			}
		}
		if p.Card != "" && (!fixtures.IsDigits(p.Card) || len(p.Card) < 13 || len(p.Card) > 20) {
			v.add(at("card"), "%s: card %q: want a card number of 13 to 20 digits", where, p.Card)
		}
		if p.PostLink == DemoPostLink {
			v.add(at("post_link"), "%s: post_link %q: the demo merchant is a merchant's post_link ([[merchants]]); a payout's post_link must be an absolute http(s) URL", where, p.PostLink)
		} else {
			v.checkURL(func() int { return at("post_link") }, where+": post_link", p.PostLink)
		}
		v.checkTimeline(func(j int) int { return loc.element(sc.payoutsTable, i, "timeline", j) }, where, p.Timeline)
		v.checkDrillNames(func() int { return at("drills") }, where+": drills", p.Drills)
		for _, d := range p.Drills {
			if d == DrillEarly || IsFault(d) {
				v.add(at("drills"), "%s: drill %q is for payouts made through the gateway (a rule's drills); a scenario payout has no create request to answer", where, d)
			}
		}
	}
	var retries time.Duration
	for _, r := range sc.Notify.Retries {
		if retries += max(r.Duration, 0); retries > MaxHorizon {
			break
		}
	}
	if retries > 0 {
		v.horizon(func() int { return loc.key("notify", 0, "retries") }, "notify.retries: the last retry of the latest timeline step", v.latest+retries)
	}
	v.checkPayments(sc, merchants)
	return v.probs, v.more
}

func (v *validator) checkTimeline(lineOf func(j int) int, where string, steps []Step) {
	for j, s := range steps {
		w := fmt.Sprintf("%s.timeline[%d]", where, j)
		line := func() int { return lineOf(j) } // only for a problem: finding a line is slow
		v.checkAt(line, w, steps, j)
		v.latest = max(v.latest, s.At.Duration)
		switch s.Status {
		case StatusProcess, StatusSuccess:
			if s.ErrorCode != 0 {
				v.add(line(), "%s: error_code %d on a %q step; only \"error\" steps carry one", w, s.ErrorCode, s.Status)
			}
		case StatusError:
			switch {
			case s.ErrorCode == 0:
				v.add(line(), "%s: error_code is missing; an error step carries one of %s", w, errorCodeList())
			case !wire.IsPayoutError(s.ErrorCode):
				v.add(line(), "%s: error_code %d is not a payout error code; want one of %s", w, s.ErrorCode, errorCodeList())
			}
		default:
			v.add(line(), "%s: status %q: want \"process\", \"success\" or \"error\"", w, s.Status)
		}
		if (s.Status == StatusSuccess || s.Status == StatusError) && j < len(steps)-1 {
			v.add(line(), "%s: %q is final; the steps after it can never happen", w, s.Status)
		}
	}
}

// checkAt checks when step j of a timeline comes: a duration, not
// negative, within the horizon, after the step before.
func (v *validator) checkAt(line func() int, w string, steps []Step, j int) {
	s := steps[j]
	if p := s.At.problem(); p != "" {
		v.add(line(), "%s: at: %s", w, p)
	} else if s.At.Duration < 0 {
		v.add(line(), "%s: at %s is negative", w, s.At)
	}
	v.horizon(line, w+": at", s.At.Duration)
	if prev := steps[max(j-1, 0)].At.Duration; j > 0 && s.At.Duration <= prev {
		v.add(line(), "%s: at %s is not after the step before (%s)", w, s.At, prev)
	}
}

// checkPostLink checks a merchant's post_link: an absolute http(s) URL, or
// exactly [DemoPostLink], the sandbox's own demo merchant. A payout's
// post_link is a URL only: a payout's callback URL is what a merchant
// sends as pg_post_link, and the gateway takes URLs only there.
func (v *validator) checkPostLink(line func() int, what, s string) {
	if strings.HasPrefix(s, "/") {
		if s != DemoPostLink {
			v.add(line(), "%s %q: a post_link that is a path must be exactly %q, the sandbox's demo merchant; anything else must be an absolute http(s) URL", what, s, DemoPostLink)
		}
		return
	}
	v.checkURL(line, what, s)
}

func (v *validator) checkURL(line func() int, what, s string) {
	if s == "" {
		return
	}
	if problem := wire.CallbackURLProblem(s); problem != "" {
		v.add(line(), "%s %q: %s", what, redact.URLs(s), problem)
	}
}

func errorCodeList() string {
	var parts []string
	for _, c := range wire.PayoutErrorCodes() {
		parts = append(parts, strconv.Itoa(c))
	}
	return strings.Join(parts, ", ")
}

func isCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

func (v *validator) checkRules(rules []Rule, merchants map[Text]*Merchant) {
	for i, r := range rules {
		at := func(key string) int { return v.loc.key("rules", i, key) }
		where := fmt.Sprintf("rules[%d]", i)
		m := r.Match
		if m.MerchantID != "" && !strings.Contains(m.MerchantID, "*") && merchants[Text(m.MerchantID)] == nil {
			v.add(at("match"), "%s: match.merchant_id %q is not one of [[merchants]]", where, m.MerchantID)
		}
		if m.Card != "" && strings.Trim(m.Card, "0123456789*") != "" {
			v.add(at("match"), "%s: match.card %q: want digits and \"*\", such as \"4405*\"", where, m.Card)
		}
		for _, b := range []struct {
			name string
			v    *float64
		}{{"amount_min", m.AmountMin}, {"amount_max", m.AmountMax}} {
			if b.v == nil {
				continue
			}
			if _, err := money.FromFloat(*b.v); err != nil || *b.v < 0 {
				v.add(at("match"), "%s: match.%s %v: want a non-negative amount with at most two decimals", where, b.name, *b.v)
			}
		}
		if m.AmountMin != nil && m.AmountMax != nil && *m.AmountMin > *m.AmountMax {
			v.add(at("match"), "%s: match.amount_min %v is above amount_max %v: the rule can never match", where, *m.AmountMin, *m.AmountMax)
		}
		switch r.Kind {
		case "", RulePayout:
		case RulePayment:
			v.checkPaymentRule(i, r)
			continue
		default:
			v.add(at("kind"), "%s: kind %q: want %q (the default) or %q", where, r.Kind, RulePayout, RulePayment)
			continue
		}
		if len(r.Operations) > 0 {
			v.add(at("operations"), "%s: operations are for payment rules (kind = %q): they refuse a payment's capture, cancel or refund", where, RulePayment)
		}
		if r.ThreeDS {
			v.add(at("three_ds"), "%s: three_ds is for payment rules (kind = %q): a payout has no 3DS page", where, RulePayment)
		}
		if len(r.Timeline) == 0 {
			v.add(at("timeline"), "%s: timeline is missing; a rule says what happens to the payouts it matches", where)
		}
		v.checkTimeline(func(j int) int { return v.loc.element("rules", i, "timeline", j) }, where, r.Timeline)
		v.checkDrillNames(func() int { return at("drills") }, where+": drills", r.Drills)
	}
}

func (v *validator) checkCards(cards []Card, merchants map[Text]*Merchant) {
	type key struct {
		merchant Text
		token    string
	}
	tokens := map[key]bool{}
	ids := map[Text]map[int64]bool{}
	for i, c := range cards {
		at := func(key string) int { return v.loc.key("cards", i, key) }
		where := fmt.Sprintf("cards[%d]", i)
		if merchants[c.MerchantID] == nil {
			v.add(at("merchant_id"), "%s: merchant_id %q is not one of [[merchants]]", where, c.MerchantID)
		}
		switch {
		case c.Token == "":
			v.add(at("token"), "%s: token is missing", where)
		case tokens[key{c.MerchantID, c.Token}]:
			v.add(at("token"), "%s: token %q is used twice for merchant %s", where, c.Token, c.MerchantID)
		default:
			tokens[key{c.MerchantID, c.Token}] = true
		}
		if c.CardID < 0 {
			v.add(at("card_id"), "%s: card_id %d is negative", where, c.CardID)
		} else if c.CardID > 0 {
			if ids[c.MerchantID] == nil {
				ids[c.MerchantID] = map[int64]bool{}
			}
			if ids[c.MerchantID][c.CardID] {
				v.add(at("card_id"), "%s: card_id %d is used twice for merchant %s", where, c.CardID, c.MerchantID)
			}
			ids[c.MerchantID][c.CardID] = true
		}
		if !fixtures.IsDigits(c.Number) || len(c.Number) < 13 || len(c.Number) > 20 {
			v.add(at("card"), "%s: card %q: want the card number, 13 to 20 digits", where, c.Number)
		}
	}
}
