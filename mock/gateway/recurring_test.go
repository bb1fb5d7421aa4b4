package gateway

import (
	"math/big"
	"strconv"
	"testing"
)

func TestParseMonths(t *testing.T) {
	for _, c := range []struct {
		v    string
		want int
		ok   bool
	}{
		{"1", 1, true}, {"12", 12, true}, {"156", 156, true}, {"012", 12, true},
		{"0", 0, false}, {"157", 0, false}, {"+3", 0, false}, {"-1", 0, false}, {"3.0", 0, false},
		{" 3", 0, false}, {"3 ", 0, false}, {"", 0, false}, {"٣", 0, false}, {"99999999999999999999", 0, false},
	} {
		if got, ok := ParseMonths(c.v, 156); got != c.want || ok != c.ok {
			t.Errorf("ParseMonths(%q, 156) = %d, %v; want %d, %v", c.v, got, ok, c.want, c.ok)
		}
	}
}

// FuzzParseMonths: pg_recurring_lifetime reads as months exactly when it
// is ASCII digits whose value, however long, is 1 to the bound.
func FuzzParseMonths(f *testing.F) {
	for _, v := range []string{"1", "156", "157", "0", "+3", "-3", "0012", " 1", "1e2", "99999999999999999999"} {
		f.Add(v, 156)
	}
	f.Fuzz(func(t *testing.T, v string, most int) {
		n, ok := ParseMonths(v, most)
		digits := v != ""
		for i := 0; i < len(v); i++ {
			digits = digits && v[i] >= '0' && v[i] <= '9'
		}
		want := false
		if digits {
			x, _ := new(big.Int).SetString(v, 10)
			want = x.Sign() > 0 && x.Cmp(big.NewInt(int64(most))) <= 0
		}
		if ok != want {
			t.Fatalf("ParseMonths(%q, %d) ok = %v, want %v", v, most, ok, want)
		}
		if ok && int64(n) != mustInt(t, v) {
			t.Fatalf("ParseMonths(%q, %d) = %d", v, most, n)
		}
	})
}

func mustInt(t *testing.T, v string) int64 {
	t.Helper()
	x, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("%q: %v", v, err)
	}
	return x
}
