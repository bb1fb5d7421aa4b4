package redact

import "strings"

// Card numbers are 13 to 19 digits (ISO/IEC 7812), checked by Luhn.
const (
	minCard = 13
	maxCard = 19
)

// Cards masks the card numbers in free text by PAN. A card number is 13 to
// 19 digits that pass the Luhn check, written together
// ("4111111111111111") or in groups joined by single spaces or dashes
// ("4111 1111 1111 1111", "3782-822463-10005"; a no-break, narrow no-break
// or thin space as a web page copies it counts as a space), with no digit right
// before or after. Digits that fail the Luhn check are shown as they are —
// an order id or a reference of 16 digits that fails it is no card — and
// so is a run of more than 19 digits. In a longer chain of groups (a date
// before a card: "2024-11-28 4111 1111 1111 1111") the longest run of
// whole groups that passes is masked, from the left. Its cost is linear in
// len(s): at most 19 digits are summed for each digit of s.
func Cards(s string) string {
	if !mayHoldCard(s) {
		return s
	}
	var out []byte // nil until a card is found
	done := 0      // s[:done] is in out
	var digits [maxCard]byte
	scanCards(s, func(start, end int) {
		if out == nil {
			out = make([]byte, 0, len(s))
		}
		out = append(out, s[done:start]...)
		out = appendPAN(out, appendDigits(digits[:0], s[start:end]))
		done = end
	})
	if out == nil {
		return s
	}
	return string(append(out, s[done:]...))
}

// mayHoldCard is a cheap look first: most values hold fewer than 13 digits.
func mayHoldCard(s string) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			if n++; n >= minCard {
				return true
			}
		}
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// group is a run of digits, s[start:end].
type group struct{ start, end int }

// scanCards calls found for each card number in s, left to right:
// s[start:end] holds it. It returns the digits it summed, at most maxCard
// for each digit of s.
func scanCards(s string, found func(start, end int)) (work int) {
	var buf [32]group
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		// The chain of groups from i: digit runs joined by one space or dash.
		chain := buf[:0]
		j := i
		for {
			k := j
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			chain = append(chain, group{j, k})
			if n := separator(s[k:]); n > 0 && k+n < len(s) && isDigit(s[k+n]) {
				j = k + n
				continue
			}
			j = k
			break
		}
		work += cardsInChain(s, chain, found)
		i = j
	}
	return work
}

// separator is the length of the separator of two groups of a card number
// that s starts with, 0 for none: a space, a dash, or a no-break (U+00A0),
// narrow no-break (U+202F) or thin (U+2009) space.
func separator(s string) int {
	switch {
	case s == "":
		return 0
	case s[0] == ' ' || s[0] == '-':
		return 1
	case strings.HasPrefix(s, "\u00a0"):
		return 2
	case strings.HasPrefix(s, "\u202f") || strings.HasPrefix(s, "\u2009"):
		return 3
	}
	return 0
}

// cardsInChain finds the cards of one chain of groups: from each group on
// the left, the longest run of whole groups of 13 to 19 digits that passes
// the Luhn check; the next search starts after it. The Luhn sum of a run is
// kept for both parities as groups are added, so each start costs at most
// maxCard digits.
func cardsInChain(s string, chain []group, found func(start, end int)) (work int) {
	for a := 0; a < len(chain); {
		n, best := 0, -1
		sums := [2]int{} // sums[p]: the Luhn sum if the digits at even index (p=0) or odd index (p=1) from the left are doubled
		for e := a; e < len(chain); e++ {
			g := chain[e]
			if n+g.end-g.start > maxCard {
				break
			}
			for i := g.start; i < g.end; i++ {
				d := int(s[i] - '0')
				dd := 2 * d
				if dd > 9 {
					dd -= 9
				}
				if n%2 == 0 {
					sums[0] += dd
					sums[1] += d
				} else {
					sums[0] += d
					sums[1] += dd
				}
				n++
				work++
			}
			// The last digit is never doubled, the one before it is: the
			// digits doubled are those whose index from the left has the
			// parity of n.
			if n >= minCard && sums[n%2]%10 == 0 {
				best = e
			}
			if n == maxCard {
				break
			}
		}
		if best < 0 {
			a++
			continue
		}
		found(chain[a].start, chain[best].end)
		a = best + 1
	}
	return work
}

// appendDigits appends the digits of s to dst.
func appendDigits(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			dst = append(dst, s[i])
		}
	}
	return dst
}

// appendPAN appends the mask of a card number's digits, as PAN makes it.
func appendPAN(out, pan []byte) []byte {
	if len(pan) < 10 {
		for range pan {
			out = append(out, 'X')
		}
		return out
	}
	out = append(out, pan[:6]...)
	out = append(out, "-XX-XXXX-"...)
	return append(out, pan[len(pan)-4:]...)
}

// PAN masks a card number the way FreedomPay's pg_card_hash does: the
// first six and last four digits, "440564-XX-XXXX-6150". A number too
// short to mask is returned as X's of its length.
func PAN(pan string) string {
	return string(appendPAN(make([]byte, 0, 19), []byte(pan)))
}

// IBAN keeps an IBAN's country, check digits and last four characters:
// "KZ86XXXXXXXXXXXX5678". One shorter than 10 characters is returned as
// it is.
func IBAN(iban string) string {
	if len(iban) < 10 {
		return iban
	}
	b := []byte(iban)
	for i := 4; i < len(b)-4; i++ {
		b[i] = 'X'
	}
	return string(b)
}
