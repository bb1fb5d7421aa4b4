package scenario

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// allocated returns the bytes f allocates on the heap. Tests of this
// package do not run in parallel, so the process-wide counter is f's.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// fill repeats line(i) for i = 0, 1, … until the text reaches n bytes.
func fill(n int, line func(i int) string) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		b.WriteString(line(i))
	}
	return b.String()
}

const mib = 1 << 20

// fitted repeats unit(i) between prefix and suffix as often as the text
// stays within n bytes and the values limit allows: the most of that shape
// read in n bytes.
func fitted(n int, limit func(int) int, prefix string, unit func(i int) string, suffix string) string {
	var units strings.Builder
	ends := []int{0}
	for i := 0; units.Len()+len(prefix)+len(suffix) < n; i++ {
		units.WriteString(unit(i))
		ends = append(ends, units.Len())
	}
	all := units.String()
	text := func(k int) string { return prefix + all[:ends[k]] + suffix }
	lo, hi := 0, len(ends)-1 // text(lo) is accepted; find the last k that is
	for lo < hi {
		k := (lo + hi + 1) / 2
		if t := text(k); len(t) <= n && prescan("p.toml", []byte(t), limit) == nil {
			lo = k
		} else {
			hi = k - 1
		}
	}
	return text(lo)
}

// worstShapes are the texts of up to n bytes that cost the TOML library
// the most per byte: past the pre-scan's bounds, or as much of a shape as
// it lets through with limit.
func worstShapes(n int, limit func(int) int) map[string]string {
	merchant := "[[merchants]]\nid = 1\npayout_secret_key = \"k\"\n"
	lines := func(unit func(i int) string) string { return fitted(n, limit, merchant, unit, "") }
	return map[string]string{
		// past the bounds: refused by the pre-scan
		"inline tables nested n/5 deep": "a = " + strings.Repeat("{b = ", n/5) + "1" + strings.Repeat("}", n/5),
		"arrays nested n/2 deep":        "a = " + strings.Repeat("[", n/2) + "1" + strings.Repeat("]", n/2),
		"a key of n/2 parts":            "a" + strings.Repeat(".b", n/2) + " = 1\n",
		"a [table] of n/2 parts":        "[a" + strings.Repeat(".b", n/2) + "]\n",
		"an [[array]] of n/2 parts":     "[[a" + strings.Repeat(".b", n/2) + "]]\n",
		"n/2 array elements":            "a = [" + strings.Repeat("1,", n/2) + "]\n",
		"a quoted key of n bytes":       `"` + strings.Repeat("k", n-64) + "\" = 1\n",
		"a [table] of n bytes":          `["` + strings.Repeat("k", n-64) + "\"]\n",
		// within the bounds
		"empty [[payouts]]":     lines(func(int) string { return "[[payouts]]\n" }),
		"empty inline tables":   fitted(n, limit, "a = [", func(int) string { return "{}," }, "]\n"+merchant),
		"array elements":        fitted(n, limit, "a = [", func(int) string { return "1," }, "]\n"+merchant),
		"short keys":            fitted(n, limit, "", func(i int) string { return fmt.Sprintf("k%d=1\n", i) }, merchant),
		"tables":                lines(func(i int) string { return fmt.Sprintf("[k%d]\n", i) }),
		"keys of inline tables": fitted(n, limit, "", func(i int) string { return fmt.Sprintf("k%d={a=1}\n", i) }, merchant),
		"keys of 16 parts":      fitted(n, limit, "", func(i int) string { return fmt.Sprintf("%sk%d=1\n", strings.Repeat("a.", 15), i) }, merchant),
		"inline tables 15 deep": fitted(n, limit, "", func(i int) string {
			return fmt.Sprintf("k%d=%s1%s\n", i, strings.Repeat("{a=", 15), strings.Repeat("}", 15))
		}, merchant),
		"arrays 16 deep": fitted(n, limit, "", func(i int) string {
			return fmt.Sprintf("k%d=%s1%s\n", i, strings.Repeat("[", 16), strings.Repeat("]", 16))
		}, merchant),
		"[tables] of 16 parts, long keys": fitted(n, limit, "", func(i int) string {
			return fmt.Sprintf("[%sk%d]\n", strings.Repeat(strings.Repeat("a", 60)+".", 15), i)
		}, merchant),
		"merchants": fitted(n, limit, "", func(i int) string { return fmt.Sprintf("[[merchants]]\nid = %d\npayout_secret_key = \"k\"\n", i) }, ""),
		"payouts": lines(func(i int) string {
			return fmt.Sprintf("[[payouts]]\nmerchant_id = 1\norder_id = \"%d\"\namount = 1\ntimeline = [ { at = \"0s\", status = \"process\" }, { at = \"1s\", status = \"success\" } ]\n", i)
		}),
		"unknown keys in merchants": fitted(n, limit, "", func(i int) string {
			return fmt.Sprintf("[[merchants]]\nid = %d\npayout_secret_key = \"k\"\nx%d = 1\n", i, i)
		}, ""),
		"a long string":       merchant + `name = "` + strings.Repeat("x", n-64) + "\"\n",
		"a string of escapes": merchant + `name = "` + strings.Repeat(`\u0041`, n/6-12) + "\"\n",
		"a multi-line string": merchant + `description = """` + strings.Repeat("[{.\\\n", n/5-20) + "\"\"\"\n",
		"a comment":           merchant + "#" + strings.Repeat("[{.=", n/4-16) + "\n",
	}
}

