package mock_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
)

// postJSON posts body to target and returns the HTTP status and the reply.
func postJSON(t *testing.T, target, body string) (int, []byte) {
	t.Helper()
	res, err := http.Post(target, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, data
}

// getBody returns the body of a GET that must answer 200.
func getBody(t *testing.T, target string) []byte {
	t.Helper()
	res, err := http.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: HTTP %d %s", target, res.StatusCode, data)
	}
	return data
}

// untilRefused repeats a control request up to limit times, until it is
// refused, and returns how many were served and the refusal.
func untilRefused(t *testing.T, target, body string, limit int, bodyOf func(i int) string) (int, int, []byte) {
	t.Helper()
	for i := range limit {
		if bodyOf != nil {
			body = bodyOf(i)
		}
		if code, data := postJSON(t, target, body); code != 200 {
			return i, code, data
		}
	}
	return limit, 200, nil
}

// wantConflict fails t unless a refusal is a 409 whose JSON error has
// the code conflict and says words.
func wantConflict(t *testing.T, what string, code int, data []byte, words string) {
	t.Helper()
	var e struct{ Error, Code string }
	if code != http.StatusConflict || json.Unmarshal(data, &e) != nil || e.Code != "conflict" || !strings.Contains(e.Error, words) {
		t.Errorf("%s: got HTTP %d %s, want 409 with code conflict saying %q", what, code, data, words)
	}
}

// Forcing and resending a payment again and again through the control
// API does not grow it without bound: its timeline stops at
// ledger.MaxSteps steps and its resent result notifies at
// notify.MaxResends, each refusal a 409 that says why, and what
// GET /_mock/payments/{id} answers stays the same size after.
func TestPaymentForceAndResendAreBounded(t *testing.T) {
	const steps, resends = ledger.MaxSteps, notify.MaxResends
	_, _, base := payServer(t)
	sh := newCarefulShop(t)
	id := initPayment(t, base, sh, "pg_order_id", "ORD-BOUND").Value("pg_payment_id")
	// Every status in turn; the last force served (the 63rd, 62 % 4 = 2)
	// is an error, which has a result notify to resend.
	statuses := []string{"success", "revoked", "error", "incomplete"}
	// The timeline holds its new step, then one per force.
	forced, code, data := untilRefused(t, base+"/_mock/payments/"+id+"/status", "", 4*steps, func(i int) string {
		return `{"status":"` + statuses[i%len(statuses)] + `"}`
	})
	if forced != steps-1 {
		t.Errorf("forces served: got %d, want %d (the new step and %d forced ones)", forced, steps-1, steps-1)
	}
	wantConflict(t, "a force past the bound", code, data, "steps")
	var p struct {
		Status        string
		Timeline      []json.RawMessage
		Notifications []json.RawMessage
	}
	if err := json.Unmarshal(getBody(t, base+"/_mock/payments/"+id), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Timeline) != steps {
		t.Errorf("timeline: got %d steps, want %d", len(p.Timeline), steps)
	}
	if p.Status == "revoked" {
		t.Fatalf("the last force left the payment revoked: nothing to resend")
	}
	resent, code, data := untilRefused(t, base+"/_mock/payments/"+id+"/notify", "", 4*resends, nil)
	if resent != resends {
		t.Errorf("resends served: got %d, want %d", resent, resends)
	}
	wantConflict(t, "a resend past the bound", code, data, "resent")
	size := len(getBody(t, base+"/_mock/payments/"+id))
	code, data = postJSON(t, base+"/_mock/payments/"+id+"/status", `{"status":"success"}`)
	wantConflict(t, "a force after the resends", code, data, "steps")
	code, data = postJSON(t, base+"/_mock/payments/"+id+"/notify", "")
	wantConflict(t, "one more resend", code, data, "resent")
	if again := len(getBody(t, base+"/_mock/payments/"+id)); again != size {
		t.Errorf("GET /_mock/payments/%s: %d bytes after refusals, want %d as before", id, again, size)
	}
	t.Logf("GET /_mock/payments/%s after %d forces and %d resends: %d bytes", id, forced, resent, size)
}

// A payout is bounded alike: its forced steps and its resent notifies.
func TestPayoutForceAndResendAreBounded(t *testing.T) {
	const steps, resends = ledger.MaxSteps, notify.MaxResends
	_, _, base := payServer(t)
	const id = "7777777777" // in process at start (default scenario)
	target := base + "/_mock/payouts/" + id
	forced, code, data := untilRefused(t, target+"/status", "", 4*steps, func(i int) string {
		if i%2 == 0 {
			return `{"status":"success"}`
		}
		return `{"status":"error","error_code":10001}`
	})
	// At t0 only the payout's first step is past: the rest are dropped.
	if forced != steps-1 {
		t.Errorf("forces served: got %d, want %d", forced, steps-1)
	}
	wantConflict(t, "a payout force past the bound", code, data, "steps")
	resent, code, data := untilRefused(t, target+"/notify", "", 4*resends, nil)
	if resent != resends {
		t.Errorf("payout resends served: got %d, want %d", resent, resends)
	}
	wantConflict(t, "a payout resend past the bound", code, data, "resent")
	t.Logf("GET /_mock/payouts/%s after %d forces and %d resends: %d bytes", id, forced, resent, len(getBody(t, target)))
}
