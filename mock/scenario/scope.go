package scenario

import (
	"errors"
	"fmt"
	"slices"
	"sort"
)

// WithMerchant returns a copy of sc in which merchant id is as from has it:
// its [[merchants]] entry, saved cards, payouts, payments, rules and
// expectations. Rules and expectations of from that name no merchant are
// taken as id's. Everything else stays as sc has it; ignored lists the
// other merchants of from, whose entries were left out. The result is
// validated as a whole.
func (sc *Scenario) WithMerchant(from *Scenario, id Text) (out *Scenario, ignored []string, err error) {
	c := *sc
	mine := func(m Merchant) bool { return m.ID == id }
	c.Merchants = swap(sc.Merchants, from.Merchants, mine)
	if !slices.ContainsFunc(from.Merchants, mine) {
		return nil, nil, fmt.Errorf("the scenario has no [[merchants]] entry with id %s", id)
	}
	for _, m := range from.Merchants {
		if !mine(m) {
			ignored = append(ignored, string(m.ID))
		}
	}
	c.Cards = swap(sc.Cards, from.Cards, func(x Card) bool { return x.MerchantID == id })
	c.Payouts = swap(sc.Payouts, from.Payouts, func(x Payout) bool { return x.MerchantID == id })
	c.Payments = swap(sc.Payments, from.Payments, func(x Payment) bool { return x.MerchantID == id })
	// The merchant's rules go first: they are tried before shared ones.
	var rules []Rule
	for _, x := range from.Rules {
		if x.Match.MerchantID == "" || x.Match.MerchantID == string(id) {
			x.Match.MerchantID = string(id)
			rules = append(rules, x)
		}
	}
	c.Rules = append(rules, swap(sc.Rules, nil, func(x Rule) bool { return x.Match.MerchantID == string(id) })...)
	var exps []Expect
	for _, x := range from.Expect {
		if x.MerchantID == "" {
			x.MerchantID = id
			x.Name = "merchant " + string(id) + ": " + x.Name
		}
		exps = append(exps, x)
	}
	c.Expect = swap(sc.Expect, exps, func(x Expect) bool { return x.MerchantID == id })
	sort.Strings(ignored)
	if err := c.Check(); err != nil {
		return nil, nil, err
	}
	return &c, ignored, nil
}

// swap returns the entries of cur that are not the merchant's (mine false)
// followed by the entries of from that are.
func swap[T any](cur, from []T, mine func(T) bool) []T {
	var out []T
	for _, x := range cur {
		if !mine(x) {
			out = append(out, x)
		}
	}
	for _, x := range from {
		if mine(x) {
			out = append(out, x)
		}
	}
	return out
}

// Check validates a scenario built in memory, such as one WithMerchant
// made; its problems carry no line numbers.
func (sc *Scenario) Check() error {
	probs, more := sc.validate(sc.File, newLocator(nil))
	if more > 0 {
		probs = append(probs, Problem{sc.File, 0, fmt.Sprintf("and %d more problems", more)})
	}
	if len(probs) > 0 {
		return errors.Join(probs...)
	}
	return nil
}
