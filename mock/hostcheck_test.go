package mock_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

const rebind = "rebind.attacker.example:18700"

// hostDo sends a request for host to the server's handler.
func hostDo(s *mock.Server, method, host, path, body string, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Host = host
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	return w
}

// pageFormToken reads the dashboard's form token as a page on host would.
func pageFormToken(t *testing.T, s *mock.Server, host string) (string, int) {
	t.Helper()
	rec := hostDo(s, http.MethodGet, host, "/_mock/ui", "")
	_, after, ok := strings.Cut(rec.Body.String(), `name="form_token" value="`)
	if !ok {
		return "", rec.Code
	}
	tok, _, _ := strings.Cut(after, `"`)
	return tok, rec.Code
}

const swapped = `name = "swapped by a web page"
[[merchants]]
id = "9970"
payout_secret_key = "test_secret_key"
`

// TestDNSRebindingIsRefused: a web page on a public name re-pointed at the
// sandbox (rebind.attacker.example → 127.0.0.1) is "same-origin" for the
// browser. Without an admin token it can neither read the dashboard's
// form token, nor force a payout's status with a form, nor swap the
// scenario; the same requests for the names the sandbox is reached by
// locally and in compose still work.
func TestDNSRebindingIsRefused(t *testing.T) {
	s := mock.RunT(t, mock.Options{ClockMode: "manual"})
	if r := call(t, s, "/g2g/p2p2nonreg", "pg_order_id", "R-1", "pg_amount", "100", "pg_description", "Payout",
		"pg_payment_to", "4405645000006150", "pg_post_link", "http://127.0.0.1:9/p"); r.get("pg_status") != "ok" {
		t.Fatalf("payout: %v", r.fields)
	}
	p, _ := mock.PayoutByOrder(s, "9970", "R-1")
	id := p.PaymentID
	browser := []string{"Origin", "http://" + rebind, "Sec-Fetch-Site", "same-origin"}

	if tok, code := pageFormToken(t, s, rebind); code != http.StatusForbidden || tok != "" {
		t.Errorf("the dashboard for Host %s: HTTP %d, form token %q, want 403 and no token", rebind, code, tok)
	}
	// Even with a token taken from a page the developer opened.
	tok, code := pageFormToken(t, s, "127.0.0.1:18700")
	if code != http.StatusOK || tok == "" {
		t.Fatalf("the dashboard for Host 127.0.0.1:18700: HTTP %d, want 200 with a form token", code)
	}
	form := "status=error&error_code=10001&form_token=" + tok
	path := "/_mock/ui/payouts/" + strconv.FormatInt(id, 10) + "/status"
	rec := hostDo(s, http.MethodPost, rebind, path, form, append(browser, "Content-Type", "application/x-www-form-urlencoded")...)
	if rec.Code != http.StatusForbidden {
		t.Errorf("the status form for Host %s: HTTP %d, want 403", rebind, rec.Code)
	}
	if p, _ := mock.PayoutByOrder(s, "9970", "R-1"); len(p.Timeline) != 0 && p.Timeline[len(p.Timeline)-1].ErrorCode == 10001 {
		t.Errorf("the refused form forced the payout: %+v", p.Timeline)
	}
	rec = hostDo(s, http.MethodPut, rebind, "/_mock/scenario", swapped, append(browser, "Content-Type", "application/toml")...)
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), `"host_not_allowed"`) || !strings.Contains(rec.Body.String(), "rebind.attacker.example") {
		t.Errorf("PUT /_mock/scenario for Host %s: HTTP %d %s, want 403 host_not_allowed naming the host", rebind, rec.Code, rec.Body)
	}
	if got := s.Scenario().Name; got == "swapped by a web page" {
		t.Errorf("the refused PUT swapped the scenario")
	}

	// The same, from the dashboard on localhost and from a compose
	// neighbour, works.
	for _, host := range []string{"localhost:18700", "sandbox:8080"} {
		tok, code := pageFormToken(t, s, host)
		if code != http.StatusOK || tok == "" {
			t.Fatalf("the dashboard for Host %s: HTTP %d, want 200 with a form token", host, code)
		}
	}
	rec = hostDo(s, http.MethodPost, "localhost:18700", path, form, "Origin", "http://localhost:18700", "Content-Type", "application/x-www-form-urlencoded")
	if rec.Code != http.StatusSeeOther {
		t.Errorf("the status form for Host localhost:18700: HTTP %d %s, want 303", rec.Code, rec.Body)
	}
	if p, _ := mock.PayoutByOrder(s, "9970", "R-1"); p.Timeline[len(p.Timeline)-1].ErrorCode != 10001 {
		t.Errorf("the form from localhost did not force the payout: %+v", p.Timeline)
	}
	rec = hostDo(s, http.MethodPut, "sandbox:8080", "/_mock/scenario", swapped, "Content-Type", "application/toml")
	if rec.Code != http.StatusOK || s.Scenario().Name != "swapped by a web page" {
		t.Errorf("PUT /_mock/scenario for Host sandbox:8080: HTTP %d %s, want 200 and the scenario swapped", rec.Code, rec.Body)
	}
}

