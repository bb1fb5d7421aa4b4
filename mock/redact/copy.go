package redact

import "reflect"

// Copy returns v with every secret of MinMasked characters or more masked
// in the strings it holds, for a value about to be encoded (the control
// API's JSON, the dashboard's template data): the strings of exported
// struct fields, of slices, arrays and maps — map keys too, which JSON
// shows as text — through pointers and interfaces. Struct field names are
// never touched: they are the sandbox's own. v is never changed: what
// holds a secret is copied, the rest shared, and v itself is returned when
// nothing needs masking.
//
// Copy masks secrets only, not card numbers: what the sandbox shows was
// masked of card numbers when it was recorded (Field, String), and the
// sandbox's own values (a pg_sig, an order id) must keep their digits. Not
// reached: unexported fields (neither encoding/json nor html/template reads
// them), []byte, values nested deeper than maxDepth, and the fields of an
// unexported embedded struct. Each string is masked on its own: a secret
// split between two strings that a page shows side by side is in neither.
func (r *Redactor) Copy(v any) any {
	if r == nil || len(r.long) == 0 || v == nil {
		return v
	}
	w := walker{r: r, plans: map[reflect.Type]*plan{}}
	if out, ok := w.copy(reflect.ValueOf(v), 0); ok {
		return out.Interface()
	}
	return v
}

// maxDepth bounds the nesting Copy walks, for a value that refers to
// itself (which encoding/json refuses anyway).
const maxDepth = 256

// walker is one Copy: the redactor and what it learnt of each type met.
type walker struct {
	r     *Redactor
	plans map[reflect.Type]*plan
}

// plan is how Copy walks values of one type.
type plan struct {
	holds  bool  // a value of the type may hold a string
	fields []int // of a struct: the exported fields that may hold one
}

// plan returns t's plan, made once per Copy. A type that refers to itself
// is taken to hold strings while its plan is made.
func (w *walker) plan(t reflect.Type) *plan {
	if p, ok := w.plans[t]; ok {
		return p
	}
	p := &plan{holds: true}
	w.plans[t] = p
	switch t.Kind() {
	case reflect.String, reflect.Interface:
	case reflect.Pointer, reflect.Array:
		p.holds = w.plan(t.Elem()).holds
	case reflect.Slice:
		p.holds = t.Elem().Kind() != reflect.Uint8 && w.plan(t.Elem()).holds
	case reflect.Map:
		p.holds = w.plan(t.Key()).holds || w.plan(t.Elem()).holds
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && w.plan(f.Type).holds {
				p.fields = append(p.fields, i)
			}
		}
		p.holds = len(p.fields) > 0
	default:
		p.holds = false
	}
	return p
}

// copy returns v masked, and whether anything was; when nothing was, v.
func (w *walker) copy(v reflect.Value, depth int) (reflect.Value, bool) {
	if depth > maxDepth || !w.plan(v.Type()).holds {
		return v, false
	}
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		m := w.r.Secrets(s)
		if m == s {
			return v, false
		}
		out := reflect.New(v.Type()).Elem()
		out.SetString(m)
		return out, true
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return v, false
		}
		e, ok := w.copy(v.Elem(), depth+1)
		if !ok {
			return v, false
		}
		if v.Kind() == reflect.Pointer {
			p := reflect.New(v.Type().Elem())
			p.Elem().Set(e)
			return p, true
		}
		out := reflect.New(v.Type()).Elem()
		out.Set(e)
		return out, true
	case reflect.Struct:
		var out reflect.Value
		for _, i := range w.plan(v.Type()).fields {
			f, ok := w.copy(v.Field(i), depth+1)
			if !ok {
				continue
			}
			if !out.IsValid() {
				out = reflect.New(v.Type()).Elem()
				out.Set(v)
			}
			out.Field(i).Set(f)
		}
		return out, out.IsValid()
	case reflect.Slice, reflect.Array:
		var out reflect.Value
		for i := range v.Len() {
			e, ok := w.copy(v.Index(i), depth+1)
			if !ok {
				continue
			}
			if !out.IsValid() {
				if v.Kind() == reflect.Slice {
					out = reflect.MakeSlice(v.Type(), v.Len(), v.Len())
					reflect.Copy(out, v)
				} else {
					out = reflect.New(v.Type()).Elem()
					out.Set(v)
				}
			}
			out.Index(i).Set(e)
		}
		return out, out.IsValid()
	case reflect.Map:
		return w.copyMap(v, depth)
	}
	return v, false
}

// copyMap masks a map's keys and values; a masked key that meets another
// key keeps the value met last.
func (w *walker) copyMap(v reflect.Value, depth int) (reflect.Value, bool) {
	if v.IsNil() {
		return v, false
	}
	changed := false
	for it := v.MapRange(); it.Next() && !changed; {
		_, kc := w.copy(it.Key(), depth+1)
		_, vc := w.copy(it.Value(), depth+1)
		changed = kc || vc
	}
	if !changed {
		return v, false
	}
	out := reflect.MakeMapWithSize(v.Type(), v.Len())
	for it := v.MapRange(); it.Next(); {
		k, _ := w.copy(it.Key(), depth+1)
		e, _ := w.copy(it.Value(), depth+1)
		out.SetMapIndex(k, e)
	}
	return out, true
}
