package gateway

import (
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
)

func TestValidPAN(t *testing.T) {
	for _, tc := range []struct {
		pan  string
		want bool
	}{
		{"4671593866478252", true}, {"5325349472901311", true}, {"4405645000006150", true},
		{"4111111111111111", true}, {"4222222222222", true}, // 13 digits
		{"4671593866478253", false}, {"467159386647825", false}, {"", false},
		{"4671 5938 6647 8252", false}, {"4671-5938-6647-8252", false}, {"46715938664782520000x", false},
		{"000000000000000000000", false}, // 21 digits
	} {
		if got := ValidPAN(tc.pan); got != tc.want {
			t.Errorf("ValidPAN(%q) = %v, want %v", tc.pan, got, tc.want)
		}
	}
}

func TestValidIBAN(t *testing.T) {
	for _, tc := range []struct {
		iban string
		want bool
	}{
		{"KZ86125KZT5004100100", true}, {"KZ000000000000000000", true},
		{"12345678910111213141", false}, {"KZ86125KZT500410010", false}, {"KZ86125KZT50041001000", false},
		{"kz86125kzt5004100100", false}, {"DE89370400440532013000", false}, {"KZ86 125K ZT50 0410 0100", false},
	} {
		if got := ValidIBAN(tc.iban); got != tc.want {
			t.Errorf("ValidIBAN(%q) = %v, want %v", tc.iban, got, tc.want)
		}
	}
}

// FuzzValidPAN checks the card-number rule: only 13 to 20 digits pass, and
// changing any one digit of a passing number makes it fail (what the Luhn
// check is for).
func FuzzValidPAN(f *testing.F) {
	for _, s := range []string{"4671593866478252", "4222222222222", "1234", "", "4671593866478252000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidPAN(s) {
			return
		}
		if len(s) < 13 || len(s) > 20 || !fixtures.IsDigits(s) {
			t.Fatalf("ValidPAN(%q) passed a string that is not 13-20 digits", s)
		}
		for i := 0; i < len(s); i++ {
			b := []byte(s)
			b[i] = '0' + (b[i]-'0'+1)%10
			if ValidPAN(string(b)) {
				t.Fatalf("%q and %q both pass the Luhn check", s, b)
			}
		}
	})
}

// pg_datetime is formatted once a second and reused within it: what comes
// out is what formatting each time gives, across seconds, backwards in
// time, before 1970 and within a second's fractions.
func TestDatetimePerSecond(t *testing.T) {
	g := &Gateway{loc: time.FixedZone("+05", 5*3600)}
	t0 := time.Date(2024, 11, 28, 11, 10, 3, 0, time.UTC)
	for _, at := range []time.Time{t0, t0.Add(999 * time.Millisecond), t0.Add(time.Second), t0, t0.Add(-time.Nanosecond),
		time.Date(1969, 12, 31, 23, 59, 59, 500, time.UTC), time.Date(1969, 12, 31, 23, 59, 58, 999_999_999, time.UTC), t0.Add(24 * time.Hour)} {
		if got, want := g.datetime(at).Value, at.In(g.loc).Format(DateTimeLayout); got != want {
			t.Errorf("datetime(%v) = %s, want %s", at, got, want)
		}
	}
}