// TestHostCheckCoversOnlyTheControlAPI: the Host rule applies to /_mock/
// without an admin token, not to the gateway's routes nor to the demo
// merchant's post_link; --admin-token replaces it; --allowed-hosts and
// --addr's host name add names.
func TestHostCheckCoversOnlyTheControlAPI(t *testing.T) {
	open := mock.RunT(t, mock.Options{ClockMode: "manual"})
	withToken := mock.RunT(t, mock.Options{ClockMode: "manual", AdminToken: "s3cret"})
	listed, err := mock.New(mock.Options{ClockMode: "manual", AllowedHosts: "ci-runner, *.corp.example", Addr: "devbox.lab.example:0"})
	if err != nil {
		t.Fatal(err)
	}
	anyHost, err := mock.New(mock.Options{ClockMode: "manual", AllowedHosts: "*"})
	if err != nil {
		t.Fatal(err)
	}
	refused := func(rec *httptest.ResponseRecorder) bool {
		return rec.Code == http.StatusForbidden && strings.Contains(rec.Body.String(), "host_not_allowed")
	}
	for _, tc := range []struct {
		name         string
		s            *mock.Server
		method, host string
		path         string
		headers      []string
		refused      bool
	}{
		{"control API, public name", open, "GET", "rebind.attacker.example", "/_mock/health", nil, true},
		{"control API, public name with port", open, "GET", "evil.com:8080", "/_mock/payouts", nil, true},
		{"control API, 127.0.0.1", open, "GET", "127.0.0.1:18700", "/_mock/health", nil, false},
		{"control API, [::1]", open, "GET", "[::1]:18700", "/_mock/health", nil, false},
		{"control API, localhost", open, "GET", "localhost", "/_mock/health", nil, false},
		{"control API, compose service", open, "GET", "sandbox:8080", "/_mock/health", nil, false},
		{"control API, host.docker.internal", open, "GET", "host.docker.internal:8080", "/_mock/health", nil, false},
		{"control API, Kubernetes service", open, "GET", "freedompay.ci.svc.cluster.local:8080", "/_mock/health", nil, false},
		{"dashboard view, public name", open, "GET", "rebind.attacker.example", "/_mock/ui/view", nil, true},
		{"dashboard script, public name", open, "GET", "rebind.attacker.example", "/_mock/ui/app.js", nil, true},
		{"gateway, public name", open, "POST", "rebind.attacker.example", "/g2g/payout_status2", nil, false},
		{"demo merchant, public name", open, "POST", "shop.attacker.example", scenario.DemoPostLink, nil, false},
		{"with a token, public name, no token sent", withToken, "GET", "rebind.attacker.example", "/_mock/health", nil, false},
		{"with a token, public name, token sent", withToken, "GET", "rebind.attacker.example", "/_mock/health", []string{"Authorization", "Bearer s3cret"}, false},
		{"--allowed-hosts name", listed, "GET", "ci-runner:8080", "/_mock/health", nil, false},
		{"--allowed-hosts glob", listed, "GET", "build-7.corp.example:8080", "/_mock/health", nil, false},
		{"--allowed-hosts glob, not its parent", listed, "GET", "corp.example", "/_mock/health", nil, true},
		{"--addr's host", listed, "GET", "devbox.lab.example:8080", "/_mock/health", nil, false},
		{"--allowed-hosts elsewhere", listed, "GET", "rebind.attacker.example", "/_mock/health", nil, true},
		{"--allowed-hosts *", anyHost, "GET", "rebind.attacker.example", "/_mock/health", nil, false},
	} {
		rec := hostDo(tc.s, tc.method, tc.host, tc.path, "", tc.headers...)
		if got := refused(rec); got != tc.refused {
			t.Errorf("%s: %s %s for Host %s: HTTP %d %.300s; want refused=%v", tc.name, tc.method, tc.path, tc.host, rec.Code, rec.Body, tc.refused)
		}
	}
	if rec := hostDo(withToken, "GET", "rebind.attacker.example", "/_mock/health", ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("with a token, a public name without the token: HTTP %d, want 401 (the token guards)", rec.Code)
	}
}

// TestAllowedHostsIsChecked: a value that is not a list of names is an
// error at start, naming the flag.
func TestAllowedHostsIsChecked(t *testing.T) {
	_, err := mock.New(mock.Options{AllowedHosts: "http://ci-runner:8080"})
	if err == nil || !strings.Contains(err.Error(), "--allowed-hosts") {
		t.Errorf("AllowedHosts http://ci-runner:8080: %v, want an error naming --allowed-hosts", err)
	}
}
