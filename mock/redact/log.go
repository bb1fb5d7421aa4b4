package redact

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// Handler wraps next so that a record's message and attributes are
// masked, by the Redactor current returns at the time (the scenario served
// may change; current may return nil), before next sees them: a message
// and each string attribute by String (URL passwords, secrets, card
// numbers), but the attributes that hold an identifier (order_id,
// payment_id, pg_order_id, pg_payment_id, pg_sig) by Secrets only; an
// attribute of another kind (an error, say) is printed and, if that shows
// something to mask, replaced by the masked text. Attributes given to
// WithAttrs are masked then, by the Redactor of that time. A record with
// nothing to mask is passed on as it is.
func Handler(next slog.Handler, current func() *Redactor) slog.Handler {
	return &handler{next: next, current: current}
}

// Handler is [Handler] with r for every record.
func (r *Redactor) Handler(next slog.Handler) slog.Handler {
	return Handler(next, func() *Redactor { return r })
}

type handler struct {
	next    slog.Handler
	current func() *Redactor
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, rec slog.Record) error {
	r := h.current()
	msg := r.String(rec.Message)
	changed := msg != rec.Message
	if !changed {
		rec.Attrs(func(a slog.Attr) bool {
			_, changed = r.attr(a)
			return !changed
		})
	}
	if !changed {
		return h.next.Handle(ctx, rec)
	}
	out := slog.NewRecord(rec.Time, rec.Level, msg, rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		a, _ = r.attr(a)
		out.AddAttrs(a)
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	r := h.current()
	masked := make([]slog.Attr, len(as))
	for i, a := range as {
		masked[i], _ = r.attr(a)
	}
	return &handler{next: h.next.WithAttrs(masked), current: h.current}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{next: h.next.WithGroup(name), current: h.current}
}

// attr masks a log attribute, and says whether anything was.
func (r *Redactor) attr(a slog.Attr) (slog.Attr, bool) {
	mask := r.String
	if plain(strings.ToLower(a.Key)) {
		mask = r.Secrets
	}
	switch v := a.Value.Resolve(); v.Kind() {
	case slog.KindString:
		if s := mask(v.String()); s != v.String() {
			return slog.String(a.Key, s), true
		}
	case slog.KindGroup:
		as := v.Group()
		var masked []any
		for i, g := range as {
			m, ok := r.attr(g)
			if ok && masked == nil {
				masked = make([]any, len(as))
				for j := range i {
					masked[j] = as[j]
				}
			}
			if masked != nil {
				masked[i] = m
			}
		}
		if masked != nil {
			return slog.Group(a.Key, masked...), true
		}
	case slog.KindAny:
		s := fmt.Sprint(v.Any())
		if m := mask(s); m != s {
			return slog.String(a.Key, m), true
		}
	}
	return a, false
}
