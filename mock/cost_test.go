package mock_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// worstRequests are the shapes that took the gateway down: a form whose
// field name nests [a] 19 500 times with a wrong pg_sig (the explanation
// flattened it again per hypothesis), and XML, raw and in pg_xml, whose
// leaves share one long element path (flattened per leaf before the
// merchant was known).
func worstRequests() map[string]*http.Request {
	form := func(body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/g2g/payout_status2", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	var x strings.Builder
	x.WriteString("<request><pg_merchant_id>9970</pg_merchant_id><pg_salt>s</pg_salt><pg_sig>0</pg_sig>")
	for i := range 29 {
		fmt.Fprintf(&x, "<e%d%s>", i, strings.Repeat("n", 1<<10))
	}
	x.WriteString(strings.Repeat("<a/>", 900))
	for i := 28; i >= 0; i-- {
		fmt.Fprintf(&x, "</e%d%s>", i, strings.Repeat("n", 1<<10))
	}
	x.WriteString("</request>")
	raw := httptest.NewRequest(http.MethodPost, "/g2g/payout_status2", strings.NewReader(x.String()))
	raw.Header.Set("Content-Type", "application/xml")
	return map[string]*http.Request{
		"form nesting [a] 19 500 times": form("pg_merchant_id=9970&pg_salt=s&pg_sig=0&pg_x" + strings.Repeat("[a]", 19500) + "=1"),
		"form nesting 64 levels, wrong pg_sig": form("pg_merchant_id=9970&pg_salt=s&pg_sig=0&pg_order_id=1&pg_x" +
			strings.Repeat("["+strings.Repeat("k", 15000)+"]", 64) + "=1"),
		"raw XML leaves under a 29 KiB path": raw,
		"pg_xml leaves under a 29 KiB path":  form("pg_xml=" + url.QueryEscape(x.String())),
	}
}

// TestWorstRequestsAreCheapAndAnswered: each worst shape gets FreedomPay's
// error at a cost of a few megabytes, and the gateway serves the next
// request.
func TestWorstRequestsAreCheapAndAnswered(t *testing.T) {
	s, err := mock.New(mock.Options{ClockMode: "manual"})
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range worstRequests() {
		t.Run(name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			s.Handler().ServeHTTP(rec, r)
			runtime.ReadMemStats(&after)
			allocated := after.TotalAlloc - before.TotalAlloc
			body := rec.Body.String()
			t.Logf("%.1f MB allocated; %s", float64(allocated)/1e6, body)
			if !strings.Contains(body, "<pg_error_code>") {
				t.Errorf("answer %q, want FreedomPay's error", body)
			}
			if allocated > 50<<20 {
				t.Errorf("allocated %.1f MB, want at most 50 MB", float64(allocated)/1e6)
			}
		})
	}
	body := wire.EncodeForm(signed("payout_status2", "test_secret_key", "pg_merchant_id", "9970", "pg_order_id", "none"))
	r := httptest.NewRequest(http.MethodPost, "/g2g/payout_status2", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, r)
	if !strings.Contains(rec.Body.String(), "<pg_sig>") {
		t.Errorf("a good request after them: %s, want a signed answer", rec.Body)
	}
}

// BenchmarkWorstRequests reports bytes and allocations per worst-case
// request through the whole handler, journal included.
func BenchmarkWorstRequests(b *testing.B) {
	s, err := mock.New(mock.Options{ClockMode: "manual"})
	if err != nil {
		b.Fatal(err)
	}
	for name, r := range worstRequests() {
		body := readAll(b, r)
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				req := httptest.NewRequest(r.Method, r.URL.String(), strings.NewReader(body))
				req.Header = r.Header
				s.Handler().ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}

func readAll(b *testing.B, r *http.Request) string {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		b.Fatal(err)
	}
	return string(data)
}
