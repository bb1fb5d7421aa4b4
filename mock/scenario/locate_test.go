package scenario

import (
	"regexp"
	"strings"
	"testing"
)

// headerRE is what headerName replaced: a regexp run on every line.
var headerRE = regexp.MustCompile(`^\s*\[\[?\s*([A-Za-z0-9_.\- "]+?)\s*\]\]?`)

// FuzzHeaderName: headerName reads a line as headerRE did.
func FuzzHeaderName(f *testing.F) {
	for _, s := range []string{"[a]", "  [[payouts.existing]] # x", "[ a . \"b c\" ]", "[[ x ]]", "[ [a] ]", "[]", "[a", "[{.\\", "\t[a-b_9]x", "[a\tb]", "a = [1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ln string) {
		got, ok := headerName(ln)
		m := headerRE.FindStringSubmatch(ln)
		if m != nil && strings.TrimSpace(m[1]) == "" {
			return // "[ ]": a name of spaces only; not TOML, the library refuses it before any line is looked up
		}
		if ok != (m != nil) || ok && got != m[1] {
			t.Fatalf("headerName(%q) = %q, %v; the regexp found %q", ln, got, ok, m)
		}
	})
}
