package ledger

import (
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

func TestForceMovesTheBalance(t *testing.T) {
	l := New(scenario.Default(), fixtures.NewGen(42), t0)
	at := t0.Add(2 * time.Second) // 7777777777 is in process until +5s
	before, _ := l.Balance("9970", at)
	f, err := l.Force(7777777777, scenario.StatusError, 10001, at)
	if err != nil {
		t.Fatal(err)
	}
	if f.Was.Status != scenario.StatusProcess || f.Step != 1 || len(f.Timeline) != 2 || f.Revision != 1 {
		t.Fatalf("forced: %+v", f)
	}
	after, _ := l.Balance("9970", at)
	if after-before != f.ToPay {
		t.Errorf("balance %s → %s after a forced error; want %s given back", before.Fixed2(), after.Fixed2(), f.ToPay.Fixed2())
	}
	if s, _ := f.StatusAt(t0.Add(time.Hour)); s.Status != scenario.StatusError || s.ErrorCode != 10001 {
		t.Errorf("an hour later the payout is %+v; the dropped success step came back", s)
	}
	if _, err := l.Force(7777777777, scenario.StatusSuccess, 0, at); err != nil {
		t.Fatal(err)
	}
	if b, _ := l.Balance("9970", at); b != before {
		t.Errorf("balance after forcing success again: %s, want %s", b.Fixed2(), before.Fixed2())
	}
	for _, bad := range []struct {
		status string
		code   int
	}{{"error", 0}, {"error", 1}, {"success", 10001}, {"process", 0}} {
		if _, err := l.Force(7777777777, bad.status, bad.code, at); err == nil {
			t.Errorf("Force(%s, %d) was accepted", bad.status, bad.code)
		}
	}
	if _, err := l.Force(1, scenario.StatusSuccess, 0, at); err != ErrUnknownPayout {
		t.Errorf("unknown payout: %v", err)
	}
}

func TestResetMerchant(t *testing.T) {
	sc := scenario.Default()
	l := New(sc, fixtures.NewGen(42), t0)
	if _, err := l.CreatePayout(NewPayout{MerchantID: "9970", OrderID: "new", Method: "p2p2nonreg", Amount: money.Amount(100)}, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := l.CreatePayout(NewPayout{MerchantID: "123456", OrderID: "keep", Method: "p2p2nonreg", Amount: money.Amount(100)}, t0); err != nil {
		t.Fatal(err)
	}
	later := t0.Add(time.Hour)
	if err := l.ResetMerchant(sc, "9970", later); err != nil {
		t.Fatal(err)
	}
	if _, ok := l.PayoutByOrder("9970", "new"); ok {
		t.Error("a gateway payout survived its merchant's reset")
	}
	if _, ok := l.PayoutByOrder("123456", "keep"); !ok {
		t.Error("another merchant's payout was lost")
	}
	p, ok := l.PayoutByOrder("9970", "12345")
	if !ok || !p.Timeline[0].At.Equal(later) || p.PaymentID != 7777777777 {
		t.Errorf("scenario payout after reset: %+v, want it starting again at the reset", p)
	}
	if _, err := l.SavedCard("9970", "tok-success-8252", "", "131"); err != nil {
		t.Errorf("saved card after reset: %v", err)
	}
	// A payment id another merchant holds is refused, and nothing changes.
	other := *sc
	other.Payouts = []scenario.Payout{{MerchantID: "9970", OrderID: "x", PaymentID: 7777777777, Amount: 1}}
	keep, _ := l.PayoutByOrder("123456", "keep")
	other.Payouts[0].PaymentID = keep.PaymentID
	if err := l.ResetMerchant(&other, "9970", later); err == nil {
		t.Error("a payment id of another merchant was accepted")
	}
	if _, ok := l.PayoutByOrder("9970", "12345"); !ok {
		t.Error("a refused reset changed the merchant")
	}
}
