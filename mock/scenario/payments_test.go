package scenario

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// payBase is a merchant that may take payments: five lines, so the text of
// a case starts at line 6.
const payBase = "[[merchants]]\nid = 1\nsecret_key = \"s\"\npayout_secret_key = \"k\"\ncurrency = \"UZS\"\n"

// onePayment is a valid existing payment, in the array form, lines 6-9.
const onePayment = "[[payments]]\nmerchant_id = 1\norder_id = \"a\"\namount = 10\n"

type problemCase struct {
	name, text string
	want       string // the one problem, as "p.toml:LINE: message"; "" when valid
}

// checkProblems parses payBase and each case's text and wants exactly the
// case's problem, or none.
func checkProblems(t *testing.T, cases []problemCase) {
	t.Helper()
	for _, c := range cases {
		_, err := Parse("p.toml", []byte(payBase+c.text))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: got %v, want no problem", c.name, err)
		case c.want != "" && err == nil:
			t.Errorf("%s: accepted, want %s", c.name, c.want)
		case c.want != "" && err.Error() != c.want:
			t.Errorf("%s: got\n%v\nwant\n%s", c.name, err, c.want)
		}
	}
}

func TestPaymentsArrayForm(t *testing.T) {
	sc, err := Parse("p.toml", []byte(payBase+onePayment+"[[payments]]\nmerchant_id = 1\norder_id = \"b\"\namount = 1.5\ncurrency = \"KZT\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Payments) != 2 || sc.Payments[0].OrderID != "a" || sc.Payments[1].OrderID != "b" {
		t.Fatalf("got %+v, want payments a and b", sc.Payments)
	}
	if c := sc.Payments[0].Currency; c != "UZS" {
		t.Errorf("currency %q, want the merchant's, UZS", c)
	}
	if c := sc.Payments[1].Currency; c != "KZT" {
		t.Errorf("currency %q, want KZT as written", c)
	}
	if tl := sc.Payments[0].Timeline; len(tl) != 1 || tl[0].Status != PaymentSuccess || tl[0].At.Duration != 0 {
		t.Errorf("default timeline %+v, want success at 0s", tl)
	}
	ps := sc.PaymentSettings
	if !ps.OrderIDIsRequired() || ps.PageScriptName() != "payment_page" || ps.CheckTimeoutOr() != 30*time.Second ||
		ps.ResultTimeoutOr() != 30*time.Second || ps.CheckAckOr() != AckStrict || ps.ResultAckOr() != AckLenient || ps.EncodingOr() != EncodingURL {
		t.Errorf("settings of the array form %+v: want every default", ps)
	}
	if r := ps.Retries(); !slices.Equal(r, []time.Duration{30 * time.Minute, 30 * time.Minute, 30 * time.Minute, 30 * time.Minute}) {
		t.Errorf("retries %v, want four of 30m", r)
	}
}

func TestPaymentsTableForm(t *testing.T) {
	sc, err := Parse("p.toml", []byte(payBase+`[payments]
order_id = "optional"
page_script = ""
check_timeout = "5s"
check_ack = "lenient"
result_timeout = "1m"
result_retries = ["10s", "1m"]
result_ack = "strict"
encoding = "get"
[[payments.existing]]
merchant_id = 1
amount = 10
[[payments.existing]]
merchant_id = 1
amount = 20
`))
	if err != nil {
		t.Fatal(err)
	}
	ps := sc.PaymentSettings
	if ps.OrderIDIsRequired() || ps.PageScriptName() != "" || ps.CheckTimeoutOr() != 5*time.Second || ps.ResultTimeoutOr() != time.Minute ||
		ps.CheckAckOr() != AckLenient || ps.ResultAckOr() != AckStrict || ps.EncodingOr() != EncodingGet {
		t.Errorf("settings %+v: want every one as written", ps)
	}
	if r := ps.Retries(); !slices.Equal(r, []time.Duration{10 * time.Second, time.Minute}) {
		t.Errorf("retries %v, want 10s and 1m", r)
	}
	if len(sc.Payments) != 2 || len(ps.Existing) != 0 {
		t.Errorf("%d payments (%d left in settings), want 2 (0)", len(sc.Payments), len(ps.Existing))
	}
	// [[payments.existing]] without a [payments] line is the same form.
	sc, err = Parse("p.toml", []byte(payBase+"[[payments.existing]]\nmerchant_id = 1\norder_id = \"a\"\namount = 10\n"))
	if err != nil || len(sc.Payments) != 1 {
		t.Errorf("[[payments.existing]] alone: %v, %v; want 1 payment", sc, err)
	}
	// result_retries = [] is no retry, not the default.
	sc, err = Parse("p.toml", []byte(payBase+"[payments]\nresult_retries = []\n"))
	if err != nil || len(sc.PaymentSettings.Retries()) != 0 {
		t.Errorf("result_retries = []: %v, %v; want no retry", sc.PaymentSettings.Retries(), err)
	}
	// A scenario built in Go has every default.
	var zero PaymentSettings
	if zero.CheckTimeoutOr() != DefaultCheckTimeout || len(zero.Retries()) != DefaultResultRetries || zero.PageScriptName() != DefaultPageScript {
		t.Errorf("zero settings: %v %v %q", zero.CheckTimeoutOr(), zero.Retries(), zero.PageScriptName())
	}
}

func TestPaymentSettingsProblems(t *testing.T) {
	setting := func(kv string) string { return "[payments]\n" + kv + "\n" } // the setting is on line 7
	var cases []problemCase
	for _, ok := range []string{
		`order_id = "required"`, `order_id = "optional"`, `page_script = "payment_page"`, `page_script = ""`,
		`check_timeout = "1ms"`, `result_timeout = "2m"`, `result_retries = ["1s"]`, `result_retries = []`,
		`check_ack = "strict"`, `check_ack = "lenient"`, `result_ack = "lenient"`, `result_ack = "strict"`,
		`encoding = "urlencoded"`, `encoding = "multipart"`, `encoding = "xml"`, `encoding = "get"`,
	} {
		cases = append(cases, problemCase{ok, setting(ok), ""})
	}
	for _, bad := range []struct{ kv, want string }{
		{`order_id = "maybe"`, `payments.order_id is "maybe"; want "required" or "optional"`},
		{`page_script = "payment_page.php"`, `payments.page_script is "payment_page.php"; want "payment_page" (the default) or "" (the empty last segment of /g2g/payment_page/)`},
		{`check_timeout = "0s"`, `payments.check_timeout is 0s; want a positive duration`},
		{`check_timeout = "-1s"`, `payments.check_timeout is -1s; want a positive duration`},
		{`check_timeout = "soon"`, `payments.check_timeout: "soon" is not a duration such as "5s" or "1m30s"`},
		{`result_timeout = "0s"`, `payments.result_timeout is 0s; want a positive duration`},
		{`result_timeout = "2m1s"`, `payments.result_timeout is 2m1s; want at most 2m0s (the payer's page waits for it)`},
		{`check_timeout = "1h"`, `payments.check_timeout is 1h0m0s; want at most 2m0s (the payer's page waits for it)`},
		{`result_timeout = "30"`, `payments.result_timeout: "30" is not a duration such as "5s" or "1m30s"`},
		{`result_retries = ["30m", "0s"]`, `payments.result_retries[1] is 0s; want a positive duration`},
		{`result_retries = ["x"]`, `payments.result_retries[0]: "x" is not a duration such as "5s" or "1m30s"`},
		{`result_retries = ["876000h", "1h"]`, `payments.result_retries: the last retry of the latest payment timeline step is 876001h0m0s after the clock's start: at most 100 years (876000h); the protocol's dates have four-digit years`},
		{`check_ack = "loose"`, `payments.check_ack is "loose"; want "strict" or "lenient"`},
		{`result_ack = "any"`, `payments.result_ack is "any"; want "lenient" or "strict"`},
		{`encoding = "json"`, `payments.encoding is "json"; want "urlencoded", "multipart", "xml" or "get"`},
		{`clearing_flag = "flag"`, `payments.clearing_flag is "flag"; want "status_clearing" or "clearing_status"`},
		{`recurring_max_months = 0`, `payments.recurring_max_months is 0; want 1 to 156 (open point 14)`},
		{`recurring_max_months = 157`, `payments.recurring_max_months is 157; want 1 to 156 (open point 14)`},
		{`colour = "red"`, `unknown key "payments.colour"; known keys here: check_ack, check_timeout, clearing_flag, credit_payout_balance, encoding, existing, legacy_notifies, order_id, page_script, recurring_max_months, refund_status, result_ack, result_retries, result_timeout`},
	} {
		cases = append(cases, problemCase{bad.kv, setting(bad.kv), "p.toml:7: " + bad.want})
	}
	checkProblems(t, cases)
}

func TestMerchantPaymentURLs(t *testing.T) {
	long := "http://localhost:9000/" + strings.Repeat("a", MaxPaymentURL-len("http://localhost:9000/"))
	var cases []problemCase
	for _, key := range []string{"check_url", "result_url", "success_url", "failure_url"} {
		merchant := func(url string) string {
			return "[[merchants]]\nid = 2\nsecret_key = \"s\"\npayout_secret_key = \"k\"\n" + key + " = \"" + url + "\"\n" // the URL on line 10
		}
		where := "p.toml:10: merchants[1]: " + key
		for _, c := range []struct{ url, want string }{
			{"http://localhost:9000/freedompay/" + key, ""},
			{"https://shop.kz/pay?PAYMENT_SYSTEM=5", ""},
			{long, ""},
			{long + "a", where + " is 256 bytes; at most 255, as pg_check_url, pg_result_url, pg_success_url and pg_failure_url (payments.md §3.1)"},
			{DemoPostLink, where + ` "/_mock/demo/merchant": the demo merchant answers payout notifies only (a merchant's post_link); a payment callback URL must be an absolute http(s) URL`},
			{"/hooks/result", where + ` "/hooks/result": want an absolute http(s) URL`},
			{"ftp://shop/result", where + ` "ftp://shop/result": want an absolute http(s) URL`},
			{"http://shop:0/r", where + ` "http://shop:0/r": port 0 is not a port (1-65535): nothing could be delivered there`},
			{"http://shop/a b", where + ` "http://shop/a b": holds a space or a control character at byte 14; percent-encode it (%20)`},
		} {
			cases = append(cases, problemCase{fmt.Sprintf("%s %.40s", key, c.url), merchant(c.url), c.want})
		}
	}
	// The callbacks are signed with the payment secret.
	cases = append(cases,
		problemCase{"no secret", "[[merchants]]\nid = 2\npayout_secret_key = \"k\"\nresult_url = \"http://h/r\"\n",
			"p.toml:6: merchants[1]: secret_key is missing: the check request and the result notify are signed with it"},
		problemCase{"no secret, no callbacks", "[[merchants]]\nid = 2\npayout_secret_key = \"k\"\nsuccess_url = \"http://h/ok\"\n", ""},
		problemCase{"status_secret says it already", "[gateway]\nstatus_secret = \"payment\"\n[[merchants]]\nid = 2\npayout_secret_key = \"k\"\ncheck_url = \"http://h/c\"\n",
			`p.toml:8: merchants[1]: secret_key is missing and gateway.status_secret is "payment"`},
		problemCase{"auto_clearing", "[[merchants]]\nid = 2\nsecret_key = \"s\"\npayout_secret_key = \"k\"\nauto_clearing = false\n", ""},
	)
	checkProblems(t, cases)
	sc, err := Parse("p.toml", []byte(payBase+"[[merchants]]\nid = 2\nsecret_key = \"s\"\npayout_secret_key = \"k\"\nauto_clearing = false\n"))
	if err != nil || !sc.Merchants[0].AutoClearingOn() || sc.Merchants[1].AutoClearingOn() {
		t.Errorf("auto_clearing: %v; want on by default, off as written", err)
	}
}

func TestExistingPaymentProblems(t *testing.T) {
	payment := func(lines ...string) string { // merchant_id on line 7, then the lines from 8
		return "[[payments]]\nmerchant_id = 1\n" + strings.Join(lines, "\n") + "\n"
	}
	ok := []string{`order_id = "a"`, `amount = 10`}
	with := func(extra ...string) string { return payment(append(ok, extra...)...) }
	long := strings.Repeat("я", MaxPaymentDescription)
	checkProblems(t, []problemCase{
		{"minimal", with(), ""},
		{"everything", with(`payment_id = 1700000001`, `currency = "KZT"`, `description = "`+long+`"`, `card = "4716047261941981"`,
			`result_url = "http://localhost:9000/r"`, `success_url = "https://shop.kz/ok"`, `failure_url = "https://shop.kz/fail"`, `drills = ["duplicate", "late"]`), ""},
		{"unknown merchant", "[[payments]]\nmerchant_id = 2\norder_id = \"a\"\namount = 10\n", `p.toml:7: payments[0]: merchant_id "2" is not one of [[merchants]]`},
		{"merchant without secret", "[[merchants]]\nid = 2\npayout_secret_key = \"k\"\n[[payments]]\nmerchant_id = 2\norder_id = \"a\"\namount = 10\n",
			`p.toml:10: payments[0]: merchant 2 has no secret_key: a payment's result notify and status replies are signed with it`},
		{"no order id", payment(`amount = 10`), `p.toml:6: payments[0]: order_id is missing (payments.order_id = "optional" lets a payment go without one)`},
		{"no order id, optional", "[payments]\norder_id = \"optional\"\n[[payments.existing]]\nmerchant_id = 1\namount = 10\n[[payments.existing]]\nmerchant_id = 1\namount = 10\n", ""},
		{"order id of 51", payment(`order_id = "`+strings.Repeat("x", 51)+`"`, `amount = 10`), `p.toml:8: payments[0]: order_id is 51 characters; at most 50`},
		{"order id twice", with() + payment(ok...), `p.toml:12: payments[1]: order_id "a" is used twice for merchant 1`},
		{"same order id as a payout", with() + "[[payouts]]\nmerchant_id = 1\norder_id = \"a\"\namount = 10\n", ""},
		{"negative payment id", with(`payment_id = -1`), `p.toml:10: payments[0]: payment_id -1 is negative`},
		{"payment id twice", with(`payment_id = 5`) + payment(`order_id = "b"`, `amount = 1`, `payment_id = 5`),
			`p.toml:15: payments[1]: payment_id 5 is used twice: payments[0] has it too`},
		{"payment id of a payout", with(`payment_id = 5`) + "[[payouts]]\nmerchant_id = 1\norder_id = \"p\"\namount = 10\npayment_id = 5\n",
			`p.toml:10: payments[0]: payment_id 5 is used twice: payouts[0] has it too`},
		{"amount 0", payment(`order_id = "a"`, `amount = 0`), `p.toml:9: payments[0]: amount 0: want 0.01 to 99999999 with at most two decimals`},
		{"amount 0.001", payment(`order_id = "a"`, `amount = 0.001`), `p.toml:9: payments[0]: amount 0.001: want 0.01 to 99999999 with at most two decimals`},
		{"amount too big", payment(`order_id = "a"`, `amount = 100000000`), `p.toml:9: payments[0]: amount 1e+08: want 0.01 to 99999999 with at most two decimals`},
		{"amount 0.01", payment(`order_id = "a"`, `amount = 0.01`), ""},
		{"currency", with(`currency = "tenge"`), `p.toml:10: payments[0]: currency "tenge" is not a 3-letter code such as KZT`},
		{"description", with(`description = "` + long + `я"`), `p.toml:10: payments[0]: description is 1025 characters; at most 1024`},
		{"card not Luhn", with(`card = "4716047261941982"`), `p.toml:10: payments[0]: card "4716047261941982": want a card number of 13 to 20 digits that passes the Luhn check`},
		{"card short", with(`card = "4242"`), `p.toml:10: payments[0]: card "4242": want a card number of 13 to 20 digits that passes the Luhn check`},
		{"result_url demo", with(`result_url = "/_mock/demo/merchant"`), `p.toml:10: payments[0]: result_url "/_mock/demo/merchant": the demo merchant answers payout notifies only (a merchant's post_link); a payment callback URL must be an absolute http(s) URL`},
		{"success_url", with(`success_url = "shop.kz/ok"`), `p.toml:10: payments[0]: success_url "shop.kz/ok": want an absolute http(s) URL`},
		{"failure_url long", with(`failure_url = "http://h/` + strings.Repeat("f", 250) + `"`), `p.toml:10: payments[0]: failure_url is 259 bytes; at most 255, as pg_check_url, pg_result_url, pg_success_url and pg_failure_url (payments.md §3.1)`},
		{"unknown drill", with(`drills = ["dup"]`), `p.toml:10: payments[0]: drills: unknown drill "dup"; want one of duplicate, out_of_order, late, lost, early, forged, tampered, unsigned, replayed, system_error, slow, reset, http_502`},
		{"early", with(`drills = ["early"]`), `p.toml:10: payments[0]: drill "early" is for payouts made through the gateway (a payout rule's drills); a scenario payment has no create request to answer`},
		{"fault", with(`drills = ["reset"]`), `p.toml:10: payments[0]: drill "reset" is for payouts made through the gateway (a payout rule's drills); a scenario payment has no create request to answer`},
		{"lost and late", with(`drills = ["lost", "late"]`), `p.toml:10: payments[0]: drills "lost" and "late" exclude each other: a lost notify is never delivered`},
		{"replayed, one merchant", with(`drills = ["replayed"]`), `p.toml: drill "replayed" sends another merchant's genuine notify: the scenario needs a second [[merchants]] entry`},
		{"unknown key", with(`colour = 1`), `p.toml:10: unknown key "payments.colour"; known keys here: amount, card, currency, description, drills, failure_url, merchant_id, order_id, payment_id, result_url, success_url, timeline`},
		{"unknown key, table form", "[[payments.existing]]\nmerchant_id = 1\norder_id = \"a\"\namount = 10\nsum = 1\n",
			`p.toml:10: unknown key "payments.existing.sum"; known keys here: amount, card, currency, description, drills, failure_url, merchant_id, order_id, payment_id, result_url, success_url, timeline`},
	})
}

func TestEveryPaymentProblemWithLine(t *testing.T) {
	_, err := Parse("broken.toml", []byte(brokenPayments))
	if err == nil {
		t.Fatal("broken payments accepted")
	}
	want := []string{
		`broken.toml:2: payments.order_id is "maybe"; want "required" or "optional"`,
		`broken.toml:3: payments.check_timeout is 0s; want a positive duration`,
		`broken.toml:4: payments.encoding is "json"; want "urlencoded", "multipart", "xml" or "get"`,
		`broken.toml:9: merchants[0]: check_url "/_mock/demo/merchant": the demo merchant answers payout notifies only`,
		`broken.toml:12: payments[0]: amount 0: want 0.01 to 99999999`,
		`broken.toml:15: payments[0].timeline[1]: status "pending" after "success": only "revoked" can follow a success`,
		`broken.toml:18: payments[1]: merchant_id "3" is not one of [[merchants]]`,
		`broken.toml:21: payments[1].timeline[0]: error_code 10018 is the end of the payment's lifetime: a step with status "incomplete" reports it`,
		`broken.toml:25: rules[0]: match.iban "KZ*": iban matches payouts only`,
		`broken.toml:26: rules[0].timeline[0]: status "incomplete": want "pending", "success" or "error"`,
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("problems lack %q:\n%v", w, err)
		}
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != len(want) {
		t.Errorf("%d problems, want %d:\n%v", n, len(want), err)
	}
}

// brokenPayments has a problem of each part of payments, for the test above
// and as a seed of FuzzParse.
const brokenPayments = `[payments]
order_id = "maybe"
check_timeout = "0s"
encoding = "json"

[[merchants]]
id = 1
secret_key = "s"
check_url = "/_mock/demo/merchant"
payout_secret_key = "k"

[[payments.existing]]
merchant_id = 1
order_id = "o-1"
timeline = [ { at = "0s", status = "success" }, { at = "1s", status = "pending" } ]

[[payments.existing]]
merchant_id = 3
order_id = "o-1"
amount = 5
timeline = [ { at = "0s", status = "error", error_code = 10018 } ]

[[rules]]
kind = "payment"
match = { iban = "KZ*" }
timeline = [ { at = "0s", status = "incomplete" } ]
`

func ExampleParse_payments() {
	sc, err := Embedded("payments.toml")
	if err != nil {
		panic(err)
	}
	p := sc.Payments[0]
	fmt.Println(p.OrderID, p.Currency, p.Timeline[len(p.Timeline)-1].Status, sc.PaymentSettings.Retries())
	for _, r := range sc.Rules {
		fmt.Println(r.Kind, r.Match.OrderID, r.ThreeDS, r.Timeline[len(r.Timeline)-1].Status)
	}
	// Output:
	// ORD-1001 KZT success [30m0s 30m0s 30m0s 30m0s]
	// payment  true success
	// payment  false error
	// payment slow-* false success
	// payment drill-* false success
	// payment norefund-* false success
}

func TestUnknownTopLevelKeyNamesPayments(t *testing.T) {
	_, err := Parse("x.toml", []byte("paymnets = []\n"+payBase))
	want := `x.toml:1: unknown key "paymnets"; known keys here: cards, clock, description, drills, expect, gateway, merchants, name, notify, payments, payouts, rules, seed`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
