package control

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock/redact"
)

// TestRepliesMaskTheScenarioServed: every JSON reply and page is masked by
// the Redactor Options.Redact gives when it is written, so a scenario
// swapped in masks its own secrets from the next reply on.
func TestRepliesMaskTheScenarioServed(t *testing.T) {
	const first, second = `order"<secret>+1`, "second-secret"
	b := newFakeOrder(first + " / " + second)
	var current atomic.Pointer[redact.Redactor]
	current.Store(redact.New(first))
	h := New(b.sb, Options{Redact: current.Load})
	get := func(path string) string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Body.String()
	}
	for _, path := range []string{"/_mock/payouts", "/_mock/payouts/77", "/_mock/ui", "/_mock/ui/view", "/_mock/nothing-" + first} {
		out := get(path)
		if !strings.Contains(out, "secret:16 chars") {
			t.Errorf("%s does not show the mask:\n%.600s", path, out)
		}
		for _, form := range []string{first, `order\"<secret>+1`, `order\"\u003csecret\u003e\u002b1`, "order&#34;&lt;secret&gt;&#43;1", "order&#34;&lt;secret&gt;+1"} {
			if strings.Contains(out, form) {
				t.Errorf("%s shows the secret as %q:\n%.600s", path, form, out)
			}
		}
		if !strings.Contains(out, second) && path != "/_mock/nothing-"+first {
			t.Errorf("%s masks what is no secret of the scenario:\n%.600s", path, out)
		}
	}
	current.Store(redact.New(second))
	if out := get("/_mock/payouts"); strings.Contains(out, second) || !strings.Contains(out, "<secret:13 chars>") {
		t.Errorf("after the swap the reply shows the new scenario's secret:\n%s", out)
	}
}

// TestRedactorFoundThroughWrappers: a writer that wraps the guard's (and
// unwraps to it) still carries the Redactor; without one nothing is masked.
func TestRedactorFoundThroughWrappers(t *testing.T) {
	r := redact.New("test_secret_key")
	rec := httptest.NewRecorder()
	writeJSON(&wrapped{&redactWriter{ResponseWriter: rec, current: func() *redact.Redactor { return r }}}, http.StatusOK, ErrorReply{Error: "x-test_secret_key"})
	if out := rec.Body.String(); !strings.Contains(out, "x-<secret:15 chars>") {
		t.Errorf("got %s, want the secret masked", out)
	}
	rec = httptest.NewRecorder()
	writeJSON(rec, http.StatusOK, ErrorReply{Error: "x-test_secret_key"})
	if out := rec.Body.String(); !strings.Contains(out, "x-test_secret_key") {
		t.Errorf("got %s with no Redactor, want the text as it is", out)
	}
}

type wrapped struct{ http.ResponseWriter }

func (w *wrapped) Unwrap() http.ResponseWriter { return w.ResponseWriter }
