package mock_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// benchLoop sends the same signed status form through h b.N times.
func benchLoop(b *testing.B, h http.Handler) {
	body := signed("payout_status2", payoutSecret, "pg_merchant_id", "9970", "pg_order_id", "12345", "pg_payment_id", "7777777777").Values().Encode()
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/g2g/payout_status2", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Body.String())
		}
	}
}

// BenchmarkPayoutStatus2 is one signed status request through the handler:
// decode, signature check, ledger lookup, signed XML reply.
func BenchmarkPayoutStatus2(b *testing.B) {
	s, _ := newServer(b, nil)
	benchLoop(b, s.Handler())
}

// BenchmarkBareHandler is the baseline: a net/http handler that parses the
// same form and writes a fixed XML reply, with the same request plumbing.
func BenchmarkBareHandler(b *testing.B) {
	reply := []byte(wire.Header + "<response><pg_status>ok</pg_status></response>\n")
	benchLoop(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", wire.ContentType)
		_, _ = w.Write(reply)
	}))
}
