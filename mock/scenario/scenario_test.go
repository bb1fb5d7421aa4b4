package scenario

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/scenarios"
)

func TestEveryExampleLoads(t *testing.T) {
	names, err := fs.Glob(scenarios.FS, "*.toml")
	if err != nil || len(names) < 4 {
		t.Fatalf("embedded scenarios: %v, %v; want at least 4", names, err)
	}
	for _, name := range names {
		sc, err := Load("../../scenarios/" + name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(sc.Merchants) == 0 || len(sc.Payouts)+len(sc.Payments) == 0 {
			t.Errorf("%s: %d merchants, %d payouts, %d payments; an example should have merchants, and payouts or payments", name, len(sc.Merchants), len(sc.Payouts), len(sc.Payments))
		}
	}
}

func TestDefaultScenario(t *testing.T) {
	sc := Default()
	if sc.Name != "default" || sc.Seed != 42 || sc.Merchants[0].ID != "9970" || sc.Merchants[0].PayoutSecretKey != "test_secret_key" {
		t.Fatalf("default scenario: name %q seed %d merchant %q: not the one docs/scenarios.md documents", sc.Name, sc.Seed, sc.Merchants[0].ID)
	}
	statuses := map[string]bool{}
	for _, p := range sc.Payouts {
		statuses[p.Timeline[len(p.Timeline)-1].Status] = true
		if len(p.Timeline) > 1 {
			statuses["process→"+p.Timeline[len(p.Timeline)-1].Status] = true
		}
	}
	for _, want := range []string{"success", "error", "process→success"} {
		if !statuses[want] {
			t.Errorf("default scenario has no %s payout", want)
		}
	}
}

func TestDefaults(t *testing.T) {
	sc, err := Parse("min.toml", []byte(`
[[merchants]]
id = 9970
payout_secret_key = "k"
[[payouts]]
merchant_id = 9970
order_id = 1
amount = 10
`))
	if err != nil {
		t.Fatal(err)
	}
	g := sc.Gateway
	if g.BadSignatureCode != 9998 || !g.SignErrorsOn() || g.StatusSecret != "payout" || g.Timezone != "UTC" {
		t.Errorf("gateway defaults %+v, want 9998, signed errors, payout secret, UTC", g)
	}
	if sc.Name != "min" || sc.Merchants[0].Currency != "KZT" || sc.Merchants[0].ID != "9970" || sc.Payouts[0].OrderID != "1" {
		t.Errorf("got name %q currency %q id %q order %q", sc.Name, sc.Merchants[0].Currency, sc.Merchants[0].ID, sc.Payouts[0].OrderID)
	}
	if tl := sc.Payouts[0].Timeline; len(tl) != 1 || tl[0].Status != "success" || tl[0].At.Duration != 0 {
		t.Errorf("default timeline %+v, want success at 0s", tl)
	}
}

const broken = `name = "broken"
colour = "red"

[gateway]
bad_signature_code = 1234
timezone = "Mars/Olympus"

[[merchants]]
id = "99x"
balance = -5

[[merchants]]
id = "8000"
payout_secret_key = "k"
post_link = "ftp://nowhere"

[[payouts]]
merchant_id = "8000"
order_id = "o-1"
amount = 0
card = "1234"
timeline = [ { at = "5s", status = "success" },
             { at = "1s", status = "sucess" } ]

[[payouts]]
merchant_id = "8000"
order_id = "o-1"
amount = 10.001
typo = 1
timeline = [ { at = "0s", status = "error" } ]
`

func TestEveryProblemReportedWithLine(t *testing.T) {
	_, err := Parse("broken.toml", []byte(broken))
	if err == nil {
		t.Fatal("broken scenario parsed without error")
	}
	msg := err.Error()
	want := []string{
		`broken.toml:2: unknown key "colour"`,
		`broken.toml:29: unknown key "payouts.typo"`,
		`broken.toml:5: gateway.bad_signature_code is 1234`,
		`broken.toml:6: gateway.timezone "Mars/Olympus"`,
		`broken.toml:9: merchants[0]: id "99x" must be digits`,
		`broken.toml:8: merchants[0]: payout_secret_key is missing`,
		`broken.toml:10: merchants[0]: balance`,
		`broken.toml:15: merchants[1]: post_link "ftp://nowhere"`,
		`broken.toml:20: payouts[0]: amount 0`,
		`broken.toml:21: payouts[0]: card "1234"`,
		`broken.toml:22: payouts[0].timeline[0]: "success" is final`,
		`broken.toml:23: payouts[0].timeline[1]: at 1s is not after`,
		`broken.toml:23: payouts[0].timeline[1]: status "sucess"`,
		`broken.toml:27: payouts[1]: order_id "o-1" is used twice`,
		`payouts[1]: amount 10.001`,
		`broken.toml:30: payouts[1].timeline[0]: error_code is missing`,
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("problems do not include %q; got:\n%s", w, msg)
		}
	}
	var p Problem
	if !errors.As(err, &p) {
		t.Errorf("error %T does not unwrap to a Problem", err)
	}
	if n := strings.Count(msg, "\n") + 1; n != len(want) {
		t.Errorf("%d problems reported, want %d:\n%s", n, len(want), msg)
	}
}

