package scenario

import (
	"errors"
	"fmt"
	"sort"
)

// WithMerchant returns a copy of sc in which merchant id is as from has it:
// its [[merchants]] entry, saved cards, payouts, rules and expectations.
// Rules and expectations of from that name no merchant are taken as id's.
// Everything else stays as sc has it; ignored lists the other merchants of
// from, whose entries were left out. The result is validated as a whole.
func (sc *Scenario) WithMerchant(from *Scenario, id Text) (out *Scenario, ignored []string, err error) {
	found := false
	c := *sc
	c.Merchants = nil
	for _, m := range sc.Merchants {
		if m.ID != id {
			c.Merchants = append(c.Merchants, m)
		}
	}
	others := map[Text]bool{}
	for _, m := range from.Merchants {
		if m.ID == id {
			c.Merchants = append(c.Merchants, m)
			found = true
		} else {
			others[m.ID] = true
		}
	}
	if !found {
		return nil, nil, fmt.Errorf("the scenario has no [[merchants]] entry with id %s", id)
	}
	c.Cards = nil
	for _, x := range sc.Cards {
		if x.MerchantID != id {
			c.Cards = append(c.Cards, x)
		}
	}
	for _, x := range from.Cards {
		if x.MerchantID == id {
			c.Cards = append(c.Cards, x)
		}
	}
	c.Payouts = nil
	for _, x := range sc.Payouts {
		if x.MerchantID != id {
			c.Payouts = append(c.Payouts, x)
		}
	}
	for _, x := range from.Payouts {
		if x.MerchantID == id {
			c.Payouts = append(c.Payouts, x)
		}
	}
	// The merchant's rules go first: they are tried before shared ones.
	c.Rules = nil
	for _, x := range from.Rules {
		if x.Match.MerchantID == "" || x.Match.MerchantID == string(id) {
			x.Match.MerchantID = string(id)
			c.Rules = append(c.Rules, x)
		}
	}
	for _, x := range sc.Rules {
		if x.Match.MerchantID != string(id) {
			c.Rules = append(c.Rules, x)
		}
	}
	c.Expect = nil
	for _, x := range sc.Expect {
		if x.MerchantID != id {
			c.Expect = append(c.Expect, x)
		}
	}
	for _, x := range from.Expect {
		if x.MerchantID == "" || x.MerchantID == id {
			if x.MerchantID == "" {
				x.MerchantID = id
				x.Name = "merchant " + string(id) + ": " + x.Name
			}
			c.Expect = append(c.Expect, x)
		}
	}
	for m := range others {
		ignored = append(ignored, string(m))
	}
	sort.Strings(ignored)
	if err := c.Check(); err != nil {
		return nil, nil, err
	}
	return &c, ignored, nil
}

// Check validates a scenario built in memory, such as one WithMerchant
// made; its problems carry no line numbers.
func (sc *Scenario) Check() error {
	if probs := sc.validate(sc.File, newLocator(nil)); len(probs) > 0 {
		return errors.Join(probs...)
	}
	return nil
}
