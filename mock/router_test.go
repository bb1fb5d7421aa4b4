package mock_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
)

// TestOneRouterAnswersAsBefore pins what the one router answers beside
// the routes themselves: the gateway's FreedomPay-format errors for
// unknown paths and wrong methods (405 naming what to send), the control
// API's JSON ones under /_mock behind its token, the demo merchant's
// public route under /_mock, and a path such as /_mockx, which is the
// gateway's.
func TestOneRouterAnswersAsBefore(t *testing.T) {
	s, err := mock.New(mock.Options{AdminToken: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		method, path, token string
		code                int
		ctype, body         string
	}{
		{"GET", "/nope", "", 404, "application/xml; charset=utf-8", "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<response><pg_status>error</pg_status><pg_error_code>9403</pg_error_code><pg_error_description>Unknown path /nope; the sandbox serves FreedomPay&#39;s payout paths under /g2g/ and /api/ and its payment paths (init_payment.php, get_status3.php, …; see docs/gateway.md)</pg_error_description></response>"},
		{"POST", "/g2g/p2p2nonregg", "", 404, "application/xml; charset=utf-8", "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<response><pg_status>error</pg_status><pg_error_code>9403</pg_error_code><pg_error_description>Unknown path /g2g/p2p2nonregg; the sandbox serves FreedomPay&#39;s payout paths under /g2g/ and /api/ and its payment paths (init_payment.php, get_status3.php, …; see docs/gateway.md)</pg_error_description></response>"},
		{"PUT", "/g2g/payout_status2", "", 405, "application/xml; charset=utf-8", "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<response><pg_status>error</pg_status><pg_error_code>9403</pg_error_code><pg_error_description>Method PUT is not allowed on /g2g/payout_status2; send POST (or GET with a query string)</pg_error_description></response>"},
		{"HEAD", "/api/iban_payout", "", 405, "application/xml; charset=utf-8", "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<response><pg_status>error</pg_status><pg_error_code>9403</pg_error_code><pg_error_description>Method HEAD is not allowed on /api/iban_payout; send POST (or GET with a query string)</pg_error_description></response>"},
		{"DELETE", "/payout/abc", "", 405, "application/xml; charset=utf-8", "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<response><pg_status>error</pg_status><pg_error_code>9403</pg_error_code><pg_error_description>Method DELETE is not allowed on /payout/abc; send GET, or POST from the page&#39;s form</pg_error_description></response>"},
		{"POST", "/status/healthcheck", "", 405, "application/xml; charset=utf-8", "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<response><pg_status>error</pg_status><pg_error_code>9403</pg_error_code><pg_error_description>Method POST is not allowed on /status/healthcheck; send GET</pg_error_description></response>"},
		{"GET", "/_mockx", "", 404, "application/xml; charset=utf-8", "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<response><pg_status>error</pg_status><pg_error_code>9403</pg_error_code><pg_error_description>Unknown path /_mockx; the sandbox serves FreedomPay&#39;s payout paths under /g2g/ and /api/ and its payment paths (init_payment.php, get_status3.php, …; see docs/gateway.md)</pg_error_description></response>"},
		{"GET", "/_mock/nope", "", 401, "application/json", "{\n  \"error\": \"the control API needs the admin token: send \\\"Authorization: Bearer <token>\\\" (--admin-token)\",\n  \"code\": \"unauthorized\"\n}"},
		{"GET", "/_mock/nope", "tok", 404, "application/json", "{\n  \"error\": \"no control route /_mock/nope; see docs/control-api.md\",\n  \"code\": \"not_found\"\n}"},
		{"DELETE", "/_mock/clock", "tok", 405, "application/json", "{\n  \"error\": \"method DELETE is not allowed on /_mock/clock\",\n  \"code\": \"method_not_allowed\"\n}"},
		{"DELETE", "/_mock/clock", "", 401, "application/json", "{\n  \"error\": \"the control API needs the admin token: send \\\"Authorization: Bearer <token>\\\" (--admin-token)\",\n  \"code\": \"unauthorized\"\n}"},
		{"GET", "/_mock", "tok", 404, "application/json", "{\n  \"error\": \"no control route /_mock; see docs/control-api.md\",\n  \"code\": \"not_found\"\n}"},
		{"GET", "/_mock/demo/merchant", "", 405, "text/plain; charset=utf-8", "the demo merchant takes payout notifies: POST them here"},
		{"GET", "/payout/abc", "", 404, "text/plain; charset=utf-8", "No payout has this page. Payout pages come from the pg_redirect_url of /api/reg2nonreg."},
		{"GET", "//g2g/../g2g/nope", "", 404, "application/xml; charset=utf-8", "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<response><pg_status>error</pg_status><pg_error_code>9403</pg_error_code><pg_error_description>Unknown path /g2g/nope; the sandbox serves FreedomPay&#39;s payout paths under /g2g/ and /api/ and its payment paths (init_payment.php, get_status3.php, …; see docs/gateway.md)</pg_error_description></response>"},
		{"GET", "/_mock/ui/nope", "", 404, "application/json", "{\n  \"error\": \"no control route /_mock/ui/nope; see docs/control-api.md\",\n  \"code\": \"not_found\"\n}"},
	} {
		req := httptest.NewRequest(c.method, c.path, nil)
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, req)
		if got := strings.TrimSpace(w.Body.String()); w.Code != c.code || w.Header().Get("Content-Type") != c.ctype || got != c.body {
			t.Errorf("%s %s: got %d %s %q, want %d %s %q", c.method, c.path, w.Code, w.Header().Get("Content-Type"), got, c.code, c.ctype, c.body)
		}
	}
}

// A scenario swap and a reset change what the routes answer, not the
// router: the same handler serves the new scenario's merchant, journals
// into the new run, and no longer knows the old merchant.
func TestRoutesReadTheCurrentWorld(t *testing.T) {
	s := mock.RunT(t, mock.Options{Clock: clock.NewManual(t0)})
	if r := send(t, s, "9970", payoutSecret, "/g2g/payout_status2", "pg_order_id", "12345", "pg_payment_id", "7777777777"); r.get("pg_status") != "ok" {
		t.Fatalf("before the swap: %s", r.body)
	}
	ctl(t, s, "", http.MethodPut, "/_mock/scenario", "[[merchants]]\nid = 4242\npayout_secret_key = \"other\"\nbalance = 100\n", http.StatusOK, nil)
	if r := send(t, s, "4242", "other", "/g2g/balance_status", "pg_currency", "KZT"); r.get("pg_status") != "ok" {
		t.Errorf("the swapped-in merchant's balance: %s, want ok", r.body)
	}
	if r := send(t, s, "9970", payoutSecret, "/g2g/payout_status2", "pg_order_id", "12345", "pg_payment_id", "7777777777"); r.get("pg_status") != "error" {
		t.Errorf("the swapped-out merchant: %s, want an error", r.body)
	}
	var page struct{ Entries []struct{ Path string } }
	ctl(t, s, "", http.MethodGet, "/_mock/requests?merchant_id=4242", "", http.StatusOK, &page)
	if len(page.Entries) != 1 || page.Entries[0].Path != "/g2g/balance_status" {
		t.Errorf("the new run's journal: %+v, want the one balance_status request", page.Entries)
	}
	ctl(t, s, "", http.MethodPost, "/_mock/reset", "", http.StatusOK, nil)
	ctl(t, s, "", http.MethodGet, "/_mock/requests?merchant_id=4242", "", http.StatusOK, &page)
	if len(page.Entries) != 0 {
		t.Errorf("after a reset the journal has %d requests, want 0", len(page.Entries))
	}
}
