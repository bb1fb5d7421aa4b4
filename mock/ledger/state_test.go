package ledger

import (
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

func TestCheckSavedPayouts(t *testing.T) {
	sc, err := scenario.Parse("check.toml", []byte(`
name = "check"
[[merchants]]
id = "9970"
payout_secret_key = "k"
balance = 1000
`))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	payout := func(pid int64, order string) Payout {
		return Payout{MerchantID: "9970", OrderID: order, PaymentID: pid, Method: MethodScenario, Amount: 1000, NetAmount: 1000, ToPay: 1020,
			CreatedAt: t0, Timeline: []Step{{At: t0, Status: scenario.StatusProcess}, {At: t0.Add(time.Second), Status: scenario.StatusError, ErrorCode: 10026}}}
	}
	good := []Payout{payout(7, "A"), payout(8, "B")}
	if errs := Check(sc, good); len(errs) != 0 {
		t.Fatalf("Check(payouts the sandbox writes) = %v, want no problem", errs)
	}
	cases := []struct {
		name   string
		change func(ps []Payout)
		want   string
	}{
		{"negative amount", func(ps []Payout) { ps[1].Amount = -500 }, "[1].Amount: -500 (-5.00) is negative"},
		{"zero amount", func(ps []Payout) { ps[1].Amount, ps[1].ToPay = 0, 0 }, "[1].Amount: 0 (0.00) is out of the wire's range"},
		{"amount over the wire's", func(ps []Payout) { ps[0].Amount, ps[0].ToPay = money.Max+1, money.Max+1 }, "[0].Amount: 9999999901 (99999999.01) is out of the wire's range"},
		{"negative net amount", func(ps []Payout) { ps[0].NetAmount = -1 }, "[0].NetAmount: -1 (-0.01) is negative"},
		{"pays less than the amount", func(ps []Payout) { ps[0].ToPay = 999 }, "[0].ToPay: 999 (9.99) is less than Amount 1000"},
		{"unknown merchant", func(ps []Payout) { ps[0].MerchantID = "4242" }, `[0].MerchantID: "4242" is not a merchant of the scenario`},
		{"payment id twice", func(ps []Payout) { ps[1].PaymentID = 7 }, "[1].PaymentID: 7 is also payouts[0]'s"},
		{"order id twice", func(ps []Payout) { ps[1].OrderID = "A" }, `[1].OrderID: "A" of merchant 9970 is also payouts[0]'s`},
		{"no payment id", func(ps []Payout) { ps[0].PaymentID = 0 }, "[0].PaymentID: 0 is not a payment id"},
		{"empty timeline", func(ps []Payout) { ps[0].Timeline = nil }, "[0].Timeline: is empty"},
		{"unknown status", func(ps []Payout) { ps[0].Timeline[0].Status = "paid" }, `[0].Timeline[0].Status: "paid" is not a status`},
		{"unknown error code", func(ps []Payout) { ps[0].Timeline[1].ErrorCode = 1 }, "[0].Timeline[1].ErrorCode: 1 is not a payout error code"},
		{"error code on success", func(ps []Payout) { ps[0].Timeline[1].Status = scenario.StatusSuccess }, `[0].Timeline[1].ErrorCode: 10026 on a "success" step`},
		{"steps out of order", func(ps []Payout) { ps[0].Timeline[1].At = t0.Add(-time.Second) }, "[0].Timeline[1].At: 2025-12-31T23:59:59Z is before the step before"},
		{"no creation time", func(ps []Payout) { ps[0].CreatedAt = time.Time{} }, "[0].CreatedAt: is empty"},
		{"a post_link with a space", func(ps []Payout) { ps[0].PostLink = "http://h/hooks?a b" }, `[0].PostLink: "http://h/hooks?a b": holds a space`},
		{"unknown drill", func(ps []Payout) { ps[0].Drills = []string{"haunted"} }, `[0].Drills: "haunted" is not a drill`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps := []Payout{payout(7, "A"), payout(8, "B")}
			c.change(ps)
			errs := Check(sc, ps)
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), c.want) {
				t.Errorf("Check = %v, want one problem saying %q", errs, c.want)
			}
		})
	}
}
