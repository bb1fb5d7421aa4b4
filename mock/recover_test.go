package mock

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/freedompay-mock/freedompay-mock/mock/control"
	"github.com/freedompay-mock/freedompay-mock/mock/gateway"
	"github.com/freedompay-mock/freedompay-mock/mock/routes"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// TestPanicAnswersInTheSurfacesFormat makes a control route and a gateway
// route panic: the control API answers its JSON error with the code
// "internal", the gateway FreedomPay's 9999 in XML, and both keep serving.
func TestPanicAnswersInTheSurfacesFormat(t *testing.T) {
	s := RunT(t, Options{})
	r := mux.NewRouter()
	r.SkipClean(true)
	gateway.Register(r, func() *gateway.Gateway { panic("gateway broke") })
	r.HandleFunc("/_mock/clock", func(http.ResponseWriter, *http.Request) { panic("clock broke") }) // before the control API's own
	control.Register(r, s.sb, control.Options{AllowedHosts: []string{"*"}})
	r.HandleFunc("/fine", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "fine") })
	srv := httptest.NewServer(s.recoverer(cleanPath(r)))
	t.Cleanup(srv.Close)

	get := func(path string) (*http.Response, string) {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, string(body)
	}

	for _, path := range []string{"/_mock/clock", "//_mock/./clock"} {
		res, body := get(path)
		if res.StatusCode != http.StatusInternalServerError {
			t.Errorf("GET %s: status %d, want 500", path, res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("GET %s: Content-Type %q, want application/json", path, ct)
		}
		var e control.ErrorReply
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			t.Fatalf("GET %s: body %q is not JSON: %v", path, body, err)
		}
		if e.Code != control.CodeInternal || e.Error == "" {
			t.Errorf("GET %s: got %+v, want code %q and a message", path, e, control.CodeInternal)
		}
		if strings.Contains(body, "clock broke") {
			t.Errorf("GET %s: body %q shows the panic, want it in the log only", path, body)
		}
	}

	res, body := get(routes.Healthcheck)
	if res.StatusCode != http.StatusInternalServerError || res.Header.Get("Content-Type") != wire.ContentType {
		t.Errorf("gateway panic: status %d, Content-Type %q, want 500 and %q", res.StatusCode, res.Header.Get("Content-Type"), wire.ContentType)
	}
	if !strings.Contains(body, "9999") {
		t.Errorf("gateway panic: body %q, want FreedomPay's error 9999", body)
	}

	if res, body := get("/fine"); res.StatusCode != http.StatusOK || body != "fine" {
		t.Errorf("after the panics: got %d %q, want 200 \"fine\"", res.StatusCode, body)
	}
}