// costCases are the parsers and the heap each may allocate for a text of n
// bytes of the worst shape: ParseUpload 50 MB whatever the size (measured
// up to 46 MB); Parse, for the user's own files, 250 bytes per byte
// and 2 MB (measured up to 173: 1 MiB of `kN={a=1}` lines).
var costCases = []struct {
	name   string
	parse  func(string, []byte) (*Scenario, error)
	limit  func(int) int
	budget func(n int) float64
}{
	{"ParseUpload", ParseUpload, uploadLimit, func(int) float64 { return 50e6 }},
	{"Parse", Parse, fileLimit, func(n int) float64 { return 250*float64(n) + 2e6 }},
}

func checkCost(t *testing.T, n int, parsers int) {
	for _, c := range costCases[:parsers] {
		for name, text := range worstShapes(n, c.limit) {
			var err error
			got := allocated(func() { _, err = c.parse("p.toml", []byte(text)) })
			t.Logf("%s: %s (%d bytes): %.1f MB allocated (%v)", c.name, name, len(text), float64(got)/1e6, firstLine(err))
			if budget := c.budget(len(text)); float64(got) > budget {
				t.Errorf("%s: %s (%d bytes): allocated %.1f MB, want at most %.1f MB (%v)", c.name, name, len(text), float64(got)/1e6, budget/1e6, firstLine(err))
			}
		}
	}
}

// TestParseCostIsBounded: no text under 1 MiB costs more than its parser's
// budget, whatever its shape; 12 KB nested 3 000 deep took 424 MB, 64 KB
// gigabytes and minutes.
func TestParseCostIsBounded(t *testing.T) {
	n := mib
	if raceEnabled {
		n = mib / 4 // the same shapes, parsed in a fraction of the time
	}
	checkCost(t, n, len(costCases))
}

// TestParseCostOfALargeUpload: PUT /_mock/scenario takes 4 MiB; read with
// ParseUpload, no such text allocates more than 50 MB either. (Parse is
// linear: 1 MiB shows its cost per byte.)
func TestParseCostOfALargeUpload(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("4 MiB texts")
	}
	checkCost(t, 4*mib, 1)
}

// TestPathologicalScenariosAreBounded: broken files of any size get a
// bounded number of problems, at a cost bounded by their size (they took
// minutes before).
func TestPathologicalScenariosAreBounded(t *testing.T) {
	merchant := "[[merchants]]\nid = 1\npayout_secret_key = \"k\"\n"
	for name, text := range map[string]string{
		"30 000 empty payouts":          merchant + strings.Repeat("[[payouts]]\n", 30_000),
		"inline tables 2 000 deep":      merchant + "a = " + strings.Repeat("{ b = ", 2000) + "1" + strings.Repeat(" }", 2000) + "\n",
		"20 000 unknown top-level keys": merchant + fill(20000*9, func(i int) string { return fmt.Sprintf("k%d = 1\n", i) }),
	} {
		var err error
		got := allocated(func() { _, err = Parse("p.toml", []byte(text)) })
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if n := strings.Count(err.Error(), "\n") + 1; n > maxProblems+1 {
			t.Errorf("%s: %d problems reported, want at most %d", name, n, maxProblems+1)
		}
		// Measured: up to 115 bytes allocated per byte of text (40 000
		// payouts, each a struct and a few problems counted); twice that.
		if want := uint64(230*len(text) + 1e6); got > want {
			t.Errorf("%s: allocated %.1f MB for %d bytes, want at most %.1f MB", name, float64(got)/1e6, len(text), float64(want)/1e6)
		}
	}
}

