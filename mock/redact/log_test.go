package redact

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestHandlerMasksRecords(t *testing.T) {
	const sec = "test_secret_key"
	var buf bytes.Buffer
	r := New(sec)
	current := r
	log := slog.New(Handler(slog.NewTextHandler(&buf, nil), func() *Redactor { return current }))
	log.With("bound", "b-"+sec).Info("salt "+sec+" card 4111111111111111",
		"path", "/"+sec+"/4111 1111 1111 1111", "err", errors.New("bad "+sec),
		slog.Group("g", "inner", sec, "n", 1), "order_id", "4111111111111111", "pg_sig", sec)
	out := buf.String()
	if strings.Contains(out, sec) || strings.Contains(out, "4111 1111 1111 1111") || strings.Contains(out, "card 4111111111111111") {
		t.Errorf("the log shows a secret or a card: %s", out)
	}
	for _, want := range []string{"b-<secret:15 chars>", "salt <secret:15 chars> card 411111-XX-XXXX-1111", "/<secret:15 chars>/411111-XX-XXXX-1111",
		`err="bad <secret:15 chars>"`, `g.inner="<secret:15 chars>"`, "g.n=1", "order_id=4111111111111111", `pg_sig="<secret:15 chars>"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q: %s", want, out)
		}
	}
	// The scenario changes: the next record is masked by its secrets.
	buf.Reset()
	current = New("another-secret")
	log.Info("another-secret")
	if out := buf.String(); strings.Contains(out, "another-secret") {
		t.Errorf("after the change the log shows the new secret: %s", out)
	}
}

func TestHandlerPassesCleanRecords(t *testing.T) {
	var buf bytes.Buffer
	var r *Redactor // no scenario yet: card numbers are still masked
	log := slog.New(r.Handler(slog.NewTextHandler(&buf, nil)))
	log.Info("gateway reply", "status", "ok", "took", 3)
	log.Info("card", "to", "4111111111111111")
	if out := buf.String(); !strings.Contains(out, `msg="gateway reply" status=ok took=3`) || !strings.Contains(out, "to=411111-XX-XXXX-1111") {
		t.Errorf("log: %s", out)
	}
}
