package ledger

import (
	"testing"
	"time"

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
