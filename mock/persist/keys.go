package persist

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// checkKeys reports every key the file lacks that the sandbox always
// writes (a field without omitempty), at any depth: a section deleted by
// hand would otherwise decode as empty and the sandbox start with nothing.
// With values, it also reports every value that does not decode into its
// field and every key the state has no field for, as the decoder refuses
// them one at a time and without a path. data is valid JSON.
func checkKeys(data []byte, p *problems, values bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return
	}
	k := &keyWalker{p: p, values: values, types: map[reflect.Type]*typeInfo{}}
	k.walk(reflect.TypeFor[State](), v)
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// keyWalker walks decoded JSON alongside the Go type it is written from.
// path is where it stands, made a string only for a problem: a file of
// 100 000 payouts has millions of values.
type keyWalker struct {
	p      *problems
	values bool
	path   []byte
	types  map[reflect.Type]*typeInfo
}

// typeInfo is what the walk needs of a Go type, worked out once.
type typeInfo struct {
	t        reflect.Type // pointers taken away
	leaf     bool         // decodes itself, as a time does
	walkable bool         // has keys to check, at any depth
	fields   []fieldInfo  // a struct's, embedded ones' included
}

type fieldInfo struct {
	name      string
	omitempty bool
	t         reflect.Type
}

func (k *keyWalker) info(t reflect.Type) *typeInfo {
	if ti := k.types[t]; ti != nil {
		return ti
	}
	ti := &typeInfo{t: t}
	k.types[t] = ti
	if ti.t.Kind() == reflect.Pointer {
		ti.t = ti.t.Elem()
	}
	ti.leaf = reflect.PointerTo(ti.t).Implements(unmarshalerType)
	switch {
	case ti.leaf:
	case ti.t.Kind() == reflect.Struct:
		ti.walkable, ti.fields = true, structFields(ti.t, nil)
	case ti.t.Kind() == reflect.Map:
		ti.walkable = true
	case ti.t.Kind() == reflect.Slice:
		ti.walkable = k.info(ti.t.Elem()).walkable
	}
	return ti
}

// structFields lists the JSON keys of struct type t as encoding/json
// writes them.
func structFields(t reflect.Type, out []fieldInfo) []fieldInfo {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			out = structFields(f.Type, out) // embedded: its keys are the object's
			continue
		}
		if name == "" {
			name = f.Name
		}
		// omitzero leaves a key out as omitempty does (a time.Time's zero).
		omit := strings.Contains(","+opts+",", ",omitempty,") || strings.Contains(","+opts+",", ",omitzero,")
		out = append(out, fieldInfo{name: name, omitempty: omit, t: f.Type})
	}
	return out
}

// push extends the path by a struct field's key, an index (i >= 0) or a
// map's key, and returns the length to cut it back to.
func (k *keyWalker) push(field string, i int, mapKey string) int {
	n := len(k.path)
	switch {
	case i >= 0:
		k.path = append(k.path, '[')
		k.path = strconv.AppendInt(k.path, int64(i), 10)
		k.path = append(k.path, ']')
	case field == "":
		k.path = append(k.path, '[')
		k.path = strconv.AppendQuote(k.path, mapKey)
		k.path = append(k.path, ']')
	default:
		if n > 0 {
			k.path = append(k.path, '.')
		}
		k.path = append(k.path, field...)
	}
	return n
}

func (k *keyWalker) add(format string, args ...any) {
	k.p.add(string(k.path), format, args...)
}

func (k *keyWalker) walk(t reflect.Type, v any) {
	if v == nil {
		return // null where the writer writes it (nil slices, maps, pointers); a struct's is reported by its parent
	}
	ti := k.info(t)
	if !k.values && !ti.walkable {
		return
	}
	if ti.leaf {
		raw, _ := json.Marshal(v)
		if err := reflect.New(ti.t).Interface().(json.Unmarshaler).UnmarshalJSON(raw); err != nil {
			k.add("%s: %v", shorten(string(raw)), err)
		}
		return
	}
	want := ""
	switch ti.t.Kind() {
	case reflect.Slice:
		if vs, ok := v.([]any); ok {
			for i, e := range vs {
				n := k.push("", i, "")
				k.walk(ti.t.Elem(), e)
				k.path = k.path[:n]
			}
			return
		}
		want = "an array"
	case reflect.Map:
		if vm, ok := v.(map[string]any); ok {
			for _, key := range slices.Sorted(maps.Keys(vm)) {
				n := k.push("", -1, key)
				k.walk(ti.t.Elem(), vm[key])
				k.path = k.path[:n]
			}
			return
		}
		want = "an object"
	case reflect.Struct:
		if vm, ok := v.(map[string]any); ok {
			k.fields(ti, vm)
			return
		}
		want = "an object"
	default:
		want = leaf(ti.t, v)
	}
	if want != "" {
		raw, _ := json.Marshal(v)
		k.add("%s is not %s", shorten(string(raw)), want)
	}
}

// leaf returns what a scalar of type t should be when v is not one.
func leaf(t reflect.Type, v any) string {
	n, isNum := v.(json.Number)
	switch t.Kind() {
	case reflect.String:
		if _, ok := v.(string); !ok {
			return "a string"
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return "true or false"
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if _, err := strconv.ParseInt(string(n), 10, t.Bits()); !isNum || err != nil {
			return fmt.Sprintf("a whole number of %d bits", t.Bits())
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if _, err := strconv.ParseUint(string(n), 10, t.Bits()); !isNum || err != nil {
			return fmt.Sprintf("a non-negative whole number of %d bits", t.Bits())
		}
	case reflect.Float32, reflect.Float64:
		if _, err := strconv.ParseFloat(string(n), t.Bits()); !isNum || err != nil {
			return "a number"
		}
	}
	return ""
}

// fields checks the keys of one JSON object against a struct type.
func (k *keyWalker) fields(ti *typeInfo, obj map[string]any) {
	for _, f := range ti.fields {
		v, found := lookup(obj, f.name)
		if found && v != nil && !k.values && !k.info(f.t).walkable {
			continue // a leaf that is there: nothing more to see without values
		}
		n := k.push(f.name, -1, "")
		switch fi := k.info(f.t); {
		case !found && f.omitempty:
		case !found:
			k.p.lacks(string(k.path))
		case v == nil && fi.t == f.t && f.t.Kind() == reflect.Struct && !fi.leaf:
			k.add("is null; the sandbox writes an object here")
		default:
			k.walk(f.t, v)
		}
		k.path = k.path[:n]
	}
	if !k.values {
		return
	}
	for _, key := range slices.Sorted(maps.Keys(obj)) {
		if !slices.ContainsFunc(ti.fields, func(f fieldInfo) bool { return strings.EqualFold(f.name, key) }) {
			n := k.push(key, -1, "")
			k.add("is not a key of a state file")
			k.path = k.path[:n]
		}
	}
}

// shorten quotes at most 40 bytes of a value, for a message.
func shorten(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// lookup finds key in obj as encoding/json does: the exact key, else one
// equal but for case.
func lookup(obj map[string]any, key string) (any, bool) {
	if v, ok := obj[key]; ok {
		return v, true
	}
	for k, v := range obj {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}
