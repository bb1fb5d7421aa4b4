package ledger

import (
	"strconv"
	"strings"

	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// Subject is what a rule looks at to choose a new payout's timeline.
type Subject struct {
	MerchantID string
	OrderID    string
	Amount     money.Amount
	Card       string // the PAN paid to; empty for IBAN payouts
	IBAN       string // the recipient's IBAN; empty for card payouts
}

// TestCard is one of FreedomPay's documented test cards (spec §7).
type TestCard struct {
	Number    string
	Outcome   string // as the docs put it
	Status    string // the final status
	ErrorCode int
	Process   bool // the payout is in process first, for the default delay
}

// TestCards lists the documented test cards and what they do.
func TestCards() []TestCard {
	return []TestCard{
		{"4671593866478252", "success", scenario.StatusSuccess, 0, false},
		{"5325349472901311", "error 10000", scenario.StatusError, 10000, false},
		{"4556046085041740", "error 10001", scenario.StatusError, 10001, false},
		{"5543974702876045", "error 8888 (insufficient payout balance)", scenario.StatusError, 8888, false},
		{"5507841999732294", "process, later success", scenario.StatusSuccess, 0, true},
		{"4532676596620704", "process, later error 10001", scenario.StatusError, 10001, true},
	}
}

// Decided says what chose a payout's timeline.
const (
	ByDefault  = "default"
	ByTestCard = "test card"
	ByRule     = "rule" // followed by its index, "rule 0"
)

// outcome returns the timeline of a new payout, relative to its start,
// what chose it, and its drills: the first scenario rule that matches, else
// a test card, else process then success after the default delay.
func (l *Ledger) outcome(s Subject) ([]scenario.Step, string, []string) {
	steps, by, own := l.timeline(s)
	return steps, by, scenario.DrillsOf(l.every, own, true)
}

func (l *Ledger) timeline(s Subject) ([]scenario.Step, string, []string) {
	for i, r := range l.rules {
		if r.IsPayment() {
			continue // a payment rule never decides a payout
		}
		if matches(r.Match, s) {
			return withStart(r.Timeline), ByRule + " " + strconv.Itoa(i), r.Drills
		}
	}
	d := scenario.Duration{Duration: l.defaultDelay}
	for _, c := range TestCards() {
		if s.Card == "" || c.Number != s.Card {
			continue
		}
		last := scenario.Step{Status: c.Status, ErrorCode: c.ErrorCode}
		if !c.Process {
			return []scenario.Step{last}, ByTestCard, nil
		}
		last.At = d
		return []scenario.Step{{Status: scenario.StatusProcess}, last}, ByTestCard, nil
	}
	return []scenario.Step{{Status: scenario.StatusProcess}, {At: d, Status: scenario.StatusSuccess}}, ByDefault, nil
}

// withStart makes a timeline begin at 0s: a payout exists from the moment
// it is made, in process until the rule's first step.
func withStart(steps []scenario.Step) []scenario.Step {
	if len(steps) > 0 && steps[0].At.Duration == 0 {
		return steps
	}
	return append([]scenario.Step{{Status: scenario.StatusProcess}}, steps...)
}

// matches reports whether every condition a rule gives holds for s. A card
// condition never holds for an IBAN payout, nor an IBAN one for a card.
func matches(m scenario.Match, s Subject) bool {
	if m.MerchantID != "" && !Glob(m.MerchantID, s.MerchantID) {
		return false
	}
	if m.OrderID != "" && !Glob(m.OrderID, s.OrderID) {
		return false
	}
	if m.Card != "" && (s.Card == "" || !Glob(m.Card, s.Card)) {
		return false
	}
	if m.IBAN != "" && (s.IBAN == "" || !Glob(m.IBAN, s.IBAN)) {
		return false
	}
	if m.AmountMin != nil {
		if lo, _ := money.FromFloat(*m.AmountMin); s.Amount < lo {
			return false
		}
	}
	if m.AmountMax != nil {
		if hi, _ := money.FromFloat(*m.AmountMax); s.Amount > hi {
			return false
		}
	}
	return true
}

// Glob reports whether s matches pattern, where "*" stands for any run of
// characters (none included) and every other character for itself.
func Glob(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}
