package control

import (
	"net/http"

	"github.com/freedompay-mock/freedompay-mock/mock/redact"
)

// The control API never shows the scenario's secrets: writeJSON and the
// dashboard's pages mask the value they are about to encode (JSON) or
// execute (html/template) with the scenario's Redactor, which the guard
// of every route hands them on the ResponseWriter. Masking values, not the
// bytes written, no escape of JSON or HTML can hide a secret or split a
// mask.

// redactWriter carries the Redactor of the scenario served to what writes
// a control reply.
type redactWriter struct {
	http.ResponseWriter
	current func() *redact.Redactor
}

// Unwrap lets http.ResponseController reach the connection.
func (w *redactWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withRedactor hands next's replies the Redactor current gives; with no
// current, next as it is.
func withRedactor(current func() *redact.Redactor, next http.Handler) http.Handler {
	if current == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&redactWriter{ResponseWriter: w, current: current}, r)
	})
}

// redactorOf is the Redactor of the scenario served now, found on w or a
// writer it wraps; nil (no secret to mask) when there is none.
func redactorOf(w http.ResponseWriter) *redact.Redactor {
	for {
		switch x := w.(type) {
		case *redactWriter:
			return x.current()
		case interface{ Unwrap() http.ResponseWriter }:
			w = x.Unwrap()
		default:
			return nil
		}
	}
}
