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

// worstShapes are the texts of n bytes that cost the TOML library the most
// per byte, each at the bounds [prescan] allows or just past them.
func worstShapes(n int) map[string]string {
	merchant := "[[merchants]]\nid = 1\npayout_secret_key = \"k\"\n"
	return map[string]string{
		// past the bounds: refused by the pre-scan
		"inline tables nested n/5 deep": "a = " + strings.Repeat("{b = ", n/5) + "1" + strings.Repeat("}", n/5),
		"arrays nested n/2 deep":        "a = " + strings.Repeat("[", n/2) + "1" + strings.Repeat("]", n/2),
		"a key of n/2 parts":            "a" + strings.Repeat(".b", n/2) + " = 1\n",
		"a [table] of n/2 parts":        "[a" + strings.Repeat(".b", n/2) + "]\n",
		"an [[array]] of n/2 parts":     "[[a" + strings.Repeat(".b", n/2) + "]]\n",
		"empty [[payouts]]":             merchant + strings.Repeat("[[payouts]]\n", n/12),
		"empty inline tables":           "a = [" + strings.Repeat("{},", n/3) + "]\n",
		"short keys":                    fill(n, func(i int) string { return fmt.Sprintf("k%d=1\n", i) }),
		"tables":                        fill(n, func(i int) string { return fmt.Sprintf("[k%d]\n", i) }),
		"array elements":                "a = [" + strings.Repeat("1,", n/2) + "]\n",
		"keys of inline tables":         fill(n, func(i int) string { return fmt.Sprintf("k%d={a=1}\n", i) }),
		// within the bounds: read, at most MaxValues values
		"keys of 16 parts": fill(n, func(i int) string { return fmt.Sprintf("%sk%d=1\n", strings.Repeat("a.", 15), i) }),
		"inline tables 15 deep": fill(n, func(i int) string {
			return fmt.Sprintf("k%d=%s1%s\n", i, strings.Repeat("{a=", 15), strings.Repeat("}", 15))
		}),
		"arrays 16 deep": fill(n, func(i int) string {
			return fmt.Sprintf("k%d=%s1%s\n", i, strings.Repeat("[", 16), strings.Repeat("]", 16))
		}),
		"a [table] of 16 parts, long keys": fill(n, func(i int) string {
			return fmt.Sprintf("[%sk%d]\n", strings.Repeat(strings.Repeat("a", 64)+".", 15), i)
		}),
		"merchants": fill(n, func(i int) string { return fmt.Sprintf("[[merchants]]\nid = %d\npayout_secret_key = \"k\"\n", i) }),
		"payouts": merchant + fill(n, func(i int) string {
			return fmt.Sprintf("[[payouts]]\nmerchant_id = 1\norder_id = \"%d\"\namount = 1\ntimeline = [ { at = \"0s\", status = \"process\" }, { at = \"1s\", status = \"success\" } ]\n", i)
		}),
		"unknown keys in merchants": fill(n, func(i int) string {
			return fmt.Sprintf("[[merchants]]\nid = %d\npayout_secret_key = \"k\"\nx%d = 1\n", i, i)
		}),
		"a long string":       merchant + `name = "` + strings.Repeat("x", n) + "\"\n",
		"a string of escapes": merchant + `name = "` + strings.Repeat(`\u0041`, n/6) + "\"\n",
		"a multi-line string": merchant + `description = """` + strings.Repeat("[{.\\\n", n/5) + "\"\"\"\n",
		"a comment":           merchant + "#" + strings.Repeat("[{.=", n/4) + "\n",
	}
}

// TestParseCostIsBounded: no text under 1 MiB costs Parse more than 50 MB
// of allocations, whatever its shape; it took 424 MB for 12 KB nested
// 3 000 deep, gigabytes for 64 KB.
func TestParseCostIsBounded(t *testing.T) {
	const budget = 50e6
	for name, text := range worstShapes(mib - 64) {
		var err error
		got := allocated(func() { _, err = Parse("p.toml", []byte(text)) })
		if got > budget {
			t.Errorf("%s (%d bytes): allocated %.1f MB, want at most %.0f MB (%v)", name, len(text), float64(got)/1e6, budget/1e6, firstLine(err))
		}
	}
}

// TestParseCostOfALargeUpload: PUT /_mock/scenario takes 4 MiB, where a
// scenario may hold MaxValues plus one value per ValueBytes bytes beyond
// the first MiB, so that a file of 100 000 payouts still loads. The cost
// stays linear: measured up to 490 MB allocated (4 MiB of [tables]), 285 MB
// for 4 MiB of real payouts; the bound is 600 MB.
func TestParseCostOfALargeUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("4 MiB texts")
	}
	const budget = 600e6
	for name, text := range worstShapes(4*mib - 64) {
		var err error
		got := allocated(func() { _, err = Parse("p.toml", []byte(text)) })
		if got > budget {
			t.Errorf("%s (%d bytes): allocated %.1f MB, want at most %.0f MB (%v)", name, len(text), float64(got)/1e6, budget/1e6, firstLine(err))
		}
	}
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
		{"values past MaxValues", "a = [" + strings.Repeat("1,", MaxValues) + "]", 1, "more than 40000 values in 80052 bytes"},
		{"keys count their parts", strings.Repeat("a.b.c.d = 1\n", MaxValues/16) + "x.y = 1", MaxValues/16 + 1, "more than 40000 values"},
	} {
		c.text += "\n[[merchants]]\nid = 1\npayout_secret_key = \"k\"\n"
		err := prescan("p.toml", []byte(c.text))
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
		// Parse reports the same, and only that.
		if _, perr := Parse("p.toml", []byte(c.text)); perr == nil || perr.Error() != err.Error() {
			t.Errorf("%s: Parse said %v, want %v", c.name, perr, err)
		}
	}
}

// TestPrescanIsLinear: the pre-scan allocates nothing per byte, whatever
// the text.
func TestPrescanIsLinear(t *testing.T) {
	for name, text := range worstShapes(mib) {
		data := []byte(text)
		if n := testing.AllocsPerRun(3, func() { _ = prescan("p.toml", data) }); n > 12 {
			t.Errorf("%s: %v allocations, want at most 12", name, n)
		}
	}
}

// BenchmarkParseWorst reports the bytes and allocations of Parse on the
// worst shapes of 1 MiB: go test ./mock/scenario -run XXX -bench ParseWorst.
func BenchmarkParseWorst(b *testing.B) {
	for name, text := range worstShapes(mib - 64) {
		data := []byte(text)
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				_, _ = Parse("p.toml", data)
			}
		})
	}
}
