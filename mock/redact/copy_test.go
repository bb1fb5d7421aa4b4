package redact

import (
	"bytes"
	"encoding/json"
	"html"
	"html/template"
	"strings"
	"testing"
	"time"
)

type label string

type inner struct {
	Name  string
	Label label
	Any   any
	hid   string
	Bytes []byte
}

type outer struct {
	ID      string
	At      time.Time
	Inner   inner
	Ptr     *inner
	List    []inner
	ByName  map[string]string
	ByNum   map[int][]string
	Arr     [2]string
	Nil     *inner
	Count   int
	private *inner
}

func TestCopyMasksEveryString(t *testing.T) {
	const sec = "test_secret_key"
	r := New(sec)
	v := &outer{
		ID: "x-" + sec, At: time.Unix(0, 0), Count: 3,
		Inner:   inner{Name: sec, Label: label(sec), Any: "any " + sec, hid: sec, Bytes: []byte(sec)},
		Ptr:     &inner{Name: "ok", Any: []string{"a", sec}},
		List:    []inner{{Name: "a"}, {Name: sec}},
		ByName:  map[string]string{sec: "key", "value": sec, "plain": "plain"},
		ByNum:   map[int][]string{1: {sec}},
		Arr:     [2]string{"a", sec},
		private: &inner{Name: sec},
	}
	got := r.Copy(v).(*outer)
	data, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), sec) {
		t.Errorf("the copy shows the secret: %s", data)
	}
	mask := Secret(sec)
	for _, c := range []struct{ got, want string }{
		{got.ID, "x-" + mask}, {got.Inner.Name, mask}, {string(got.Inner.Label), mask}, {got.Inner.Any.(string), "any " + mask},
		{got.Ptr.Any.([]string)[1], mask}, {got.List[1].Name, mask}, {got.ByName[mask], "key"}, {got.ByName["value"], mask},
		{got.ByNum[1][0], mask}, {got.Arr[1], mask},
		{got.Inner.hid, sec},           // unexported: neither JSON nor a template shows it
		{string(got.Inner.Bytes), sec}, // bytes are no text
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if got.Count != 3 || !got.At.Equal(v.At) || got.ByName["plain"] != "plain" || got.List[0].Name != "a" || got.private != v.private {
		t.Errorf("the copy lost what it should keep: %+v", got)
	}
	// The original is untouched.
	if v.ID != "x-"+sec || v.Inner.Name != sec || v.List[1].Name != sec || v.ByName["value"] != sec || v.Arr[1] != sec || v.Ptr.Any.([]string)[1] != sec {
		t.Errorf("Copy changed its argument: %+v", v)
	}
}

// TestCopyWithoutSecretIsFree: a value that holds no secret is returned as
// it is, and the walk allocates only its notes on the types met.
func TestCopyWithoutSecretIsFree(t *testing.T) {
	r := New("test_secret_key")
	v := &outer{ID: "a", List: make([]inner, 1000), ByName: map[string]string{"a": "b"}}
	if got := r.Copy(v); got != any(v) {
		t.Error("Copy copied a value with no secret")
	}
	if n := testing.AllocsPerRun(5, func() { r.Copy(v) }); n > 30 {
		t.Errorf("Copy made %.0f allocations for a value with no secret, want at most 30", n)
	}
	type loop struct {
		Name string
		Next *loop
	}
	l := &loop{Name: "test_secret_key"}
	l.Next = l
	if got := r.Copy(l).(*loop); got.Name != Secret("test_secret_key") {
		t.Errorf("a value that refers to itself: %q", got.Name)
	}
}

// TestCopyBeforeEncoding: a secret of any characters is masked before the
// value is encoded, so it shows neither as itself nor in an encoder's
// escaped form (JSON's \" and \u003c, HTML's &#34; &lt; &#43;).
func TestCopyBeforeEncoding(t *testing.T) {
	tmpl := template.Must(template.New("p").Parse(`<p title="{{.ID}}">Order {{.ID}} <a href="/x?o={{.ID}}">{{.Inner.Name}}</a></p>`))
	for _, sec := range []string{"k3y+9pQaZ", `ab"cd<efgh`, "test_secret_key", "tab\tsecret", "ключ-секрет"} {
		r := New(sec)
		v := r.Copy(outer{ID: "ord-" + sec, Inner: inner{Name: sec}})
		var page bytes.Buffer
		if err := tmpl.Execute(&page, v); err != nil {
			t.Fatal(err)
		}
		var doc bytes.Buffer
		enc := json.NewEncoder(&doc)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v)
		escaped, _ := json.Marshal(v)
		for _, out := range []string{page.String(), html.UnescapeString(page.String()), doc.String(), string(escaped)} {
			for _, form := range shownAs(sec) {
				if strings.Contains(out, form) {
					t.Errorf("secret %q shows as %q in %s", sec, form, out)
				}
			}
		}
		if !strings.Contains(html.UnescapeString(page.String()), "Order ord-"+Secret(sec)) {
			t.Errorf("secret %q: the page does not show the mask: %s", sec, page.String())
		}
	}
}

// shownAs are the forms a secret takes in JSON and HTML.
func shownAs(sec string) []string {
	j, _ := json.Marshal(sec)
	var noHTML bytes.Buffer
	enc := json.NewEncoder(&noHTML)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(sec)
	return []string{sec, strings.Trim(string(j), `"`), strings.Trim(strings.TrimSpace(noHTML.String()), `"`),
		template.HTMLEscapeString(sec), template.URLQueryEscaper(sec)}
}

// FuzzCopy: a value masked by Copy still encodes, and neither its JSON
// (keys included) nor a page made of it shows a secret of letters, digits
// and '_' (whose escaped forms are itself). The page puts a space between
// values: Copy masks values, and a secret split between two values shown
// side by side is in neither.
func FuzzCopy(f *testing.F) {
	f.Add("x-test_secret_key-x", "test_secret_key")
	f.Add(`{"a":"\"test_secret_key\\"}`, "test_secret_key")
	f.Add("<p title=\"test_secret_key\">", "test_secret_key")
	f.Add("aaaaaaaaaaaaa", "aaaaaa")
	tmpl := template.Must(template.New("").Parse(`<p title="{{.ID}}">{{.ID}} {{range .List}}{{.Name}} {{end}}</p>`))
	f.Fuzz(func(t *testing.T, text, secret string) {
		if len(secret) < MinMasked || strings.ContainsFunc(secret, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_')
		}) || strings.Contains(Secret(secret), secret) {
			return
		}
		v := outer{ID: text, List: []inner{{Name: text + secret}}, ByName: map[string]string{text: secret, secret + text: text}, Inner: inner{Any: []any{text}}}
		data, err := json.Marshal(New(secret).Copy(v))
		if err != nil {
			t.Fatalf("the copy does not encode: %v", err)
		}
		var back any
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		if shows(back, secret) {
			t.Fatalf("the JSON of the copy shows %q: %s", secret, data)
		}
		var page bytes.Buffer
		if err := tmpl.Execute(&page, New(secret).Copy(v)); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(html.UnescapeString(page.String()), secret) {
			t.Fatalf("the page shows %q: %s", secret, page.String())
		}
	})
}

// shows reports whether a decoded JSON value has the secret in a string,
// a key or a value.
func shows(v any, secret string) bool {
	switch v := v.(type) {
	case string:
		return strings.Contains(v, secret)
	case []any:
		for _, e := range v {
			if shows(e, secret) {
				return true
			}
		}
	case map[string]any:
		for k, e := range v {
			if strings.Contains(k, secret) || shows(e, secret) {
				return true
			}
		}
	}
	return false
}
