package mock_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// benchLoop sends the same signed status form through h b.N times. Beside
// wall time it reports cpu-ns/op, the process's CPU time per request
// (garbage collection on other threads included), which a busy machine
// blurs less.
func benchLoop(b *testing.B, h http.Handler) {
	body := signed("payout_status2", payoutSecret, "pg_merchant_id", "9970", "pg_order_id", "12345", "pg_payment_id", "7777777777").Values().Encode()
	b.ReportAllocs()
	cpu0 := cpuTime()
	defer func() { b.ReportMetric(float64(cpuTime()-cpu0)/float64(max(b.N, 1)), "cpu-ns/op") }()
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

// BenchmarkP2P2NonReg makes one payout per request: decode, signature and
// field checks, the ledger's order and balance checks, the timeline, the
// notify schedule and the signed reply. Each payout has its own order id.
func BenchmarkP2P2NonReg(b *testing.B) {
	sc := payoutScenario(b, post)
	sc.Merchants[0].Balance = 99_999_999 // room for every payout of the run
	s, _ := newServer(b, sc)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		makePayout(b, s.Handler(), "b-"+strconv.Itoa(i))
	}
}

// makePayout makes a payout of 1.00 of merchant 9970 with an order id
// through h, and fails b unless it is made.
func makePayout(b *testing.B, h http.Handler, order string) {
	kv := append([]string{"pg_merchant_id", "9970"}, with(endpoints[0].fields(order), "pg_amount", "1")...)
	body := signed("p2p2nonreg", payoutSecret, kv...).Values().Encode()
	r := httptest.NewRequest(http.MethodPost, "/g2g/p2p2nonreg", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if !strings.Contains(w.Body.String(), "<pg_status>ok</pg_status>") {
		b.Fatal(w.Body.String())
	}
}
