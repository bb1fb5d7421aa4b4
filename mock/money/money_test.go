package money

import (
	"math"
	"testing"
)

func TestFormatAndParse(t *testing.T) {
	tests := []struct {
		in          string
		str, fixed2 string
	}{
		{"13441.5", "13441.5", "13441.50"},
		{"1000", "1000", "1000.00"},
		{"5000.00", "5000", "5000.00"},
		{"0.05", "0.05", "0.05"},
		{"10.10", "10.1", "10.10"},
	}
	for _, tt := range tests {
		a, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		if a.String() != tt.str || a.Fixed2() != tt.fixed2 {
			t.Errorf("Parse(%q): String %q Fixed2 %q, want %q %q", tt.in, a.String(), a.Fixed2(), tt.str, tt.fixed2)
		}
	}
	for _, bad := range []string{"", ".5", "1.", "1.234", "-1", "1e3", "1,5", " 1", "1234567890123456"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted a malformed amount", bad)
		}
	}
}

func TestFromFloat(t *testing.T) {
	if a, err := FromFloat(13441.5); err != nil || a != 1344150 {
		t.Errorf("FromFloat(13441.5) = %d, %v; want 1344150", a, err)
	}
	if a, err := FromFloat(0.29); err != nil || a != 29 {
		t.Errorf("FromFloat(0.29) = %d, %v; want 29", a, err)
	}
	for _, bad := range []float64{-1, 1.234, 92233720368547758.07, 1e15, math.NaN()} {
		if _, err := FromFloat(bad); err == nil {
			t.Errorf("FromFloat(%v) accepted", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("13441.5")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			return
		}
		b, err := Parse(a.Fixed2())
		if err != nil || a != b {
			t.Fatalf("Parse(%q) = %d does not round-trip through %q", s, a, a.Fixed2())
		}
	})
}
