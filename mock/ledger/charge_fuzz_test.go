package ledger

import (
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
)

// FuzzCard: whatever a payer types, the card reads without a panic; a card
// with no problem has a Luhn-valid number of 13 to 19 digits, a month and
// a year that parse, and masks to its first six and last four digits.
func FuzzCard(f *testing.F) {
	f.Add("4716 0472 6194 1981", "12", "2030", "123", "TEST TESTOV")
	f.Add("4716-0472-6194-1981", "1", "30", "1234", "")
	f.Add("", "13", "3", "12", "x")
	f.Fuzz(func(t *testing.T, number, month, year, cvc, holder string) {
		c := Card{Number: number, ExpMonth: month, ExpYear: year, CVC: cvc, Holder: holder}
		if p := c.Problem(); p != CardOK {
			if p.String() == "" {
				t.Fatalf("problem %d says nothing", p)
			}
			return
		}
		pan := c.PAN()
		if len(pan) < 13 || len(pan) > 19 || !fixtures.ValidPAN(pan) {
			t.Fatalf("%q passed with PAN %q", number, pan)
		}
		m := MaskPAN(pan)
		if !strings.HasPrefix(m, pan[:4]+"-"+pan[4:6]) || !strings.HasSuffix(m, pan[len(pan)-4:]) || strings.Contains(m, pan[6:len(pan)-4]) && len(pan[6:len(pan)-4]) > 4 {
			t.Fatalf("%q masks to %q", pan, m)
		}
		c.expired(time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC))
	})
}
