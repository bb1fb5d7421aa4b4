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

// secretsOf lists the scenario's merchant secrets, longest first, so that
// a secret holding another is masked whole.
func secretsOf(sc *scenario.Scenario) []string {
	var out []string
	for _, m := range sc.Merchants {
		for _, s := range []string{m.SecretKey, m.PayoutSecretKey} {
			if s != "" && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// maskText masks every secret in s. A client may send a secret anywhere
// (as a salt, an order id, a path) and what the sandbox shows of it must
// not repeat it.
func maskText(s string, secrets []string) string {
	for _, sec := range secrets {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, sign.MaskSecret(sec))
		}
	}
	return s
}

// contains reports whether any secret is in data, in its raw, JSON-escaped
// or HTML-escaped form.
func containsAny(data []byte, secrets []string) bool {
	for _, sec := range secrets {
		for _, form := range escapedForms(sec) {
			if bytes.Contains(data, []byte(form)) {
				return true
			}
		}
	}
	return false
}

// escapedForms is a secret as it appears in text, in JSON strings and in
// HTML.
func escapedForms(sec string) []string {
	forms := []string{sec}
	if q, err := json.Marshal(sec); err == nil && string(q[1:len(q)-1]) != sec {
		forms = append(forms, string(q[1:len(q)-1]))
	}
	if h := template.HTMLEscapeString(sec); h != sec {
		forms = append(forms, h)
	}
	return forms
}

// maskJSON masks secrets inside the string literals of a JSON document,
// never in its structure.
func maskJSON(data []byte, secrets []string) []byte {
	if !containsAny(data, secrets) {
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
		for _, sec := range secrets {
			for _, form := range escapedForms(sec) {
				lit = strings.ReplaceAll(lit, form, sign.MaskSecret(sec))
			}
		}
		out = append(append(append(out, '"'), lit...), '"')
		i = end + 1
	}
	return out
}

// maskHTML masks secrets in the text and quoted attribute values of an
// HTML page that html/template wrote (where a literal '<' opens a tag).
func maskHTML(data []byte, secrets []string) []byte {
	if !containsAny(data, secrets) {
		return data
	}
	var out, run []byte
	flush := func() {
		s := string(run)
		for _, sec := range secrets {
			for _, form := range escapedForms(sec) {
				s = strings.ReplaceAll(s, form, template.HTMLEscapeString(sign.MaskSecret(sec)))
			}
		}
		out, run = append(out, s...), run[:0]
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
	secrets []string
}

func (m *maskWriter) Write(p []byte) (int, error) {
	switch ct := m.Header().Get("Content-Type"); {
	case strings.HasPrefix(ct, "application/json"):
		_, err := m.ResponseWriter.Write(maskJSON(p, m.secrets))
		return len(p), err
	case strings.HasPrefix(ct, "text/html"):
		_, err := m.ResponseWriter.Write(maskHTML(p, m.secrets))
		return len(p), err
	}
	return m.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (m *maskWriter) Unwrap() http.ResponseWriter { return m.ResponseWriter }

// maskHandler masks secrets in log records: their message and attributes.
type maskHandler struct {
	next    slog.Handler
	secrets func() []string
}

func (h *maskHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *maskHandler) Handle(ctx context.Context, r slog.Record) error {
	secrets := h.secrets()
	out := slog.NewRecord(r.Time, r.Level, maskText(r.Message, secrets), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(maskAttr(a, secrets))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *maskHandler) WithAttrs(as []slog.Attr) slog.Handler {
	secrets := h.secrets()
	masked := make([]slog.Attr, len(as))
	for i, a := range as {
		masked[i] = maskAttr(a, secrets)
	}
	return &maskHandler{next: h.next.WithAttrs(masked), secrets: h.secrets}
}

func (h *maskHandler) WithGroup(name string) slog.Handler {
	return &maskHandler{next: h.next.WithGroup(name), secrets: h.secrets}
}

func maskAttr(a slog.Attr, secrets []string) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, maskText(v.String(), secrets))
	case slog.KindGroup:
		as := v.Group()
		masked := make([]any, len(as))
		for i, g := range as {
			masked[i] = maskAttr(g, secrets)
		}
		return slog.Group(a.Key, masked...)
	case slog.KindAny:
		if s := fmt.Sprint(v.Any()); maskText(s, secrets) != s {
			return slog.String(a.Key, maskText(s, secrets))
		}
	}
	return a
}
