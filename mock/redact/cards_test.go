package redact

import (
	"strings"
	"testing"
)

func TestCards(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"to 4405645000006150, thanks", "to 440564-XX-XXXX-6150, thanks"},
		{"4405645000006150", "440564-XX-XXXX-6150"},
		{"card4405645000006150x", "card440564-XX-XXXX-6150x"}, // letters around it do not hide it
		// Grouped by spaces or dashes, in groups of any size.
		{"card 4111 1111 1111 1111.", "card 411111-XX-XXXX-1111."},
		{"card 4111-1111-1111-1111", "card 411111-XX-XXXX-1111"},
		{"amex 3782 822463 10005", "amex 378282-XX-XXXX-0005"},
		// Spaces a web page copies: no-break, narrow no-break, thin.
		{"card 4111\u00a01111\u00a01111\u00a01111 ok", "card 411111-XX-XXXX-1111 ok"},
		{"card 4111\u202f1111\u20091111 1111", "card 411111-XX-XXXX-1111"},
		{"no-break twice 4111\u00a0\u00a01111 1111 1111", "no-break twice 4111\u00a0\u00a01111 1111 1111"},
		{"19 digits 4111-1111-1111-1111-003", "19 digits 411111-XX-XXXX-1003"},
		// A date, a time or an amount before it does not hide it.
		{"on 2024-11-28 4111 1111 1111 1111", "on 2024-11-28 411111-XX-XXXX-1111"},
		{"1 4111111111111111", "1 411111-XX-XXXX-1111"},
		// What fails Luhn, or is too short or too long, is no card: an
		// order id of 16 digits stays visible.
		{"order 4405645000006151 (bad)", "order 4405645000006151 (bad)"},
		{"order 1700000000000123", "order 1700000000000123"},
		{"id 123456789012", "id 123456789012"},
		{"ref 41111111111111110000", "ref 41111111111111110000"}, // 20 digits
		{"on 2024-11-28 11:10:03 ok", "on 2024-11-28 11:10:03 ok"},
		{"two spaces 4111  1111 1111 1111", "two spaces 4111  1111 1111 1111"},
		{"", ""},
		// Two cards, and a card beside digits that are not one.
		{"4111111111111111/5555555555554444", "411111-XX-XXXX-1111/555555-XX-XXXX-4444"},
		{"4111 1111 1111 1111 2024", "411111-XX-XXXX-1111 2024"},
	} {
		if got := Cards(c.in); got != c.want {
			t.Errorf("Cards(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestPANAndIBAN(t *testing.T) {
	if got, want := PAN("4405645000006150"), "440564-XX-XXXX-6150"; got != want {
		t.Errorf("PAN = %q, want %q", got, want)
	}
	if got, want := PAN("12345"), "XXXXX"; got != want {
		t.Errorf("PAN(short) = %q, want %q", got, want)
	}
	if got, want := IBAN("KZ86125KZT5004105678"), "KZ86XXXXXXXXXXXX5678"; got != want {
		t.Errorf("IBAN = %q, want %q", got, want)
	}
	if got, want := IBAN("KZ86"), "KZ86"; got != want {
		t.Errorf("IBAN(short) = %q, want %q", got, want)
	}
}

// TestCardsCostsNothingWithoutOne: a value that holds no card number is
// returned as it is, without an allocation.
func TestCardsCostsNothingWithoutOne(t *testing.T) {
	in := "order 4405645000006151, on 2024-11-28 11:10:03, amount 1000.00 KZT"
	if n := testing.AllocsPerRun(10, func() { _ = Cards(in) }); n != 0 {
		t.Errorf("Cards made %.0f allocations, want 0", n)
	}
}

// FuzzCards: the card rule's output holds no run of 13 to 19 digits that
// passes the Luhn check; every run of whole groups of the input that is a
// card number is masked, at least in part; nothing but card numbers
// changes; and the cost is linear: at most 19 digits summed for each byte
// of the input.
func FuzzCards(f *testing.F) {
	f.Add("to 4405645000006150, thanks")
	f.Add("on 2024-11-28 4111 1111 1111 1111 and 3782-822463-10005")
	f.Add("1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3")
	f.Add(strings.Repeat("4111-", 40))
	f.Add("4111\u00a01111\u202f1111\u20091111 \u00a0")
	f.Add("order 4405645000006151 ref 41111111111111110000")
	f.Fuzz(func(t *testing.T, s string) {
		var spans [][2]int
		work := scanCards(s, func(start, end int) {
			if digits := onlyDigits(s[start:end]); len(digits) < minCard || len(digits) > maxCard || !luhn(digits) {
				t.Fatalf("found %q in %q: not a card number", digits, s)
			}
			spans = append(spans, [2]int{start, end})
		})
		if work > maxCard*len(s) {
			t.Fatalf("%d digits summed for %d bytes: more than %d a byte", work, len(s), maxCard)
		}
		out := Cards(s)
		for _, run := range digitRuns(out) {
			if len(run) >= minCard && len(run) <= maxCard && luhn(run) {
				t.Fatalf("Cards(%q) = %q holds the card number %s", s, out, run)
			}
		}
		// Every card number of the input (a run of whole groups) meets a
		// masked span.
		for _, c := range allCards(s) {
			if !overlaps(spans, c) {
				t.Fatalf("Cards(%q): the card number at %v is not masked (masked: %v)", s, c, spans)
			}
		}
		// Outside the masked spans the text is the input's.
		rebuilt, done := "", 0
		for _, sp := range spans {
			rebuilt += s[done:sp[0]] + PAN(onlyDigits(s[sp[0]:sp[1]]))
			done = sp[1]
		}
		if rebuilt += s[done:]; rebuilt != out {
			t.Fatalf("Cards(%q) = %q, want %q", s, out, rebuilt)
		}
	})
}

// luhn is the Luhn check, written plainly.
func luhn(digits string) bool {
	sum := 0
	for i := range len(digits) {
		d := int(digits[len(digits)-1-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// digitRuns are the runs of digits in s, each as long as it goes.
func digitRuns(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r < '0' || r > '9' })
}

func onlyDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// allCards finds every card number in s by trying every run of whole
// groups (digit runs joined by one space, dash, or no-break, narrow
// no-break or thin space): [start, end) of each.
func allCards(s string) [][2]int {
	type g struct{ start, end int }
	var groups []g
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		groups = append(groups, g{i, j})
		i = j
	}
	joined := func(a, b g) bool {
		between := s[a.end:b.start]
		return between == " " || between == "-" || between == "\u00a0" || between == "\u202f" || between == "\u2009"
	}
	var cards [][2]int
	for a := range groups {
		digits := ""
		for e := a; e < len(groups) && (e == a || joined(groups[e-1], groups[e])); e++ {
			if digits += s[groups[e].start:groups[e].end]; len(digits) > maxCard {
				break
			}
			if len(digits) >= minCard && luhn(digits) {
				cards = append(cards, [2]int{groups[a].start, groups[e].end})
			}
		}
	}
	return cards
}

func overlaps(spans [][2]int, c [2]int) bool {
	for _, sp := range spans {
		if sp[0] < c[1] && c[0] < sp[1] {
			return true
		}
	}
	return false
}
