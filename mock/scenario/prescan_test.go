package scenario

import (
	"math"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// shape measures a decoded TOML document: the longest key path (tables
// counted), and the deepest nesting of tables and arrays together, which
// bounds how deep its brackets can nest.
func shape(v any, path, depth int) (maxPath, maxDepth int) {
	maxPath, maxDepth = path, depth
	var elems []any
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			p, d := shape(e, path+1, depth+1)
			maxPath, maxDepth = max(maxPath, p), max(maxDepth, d)
		}
		return maxPath, maxDepth
	case []map[string]any:
		for _, e := range v {
			elems = append(elems, e)
		}
	case []any:
		elems = v
	}
	for _, e := range elems {
		p, d := shape(e, path, depth+1)
		maxPath, maxDepth = max(maxPath, p), max(maxDepth, d)
	}
	return maxPath, maxDepth
}

// FuzzPrescan: the pre-scan never refuses a document the library reads
// within the bounds, and never lets through one that passes them.
func FuzzPrescan(f *testing.F) {
	for _, s := range []string{
		"a = {b = {c = [1, [2, {d = 3}]]}}",
		"[a.b]\nc.d = {e = 1}\n[[f.g]]\nh = [[1], []]",
		`name = "[{a.b\"[["` + "\n" + `x = """a.b[[\"""` + "\n\\\n\"\"\"\"\"\ny = '''[{'''\nz = 'a.b'\n\"q.r\".'s.t' = 1 # [[[",
		"a = [\n  1, # [\n  2,\n]\n",
		"a" + strings.Repeat(".b", 16) + " = 1",
		"a = " + strings.Repeat("[", 17) + strings.Repeat("]", 17),
		"[" + strings.Repeat("a.", 16) + "b]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4<<10 {
			return // the library's quadratic cost past the bounds would make the fuzzer slow, not find more
		}
		err := prescan("f.toml", data, func(int) int { return math.MaxInt }) // MaxValues: see TestPrescanRefuses
		var doc map[string]any
		if _, derr := toml.Decode(string(data), &doc); derr != nil {
			return // the library refuses it anyway
		}
		path, depth := shape(doc, 0, 0)
		if err != nil && path <= MaxKeyParts && depth <= MaxDepth {
			t.Fatalf("refused a document of key paths %d and nesting %d: %v", path, depth, err)
		}
		if err == nil && path > MaxKeyParts {
			t.Fatalf("let through a document of key paths %d", path)
		}
	})
}
