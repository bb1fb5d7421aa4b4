// Package money holds amounts as integer minor units (tiyn, tiyin, tyiyn), so
// balances never drift the way float sums do.
package money

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Amount is a sum in minor units: 1344150 is 13441.50.
type Amount int64

// Max is the largest amount FreedomPay accepts in a payout (99 999 999).
const Max Amount = 99999999_00

// FromFloat converts a decimal amount such as a TOML float. It fails on
// negative or non-finite values and on more than two decimal places.
func FromFloat(f float64) (Amount, error) {
	// Below 10^15, as Parse reads: float64(MaxInt64/100) rounds up, and
	// 92233720368547758.07 would wrap to a negative balance.
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f >= 1e15 {
		return 0, fmt.Errorf("amount %v is out of range (0 to 999999999999999.99)", f)
	}
	minor := math.Round(f * 100)
	if math.Abs(minor-f*100) > 1e-6*math.Max(1, f) {
		return 0, fmt.Errorf("amount %v has more than two decimal places", f)
	}
	return Amount(minor), nil
}

// Parse reads a wire amount such as "13441.5", "1000" or "5000.00".
func Parse(s string) (Amount, error) {
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || (hasDot && frac == "") || !digits(whole) || !digits(frac) || len(whole) > 15 {
		return 0, fmt.Errorf("%q is not an amount with at most two decimal places", s)
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt(frac, 10, 64)
		if len(frac) == 1 {
			f *= 10
		}
	}
	return Amount(w*100 + f), nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String formats the amount as the gateway's status replies do: no trailing
// zeros ("13441.5", "1000", "0.05").
func (a Amount) String() string {
	s := a.Fixed2()
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// Fixed2 formats the amount with two decimals, as in notifies ("5000.00").
func (a Amount) Fixed2() string {
	var buf [24]byte
	b := buf[:0]
	u := uint64(a)
	if a < 0 {
		b, u = append(b, '-'), -u // -u: the magnitude, math.MinInt64's too
	}
	b = strconv.AppendUint(b, u/100, 10)
	cents := u % 100
	return string(append(b, '.', byte('0'+cents/10), byte('0'+cents%10)))
}
