package redact

import (
	"fmt"
	"strings"
	"testing"
)

func TestSecretsMaskedOnceLongestFirst(t *testing.T) {
	r := New("test_secret_key", "secret", "k", "", "secret")
	for in, want := range map[string]string{
		"x-test_secret_key-x":  "x-<secret:15 chars>-x",
		"secret and secret":    "<secret:6 chars> and <secret:6 chars>",
		"test_secret_keysecre": "<secret:15 chars>secre",
		"k, bank":              "k, bank", // too short to mask in text
		"":                     "",
	} {
		if got := r.Secrets(in); got != want {
			t.Errorf("Secrets(%q) = %q, want %q", in, got, want)
		}
	}
	// A mask holds "secret": it is never masked again.
	if got := New("secret", "my-secret-key").Secrets("my-secret-key"); got != "<secret:13 chars>" {
		t.Errorf("a mask was masked again: %q", got)
	}
	if got, want := Secret("test_secret_key"), "<secret:15 chars>"; got != want {
		t.Errorf("Secret = %q, want %q", got, want)
	}
}

func TestShortSecretOnlyAsAWholeValue(t *testing.T) {
	r := New("k", "2")
	for _, c := range []struct{ in, want string }{{"k", "<secret:1 chars>"}, {"bank", "bank"}, {"2", "<secret:1 chars>"}, {"12", "12"}} {
		if got := r.Value(c.in); got != c.want {
			t.Errorf("Value(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got, want := r.Join([]string{"payout_status2", "bank-2", "2"}, ";"), "payout_status2;bank-2;<secret:1 chars>"; got != want {
		t.Errorf("Join = %q, want %q", got, want)
	}
	if got, want := New("k3y;9pQaZ").Join([]string{"s", "k3y", "9pQaZ"}, ";"), "s;<secret:9 chars>"; got != want {
		t.Errorf("Join across a separator = %q, want %q", got, want)
	}
}

func TestNilRedactorMasksCardsOnly(t *testing.T) {
	var r *Redactor
	if got, want := r.String("secret 4111111111111111"), "secret 411111-XX-XXXX-1111"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if got := r.Copy("secret"); got != "secret" {
		t.Errorf("Copy = %v", got)
	}
	if got := r.Value("k"); got != "k" {
		t.Errorf("Value = %q", got)
	}
}

func TestField(t *testing.T) {
	r := New("test_secret_key", "k")
	for _, c := range []struct{ name, value, want string }{
		{"pg_payment_to", "4405645000006150", "440564-XX-XXXX-6150"},
		{"PG_CARD_NUMBER", "12345", "XXXXX"},                      // whatever it holds
		{"pg_payment_to", "test_secret_key", "<secret:15 chars>"}, // a secret is not cut to six and four
		{"pg_card_cvc", "123", "***"},
		{"pg_recipient_iban", "KZ86125KZT5004100100", "KZ86XXXXXXXXXXXX0100"},
		{"pg_order_id", "4111111111111111", "4111111111111111"}, // an id keeps its digits
		{"pg_order_id", "x-test_secret_key", "x-<secret:15 chars>"},
		{"pg_sig", "4111111111111111", "4111111111111111"},
		{"pg_description", "to 4111 1111 1111 1111", "to 411111-XX-XXXX-1111"},
		{"pg_description", "order 4405645000006151", "order 4405645000006151"}, // fails Luhn
		{"pg_salt", "k", "<secret:1 chars>"},
		{"pg_salt", "kk", "kk"},
	} {
		if got := r.Field(c.name, c.value); got != c.want {
			t.Errorf("Field(%q, %q) = %q, want %q", c.name, c.value, got, c.want)
		}
	}
}

// TestQuotedSecrets: a message that quotes a client's text as %q does
// shows a secret with a tab or a quote escaped; it is masked so too.
func TestQuotedSecrets(t *testing.T) {
	r := New("tab\tsecret", `say "secret"`, "ключ-секрет")
	for in, want := range map[string]string{
		fmt.Sprintf("field %q", "x=tab\tsecret"):               `field "x=<secret:10 chars>"`,
		fmt.Sprintf("field %q", `say "secret" here`):           `field "<secret:12 chars> here"`,
		fmt.Sprintf("field %q and ключ-секрет", "ключ-секрет"): `field "<secret:21 chars>" and <secret:21 chars>`,
	} {
		if got := r.Secrets(in); got != want {
			t.Errorf("Secrets(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestQuoted: a text that quotes a message's fields (a signing string)
// has the card numbers masked that Field masks in their values, and the
// digits of an identifier kept.
func TestQuoted(t *testing.T) {
	s := "p2p2nonreg;4111111111111111;10;to 5555 5555 5555 4444;4111111111111111;KZ86125KZT5004100100;123"
	for _, f := range [][2]string{{"pg_order_id", "4111111111111111"}, {"pg_amount", "10"}, {"pg_description", "to 5555 5555 5555 4444"},
		{"pg_payment_to", "4111111111111111"}, {"pg_recipient_iban", "KZ86125KZT5004100100"}, {"pg_cvc", "123"}} {
		s = Quoted(s, f[0], f[1])
	}
	// The order id is the card's number here: masked as the card is.
	if want := "p2p2nonreg;411111-XX-XXXX-1111;10;to 555555-XX-XXXX-4444;411111-XX-XXXX-1111;KZ86XXXXXXXXXXXX0100;123"; s != want {
		t.Errorf("got %q, want %q", s, want)
	}
	if got := Quoted("x;1700000000000123;y", "pg_order_id", "1700000000000123"); got != "x;1700000000000123;y" {
		t.Errorf("an order id was masked: %q", got)
	}
}

// TestManySecrets: a scenario of many merchants (more secrets than the
// small path holds) masks each, wherever and however often.
func TestManySecrets(t *testing.T) {
	var secrets []string
	for i := range 40 {
		secrets = append(secrets, fmt.Sprintf("secret-%02d-key", i))
	}
	r := New(secrets...)
	in := strings.Repeat("a secret-07-key b secret-39-key secret-00-key", 3)
	want := strings.Repeat("a <secret:13 chars> b <secret:13 chars> <secret:13 chars>", 3)
	if got := r.Secrets(in); got != want {
		t.Errorf("Secrets = %q, want %q", got, want)
	}
}

// FuzzSecrets: masking agrees with strings.Replacer given the secrets
// longest first: one pass, the leftmost first, the longest at a position.
func FuzzSecrets(f *testing.F) {
	f.Add("x-test_secret_key-x secret", "test_secret_key", "secret", "cret-x")
	f.Add("aaaaaaaaaaaa", "aaaaaa", "aaaaaaa", "")
	f.Fuzz(func(t *testing.T, s, a, b, c string) {
		r := New(a, b, c)
		var pairs []string
		for _, sec := range r.long {
			pairs = append(pairs, sec.text, mask(sec.size))
		}
		want := s
		if len(pairs) > 0 {
			want = strings.NewReplacer(pairs...).Replace(s)
		}
		if got := r.Secrets(s); got != want {
			t.Fatalf("Secrets(%q) with %v = %q, want %q", s, r.long, got, want)
		}
	})
}
