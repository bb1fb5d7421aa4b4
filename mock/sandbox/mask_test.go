package sandbox

import (
	"bytes"
	"encoding/json"
	"html"
	"html/template"
	"strings"
	"testing"
	"unicode"

	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// FuzzMask: masked JSON stays JSON, and neither it nor masked HTML shows a
// (plain) secret.
func FuzzMask(f *testing.F) {
	f.Add(`{"a":"x-test_secret_key-x","test_secret_key":[1,true,"\"test_secret_key\\"]}`, "test_secret_key")
	f.Add(`{"ok":true,"k":"bank"}`, "k") // too short to mask: keys and values left alone
	f.Add(`<p title="test_secret_key">a test_secret_key b</p><test_secret_key>`, "test_secret_key")
	f.Fuzz(func(t *testing.T, doc, secret string) {
		plain := len(secret) >= 4 && strings.IndexFunc(secret, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' }) < 0
		if !plain || strings.Contains("<secret: chars>&lt;&gt;", secret) {
			return
		}
		m := newMasker(&scenario.Scenario{Merchants: []scenario.Merchant{{PayoutSecretKey: secret}}})
		if m == nil {
			return // shorter than minMasked
		}
		if json.Valid([]byte(doc)) {
			out := m.JSON([]byte(doc))
			if !json.Valid(out) {
				t.Fatalf("maskJSON(%q) = %q: not JSON", doc, out)
			}
			var v any
			_ = json.Unmarshal(out, &v)
			if shows(v, secret) && !strings.Contains(doc, `\u`) {
				t.Fatalf("maskJSON(%q) = %q shows the secret in a string", doc, out)
			}
		}
		out := string(m.HTML([]byte(doc)))
		if !strings.Contains(doc, "<") && strings.Contains(out, secret) {
			t.Fatalf("maskHTML(%q) = %q shows the secret in text", doc, out)
		}
	})
}

// shows reports whether a decoded JSON value has the secret in a string
// value (keys are the sandbox's own, never masked).
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
		for _, e := range v {
			if shows(e, secret) {
				return true
			}
		}
	}
	return false
}

// Secrets however they are escaped: html/template writes "+" as &#43;, the
// control API's JSON leaves "<" alone but escapes quotes; an escape right
// before a secret's look-alike must not be split.
func TestMaskEscapedSecrets(t *testing.T) {
	for _, secret := range []string{"k3y+9pQaZ", `ab"cd<efgh`, "test_secret_key", "tab\tsecret"} {
		m := newMasker(&scenario.Scenario{Merchants: []scenario.Merchant{{PayoutSecretKey: secret}}})
		var page bytes.Buffer
		tmpl := template.Must(template.New("p").Parse(`<p title="{{.}}">Order ord-{{.}}</p>`))
		if err := tmpl.Execute(&page, secret); err != nil {
			t.Fatal(err)
		}
		got := string(m.HTML(page.Bytes()))
		if un := html.UnescapeString(got); strings.Contains(un, secret) || strings.Count(un, sign.MaskSecret(secret)) != 2 {
			t.Errorf("secret %q in HTML: %s", secret, got)
		}
		var doc bytes.Buffer
		enc := json.NewEncoder(&doc)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(map[string]string{"order_id": "ord-" + secret})
		out := m.JSON(doc.Bytes())
		var v map[string]string
		if err := json.Unmarshal(out, &v); err != nil || v["order_id"] != "ord-"+sign.MaskSecret(secret) {
			t.Errorf("secret %q in JSON: %s (%v)", secret, out, err)
		}
	}
	m := newMasker(&scenario.Scenario{Merchants: []scenario.Merchant{{PayoutSecretKey: "test_secret_key"}}})
	if in := `{"a":"\test_secret_key"}`; string(m.JSON([]byte(in))) != in { // a tab, then est_secret_key
		t.Errorf("a look-alike after an escape was masked: %s", m.JSON([]byte(in)))
	}
}
