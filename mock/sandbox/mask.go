package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"log/slog"
	"slices"
	"strings"

	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// masker masks a scenario's secrets of sign.MinMasked characters or more
// in text, JSON and HTML, in one pass each (a mask is never masked again).
// A shorter secret (a test's "k") is no secret, and masking it would
// garble every word that holds it; the merchant's own secret is still
// masked where the sandbox puts it (a signing string's end, a field equal
// to it).
type masker struct {
	secrets []string
	text    *strings.Replacer
	plain   bool // every secret is written as itself in JSON and HTML
}

// newMasker masks the secrets of sc's merchants; nil when there are none.
func newMasker(sc *scenario.Scenario) *masker {
	var secrets []string
	for _, m := range sc.Merchants {
		for _, s := range []string{m.SecretKey, m.PayoutSecretKey} {
			if len(s) >= sign.MinMasked && !slices.Contains(secrets, s) {
				secrets = append(secrets, s)
			}
		}
	}
	if len(secrets) == 0 {
		return nil
	}
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) }) // a secret holding another is masked whole
	m := &masker{secrets: secrets, plain: true}
	var pairs []string
	for _, sec := range secrets {
		pairs = append(pairs, sec, sign.MaskSecret(sec))
		if strings.ContainsFunc(sec, func(r rune) bool { return r < ' ' || strings.ContainsRune("\"\\<>&'+", r) || r > 0x7e }) {
			m.plain = false
		}
	}
	m.text = strings.NewReplacer(pairs...)
	return m
}

// Text masks every secret in s. A client may send a secret anywhere (as a
// salt, an order id, a path) and what the sandbox shows must not repeat it.
func (m *masker) Text(s string) string {
	if m == nil {
		return s
	}
	return m.text.Replace(s)
}

// worth tells whether data may hold a secret: with plain secrets, only if
// it holds one as it is; else (escaped forms) always.
func (m *masker) worth(data []byte) bool {
	if m == nil {
		return false
	}
	if !m.plain {
		return true
	}
	for _, sec := range m.secrets {
		if bytes.Contains(data, []byte(sec)) {
			return true
		}
	}
	return false
}

// JSON masks secrets in the string values of a JSON document, never in its
// structure or its keys. Each value is decoded, masked and, if a secret
// was in it, encoded again, so escapes neither hide a secret nor split a
// mask.
func (m *masker) JSON(data []byte) []byte {
	if !m.worth(data) {
		return data
	}
	var out []byte
	for i := 0; i < len(data); {
		if data[i] != '"' {
			out = append(out, data[i])
			i++
			continue
		}
		end := i + 1
		for end < len(data) && data[end] != '"' {
			if data[end] == '\\' {
				end++
			}
			end++
		}
		end = min(end, len(data)-1)
		lit := data[i : end+1]
		if !isKey(data[end+1:]) {
			lit = m.jsonString(lit)
		}
		out = append(out, lit...)
		i = end + 1
	}
	return out
}

// jsonString masks a JSON string literal, quotes included.
func (m *masker) jsonString(lit []byte) []byte {
	var v string
	if json.Unmarshal(lit, &v) != nil {
		return lit
	}
	masked := m.text.Replace(v)
	if masked == v {
		return lit
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(masked)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// isKey reports whether a string literal followed by rest is an object key.
func isKey(rest []byte) bool {
	rest = bytes.TrimLeft(rest, " \t\r\n")
	return len(rest) > 0 && rest[0] == ':'
}

// HTML masks secrets in the text and quoted attribute values of a page
// html/template wrote (where a literal '<' opens a tag). Each run is
// unescaped, masked and, if a secret was in it, escaped again.
func (m *masker) HTML(data []byte) []byte {
	if !m.worth(data) {
		return data
	}
	var out, run []byte
	flush := func() {
		text := html.UnescapeString(string(run))
		if masked := m.text.Replace(text); masked != text {
			out = append(out, template.HTMLEscapeString(masked)...)
		} else {
			out = append(out, run...)
		}
		run = run[:0]
	}
	inTag, quote := false, byte(0)
	for _, c := range data {
		switch {
		case quote != 0 && c == quote, !inTag && c == '<', quote == 0 && inTag && (c == '"' || c == '\'' || c == '>'):
			flush()
			out = append(out, c)
			switch {
			case quote != 0:
				quote = 0
			case c == '<':
				inTag = true
			case c == '>':
				inTag = false
			default:
				quote = c
			}
		case inTag && quote == 0:
			out = append(out, c) // tag and attribute names
		default:
			run = append(run, c)
		}
	}
	flush()
	return out
}

// maskHandler masks secrets in log records: their message and attributes.
type maskHandler struct {
	next slog.Handler
	mask func() *masker
}

func (h *maskHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *maskHandler) Handle(ctx context.Context, r slog.Record) error {
	m := h.mask()
	if m == nil {
		return h.next.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, m.Text(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(maskAttr(a, m))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *maskHandler) WithAttrs(as []slog.Attr) slog.Handler {
	m := h.mask()
	masked := make([]slog.Attr, len(as))
	for i, a := range as {
		masked[i] = maskAttr(a, m)
	}
	return &maskHandler{next: h.next.WithAttrs(masked), mask: h.mask}
}

func (h *maskHandler) WithGroup(name string) slog.Handler {
	return &maskHandler{next: h.next.WithGroup(name), mask: h.mask}
}

func maskAttr(a slog.Attr, m *masker) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, m.Text(v.String()))
	case slog.KindGroup:
		as := v.Group()
		masked := make([]any, len(as))
		for i, g := range as {
			masked[i] = maskAttr(g, m)
		}
		return slog.Group(a.Key, masked...)
	case slog.KindAny:
		s := fmt.Sprint(v.Any())
		if masked := m.Text(s); masked != s {
			return slog.String(a.Key, masked)
		}
	}
	return a
}