func firstLine(err error) string {
	if err == nil {
		return "accepted"
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// TestPrescanRefuses: each bound is a Problem with the line where it is
// passed, read through every string form TOML has.
func TestPrescanRefuses(t *testing.T) {
	for _, c := range []struct {
		name, text string
		line       int
		want       string // in the message; "" when accepted
	}{
		{"16 deep", "a = " + strings.Repeat("{b=", 14) + "[[1]]" + strings.Repeat("}", 14), 0, ""},
		{"17 deep", "a = " + strings.Repeat("[", 16) + "{b=1}" + strings.Repeat("]", 16), 1, "deeper than 16 levels"},
		{"arrays 17 deep, over lines", "a = [\n" + strings.Repeat("[\n", 16) + "1" + strings.Repeat("]", 17), 17, "deeper than 16 levels"},
		{"a key of 16 parts", "a" + strings.Repeat(".b", 15) + " = 1", 0, ""},
		{"a key of 17 parts", "a" + strings.Repeat(".b", 16) + " = 1", 1, `key "a.b.b.b.b.b.b.b.b.b.b.b.b.b.b.b.b" has 17 parts`},
		{"quoted parts", `"a.b"` + strings.Repeat(`.'c.d'`, 16) + " = 1", 1, "has 17 parts"},
		{"a [table] of 16 parts", "[a" + strings.Repeat(" . b", 15) + "]", 0, ""},
		{"a [table] of 17 parts", "[a" + strings.Repeat(" . b", 16) + "]", 1, `table "[a . b . b . b . b . b . b . b . b . b ."… has 17 parts`},
		{"an [[array]] of 17 parts", "[[a" + strings.Repeat(".\"]\"", 16) + "]]", 1, "has 17 parts"},
		{"a key under a [table]", "[a" + strings.Repeat(".b", 14) + "]\nc.d = 1", 2, `key "c.d" has 17 parts`},
		{"header, dotted key and inline tables add up", "[a.b.c.d]\ne.f.g.h = {i.j.k.l = {m.n.o.p = 1, q.r.s.t.u = 1}}", 2, `key "q.r.s.t.u" has 17 parts`},
		{"inline tables in arrays count their keys", "[x]\na = [[{b = [{c = {d = 1}}]}]]", 0, ""},
		{"brackets and dots in strings", `name = "[{a.b.c\"[[[[[` + strings.Repeat("[", 40) + `"` + "\n" +
			`description = '''` + strings.Repeat("[{.", 40) + "\n'''\n" +
			`x = """` + strings.Repeat("[{.", 40) + `\"""` + "\n" + `\` + "\n" + `"""""` + "\n" +
			`y = '` + strings.Repeat("[", 40) + `'` + "\n" +
			"# " + strings.Repeat("[{.", 40) + "\n" +
			`"` + strings.Repeat(".", 40) + `" = 1`, 0, ""},
		{"a key of 1 024 bytes", `"` + strings.Repeat("k", 1022) + `" = 1`, 0, ""},
		{"a key of 1 025 bytes", `"` + strings.Repeat("k", 1023) + `" = 1`, 1, "is 1025 bytes long; at most 1024"},
		{"a [table] of 1 025 bytes", `["` + strings.Repeat("k", 1021) + `"]`, 1, "is 1025 bytes long; at most 1024"},
		{"array elements past MaxValues", "a = [" + strings.Repeat("1,", MaxValues) + "]", 1, "more than 30000 values"},
		{"keys count the square of their path", "[a.b]\n" + fill(2*MaxValues, func(i int) string { return fmt.Sprintf("c%d = 1\n", i) }), MaxValues/9 + 1, "more than 30000 values"},
		{"dotted keys count their parts too", fill(MaxValues, func(i int) string { return fmt.Sprintf("a.b.c.k%d = 1\n", i) }), MaxValues/64 + 1, "more than 30000 values"},
	} {
		c.text += "\n[[merchants]]\nid = 1\npayout_secret_key = \"k\"\n"
		err := prescan("p.toml", []byte(c.text), uploadLimit)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: refused: %v", c.name, err)
			}
			if _, err := toml.Decode(c.text, new(map[string]any)); err != nil {
				t.Errorf("%s: not TOML: %v", c.name, err)
			}
			continue
		}
		var p Problem
		if !errors.As(err, &p) {
			t.Errorf("%s: got %v, want a Problem", c.name, err)
			continue
		}
		if p.File != "p.toml" || p.Line != c.line || !strings.Contains(p.Msg, c.want) {
			t.Errorf("%s: got %q at %s:%d, want %q at p.toml:%d", c.name, p.Msg, p.File, p.Line, c.want, c.line)
		}
		// ParseUpload reports the same, and only that.
		if _, perr := ParseUpload("p.toml", []byte(c.text)); perr == nil || perr.Error() != err.Error() {
			t.Errorf("%s: Parse said %v, want %v", c.name, perr, err)
		}
	}
}

// TestPrescanIsLinear: the pre-scan allocates nothing per byte, whatever
// the text.
func TestPrescanIsLinear(t *testing.T) {
	size := mib
	if raceEnabled {
		size = 64 << 10 // the same shapes, built in a fraction of the time
	}
	for name, text := range worstShapes(size, fileLimit) {
		data := []byte(text)
		// A constant, whatever the size: its stack, and a Problem's text
		// (a few more under the race detector); one per byte or per line
		// would be thousands.
		if n := testing.AllocsPerRun(3, func() { _ = prescan("p.toml", data, fileLimit) }); n > 20 {
			t.Errorf("%s: %v allocations, want at most 20", name, n)
		}
	}
}

// BenchmarkParseWorst reports the bytes and allocations of ParseUpload and
// Parse on the worst shapes of up to 1 MiB each lets through:
// go test ./mock/scenario -run XXX -bench ParseWorst.
func BenchmarkParseWorst(b *testing.B) {
	for _, c := range costCases {
		for name, text := range worstShapes(mib, c.limit) {
			data := []byte(text)
			b.Run(c.name+"/"+strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					_, _ = c.parse("p.toml", data)
				}
			})
		}
	}
}
