package mock_test

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// BenchmarkMemoryFlat sends b.N signed payout_status2 requests through the
// handler and reports the live heap after each half: with the journal full
// (--journal-size) it stays flat.
func BenchmarkMemoryFlat(b *testing.B) {
	s, err := mock.New(mock.Options{ClockMode: "manual", JournalSize: 1000})
	if err != nil {
		b.Fatal(err)
	}
	body := wire.EncodeForm(signed("payout_status2", "test_secret_key", "pg_merchant_id", "9970", "pg_order_id", "12345", "pg_payment_id", "7777777777"))
	heap := func() float64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return float64(m.HeapInuse) / (1 << 20)
	}
	send := func(n int) {
		for range n {
			r := httptest.NewRequest(http.MethodPost, "/g2g/payout_status2", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			s.Handler().ServeHTTP(httptest.NewRecorder(), r)
		}
	}
	send(2000) // fill the journal
	b.ResetTimer()
	send(b.N / 2)
	half := heap()
	send(b.N - b.N/2)
	b.ReportMetric(half, "MiB-heap-half")
	b.ReportMetric(heap(), "MiB-heap-end")
}
