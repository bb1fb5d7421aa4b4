package control

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHostAllowed(t *testing.T) {
	listed := []string{"ci-runner", "*.corp.example"}
	for _, tc := range []struct {
		host  string
		globs []string
		want  bool
	}{
		{"127.0.0.1:18700", nil, true},
		{"127.0.0.1", nil, true},
		{"10.1.2.3:8080", nil, true},
		{"[::1]:8080", nil, true},
		{"[::1]", nil, true},
		{"[fe80::1%25eth0]:8080", nil, true},
		{"", nil, true},
		{"localhost:8080", nil, true},
		{"LOCALHOST", nil, true},
		{"localhost.:8080", nil, true},
		{"app.localhost:8080", nil, true},
		{"sandbox:8080", nil, true},
		{"freedompay", nil, true},
		{"host.docker.internal:8080", nil, true},
		{"db.internal", nil, true},
		{"printer.local", nil, true},
		{"nas.lan", nil, true},
		{"router.home.arpa", nil, true},
		{"sandbox.test", nil, true},
		{"box.localdomain", nil, true},
		{"freedompay.ci.svc", nil, true},
		{"freedompay.ci.svc.cluster.local:8080", nil, true},
		{"example.com", nil, true}, // Go's httptest.NewRequest; only IANA answers for it
		{"www.example.org", nil, true},

		{"rebind.attacker.example:18700", nil, false},
		{"attacker.com", nil, false},
		{"sandbox.:8080", nil, false}, // a top-level domain, not a service name
		{"localhost.attacker.com", nil, false},
		{"internal.attacker.com", nil, false},
		{"test", nil, true}, // a single label
		{".test", nil, false},
		{"notexample.com", nil, false},
		{"example.com.attacker.net", nil, false},

		{"ci-runner:8080", listed, true},
		{"CI-Runner", listed, true},
		{"build-7.corp.example:8080", listed, true},
		{"a.b.corp.example", listed, true},
		{"corp.example", listed, false},
		{"corp.example.attacker.com", listed, false},
		{"rebind.attacker.example", []string{"*"}, true},
	} {
		if got := HostAllowed(tc.host, tc.globs); got != tc.want {
			t.Errorf("HostAllowed(%q, %q) = %v, want %v", tc.host, tc.globs, got, tc.want)
		}
	}
}

func TestParseAllowedHosts(t *testing.T) {
	got, err := ParseAllowedHosts(" CI-Runner, *.corp.example., ,ci-runner, 192.168.1.10, [::1]")
	if err != nil || strings.Join(got, ",") != "ci-runner,*.corp.example" {
		t.Errorf("got %q, %v; want [ci-runner *.corp.example]", got, err)
	}
	if got, err := ParseAllowedHosts(""); got != nil || err != nil {
		t.Errorf("empty: got %q, %v; want nil", got, err)
	}
	for _, bad := range []string{"http://ci-runner", "ci-runner:8080", "a b", "host/path"} {
		if _, err := ParseAllowedHosts(bad); err == nil || !strings.Contains(err.Error(), "--allowed-hosts") {
			t.Errorf("ParseAllowedHosts(%q): %v, want an error naming --allowed-hosts", bad, err)
		}
	}
}

// The refusal says which Host, why, and how to allow it: JSON on the
// API, a page on the dashboard's page. With a token, or with "*", there
// is no Host check.
func TestHostRefusal(t *testing.T) {
	h := New(newFake().sb, Options{})
	for _, path := range []string{"/_mock/health", "/_mock/ui/view", "/_mock/ui/clock/advance", "/_mock/nowhere"} {
		rec := doHost(h, "GET", path, "rebind.attacker.example:18700")
		body := rec.Body.String()
		if rec.Code != http.StatusForbidden || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") || !strings.Contains(body, `"code": "host_not_allowed"`) {
			t.Errorf("GET %s: HTTP %d %s %s, want 403 JSON host_not_allowed", path, rec.Code, rec.Header().Get("Content-Type"), body)
		}
		for _, want := range []string{"rebind.attacker.example:18700", "DNS rebinding", "--allowed-hosts rebind.attacker.example", "FREEDOMPAY_MOCK_ALLOWED_HOSTS", "--admin-token"} {
			if !strings.Contains(body, want) {
				t.Errorf("GET %s: the refusal does not say %q: %s", path, want, body)
			}
		}
	}
	rec := doHost(h, "GET", "/_mock/ui", "rebind.attacker.example:18700")
	if body := rec.Body.String(); rec.Code != http.StatusForbidden || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") ||
		!strings.Contains(body, "DNS rebinding") || strings.Contains(body, "form_token") {
		t.Errorf("the dashboard's page: HTTP %d %s, want a 403 page saying why, without a form token:\n%s", rec.Code, rec.Header().Get("Content-Type"), body)
	}
	if rec := doHost(h, "GET", "/_mock/health", "sandbox:8080"); rec.Code != http.StatusOK {
		t.Errorf("Host sandbox:8080: HTTP %d, want 200", rec.Code)
	}
	if rec := doHost(New(newFake().sb, Options{Token: "t"}), "GET", "/_mock/health", "rebind.attacker.example", "Authorization", "Bearer t"); rec.Code != http.StatusOK {
		t.Errorf("with a token: HTTP %d, want 200 (the token guards, not the Host)", rec.Code)
	}
	if rec := doHost(New(newFake().sb, Options{AllowedHosts: []string{"*"}}), "GET", "/_mock/health", "rebind.attacker.example"); rec.Code != http.StatusOK {
		t.Errorf("--allowed-hosts *: HTTP %d, want 200", rec.Code)
	}
}

// doHost is do for a request whose Host header is host.
func doHost(h http.Handler, method, path, host string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	req.Host = host
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func FuzzHostAllowed(f *testing.F) {
	for _, s := range [][2]string{{"127.0.0.1:8080", ""}, {"[::1]:80", ""}, {"sandbox:8080", "*.corp.example"}, {"a.corp.example", "*.corp.example,ci"},
		{"rebind.attacker.example:1", "*"}, {"x.", "x*"}, {"[", "**.*"}, {"localhost.", ""}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, host, list string) {
		globs, err := ParseAllowedHosts(list)
		if err != nil {
			return
		}
		for _, g := range globs {
			if g == "" || g != strings.ToLower(g) || strings.ContainsAny(g, ", :/") {
				t.Fatalf("ParseAllowedHosts(%q) gave the glob %q", list, g)
			}
		}
		got := HostAllowed(host, globs)
		if isASCII(host) && HostAllowed(strings.ToUpper(host), globs) != got {
			t.Errorf("HostAllowed(%q) and of its upper case differ", host)
		}
		if !HostAllowed(host, append(globs, "*")) {
			t.Errorf("HostAllowed(%q, %q + *) = false", host, globs)
		}
		if got && !HostAllowed(host, append(globs, "other.example")) {
			t.Errorf("adding a glob refused %q", host)
		}
		if !got && HostAllowed(host, nil) {
			t.Errorf("%q is allowed with no globs but not with %q", host, globs)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
