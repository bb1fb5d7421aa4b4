package mock_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock"
)

// A request's log line quotes a bounded part of it: a 900 KB field with a
// wrong signature (the journal keeps the whole explanation) makes a few
// kilobytes of log, not megabytes, whatever the bytes (a DEL is logged as
// four).
func TestBadSignatureLogIsBounded(t *testing.T) {
	logs := &syncBuffer{mu: make(chan struct{}, 1)}
	s := mock.RunT(t, mock.Options{ClockMode: "manual", Logger: slog.New(slog.NewTextHandler(logs, nil))})
	body := "pg_merchant_id=9970&pg_salt=s&pg_sig=abc&pg_order_id=" + strings.Repeat("%7F", 300<<10)
	r := httptest.NewRequest(http.MethodPost, "/g2g/reg2reg/"+strings.Repeat("p", 64<<10), strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	s.Handler().ServeHTTP(httptest.NewRecorder(), r)
	r = httptest.NewRequest(http.MethodPost, "/g2g/reg2reg", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	s.Handler().ServeHTTP(httptest.NewRecorder(), r)
	if n := len(logs.String()); n > 16<<10 {
		t.Errorf("two requests of 900 KB made %d bytes of log; want a few kilobytes", n)
	}
	if !strings.Contains(logs.String(), "bad signature") {
		t.Errorf("log %.500s: want the bad signature logged", logs.String())
	}
}
