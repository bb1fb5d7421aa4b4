package ledger

import (
	"strings"
	"testing"
)

func TestCardProblem(t *testing.T) {
	ok := Card{Number: "4716 0472 6194 1981", Holder: "TEST TESTOV", ExpMonth: "12", ExpYear: "2030", CVC: "123"}
	for _, c := range []struct {
		change func(*Card)
		want   CardProblem
	}{
		{func(*Card) {}, CardOK},
		{func(c *Card) { c.Number = "4716-0472-6194-1981" }, CardOK},
		{func(c *Card) { c.Number = "4716" }, CardNumberLength},
		{func(c *Card) { c.Number = "4716 0472 6194 198x" }, CardNumberLength},
		{func(c *Card) { c.Number = "4716047261941982" }, CardNumberLuhn},
		{func(c *Card) { c.ExpMonth = "13" }, CardExpMonth},
		{func(c *Card) { c.ExpYear = "203" }, CardExpYear},
		{func(c *Card) { c.CVC = "12" }, CardCVC},
		{func(c *Card) { c.Holder = strings.Repeat("A", 101) }, CardHolderLong},
		{func(c *Card) { c.Holder = strings.Repeat("Ж", 100) }, CardOK}, // characters, not bytes
		{func(c *Card) { c.Holder = strings.Repeat("Ж", 101) }, CardHolderLong},
		{func(c *Card) { c.Holder = "TEST\x00TESTOV" }, CardHolderChars},
		{func(c *Card) { c.Holder = "TEST\x1bTESTOV" }, CardHolderChars},
		{func(c *Card) { c.Holder = "TEST\uFFFE" }, CardHolderChars},
		{func(c *Card) { c.Holder = "TEST\xffTESTOV" }, CardHolderChars},
		{func(c *Card) { c.Holder = "O'BRIEN-SMITH, JR." }, CardOK},
	} {
		card := ok
		c.change(&card)
		if got := card.Problem(); got != c.want {
			t.Errorf("%+v: Problem() = %d (%s), want %d (%s)", card, got, got, c.want, c.want)
		}
	}
	if got, want := CardNumberLuhn.String(), "the card number fails the Luhn check: a typing error?"; got != want {
		t.Errorf("String() = %q, want %q (English, for the journal and the log)", got, want)
	}
	if n := len(CardProblems()); n != int(CardHolderChars) {
		t.Errorf("CardProblems() lists %d, want %d", n, CardHolderChars)
	}
}
