package ledger

import (
	"strconv"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// cardsScenario has merchant 9970 with the saved cards given as TOML.
func cardsScenario(t *testing.T, cards string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("cards.toml", []byte(`
[[merchants]]
id = "9970"
payout_secret_key = "k"
balance = 100
`+cards))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func savedCardID(t *testing.T, l *Ledger, token string) int64 {
	t.Helper()
	c, err := l.SavedCard("9970", token, "", "")
	if err != nil {
		t.Fatalf("SavedCard(%q): %v", token, err)
	}
	return c.CardID
}

// TestCardsWithoutIDGetOne: a saved card the scenario gives no card_id
// gets a seven-digit id, the same for every seed and after a merchant
// reset, never one the scenario gives another card, and it names the card
// as pg_card_id_to does.
func TestCardsWithoutIDGetOne(t *testing.T) {
	bare := `
[[cards]]
merchant_id = "9970"
token = "tok-bare"
card = "4405645000006150"
`
	sc := cardsScenario(t, bare)
	id := savedCardID(t, New(sc, fixtures.NewGen(1), t0), "tok-bare")
	if id < 1_000_000 || id > 9_999_999 {
		t.Fatalf("got card id %d, want seven digits", id)
	}
	if again := savedCardID(t, New(sc, fixtures.NewGen(2), t0), "tok-bare"); again != id {
		t.Errorf("seed 2: got card id %d, want %d as with seed 1", again, id)
	}

	// A card listed before it with that id as its card_id keeps it.
	taken := cardsScenario(t, bare+`
[[cards]]
merchant_id = "9970"
token = "tok-given"
card_id = `+strconv.FormatInt(id, 10)+`
card = "4671593866478252"
`)
	l := New(taken, fixtures.NewGen(1), t0)
	moved := savedCardID(t, l, "tok-bare")
	if moved == id || moved <= 0 {
		t.Errorf("got card id %d for tok-bare, want one other than the scenario's %d", moved, id)
	}
	for _, c := range []struct {
		id    int64
		token string
	}{{id, "tok-given"}, {moved, "tok-bare"}} {
		got, err := l.SavedCard("9970", "", strconv.FormatInt(c.id, 10), "")
		if err != nil || got.Token != c.token {
			t.Errorf("SavedCard by id %d: got %q (%v), want %s", c.id, got.Token, err, c.token)
		}
	}
	if err := l.ResetMerchant(taken, "9970", t0); err != nil {
		t.Fatal(err)
	}
	if got := savedCardID(t, l, "tok-bare"); got != moved {
		t.Errorf("after a reset: got card id %d, want %d as before", got, moved)
	}
}

func TestCheckRefusesNegativeCardID(t *testing.T) {
	p := Payout{MerchantID: "9970", OrderID: "o", PaymentID: 1, Method: "reg2reg", Amount: 100, NetAmount: 100, ToPay: 100,
		CreatedAt: t0, CardID: -3, Timeline: []Step{{At: t0, Status: scenario.StatusSuccess}}}
	errs := Check(nil, []Payout{p})
	if len(errs) != 1 || errs[0].Error() != "[0].CardID: -3 is negative; want a saved card's id, or 0 (left out) for a payout to no saved card" {
		t.Errorf("got %v, want one problem with [0].CardID", errs)
	}
	p.CardID = 1234567
	if errs := Check(nil, []Payout{p}); len(errs) != 0 {
		t.Errorf("CardID 1234567: got %v, want no problem", errs)
	}
}