func TestSyntaxErrorHasLine(t *testing.T) {
	_, err := Parse("bad.toml", []byte("name = \"x\"\n[[merchants]\nid = 1\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "bad.toml:3: expected end of table array name delimiter") {
		t.Fatalf("got %v, want the TOML syntax error with its line", err)
	}
	_, err = Parse("bad.toml", []byte("[[merchants]]\nid = 1\npayout_secret_key = \"k\"\n[[payouts]]\nmerchant_id = 1\norder_id=1\namount=1\ntimeline = [ { at = \"soon\", status = \"success\" } ]\n"))
	if err == nil || !strings.Contains(err.Error(), `"soon" is not a duration`) {
		t.Fatalf("got %v, want a bad duration error", err)
	}
}

func TestBadDurationIsOneProblemAmongOthers(t *testing.T) {
	_, err := Parse("d.toml", []byte("[notify]\ntimeout = \"10 seconds\"\n[[merchants]]\nid = 1\n[[payouts]]\nmerchant_id = 1\norder_id = 1\namount = 1\ntimeline = [ { at = \"soon\", status = \"success\" } ]\n"))
	msg := fmt.Sprint(err)
	for _, want := range []string{
		`d.toml:2: notify.timeout: "10 seconds" is not a duration`,
		`d.toml:9: payouts[0].timeline[0]: at: "soon" is not a duration`,
		`payout_secret_key is missing`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
}

func TestUnknownKeyHint(t *testing.T) {
	_, err := Parse("x.toml", []byte("[[merchants]]\nid = 1\npayout_secret = \"k\"\n"))
	if err == nil || !strings.Contains(err.Error(), `x.toml:3: unknown key "merchants.payout_secret"; known keys here: auto_clearing, balance, check_url, commission_fixed, commission_percent, currency, failure_url, id, payment_commission_percent, payout_secret_key, post_link, result_url, secret_key, success_url`) {
		t.Fatalf("got %v", err)
	}
}

func TestTimezone(t *testing.T) {
	sc, err := Embedded("newer-docs.toml")
	if err != nil {
		t.Fatal(err)
	}
	if off := time.Date(2025, 6, 1, 0, 0, 0, 0, sc.Gateway.Location()).Format("-07:00"); off != "+05:00" {
		t.Errorf("Asia/Almaty offset %s, want +05:00", off)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(broken))
	data, _ := scenarios.FS.ReadFile("default.toml")
	f.Add(data)
	f.Add([]byte(expectations))
	f.Add([]byte(badDrills))
	data, _ = scenarios.FS.ReadFile("drills.toml")
	f.Add(data)
	data, _ = scenarios.FS.ReadFile("payments.toml")
	f.Add(data)
	f.Add([]byte(brokenPayments))
	f.Add([]byte(payBase + onePayment + "[[rules]]\nkind = \"payment\"\nthree_ds = true\n"))
	// Past the pre-scan's bounds, and strings that hide brackets from it.
	f.Add([]byte("a = " + strings.Repeat("[", 17) + strings.Repeat("]", 17)))
	f.Add([]byte("[a" + strings.Repeat(".b", 16) + "]\nx = 1"))
	f.Add([]byte(`name = "[{\"[" ` + "\n" + `description = """[{"\"""` + "\n\"\"\"\"\"\n[[merchants]]\nid = 1\npayout_secret_key = '[{'\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse("fuzz.toml", data)
		if err == nil && len(sc.Merchants) == 0 {
			t.Fatalf("a scenario without merchants was accepted")
		}
		if err != nil && err.Error() == "" {
			t.Fatalf("empty error message")
		}
	})
}

func TestPayoutsTableForm(t *testing.T) {
	sc, err := Parse("t.toml", []byte(`
[[merchants]]
id = 1
payout_secret_key = "k"
[payouts]
default_delay = "1m"
[[payouts.existing]]
merchant_id = 1
order_id = "a"
amount = 10
`))
	if err != nil {
		t.Fatal(err)
	}
	if sc.PayoutSettings.DefaultDelay.Duration != time.Minute || len(sc.Payouts) != 1 || sc.Payouts[0].OrderID != "a" {
		t.Errorf("got delay %s and %d payouts, want 1m and order a", sc.PayoutSettings.DefaultDelay, len(sc.Payouts))
	}
	// [[payouts.existing]] without a [payouts] line is the same form.
	sc, err = Parse("t.toml", []byte("[[merchants]]\nid = 1\npayout_secret_key = \"k\"\n[[payouts.existing]]\nmerchant_id = 1\norder_id = \"a\"\namount = 10\n[[payouts.existing]]\nmerchant_id = 1\norder_id = \"b\"\namount = 10\n"))
	if err != nil || len(sc.Payouts) != 2 {
		t.Errorf("[[payouts.existing]] alone: %v payouts, %v; want 2", sc, err)
	}
	sc, err = Parse("t.toml", []byte("[[merchants]]\nid = 1\npayout_secret_key = \"k\"\n"))
	if err != nil || sc.PayoutSettings.DefaultDelay.Duration != 5*time.Second {
		t.Errorf("default delay %v (%v), want 5s", sc.PayoutSettings.DefaultDelay, err)
	}
	// "0s" written is no delay, not the default.
	sc, err = Parse("t.toml", []byte("[[merchants]]\nid = 1\npayout_secret_key = \"k\"\n[payouts]\ndefault_delay = \"0s\"\n"))
	if err != nil || sc.PayoutSettings.Delay() != 0 || sc.PayoutSettings.DefaultDelay.Duration != 0 {
		t.Errorf("default_delay = \"0s\": delay %v (%v), want 0", sc.PayoutSettings.Delay(), err)
	}
	if (PayoutSettings{}).Delay() != DefaultDelay {
		t.Errorf("a scenario built in Go without a delay: %v, want the default", (PayoutSettings{}).Delay())
	}
	_, err = Parse("t.toml", []byte("[[merchants]]\nid = 1\npayout_secret_key = \"k\"\n[payouts]\ndefault_delay = \"-5s\"\n"))
	if err == nil || !strings.Contains(err.Error(), "payouts.default_delay: -5s is negative") {
		t.Errorf("a negative default_delay: %v", err)
	}
}

func TestRulesAndCardsProblems(t *testing.T) {
	_, err := Parse("r.toml", []byte(`[[merchants]]
id = 1
payout_secret_key = "k"
commission_percent = 120

[[cards]]
merchant_id = 2
token = "t"
card = "4405"

[[rules]]
match = { card = "44x5*", amount_min = 500.0, amount_max = 100.0, colour = "red" }
timeline = [ { at = "0s", status = "error" } ]

[[rules]]
match = { order_id = "a-*" }

[payouts]
default_delay = "5s"
[[payouts.existing]]
merchant_id = 1
order_id = "a"
amount = 10
bogus = 1
`))
	if err == nil {
		t.Fatal("broken rules and cards accepted")
	}
	msg := err.Error()
	for _, want := range []string{
		`r.toml:12: unknown key "rules.match.colour"; known keys here: amount_max, amount_min, card, iban, merchant_id, order_id`,
		`r.toml:24: unknown key "payouts.existing.bogus"`,
		`r.toml:4: merchants[0]: commission_percent 120: want 0 to 100`,
		`r.toml:7: cards[0]: merchant_id "2" is not one of [[merchants]]`,
		`r.toml:9: cards[0]: card "4405": want the card number, 13 to 20 digits`,
		`r.toml:12: rules[0]: match.card "44x5*"`,
		`r.toml:12: rules[0]: match.amount_min 500 is above amount_max 100`,
		`r.toml:13: rules[0].timeline[0]: error_code is missing`,
		`r.toml:15: rules[1]: timeline is missing`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
}

const expectations = `
[[merchants]]
id = 1
payout_secret_key = "k"

[[expect]]
notify = { order_id = "a" }

[[expect]]
name = "two kinds"
no_bad_signatures = true
requests = { path = "/g2g/payout_status2", min = 3, max = 1 }

[[expect]]
merchant_id = 2
status = { status = "done", error_code = 5 }

[[expect]]
requests = { path = "g2g", outcome = "fine" }
`

func TestExpectations(t *testing.T) {
	_, err := Parse("e.toml", []byte(expectations))
	if err == nil {
		t.Fatal("bad expectations were accepted")
	}
	for _, want := range []string{
		`e.toml:9: expect[1] (two kinds): set exactly one of notify, no_bad_signatures, requests, status, payment, no_pending_payments, holds_settled and refunds_within_payment (2 set)`,
		`e.toml:9: expect[1] (two kinds): requests: min 3 is above max 1`,
		`e.toml:14: expect[2] (merchant 2: payment 0 is done (5)): merchant_id "2" is not one of [[merchants]]`,
		`status: say which payout: order_id or payment_id`,
		`status.status "done": want "process", "success", "error"`,
		`status.error_code goes with status "error"`,
		`e.toml:18: expect[3] (requests to g2g answered fine at least 1): requests.path "g2g": want a gateway path`,
		`requests.outcome "fine": want "ok", "error", "bad_signature", "fault"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems lack %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "expect[0]") {
		t.Errorf("expect[0] is valid (state defaults to delivered):\n%v", err)
	}
	sc, err := Parse("ok.toml", []byte(`
[[merchants]]
id = 1
payout_secret_key = "k"
[[expect]]
notify = { payment_id = 5 }
[[expect]]
requests = { path = "/g2g/payout_status2", max = 0 }
`))
	if err != nil {
		t.Fatal(err)
	}
	if n := sc.Expect[0]; n.Notify.State != NotifyDelivered || n.Name != "notify of payment 5 delivered" {
		t.Errorf("defaults: %+v %q", n.Notify, n.Name)
	}
	if r := sc.Expect[1]; r.Requests.Min != nil || r.Name != "requests to /g2g/payout_status2 at most 0" {
		t.Errorf("a max alone sets no min: %+v %q", r.Requests, r.Name)
	}
}

func TestWithMerchant(t *testing.T) {
	base, err := Parse("base.toml", []byte(`
[[merchants]]
id = 1
payout_secret_key = "a"
[[merchants]]
id = 2
payout_secret_key = "b"
[[rules]]
match = { merchant_id = "2", order_id = "old-*" }
timeline = [ { at = "0s", status = "success" } ]
[[rules]]
match = { order_id = "shared-*" }
timeline = [ { at = "0s", status = "success" } ]
[[payouts]]
merchant_id = 1
order_id = "keep"
amount = 1
[[payouts]]
merchant_id = 2
order_id = "drop"
amount = 1
`))
	if err != nil {
		t.Fatal(err)
	}
	shard, err := Parse("shard.toml", []byte(`
[[merchants]]
id = 2
payout_secret_key = "c"
[[merchants]]
id = 3
payout_secret_key = "d"
[[rules]]
match = { order_id = "new-*" }
timeline = [ { at = "0s", status = "success" } ]
[[payouts]]
merchant_id = 2
order_id = "new"
amount = 1
[[expect]]
no_bad_signatures = true
`))
	if err != nil {
		t.Fatal(err)
	}
	c, ignored, err := base.WithMerchant(shard, "2")
	if err != nil {
		t.Fatal(err)
	}
	var orders, rules []string
	for _, p := range c.Payouts {
		orders = append(orders, string(p.MerchantID)+"/"+string(p.OrderID))
	}
	for _, r := range c.Rules {
		rules = append(rules, r.Match.MerchantID+"/"+r.Match.OrderID)
	}
	if got := strings.Join(orders, " "); got != "1/keep 2/new" {
		t.Errorf("payouts %s, want 1/keep 2/new", got)
	}
	if got := strings.Join(rules, " "); got != "2/new-* /shared-*" {
		t.Errorf("rules %s, want the merchant's new rule first, the shared one kept, its old one gone", got)
	}
	if len(c.Merchants) != 2 || c.Merchants[1].PayoutSecretKey != "c" || strings.Join(ignored, ",") != "3" {
		t.Errorf("merchants %+v, ignored %v", c.Merchants, ignored)
	}
	if len(c.Expect) != 1 || c.Expect[0].MerchantID != "2" || !strings.HasPrefix(c.Expect[0].Name, "merchant 2: ") {
		t.Errorf("expectations %+v, want the shard's, named for merchant 2", c.Expect)
	}
	if _, _, err := base.WithMerchant(shard, "9"); err == nil {
		t.Error("a merchant the file lacks was accepted")
	}
}

const badDrills = `
[[merchants]]
id = 1
payout_secret_key = "k"

[drills]
every = ["duplicate", "typo"]
late_by = "soon"
[drills.faults]
system_error = 0.7
slow = 0.6
paths = ["g2g/p2p2nonreg"]

[[rules]]
match = { order_id = "x-*" }
timeline = [ { at = "0s", status = "success" } ]
drills = ["lost", "replayed"]

[[rules]]
match = { order_id = "y-*" }
timeline = [ { at = "0s", status = "success" } ]
drills = ["reset", "http_502"]

[[payouts]]
merchant_id = 1
order_id = "p"
amount = 1
drills = ["early", "forged", "forged"]
`

func TestDrillProblems(t *testing.T) {
	_, err := Parse("d.toml", []byte(badDrills))
	if err == nil {
		t.Fatal("bad drills were accepted")
	}
	for _, want := range []string{
		`d.toml:7: drills.every: unknown drill "typo"; want one of duplicate, out_of_order, late, lost, early, forged, tampered, unsigned, replayed, system_error, slow, reset, http_502`,
		`drills.late_by: "soon" is not a duration`,
		`drills.faults: the probabilities add up to 1.3; at most 1`,
		`drills.faults.paths: "g2g/p2p2nonreg" is not a path`,
		`rules[0]: drills "lost" and "duplicate" exclude each other`,
		`drill "replayed" sends another merchant's genuine notify: the scenario needs a second [[merchants]] entry`,
		`rules[1]: one reply can be lost one way only; drills name reset and http_502`,
		`payouts[0]: drill "early" is for payouts made through the gateway`,
		`payouts[0]: drills: drill "forged" is named twice`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems lack %q:\n%v", want, err)
		}
	}
	sc, err := Parse("ok.toml", []byte("[[merchants]]\nid = 1\npayout_secret_key = \"k\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d := sc.Drills; d.LateBy.Duration != DefaultLateBy || d.HostileAfter.Duration != DefaultHostileAfter || d.Faults.SlowBy.Duration != DefaultSlowBy {
		t.Errorf("drill defaults %+v", d)
	}
}
