package mock_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/control"
)

// TestControlErrorsCarryACode walks bad control requests: each is answered
// with a JSON error whose code a CI job can branch on, with the status
// docs/control-api.md gives.
func TestControlErrorsCarryACode(t *testing.T) {
	s := mock.RunT(t, mock.Options{StateDir: t.TempDir()}) // the real clock: advancing it is refused
	var list struct {
		Payouts []struct {
			PaymentID int64 `json:"payment_id"`
		} `json:"payouts"`
	}
	ctl(t, s, "", "GET", "/_mock/payouts", "", http.StatusOK, &list)
	if len(list.Payouts) == 0 {
		t.Fatal("the default scenario has no payouts to force")
	}
	payout := fmt.Sprintf("/_mock/payouts/%d", list.Payouts[0].PaymentID)

	for _, c := range []struct {
		name, method, path, ctype, body string
		status                          int
		code                            string
	}{
		{"unknown route", "GET", "/_mock/nope", "", "", 404, control.CodeNotFound},
		{"wrong method", "DELETE", "/_mock/clock", "", "", 405, control.CodeMethod},
		{"unknown query key", "GET", "/_mock/payouts?merchant=9970", "", "", 400, control.CodeBadRequest},
		{"query key twice", "GET", "/_mock/payouts?status=error&status=success", "", "", 400, control.CodeBadRequest},
		{"query that does not parse", "GET", "/_mock/payouts?status=%zz", "", "", 400, control.CodeBadRequest},
		{"bad filter value", "GET", "/_mock/payouts?status=done", "", "", 400, control.CodeBadRequest},
		{"cursor not given by the list", "GET", "/_mock/payouts?cursor=999999999", "", "", 400, control.CodeBadRequest},
		{"body on a route without one", "POST", "/_mock/reset", "", `{"merchant_id":"9970"}`, 400, control.CodeBadRequest},
		{"unknown merchant filter", "GET", "/_mock/notifications?merchant_id=nope", "", "", 404, control.CodeNotFound},
		{"bad payment id", "GET", "/_mock/payouts/abc", "", "", 400, control.CodeBadRequest},
		{"unknown payout", "GET", "/_mock/payouts/1", "", "", 404, control.CodeNotFound},
		{"force on an unknown payout", "POST", "/_mock/payouts/1/status", "", `{"status":"success"}`, 404, control.CodeNotFound},
		{"force with an unknown key", "POST", payout + "/status", "", `{"state":"success"}`, 400, control.CodeBadRequest},
		{"force with a bad status", "POST", payout + "/status", "", `{"status":"done"}`, 400, control.CodeBadRequest},
		{"force with a form body", "POST", payout + "/status", "application/x-www-form-urlencoded", "status=success", 415, control.CodeMediaType},
		{"resend of an unknown payout", "POST", "/_mock/payouts/1/notify", "", "", 404, control.CodeNotFound},
		{"advance the real clock", "POST", "/_mock/clock/advance?by=1m", "", "", 409, control.CodeConflict},
		{"advance by nothing", "POST", "/_mock/clock/advance", "", "", 400, control.CodeBadRequest},
		{"advance by a bad duration", "POST", "/_mock/clock/advance?by=soon", "", "", 400, control.CodeBadRequest},
		{"reset of an unknown merchant", "POST", "/_mock/reset?merchant_id=nope", "", "", 404, control.CodeNotFound},
		{"invalid scenario", "PUT", "/_mock/scenario", "application/toml", "name = 1", 422, control.CodeInvalid},
		{"scenario as JSON", "PUT", "/_mock/scenario", "application/json", "{}", 415, control.CodeMediaType},
		{"cross-site page", "GET", "/_mock/clock", "", "", 403, control.CodeCrossOrigin},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, s.URL()+c.path, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if c.ctype != "" {
				req.Header.Set("Content-Type", c.ctype)
			}
			if c.code == control.CodeCrossOrigin {
				req.Header.Set("Sec-Fetch-Site", "cross-site")
			}
			got, body := errorOf(t, req)
			if got.status != c.status || got.Code != c.code {
				t.Errorf("%s %s: got %d %q, want %d %q; body %s", c.method, c.path, got.status, got.Code, c.status, c.code, body)
			}
			if got.Error == "" {
				t.Errorf("%s %s: no error text: %s", c.method, c.path, body)
			}
		})
	}

	// A change the state file does not hold is told apart from a refusal.
	mock.FailSaves(s, errors.New("disk full"))
	t.Cleanup(func() { mock.FailSaves(s, nil) })
	req, _ := http.NewRequest("POST", s.URL()+"/_mock/reset?merchant_id=9970", nil)
	if got, body := errorOf(t, req); got.status != 503 || got.Code != control.CodeNotSaved {
		t.Errorf("reset with saves failing: got %d %q, want 503 %q; body %s", got.status, got.Code, control.CodeNotSaved, body)
	}
}

type answeredError struct {
	status int
	control.ErrorReply
}

// errorOf sends req and reads the JSON error it is answered with.
func errorOf(t *testing.T, req *http.Request) (answeredError, string) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q, want application/json; body %s", req.Method, req.URL.Path, ct, data)
	}
	e := answeredError{status: res.StatusCode}
	if err := json.Unmarshal(data, &e.ErrorReply); err != nil {
		t.Errorf("%s %s: body is not JSON: %v; body %s", req.Method, req.URL.Path, err, data)
	}
	return e, string(data)
}

// TestEveryFailureCarriesACode: an await that times out and a readiness
// probe of a sandbox not yet serving answer their own body with a status
// of failure, and that body carries "error" and "code" as every failure's
// does.
func TestEveryFailureCarriesACode(t *testing.T) {
	s := mock.RunT(t, mock.Options{ClockMode: "manual"})
	res, err := http.Get(s.URL() + "/_mock/await?order_id=12345&status=error&timeout=1ms")
	if err != nil {
		t.Fatal(err)
	}
	var await struct {
		OK          bool
		Message     string
		Error, Code string
	}
	_ = json.NewDecoder(res.Body).Decode(&await)
	res.Body.Close()
	if res.StatusCode != http.StatusRequestTimeout || await.Code != "timeout" || await.Error == "" || await.Message == "" || await.OK {
		t.Errorf("await timed out: HTTP %d %+v, want 408 with the verdict, an error and the code timeout", res.StatusCode, await)
	}

	idle, err := mock.New(mock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	rec := httptest.NewRecorder()
	idle.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "http://localhost/_mock/ready", nil))
	var ready struct {
		Ready       bool
		Reason      string
		Error, Code string
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &ready)
	if rec.Code != http.StatusServiceUnavailable || ready.Code != "not_ready" || ready.Error != "not started" || ready.Ready {
		t.Errorf("ready before start: HTTP %d %s, want 503 with the code not_ready", rec.Code, rec.Body)
	}
}
