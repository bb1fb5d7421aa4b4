// Package redact holds every rule by which the sandbox masks what it
// shows — its logs, the request journal, notify attempts, the control API's
// JSON and the dashboard — so that neither a merchant's secret, a full
// card number nor the password of a callback URL is ever repeated there:
//
//   - a secret of MinMasked characters or more is masked wherever it
//     appears, by Secret ("<secret:15 chars>"), as it is or as %q quotes it
//     (the sandbox's messages quote a client's text so), in one pass: a
//     mask is never masked again, and a secret holding another is masked
//     whole;
//   - a shorter secret (a test's "k") is masked only in a value equal to it:
//     masking every "k" would garble the rest, and so short a secret is no
//     secret;
//   - a card number (see Cards) is masked as FreedomPay's pg_card_hash
//     shows one (PAN), an IBAN as IBAN does, a card security code by stars;
//   - the password of a URL (a callback URL's "user:password@") by
//     URLPassword, as url.URL.Redacted masks it (URLs).
//
// Text masks what needs no secret to be found (card numbers, URL
// passwords) in free text the sandbox keeps as it was sent: a payment's
// description, a refusal.
//
// A Redactor holds a scenario's secrets; its methods mask a string, a
// message's field (Field), any value about to be encoded (Copy) and log
// records (Handler). Masking happens on values before they are encoded,
// never on JSON or HTML already written. The package imports nothing of the
// sandbox's, so that every other package, the signature code included, can
// use it.
package redact

import (
	"slices"
	"strconv"
	"strings"
)

// MinMasked is the shortest secret masked wherever it appears in text.
const MinMasked = 6

// Secret stands in for a secret in anything shown: its length only.
func Secret(secret string) string { return mask(len(secret)) }

func mask(n int) string { return "<secret:" + strconv.Itoa(n) + " chars>" }

// Redactor masks the secrets it was made with, and card numbers. A nil
// Redactor masks no secret; its methods still mask card numbers where they
// would.
type Redactor struct {
	long  []pattern  // MinMasked bytes or more, distinct, longest first
	short []string   // non-empty, shorter than MinMasked: masked only as a whole value
	two   [2]pattern // long's first array: a merchant's two secrets take no more
}

// pattern is a secret as it may be written: as it is, or quoted as Go's %q
// quotes it (a message quoting a client's text, "pg_salt=tab\tkey", holds
// a secret with a tab or a quote so).
type pattern struct {
	text string
	size int // the secret's length, which its mask shows
}

// New returns the Redactor of secrets (a scenario's secret_key and
// payout_secret_key of every merchant, say); empty ones are left out. It is
// cheap enough to make for one request.
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	r.long = r.two[:0]
	add := func(text string, size int) {
		if !slices.ContainsFunc(r.long, func(p pattern) bool { return p.text == text }) {
			r.long = append(r.long, pattern{text, size})
		}
	}
	for _, s := range secrets {
		switch {
		case s == "":
		case len(s) < MinMasked:
			if !slices.Contains(r.short, s) {
				r.short = append(r.short, s)
			}
		default:
			add(s, len(s))
			if q := quoted(s); q != s {
				add(q, len(s))
			}
		}
	}
	// Longest first, so that at a position where two secrets start the
	// one holding the other is masked whole.
	slices.SortStableFunc(r.long, func(a, b pattern) int { return len(b.text) - len(a.text) })
	return r
}

// quoted is s as %q writes it, without the quotes.
func quoted(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == '"' || c == '\\' || c >= 0x7f {
			q := strconv.Quote(s)
			return q[1 : len(q)-1]
		}
	}
	return s
}

// String masks s as text shown to people (a log line, a message): the
// password of every URL (URLs), every secret of MinMasked characters or
// more, then every card number (Cards).
func (r *Redactor) String(s string) string {
	return Cards(r.Secrets(URLs(s)))
}

// Secrets masks every secret of MinMasked characters or more in s, and
// nothing else: for text whose digits must stay as they are, such as an
// order id or a signature.
func (r *Redactor) Secrets(s string) string {
	if r == nil || len(r.long) == 0 {
		return s
	}
	first, which := -1, 0
	for k, sec := range r.long {
		if i := strings.Index(s, sec.text); i >= 0 && (first < 0 || i < first) {
			first, which = i, k // on a tie the earlier, longer secret stays
		}
	}
	if first < 0 {
		return s
	}
	return r.replace(s, first, which)
}

