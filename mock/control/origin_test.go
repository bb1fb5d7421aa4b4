package control

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// A browser request from another site is refused before any route runs.
func TestSameOrigin(t *testing.T) {
	ran := false
	h := sameOrigin(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran = true }))
	for _, tc := range []struct {
		origin, site string
		ok           bool
	}{
		{"", "", true}, {"http://sandbox:8080", "", true}, {"http://SANDBOX:8080", "same-origin", true}, {"", "same-site", true}, {"", "none", true},
		{"http://sandbox:9090", "", false}, {"http://evil.example", "cross-site", false}, {"null", "", false}, {"", "cross-site", false}, {"%", "", false},
	} {
		ran = false
		r := httptest.NewRequest("POST", "http://sandbox:8080/_mock/reset", nil)
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		if tc.site != "" {
			r.Header.Set("Sec-Fetch-Site", tc.site)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if ran != tc.ok || (!tc.ok && w.Code != http.StatusForbidden) {
			t.Errorf("Origin %q, Sec-Fetch-Site %q: served %v (HTTP %d), want %v", tc.origin, tc.site, ran, w.Code, tc.ok)
		}
	}
}
