package mock_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
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
		a, err := attempted(s.Advance(0))
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
		if a, err := attempted(s.Advance(0)); err != nil || len(a) != n {
			b.Fatalf("%d attempts, %v", len(a), err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/pending")
		runtime.KeepAlive(s)
	}
}

// BenchmarkLoad100k loads a scenario file of 100 000 payouts with two-step
// timelines: parse, validate and build the sandbox; it reports the heap
// each payout holds, its schedule included.
func BenchmarkLoad100k(b *testing.B) {
	const n = 100_000
	var text strings.Builder
	text.WriteString("[[merchants]]\nid = 1\npayout_secret_key = \"k\"\nbalance = 99999999\npost_link = \"http://127.0.0.1:9/hook\"\n")
	for i := range n {
		fmt.Fprintf(&text, "[[payouts]]\nmerchant_id = 1\norder_id = \"%d\"\namount = 1\ntimeline = [ { at = \"0s\", status = \"process\" }, { at = \"%dms\", status = \"success\" } ]\n", i, 1+i%100000)
	}
	data := []byte(text.String())
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		sc, err := scenario.Parse("100k.toml", data)
		if err != nil {
			b.Fatal(err)
		}
		s, err := mock.New(mock.Options{Scenario: sc, Clock: clock.NewManual(t0)})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/payout")
		runtime.KeepAlive(s)
		b.StartTimer()
	}
}

// BenchmarkRealClockLateness runs the real clock with 3 000 notifies falling
// due 1 ms apart (1 000 a second) and reports how late each first attempt
// went out after its due time: p50, p99 and the worst.
func BenchmarkRealClockLateness(b *testing.B) {
	const n, every = 3000, time.Millisecond
	var got sync.WaitGroup
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("<pg_status>ok</pg_status>"))
		got.Done()
	}))
	defer recv.Close()
	for b.Loop() {
		sc := manyPayouts(n, recv.URL+"/hooks/post")
		for i := range sc.Payouts {
			at := scenario.Duration{Duration: 300*time.Millisecond + time.Duration(i)*every}
			sc.Payouts[i].Timeline = []scenario.Step{{Status: scenario.StatusProcess}, {At: at, Status: scenario.StatusSuccess}}
		}
		sc.Clock = scenario.Clock{Mode: "real", Speed: 1}
		got.Add(n)
		s, err := mock.Run(mock.Options{Scenario: sc})
		if err != nil {
			b.Fatal(err)
		}
		got.Wait()
		var late []time.Duration
		for late == nil {
			changed := mock.Sandbox(s).Changed()
			ns := mock.AllNotifications(s)
			if len(ns) == n && len(ns[n-1].Attempts) > 0 && !slices.ContainsFunc(ns, func(x notify.Notification) bool { return len(x.Attempts) == 0 }) {
				for _, nt := range ns {
					late = append(late, nt.Attempts[0].At.Sub(nt.CreatedAt))
				}
				break
			}
			<-changed // the last attempts are being recorded
		}
		_ = s.Close()
		sort.Slice(late, func(i, j int) bool { return late[i] < late[j] })
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		b.ReportMetric(ms(late[len(late)/2]), "ms-late-p50")
		b.ReportMetric(ms(late[len(late)*99/100]), "ms-late-p99")
		b.ReportMetric(ms(late[len(late)-1]), "ms-late-max")
	}
}