// replace masks every secret in s, the leftmost first, from the first one
// at first (r.long[which]). Each secret's next position is kept and looked
// for again only once the text before it is passed, so the cost stays in
// proportion to len(s) times the secrets however many there are in s.
func (r *Redactor) replace(s string, first, which int) string {
	var small [8]int
	next := small[:0]
	if len(r.long) > len(small) {
		next = make([]int, 0, len(r.long))
	}
	for _, sec := range r.long {
		next = append(next, strings.Index(s, sec.text)) // -1: none left
	}
	var b strings.Builder
	b.Grow(len(s))
	done := 0 // s[:done] is written
	for i, k := first, which; i >= 0; {
		b.WriteString(s[done:i])
		b.WriteString(mask(r.long[k].size))
		done = i + len(r.long[k].text)
		i = -1
		for j, sec := range r.long {
			if next[j] >= 0 && next[j] < done {
				if n := strings.Index(s[done:], sec.text); n >= 0 {
					next[j] = done + n
				} else {
					next[j] = -1
				}
			}
			if next[j] >= 0 && (i < 0 || next[j] < i) {
				i, k = next[j], j
			}
		}
	}
	b.WriteString(s[done:])
	return b.String()
}

// Value masks a whole value: as Secrets does, and a value equal to a
// secret shorter than MinMasked.
func (r *Redactor) Value(v string) string {
	if r != nil && slices.Contains(r.short, v) {
		return Secret(v)
	}
	return r.Secrets(v)
}

// Join joins parts with sep, as a signing string joins a message's values,
// masking a part equal to a secret shorter than MinMasked and the longer
// secrets wherever they are in the result, across a sep too.
func (r *Redactor) Join(parts []string, sep string) string {
	if r != nil && len(r.short) > 0 {
		var b strings.Builder
		for i, p := range parts {
			if i > 0 {
				b.WriteString(sep)
			}
			if slices.Contains(r.short, p) {
				p = Secret(p)
			}
			b.WriteString(p)
		}
		return r.Secrets(b.String())
	}
	return r.Secrets(strings.Join(parts, sep))
}

// Quoted masks in s, a text that quotes a field's value (a signing
// string), what Field masks in that value, wherever it is in s: the whole
// value of a card number field or an IBAN field of 10 characters or more,
// the passwords of URLs and the card numbers in any other field but the
// identifiers and the signature. A card security code is left: masking
// its three digits wherever they are would garble the text.
func Quoted(s, name, value string) string {
	n := strings.ToLower(name)
	switch {
	case n == "pg_payment_to" || n == "pg_card_number":
		if len(value) >= 10 {
			return strings.ReplaceAll(s, value, PAN(value))
		}
	case strings.Contains(n, "iban"):
		if len(value) >= 10 {
			return strings.ReplaceAll(s, value, IBAN(value))
		}
	case !plain(n):
		if m := URLs(value); m != value {
			s = strings.ReplaceAll(s, value, m)
			value = m
		}
		if mayHoldCard(value) {
			var digits [maxCard]byte
			scanCards(value, func(start, end int) {
				card := value[start:end]
				s = strings.ReplaceAll(s, card, PAN(string(appendDigits(digits[:0], card))))
			})
		}
	}
	return s
}

// Field masks the value of a message's field (a request's, a notify's) for
// the journal or a notify attempt:
//   - a value equal to a secret, or holding one, as Value does;
//   - a field that carries a card number (pg_payment_to, pg_card_number)
//     by PAN, whatever it holds; a card security code (a name holding cvc
//     or cvv) by stars; an IBAN field (a name holding iban) by IBAN;
//   - the identifiers and the signature (pg_order_id, pg_payment_id,
//     pg_sig) as they are: a client looks a request up by them, and a
//     16-digit order id that happens to pass the Luhn check is no card;
//   - any other field by Text: a URL's password (a callback URL's,
//     pg_post_link, pg_result_url, …) and a card number in free text.
func (r *Redactor) Field(name, value string) string {
	v := r.Value(value)
	switch n := strings.ToLower(name); {
	case strings.Contains(n, "cvc") || strings.Contains(n, "cvv"):
		return strings.Repeat("*", len(value))
	case n == "pg_payment_to" || n == "pg_card_number":
		if v == value {
			return PAN(v)
		}
	case strings.Contains(n, "iban"):
		if v == value {
			return IBAN(v)
		}
	case plain(n):
		return v
	}
	return Text(v)
}

// plain reports whether a field or log attribute of this lower-case name
// holds an identifier or a signature, whose digits are shown as they are
// (secrets are still masked).
func plain(name string) bool {
	switch name {
	case "pg_order_id", "pg_payment_id", "pg_sig", "order_id", "payment_id":
		return true
	}
	return false
}
