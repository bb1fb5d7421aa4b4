package ledger

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

var t0 = time.Date(2024, 11, 28, 11, 10, 3, 0, time.UTC)

func TestStatusFollowsTimeline(t *testing.T) {
	l := New(scenario.Default(), fixtures.NewGen(42), t0)
	p, ok := l.PayoutByID("9970", 7777777777)
	if !ok {
		t.Fatal("payout 7777777777 of the default scenario not found")
	}
	for _, tt := range []struct {
		at   time.Duration
		want string
	}{{0, "process"}, {4999 * time.Millisecond, "process"}, {5 * time.Second, "success"}, {time.Hour, "success"}} {
		if s, _ := p.StatusAt(t0.Add(tt.at)); s.Status != tt.want {
			t.Errorf("status at +%s = %q, want %q", tt.at, s.Status, tt.want)
		}
	}
	if _, ok := p.StatusAt(t0.Add(-time.Second)); ok {
		t.Errorf("payout exists before its first step")
	}
	if p.CardHash != "440564-XX-XXXX-6150" || p.Amount.String() != "13441.5" {
		t.Errorf("card hash %q amount %s, want 440564-XX-XXXX-6150 13441.5", p.CardHash, p.Amount)
	}
}

func TestGeneratedIDsRepeatForASeed(t *testing.T) {
	a := New(scenario.Default(), fixtures.NewGen(42), t0).Payouts()
	b := New(scenario.Default(), fixtures.NewGen(42), t0).Payouts()
	c := New(scenario.Default(), fixtures.NewGen(43), t0).Payouts()
	seen := map[int64]bool{}
	for i := range a {
		if a[i].PaymentID != b[i].PaymentID || a[i].CardHash != b[i].CardHash {
			t.Errorf("payout %d: seed 42 gave %d/%s then %d/%s", i, a[i].PaymentID, a[i].CardHash, b[i].PaymentID, b[i].CardHash)
		}
		if seen[a[i].PaymentID] {
			t.Errorf("payment id %d given twice", a[i].PaymentID)
		}
		seen[a[i].PaymentID] = true
	}
	if a[1].PaymentID == c[1].PaymentID {
		t.Errorf("seeds 42 and 43 generated the same payment id %d", a[1].PaymentID)
	}
}

func TestLookupsStayWithinMerchant(t *testing.T) {
	sc, err := scenario.Embedded("two-merchants.toml")
	if err != nil {
		t.Fatal(err)
	}
	l := New(sc, fixtures.NewGen(sc.Seed), t0)
	kz, ok1 := l.PayoutByOrder("9970", "same-order")
	uz, ok2 := l.PayoutByOrder("8810", "same-order")
	if !ok1 || !ok2 || kz.PaymentID == uz.PaymentID {
		t.Fatalf("same order id of two merchants: %v %v, ids %d %d", ok1, ok2, kz.PaymentID, uz.PaymentID)
	}
	if _, ok := l.PayoutByID("9970", uz.PaymentID); ok {
		t.Errorf("merchant 9970 sees merchant 8810's payout")
	}
	if uz.NetAmount.String() != "148500" {
		t.Errorf("net amount %s, want 148500", uz.NetAmount)
	}
}

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"4405*", "4405645000006150", true}, {"4405*", "5405645000006150", false},
		{"fail-*", "fail-", true}, {"fail-*", "fail", false}, {"*", "", true},
		{"*6150", "4405645000006150", true}, {"44*61*50", "4405645000006150", true},
		{"KZ*", "KZ86125KZT5004100100", true}, {"abc", "abc", true}, {"abc", "abcd", false},
		{"a*b*a", "aba", true}, {"a*a", "a", false}, {"**", "x", true},
	} {
		if got := Glob(tc.pattern, tc.s); got != tc.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

// FuzzGlob compares Glob with the same pattern as an anchored regexp.
func FuzzGlob(f *testing.F) {
	f.Add("4405*", "4405645000006150")
	f.Add("a*b*a", "aba")
	f.Add("*x*", "")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if !utf8.ValidString(pattern) || !utf8.ValidString(s) {
			return
		}
		parts := strings.Split(pattern, "*")
		for i, p := range parts {
			parts[i] = regexp.QuoteMeta(p)
		}
		re := regexp.MustCompile(`^(?s:` + strings.Join(parts, ".*") + `)$`)
		if got, want := Glob(pattern, s), re.MatchString(s); got != want {
			t.Fatalf("Glob(%q, %q) = %v, want %v", pattern, s, got, want)
		}
	})
}

