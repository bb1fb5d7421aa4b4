package mock

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"
)

// FuzzMask: masked JSON stays JSON, and neither it nor masked HTML shows a
// (plain) secret.
func FuzzMask(f *testing.F) {
	f.Add(`{"a":"x-test_secret_key-x","test_secret_key":[1,true,"\"test_secret_key\\"]}`, "test_secret_key")
	f.Add(`<p title="test_secret_key">a test_secret_key b</p><test_secret_key>`, "test_secret_key")
	f.Fuzz(func(t *testing.T, doc, secret string) {
		plain := len(secret) >= 4 && strings.IndexFunc(secret, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' }) < 0
		if !plain || strings.Contains("<secret: chars>&lt;&gt;", secret) {
			return
		}
		secrets := []string{secret}
		if json.Valid([]byte(doc)) {
			out := maskJSON([]byte(doc), secrets)
			if !json.Valid(out) {
				t.Fatalf("maskJSON(%q) = %q: not JSON", doc, out)
			}
			var v any
			_ = json.Unmarshal(out, &v)
			if shows(v, secret) && !strings.Contains(doc, `\u`) {
				t.Fatalf("maskJSON(%q) = %q shows the secret in a string", doc, out)
			}
		}
		out := string(maskHTML([]byte(doc), secrets))
		if !strings.Contains(doc, "<") && strings.Contains(out, secret) {
			t.Fatalf("maskHTML(%q) = %q shows the secret in text", doc, out)
		}
	})
}

// shows reports whether a decoded JSON value has the secret in a string or
// a key.
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
