package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// refDecodeJSON is DecodeJSON as encoding/json's tokens read a body that
// DecodeJSON accepted, for FuzzDecodeJSON to compare with.
func refDecodeJSON(data []byte) (sign.Fields, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("starts with %v, %v", tok, err)
	}
	nodes, err := refGroup(d, true)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err == nil {
		return nil, fmt.Errorf("a token after the object")
	}
	return sign.FlattenNodes(nodes), nil
}

func refGroup(d *json.Decoder, object bool) ([]sign.Node, error) {
	var nodes []sign.Node
	for d.More() {
		n := sign.Node{Name: strconv.Itoa(len(nodes))}
		if object {
			tok, err := d.Token()
			if err != nil {
				return nil, err
			}
			n.Name = tok.(string)
		}
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch v := tok.(type) {
		case json.Delim:
			n.Children, err = refGroup(d, v == '{')
		case string:
			n.Value = v
		case json.Number:
			n.Value = string(v)
		default:
			err = fmt.Errorf("value %v", v)
		}
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	_, err := d.Token() // the group's end
	return nodes, err
}

// FuzzDecodeJSON: DecodeJSON never panics and answers with a 9403; what it
// reads is JSON and reads as encoding/json reads it; its work and what it
// builds stay linear in the body; and a body written back from the fields
// it returned decodes to the same fields.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{vectorG, `{"a":{"b":["1",2.50,{"c":"\ud83d\ude00"}]}}`, `{"a":"\u0041\n","a":1}`,
		`{"g0001":"x","g":["y"]}`, `{"a":1e+9,"b":-0.0E-0}`, `{"a":[]}`, "{\"\xff\":1}", `{"a":"\udc00"}`, `[1]`, `{"a":1}x`, `{"a[b]":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fs sign.Fields
		var err error
		// Allocations stand for work: a few per byte at most, never
		// per byte for each byte (it would take minutes to read 1 MiB).
		// The fuzzer's own goroutines allocate too, now and then while
		// one is counted: a count over the limit is taken again.
		limit := float64(2*len(data) + 32)
		allocs := testing.AllocsPerRun(1, func() { fs, err = DecodeJSON(data) })
		for try := 0; allocs > limit && try < 3; try++ {
			allocs = min(allocs, testing.AllocsPerRun(1, func() { fs, err = DecodeJSON(data) }))
		}
		if allocs > limit {
			t.Fatalf("%.0f allocations for %d bytes, want at most %.0f", allocs, len(data), limit)
		}
		if err != nil {
			e, ok := err.(*Error)
			if !ok || e.Code != CodeValidation {
				t.Fatalf("error %T %v, want a 9403 *Error", err, err)
			}
			if json.Valid(data) && utf8.Valid(data) && strings.Contains(e.Description, "was expected") {
				t.Fatalf("valid JSON refused as malformed: %v", err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("read %v from a body that is not JSON", fs)
		}
		values, names := 0, 0
		for _, f := range fs {
			values += len(f.Value)
			names += len(f.Name)
		}
		if len(fs) > MaxFields || values > len(data) || names > MaxFlatNameBytes {
			t.Fatalf("%d fields, %d bytes of values, %d of names from %d bytes", len(fs), values, names, len(data))
		}
		ref, err := refDecodeJSON(data)
		if err != nil || !slices.Equal(fs, ref) {
			t.Fatalf("read %v; encoding/json reads %v, %v", fs, ref, err)
		}
		seen := make(map[string]bool, len(fs))
		for _, f := range fs {
			if seen[f.Name] {
				return // two leaves flatten to one name: written back, they would be a duplicate
			}
			seen[f.Name] = true
		}
		var body bytes.Buffer
		body.WriteString("{")
		for i, f := range fs {
			name, _ := json.Marshal(f.Name)
			value, _ := json.Marshal(f.Value)
			if i > 0 {
				body.WriteString(",")
			}
			fmt.Fprintf(&body, "%s:%s", name, value)
		}
		body.WriteString("}")
		again, err := DecodeJSON(body.Bytes())
		if err != nil || !slices.Equal(again, fs) {
			t.Fatalf("%v written back as %s read %v, %v", fs, body.Bytes(), again, err)
		}
	})
}

// jsonShapes are worst bodies of up to 1 MiB for DecodeJSON: deep, wide,
// long names flattened, escapes, long names checked for repeats by map.
func jsonShapes() map[string]string {
	const mib = 1 << 20
	members := func(format string) string {
		var b strings.Builder
		b.WriteString("{")
		for i := 0; b.Len()+len(format)+16 < mib; i++ {
			fmt.Fprintf(&b, format, i)
		}
		return strings.TrimSuffix(b.String(), ",") + "}"
	}
	long := strings.Repeat("n", (mib-2000)/30)
	path := strings.Repeat(`{"`+long+`":`, 29)
	return map[string]string{
		"nested_arrays":        `{"pg_x":` + strings.Repeat("[", mib-8),
		"tiny_members":         members(`"%x":1,`),
		"tiny_array_elements":  `{"a":[` + strings.Repeat("1,", mib/2-8) + `1]}`,
		"long_names_29_deep":   path + `"1"` + strings.Repeat("}", 29),
		"long_names_flattened": `{"` + strings.Repeat("n", 40<<10) + `":[` + strings.Repeat(`"1",`, 999) + `"1"]}`,
		"escapes":              `{"a":"` + strings.Repeat(`\u00e9`, mib/6-4) + `"}`,
		"1000_long_members":    members(`"` + strings.Repeat("k", 1000) + `%d":1,`),
	}
}

// BenchmarkDecodeJSON reports the cost of the worst bodies of up to 1 MiB:
// go test ./mock/wire -run XXX -bench DecodeJSON.
func BenchmarkDecodeJSON(b *testing.B) {
	for name, body := range jsonShapes() {
		data := []byte(body)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				_, _ = DecodeJSON(data)
			}
		})
	}
	g := []byte(vectorG)
	b.Run("vector_G", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(g)))
		for b.Loop() {
			_, _ = DecodeJSON(g)
		}
	})
}

// TestDecodeJSONWorstShapesAreCheap: each worst body of up to 1 MiB allocates a
// bounded number of times, whatever its size: the bounds stop it early, and
// nothing is built per byte.
func TestDecodeJSONWorstShapesAreCheap(t *testing.T) {
	for name, body := range jsonShapes() {
		data := []byte(body)
		if len(data) > 1<<20 {
			t.Errorf("%s: %d bytes, over 1 MiB", name, len(data))
		}
		var err error
		allocs := testing.AllocsPerRun(2, func() { _, err = DecodeJSON(data) })
		t.Logf("%s: %.0f allocations; %v", name, allocs, err)
		if allocs > 4*MaxFields {
			t.Errorf("%s: %.0f allocations, want at most %d", name, allocs, 4*MaxFields)
		}
	}
}