func TestBalanceMoves(t *testing.T) {
	sc := scenario.Default()
	l := New(sc, fixtures.NewGen(42), t0)
	open, _ := l.Balance("9970", t0.Add(-time.Second))
	at0, _ := l.Balance("9970", t0)
	at30, _ := l.Balance("9970", t0.Add(30*time.Second))
	// At start: 12345 (13441.5), 1001 (5000), 1003 (750.25) and 1004 (100)
	// hold amount + 2%; 1002 failed at once and holds nothing. At 30 s 1003
	// fails and gives its 765.26 back.
	if open.Fixed2() != "1000000.00" || at0.Fixed2() != "980322.41" || at30.Fixed2() != "981087.67" {
		t.Errorf("balance before, at 0s, at 30s: %s %s %s; want 1000000.00 980322.41 981087.67", open.Fixed2(), at0.Fixed2(), at30.Fixed2())
	}
	// MerchantAt gives the same balance with the merchant, as at its moment.
	if m, ok := l.MerchantAt("9970", t0.Add(30*time.Second)); !ok || m.ID != "9970" || m.Balance != at30 || m.PayoutSecretKey == "" {
		t.Errorf("MerchantAt(9970, 30s) = %+v, %v; want merchant 9970 with balance %s", m, ok, at30.Fixed2())
	}
	if m, _ := l.Merchant("9970"); m.Balance != open {
		t.Errorf("Merchant(9970).Balance = %s, want the opening %s", m.Balance.Fixed2(), open.Fixed2())
	}
	if _, ok := l.MerchantAt("nope", t0); ok {
		t.Error("MerchantAt of an unknown merchant reported one")
	}
	c, err := l.CreatePayout(NewPayout{MerchantID: "9970", OrderID: "n1", Amount: 981087_67 - 1000}, t0.Add(time.Minute))
	if err == nil {
		t.Fatalf("a payout whose commission does not fit was made: %+v", c)
	}
	if !errors.Is(err, ErrInsufficient) {
		t.Fatalf("got %v, want ErrInsufficient", err)
	}
	c, err = l.CreatePayout(NewPayout{MerchantID: "9970", OrderID: "n1", Amount: 100_00, Card: "4556046085041740"}, t0.Add(time.Minute))
	if err != nil || c.Balance.Fixed2() != "981087.67" || c.DecidedBy != ByTestCard {
		t.Fatalf("declined test card: %v, balance %s decided by %q; want the balance unchanged, by test card", err, c.Balance.Fixed2(), c.DecidedBy)
	}
	if _, err := l.CreatePayout(NewPayout{MerchantID: "9970", OrderID: "n1", Amount: 100_00}, t0.Add(time.Minute)); !errors.Is(err, ErrDuplicateOrder) {
		t.Errorf("second order n1: %v, want ErrDuplicateOrder", err)
	}
}

// TestPaymentRulesDecideNoPayout: a rule of kind "payment" is passed over
// when a payout's timeline is chosen, even one that matches every payment.
func TestPaymentRulesDecideNoPayout(t *testing.T) {
	sc, err := scenario.Parse("p.toml", []byte(`
[[merchants]]
id = 9970
secret_key = "s"
payout_secret_key = "k"
[[rules]]
kind = "payment"
timeline = [ { at = "0s", status = "error", error_code = 10009 } ]
[[rules]]
match = { order_id = "fail-*" }
timeline = [ { at = "0s", status = "error", error_code = 10026 } ]
`))
	if err != nil {
		t.Fatal(err)
	}
	l := New(sc, fixtures.NewGen(1), t0)
	for _, tc := range []struct{ order, by string }{{"fail-1", ByRule + " 1"}, {"ok-1", ByDefault}} {
		if _, by, _ := l.timeline(Subject{MerchantID: "9970", OrderID: tc.order, Amount: 100}); by != tc.by {
			t.Errorf("order %s decided by %q, want %q", tc.order, by, tc.by)
		}
	}
}

// The status views a status request reads agree with the payout and its
// timeline: the step in force at a moment, not started before the first
// step, and only for the payout's own merchant.
func TestPayoutStatusViews(t *testing.T) {
	sc, err := scenario.Embedded("two-merchants.toml")
	if err != nil {
		t.Fatal(err)
	}
	l := New(sc, fixtures.NewGen(sc.Seed), t0)
	for _, p := range l.Payouts() {
		for _, at := range []time.Duration{-time.Second, 0, 5 * time.Second, time.Hour} {
			now := t0.Add(at)
			step, started := p.StatusAt(now)
			want := PayoutStatus{MerchantID: p.MerchantID, OrderID: p.OrderID, PaymentID: p.PaymentID,
				Amount: p.Amount, NetAmount: p.NetAmount, Step: step, Started: started}
			byID, ok1 := l.PayoutStatusByID(p.MerchantID, p.PaymentID, now)
			byOrder, ok2 := l.PayoutStatusByOrder(p.MerchantID, p.OrderID, now)
			if !ok1 || !ok2 || byID != want || byOrder != want {
				t.Errorf("payout %d at %+v: by id %+v (%v), by order %+v (%v), want %+v", p.PaymentID, at, byID, ok1, byOrder, ok2, want)
			}
		}
		if _, ok := l.PayoutStatusByID("nope", p.PaymentID, t0); ok {
			t.Errorf("payout %d seen by another merchant", p.PaymentID)
		}
		if _, ok := l.PayoutStatusByOrder("nope", p.OrderID, t0); ok {
			t.Errorf("order %q seen by another merchant", p.OrderID)
		}
	}
}
