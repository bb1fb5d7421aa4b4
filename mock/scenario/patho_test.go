package scenario

import (
	"strings"
	"testing"
	"time"
)

// TestPathologicalScenariosAreQuick: broken files of any size get their
// problems fast, a bounded number of them.
func TestPathologicalScenariosAreQuick(t *testing.T) {
	deep := "[[merchants]]\nid = 1\npayout_secret_key = \"k\"\na = " + strings.Repeat("{ b = ", 2000) + "1" + strings.Repeat(" }", 2000) + "\n"
	for name, text := range map[string]string{
		"80 000 empty payouts":     "[[merchants]]\nid = 1\npayout_secret_key = \"k\"\n" + strings.Repeat("[[payouts]]\n", 80000),
		"inline tables 2 000 deep": deep,
		"20 000 unknown top-level keys": strings.Repeat("x", 0) + func() string {
			var b strings.Builder
			for i := range 20000 {
				b.WriteString("k")
				b.WriteString(strings.Repeat("y", i%7))
				b.WriteString(string(rune('a' + i%26)))
				b.WriteString(" = 1\n")
			}
			return b.String()
		}(),
	} {
		began := time.Now()
		_, err := Parse("p.toml", []byte(text))
		took := time.Since(began)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if n := strings.Count(err.Error(), "\n") + 1; n > maxProblems+1 {
			t.Errorf("%s: %d problems reported", name, n)
		}
		if took > 20*time.Second { // generous: under -race on a busy machine; it took minutes before
			t.Errorf("%s: %s to report its problems", name, took)
		}
	}
}
