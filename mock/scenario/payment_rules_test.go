package scenario

import (
	"strings"
	"testing"
)

func TestPaymentTimelines(t *testing.T) {
	// An existing payment whose timeline is on line 10.
	payment := func(steps ...string) string {
		return onePayment + "timeline = [ " + strings.Join(steps, ", ") + " ]\n"
	}
	step := func(at, status string, extra ...string) string {
		return `{ at = "` + at + `", status = "` + status + `"` + strings.Join(append([]string{""}, extra...), ", ") + ` }`
	}
	const w = "p.toml:10: payments[0].timeline"
	checkProblems(t, []problemCase{
		{"new, pending, success", payment(step("0s", "new"), step("1s", "pending"), step("2s", "pending"), step("3s", "success")), ""},
		{"success, revoked", payment(step("0s", "success"), step("1m", "revoked")), ""},
		{"error with a code", payment(step("0s", "error", "error_code = 10009")), ""},
		{"every decline code", payment(step("0s", "pending"), step("1s", "error", "error_code = 8889")), ""},
		{"error without a code", payment(step("0s", "error")), ""},
		{"incomplete", payment(step("0s", "new"), step("24h", "incomplete")), ""},
		{"incomplete, 10018", payment(step("0s", "incomplete", "error_code = 10018")), ""},
		{"notify = false", payment(step("0s", "success", "notify = false")), ""},
		{"unknown status", payment(step("0s", "paid")), w + `[0]: status "paid": want "new", "pending", "success", "error", "incomplete" or "revoked"`},
		{"payout status", payment(step("0s", "process")), w + `[0]: status "process": want "new", "pending", "success", "error", "incomplete" or "revoked"`},
		{"times", payment(step("5s", "pending"), step("5s", "success")), w + `[1]: at 5s is not after the step before (5s)`},
		{"negative", payment(step("-1s", "success")), w + `[0]: at -1s is negative`},
		{"not a duration", payment(step("later", "success")), w + `[0]: at: "later" is not a duration such as "5s" or "1m30s"`},
		{"beyond the horizon", payment(step("876001h", "success")), "p.toml: payments.result_retries: the last retry of the latest payment timeline step is 876003h0m0s after the clock's start: at most 100 years (876000h); the protocol's dates have four-digit years\n" +
			w + `[0]: at is 876001h0m0s after the clock's start: at most 100 years (876000h); the protocol's dates have four-digit years`},
		{"payout code", payment(step("0s", "error", "error_code = 10026")), w + `[0]: error_code 10026 is not a payment decline code; want one of 8889, 10000, 10001, 10004, 10005, 10008, 10009, 10017, 10019`},
		{"10018 on error", payment(step("0s", "error", "error_code = 10018")), w + `[0]: error_code 10018 is the end of the payment's lifetime: a step with status "incomplete" reports it`},
		{"other code on incomplete", payment(step("0s", "incomplete", "error_code = 10001")), w + `[0]: error_code 10001 on an "incomplete" step; the end of the lifetime is always 10018 (leave error_code out)`},
		{"code on success", payment(step("0s", "success", "error_code = 10001")), w + `[0]: error_code 10001 on a "success" step; only "error" and "incomplete" steps carry one`},
		{"notify on pending", payment(step("0s", "pending", "notify = true"), step("1s", "success")), w + `[0]: notify = true on a "pending" step: a result notify reports a success or an error only`},
		{"after error", payment(step("0s", "error"), step("1s", "success")), w + `[0]: "error" is final; the steps after it can never happen`},
		{"after incomplete", payment(step("0s", "incomplete"), step("1s", "pending")), w + `[0]: "incomplete" is final; the steps after it can never happen`},
		{"after revoked", payment(step("0s", "success"), step("1s", "revoked"), step("2s", "revoked")),
			w + `[1]: "revoked" is final; the steps after it can never happen` + "\n" + w + `[2]: "revoked" needs a "success" step right before it: only an authorised payment is revoked`},
		{"revoked first", payment(step("0s", "revoked")), w + `[0]: "revoked" needs a "success" step right before it: only an authorised payment is revoked`},
		{"after success", payment(step("0s", "success"), step("1s", "error")), w + `[1]: status "error" after "success": only "revoked" can follow a success (the merchant rejected its result notify)`},
		{"new later", payment(step("0s", "pending"), step("1s", "new")), w + `[1]: "new" can only be the first step`},
	})
	sc, err := Parse("p.toml", []byte(payBase+payment(step("0s", "pending"), step("1s", "error"))+"[[payments]]\nmerchant_id = 1\norder_id = \"b\"\namount = 1\ntimeline = [{ at = \"0s\", status = \"incomplete\" }]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c := sc.Payments[0].Timeline[1].ErrorCode; c != PaymentDeclineDefault {
		t.Errorf("an error step without a code: %d, want %d", c, PaymentDeclineDefault)
	}
	if c := sc.Payments[1].Timeline[0].ErrorCode; c != PaymentLifetimeOver {
		t.Errorf("an incomplete step: %d, want %d", c, PaymentLifetimeOver)
	}
}

func TestPaymentRules(t *testing.T) {
	const success = `timeline = [ { at = "0s", status = "success" } ]`
	rule := func(lines ...string) string { // kind on line 7, then the lines from 8
		return "[[rules]]\nkind = \"payment\"\n" + strings.Join(lines, "\n") + "\n"
	}
	checkProblems(t, []problemCase{
		{"every match key", rule(`match = { merchant_id = "1", card = "4111*", amount_min = 1.5, amount_max = 100, order_id = "slow-*" }`,
			`timeline = [ { at = "0s", status = "pending" }, { at = "2m", status = "success" } ]`), ""},
		{"3DS alone", rule(`match = { card = "4111111111111111" }`, `three_ds = true`), ""},
		{"3DS then a decline", rule(`three_ds = true`, `timeline = [ { at = "0s", status = "error", error_code = 10004 } ]`), ""},
		{"error without a code", rule(`timeline = [ { at = "0s", status = "error" } ]`), ""},
		{"drills", rule(success, `drills = ["duplicate", "forged"]`), ""},
		{"drills alone", rule(`match = { order_id = "drill-*" }`, `drills = ["duplicate"]`), ""},
		{"payout kind written", "[[rules]]\nkind = \"payout\"\nmatch = { iban = \"KZ*\" }\n" + success + "\n", ""},
		{"iban", rule(`match = { iban = "KZ86*" }`, success), `p.toml:8: rules[0]: match.iban "KZ86*": iban matches payouts only`},
		{"no timeline", rule(`match = { order_id = "x" }`), `p.toml:6: rules[0]: timeline is missing; a payment rule says what happens to the payments it matches (with three_ds = true, drills or operations it may leave it out: success)`},
		{"pending alone", rule(`timeline = [ { at = "0s", status = "pending" } ]`), ""},
		{"new", rule(`timeline = [ { at = "0s", status = "new" } ]`), `p.toml:8: rules[0].timeline[0]: status "new": want "pending", "success" or "error"`},
		{"incomplete", rule(`timeline = [ { at = "0s", status = "incomplete" } ]`), `p.toml:8: rules[0].timeline[0]: status "incomplete": want "pending", "success" or "error"`},
		{"revoked", rule(`timeline = [ { at = "0s", status = "success" }, { at = "1s", status = "revoked" } ]`),
			"p.toml:8: rules[0].timeline[0]: \"success\" is final; the steps after it can never happen\np.toml:8: rules[0].timeline[1]: status \"revoked\": want \"pending\", \"success\" or \"error\""},
		{"payout status", rule(`timeline = [ { at = "0s", status = "process" } ]`), `p.toml:8: rules[0].timeline[0]: status "process": want "pending", "success" or "error"`},
		{"payout code", rule(`timeline = [ { at = "0s", status = "error", error_code = 10032 } ]`), `p.toml:8: rules[0].timeline[0]: error_code 10032 is not a payment decline code; want one of 8889, 10000, 10001, 10004, 10005, 10008, 10009, 10017, 10019`},
		{"10018", rule(`timeline = [ { at = "0s", status = "error", error_code = 10018 } ]`), `p.toml:8: rules[0].timeline[0]: error_code 10018 is not a payment decline code; want one of 8889, 10000, 10001, 10004, 10005, 10008, 10009, 10017, 10019`},
		{"code on pending", rule(`timeline = [ { at = "0s", status = "pending", error_code = 10001 }, { at = "1s", status = "success" } ]`), `p.toml:8: rules[0].timeline[0]: error_code 10001 on a "pending" step; only "error" steps carry one`},
		{"early", rule(success, `drills = ["early"]`), `p.toml:9: rules[0]: drill "early" is for payout rules: a payment rule decides what happens once the payer sends the card, when no request of the merchant's waits for a reply (of the faults, slow acts on payments: it holds the check request's answer back past the check timeout)`},
		{"slow acts on the check request", rule(success, `drills = ["slow"]`), ""},
		{"fault", rule(success, `drills = ["system_error"]`), `p.toml:9: rules[0]: drill "system_error" is for payout rules: a payment rule decides what happens once the payer sends the card, when no request of the merchant's waits for a reply (of the faults, slow acts on payments: it holds the check request's answer back past the check timeout)`},
		{"[drills] every is for payouts", "[drills]\nevery = [\"lost\"]\n" + "[[rules]]\nkind = \"payment\"\n" + success + "\ndrills = [\"duplicate\"]\n", ""},
		{"lost and duplicate", rule(success, `drills = ["lost", "duplicate"]`), `p.toml:9: rules[0]: drills "lost" and "duplicate" exclude each other: a lost notify is never delivered`},
		{"unknown kind", "[[rules]]\nkind = \"refund\"\n" + success + "\n", `p.toml:7: rules[0]: kind "refund": want "payout" (the default) or "payment"`},
		{"three_ds on a payout rule", "[[rules]]\nthree_ds = true\n" + success + "\n", `p.toml:7: rules[0]: three_ds is for payment rules (kind = "payment"): a payout has no 3DS page`},
		{"three_ds on a payout rule, kind written", "[[rules]]\nkind = \"payout\"\nthree_ds = false\n" + success + "\n", ""},
		{"payout rules as before", "[[rules]]\nmatch = { order_id = \"x\" }\ntimeline = [ { at = \"0s\", status = \"pending\" } ]\n", `p.toml:8: rules[0].timeline[0]: status "pending": want "process", "success" or "error"`},
		{"shared match checks", rule(`match = { card = "41x1", amount_min = 10.0, amount_max = 5.0 }`, success),
			"p.toml:8: rules[0]: match.card \"41x1\": want digits and \"*\", such as \"4405*\"\np.toml:8: rules[0]: match.amount_min 10 is above amount_max 5: the rule can never match"},
		{"unknown key", rule(success, `threeds = true`), `p.toml:9: unknown key "rules.threeds"; known keys here: drills, kind, match, operations, three_ds, timeline`},
	})
	sc, err := Parse("p.toml", []byte(payBase+rule(`three_ds = true`)+"[[rules]]\n"+success+"\n"+rule(`timeline = [ { at = "0s", status = "error" } ]`)))
	if err != nil {
		t.Fatal(err)
	}
	if r := sc.Rules[0]; !r.IsPayment() || len(r.Timeline) != 1 || r.Timeline[0].Status != PaymentSuccess {
		t.Errorf("a 3DS rule without a timeline: %+v, want success at 0s", r)
	}
	if r := sc.Rules[1]; r.Kind != RulePayout || r.IsPayment() {
		t.Errorf("a rule without kind: %q, want %q", r.Kind, RulePayout)
	}
	if c := sc.Rules[2].Timeline[0].ErrorCode; c != PaymentDeclineDefault {
		t.Errorf("an error step without a code: %d, want %d", c, PaymentDeclineDefault)
	}
}

// TestWithMerchantSwapsPayments: a merchant's payments come from the file
// sent for it, the others' stay.
func TestWithMerchantSwapsPayments(t *testing.T) {
	two := "[[merchants]]\nid = 2\nsecret_key = \"s2\"\npayout_secret_key = \"k2\"\n"
	base, err := Parse("base.toml", []byte(payBase+two+onePayment+"[[payments]]\nmerchant_id = 2\norder_id = \"old\"\namount = 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	shard, err := Parse("shard.toml", []byte(two+"[[payments]]\nmerchant_id = 2\norder_id = \"new\"\namount = 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := base.WithMerchant(shard, "2")
	if err != nil {
		t.Fatal(err)
	}
	var orders []string
	for _, p := range c.Payments {
		orders = append(orders, string(p.MerchantID)+"/"+string(p.OrderID))
	}
	if got := strings.Join(orders, " "); got != "1/a 2/new" {
		t.Errorf("payments %s, want 1/a 2/new", got)
	}
}
