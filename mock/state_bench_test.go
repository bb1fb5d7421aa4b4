package mock_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// BenchmarkCreateWithState makes one payout per request with --state, on a
// sandbox that already holds n payouts: each create is on disk (appended
// to the log and synced) before its reply. What it costs should not grow
// with n; the log's compactions, when it outgrows the state, are counted
// in.
func BenchmarkCreateWithState(b *testing.B) {
	for _, n := range []int{10, 100_000} {
		b.Run("payouts="+strconv.Itoa(n), func(b *testing.B) {
			var text strings.Builder
			text.WriteString("[[merchants]]\nid = 9970\npayout_secret_key = \"test_secret_key\"\nbalance = 99999999\npost_link = \"http://127.0.0.1:9/hook\"\n")
			for i := range n {
				fmt.Fprintf(&text, "[[payouts]]\nmerchant_id = 9970\norder_id = \"s-%d\"\namount = 1\ntimeline = [ { at = \"0s\", status = \"process\" }, { at = \"%dh\", status = \"success\" } ]\n", i, 1+i%1000)
			}
			sc, err := scenario.Parse("state.toml", []byte(text.String()))
			if err != nil {
				b.Fatal(err)
			}
			s, err := mock.Run(mock.Options{Scenario: sc, Clock: clock.NewManual(t0), StateDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			h := s.Handler()
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				i++
				kv := append([]string{"pg_merchant_id", "9970"}, with(endpoints[0].fields("b-"+strconv.Itoa(i)), "pg_amount", "1")...)
				body := signed("p2p2nonreg", payoutSecret, kv...).Values().Encode()
				r := httptest.NewRequest(http.MethodPost, "/g2g/p2p2nonreg", strings.NewReader(body))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if !strings.Contains(w.Body.String(), "<pg_status>ok</pg_status>") {
					b.Fatal(w.Body.String())
				}
			}
		})
	}
}
