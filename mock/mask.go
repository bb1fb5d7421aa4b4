package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// minMasked is the shortest secret masked in whatever text the sandbox
// shows: a shorter one (a test's "k") is no secret, and masking it would
// garble every word that holds it. The merchant's own secret is still masked
// where the sandbox puts it (a signing string's end, a field equal to it).
const minMasked = 6

// masker masks a scenario's secrets in text, JSON and HTML, in one pass
// each (a mask never masked again).
type masker struct {
	forms []string          // each secret as it may appear: raw, JSON- or HTML-escaped
	text  *strings.Replacer // raw and JSON-escaped forms to the mask
	html  *strings.Replacer // raw and HTML-escaped forms to the HTML-escaped mask
}

// newMasker masks the secrets of sc's merchants; nil when there are none.
func newMasker(sc *scenario.Scenario) *masker {
	var secrets []string
	for _, m := range sc.Merchants {
		for _, s := range []string{m.SecretKey, m.PayoutSecretKey} {
			if len(s) >= minMasked && !slices.Contains(secrets, s) {
				secrets = append(secrets, s)
			}
		}
	}
	if len(secrets) == 0 {
		return nil
	}
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) }) // a secret holding another is masked whole
	m := &masker{}
	var text, html []string
	for _, sec := range secrets {
		mask := sign.MaskSecret(sec)
		text, html = append(text, sec, mask), append(html, sec, template.HTMLEscapeString(mask))
		m.forms = append(m.forms, sec)
		if q, err := json.Marshal(sec); err == nil && string(q[1:len(q)-1]) != sec {
			text = append(text, string(q[1:len(q)-1]), mask)
			m.forms = append(m.forms, string(q[1:len(q)-1]))
		}
		if h := template.HTMLEscapeString(sec); h != sec {
			html = append(html, h, template.HTMLEscapeString(mask))
			m.forms = append(m.forms, h)
		}
	}
	m.text, m.html = strings.NewReplacer(text...), strings.NewReplacer(html...)
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

func (m *masker) in(data []byte) bool {
	if m == nil {
		return false
	}
	for _, f := range m.forms {
		if bytes.Contains(data, []byte(f)) {
			return true
		}
	}
	return false
}

// JSON masks secrets in the string values of a JSON document, never in its
// structure or its keys.
func (m *masker) JSON(data []byte) []byte {
	if !m.in(data) {
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
		lit := string(data[i+1 : min(end, len(data))])
		if !isKey(data[min(end+1, len(data)):]) {
			lit = m.text.Replace(lit)
		}
		out = append(append(append(out, '"'), lit...), '"')
		i = end + 1
	}
	return out
}

// isKey reports whether a string literal followed by rest is an object key.
func isKey(rest []byte) bool {
	rest = bytes.TrimLeft(rest, " \t\r\n")
	return len(rest) > 0 && rest[0] == ':'
}

// HTML masks secrets in the text and quoted attribute values of a page
// html/template wrote (where a literal '<' opens a tag).
func (m *masker) HTML(data []byte) []byte {
	if !m.in(data) {
		return data
	}
	var out, run []byte
	flush := func() {
		out, run = append(out, m.html.Replace(string(run))...), run[:0]
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

// maskWriter masks secrets in the JSON and HTML the control API writes.
// Each of its replies is written in one Write.
type maskWriter struct {
	http.ResponseWriter
	mask *masker
}

func (m *maskWriter) Write(p []byte) (int, error) {
	switch ct := m.Header().Get("Content-Type"); {
	case strings.HasPrefix(ct, "application/json"):
		_, err := m.ResponseWriter.Write(m.mask.JSON(p))
		return len(p), err
	case strings.HasPrefix(ct, "text/html"):
		_, err := m.ResponseWriter.Write(m.mask.HTML(p))
		return len(p), err
	}
	return m.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (m *maskWriter) Unwrap() http.ResponseWriter { return m.ResponseWriter }

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
		if s := fmt.Sprint(v.Any()); m.Text(s) != s {
			return slog.String(a.Key, m.Text(s))
		}
	}
	return a
}
