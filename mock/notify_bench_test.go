package mock_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// manyPayouts is a scenario of n payouts that succeed at start, calling back
// at url.
func manyPayouts(n int, url string) *scenario.Scenario {
	sc := &scenario.Scenario{
		Name: "many", File: "bench", Seed: 1,
		Gateway: scenario.Gateway{BadSignatureCode: 9998, StatusSecret: "payout", Timezone: "UTC"},
		Notify: scenario.Notify{Ack: "lenient", Encoding: "urlencoded", Timeout: scenario.Duration{Duration: 10 * time.Second},
			Retries: []scenario.Duration{{Duration: 30 * time.Minute}}},
		Merchants: []scenario.Merchant{{ID: "1", PayoutSecretKey: "k", Balance: 1e9, Currency: "KZT", PostLink: url}},
	}
	for i := range n {
		sc.Payouts = append(sc.Payouts, scenario.Payout{
			MerchantID: "1", OrderID: scenario.Text(fmt.Sprint(i)), Amount: 10,
			Timeline: []scenario.Step{{Status: scenario.StatusSuccess}},
		})
	}
	return sc
}

// BenchmarkDeliver10k delivers 10 000 due notifies to a local receiver:
// one Advance of a manual clock, which returns when all are answered.
func BenchmarkDeliver10k(b *testing.B) {
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("<pg_status>ok</pg_status>"))
	}))
	defer recv.Close()
	sc := manyPayouts(10_000, recv.URL+"/hooks/post")
	for b.Loop() {
		b.StopTimer()
		s, err := mock.New(mock.Options{Scenario: sc, Clock: clock.NewManual(t0)})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		a, err := s.Advance(0)
		if err != nil || len(a) != 10_000 || !a[9_999].Delivered {
			b.Fatalf("%d attempts, %v", len(a), err)
		}
	}
}

// BenchmarkPendingMemory measures heap per pending notify: 100 000 notifies
// whose first attempt failed (connection refused) and that wait for a retry.
func BenchmarkPendingMemory(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/hooks/post"
	ln.Close() // nothing listens there now: every attempt is refused
	const n = 100_000
	sc := manyPayouts(n, dead)
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s, err := mock.New(mock.Options{Scenario: sc, Clock: clock.NewManual(t0)})
		if err != nil {
			b.Fatal(err)
		}
		if a, err := s.Advance(0); err != nil || len(a) != n {
			b.Fatalf("%d attempts, %v", len(a), err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/pending")
		runtime.KeepAlive(s)
	}
}
