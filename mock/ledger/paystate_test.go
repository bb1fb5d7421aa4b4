package ledger

import (
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// A saved payment's follow-ups are checked before a restart trusts them:
// refunds within the amount, net amount, the operations refused.
func TestCheckPaymentsFollowUps(t *testing.T) {
	t0 := time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC)
	good := func() Payment {
		return Payment{MerchantID: "9970", PaymentID: 1700000001, PageKey: "k1", Amount: 150000, NetAmount: 144750,
			CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), Timeline: []Step{{At: t0, Status: scenario.PaymentNew}, {At: t0, Status: scenario.PaymentSuccess}},
			Refunds:    []Refund{{PaymentID: 1700000002, Amount: 50000, At: t0}},
			Operations: map[string]int{scenario.OpCancel: 10012}}
	}
	if errs := CheckPayments(nil, []Payment{good()}, nil); len(errs) != 0 {
		t.Fatalf("a good payment: %v", errs)
	}
	for _, c := range []struct {
		name   string
		change func(p *Payment)
		want   string
	}{
		{"net above the amount", func(p *Payment) { p.NetAmount = 150001 }, "[0].NetAmount: 1500.01 is negative or more than the amount 1500.00"},
		{"refunds above the amount", func(p *Payment) {
			p.Refunds = append(p.Refunds, Refund{PaymentID: 1700000003, Amount: 100001, At: t0})
		}, "[0].Refunds: 1500.01 in all, more than the amount 1500.00"},
		{"a negative refund", func(p *Payment) { p.Refunds[0].Amount = -money.Amount(1) }, "[0].Refunds[0]: amount -0.01 or id 1700000002 out of range"},
		{"an unknown operation", func(p *Payment) { p.Operations["explode"] = 10012 }, "[0].Operations: explode = 10012: want one of"},
		{"an unknown code", func(p *Payment) { p.Operations[scenario.OpRefund] = 4242 }, "[0].Operations: refund = 4242"},
	} {
		p := good()
		c.change(&p)
		errs := CheckPayments(nil, []Payment{p}, nil)
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, errs, c.want)
		}
	}
}

// A saved card's user id and expiry are checked as the gateway checks them
// before a restart trusts them.
func TestCheckStoredCardsFields(t *testing.T) {
	t0 := time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC)
	good := StoredCard{MerchantID: "9970", UserID: "u-1", PaymentID: 1, PageKey: "k", PostLink: "http://shop.example/p",
		BackLink: "http://shop.example/b", CreatedAt: t0, State: CardSaved, PAN: "4716047261941981", ExpMonth: "12", ExpYear: "2030",
		Token: "t", CardID: 1000001, SavedAt: t0}
	if errs := CheckStoredCards(nil, []StoredCard{good}); len(errs) != 0 {
		t.Fatalf("a good card: %v", errs)
	}
	for _, c := range []struct {
		change func(c *StoredCard)
		want   string
	}{
		{func(c *StoredCard) { c.UserID = "a b\x00" }, `[0].UserID: "a b\x00" is not a user id`},
		{func(c *StoredCard) { c.ExpMonth = "13" }, `[0].ExpMonth: "13"/"2030" is not an expiry`},
		{func(c *StoredCard) { c.ExpYear = "20x0" }, `[0].ExpMonth: "12"/"20x0" is not an expiry`},
	} {
		sc := good
		c.change(&sc)
		if errs := CheckStoredCards(nil, []StoredCard{sc}); len(errs) != 1 || !strings.Contains(errs[0].Error(), c.want) {
			t.Errorf("%v, want %q", errs, c.want)
		}
	}
}
