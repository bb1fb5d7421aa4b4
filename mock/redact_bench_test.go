package mock_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// BenchmarkControlMasked reads a page of 100 journal entries (JSON) and the
// dashboard's view (HTML) of a sandbox that made 100 payouts, with the
// scenario's secrets masked: "clean" when no value holds a secret, "secret"
// when one order id is the payout secret (with the salt of one request).
func BenchmarkControlMasked(b *testing.B) {
	for _, c := range []struct{ name, order string }{{"clean", "b-0"}, {"secret", "test_secret_key"}} {
		sc := payoutScenario(b, post)
		sc.Merchants[0].Balance = 99_999_999
		s, _ := newServer(b, sc)
		h := s.Handler()
		makePayout(b, h, c.order)
		for i := 1; i < 100; i++ {
			makePayout(b, h, "b-"+strconv.Itoa(i))
		}
		for _, path := range []string{"/_mock/requests?limit=100", "/_mock/ui/view"} {
			b.Run(c.name+path[len("/_mock"):], func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					w := httptest.NewRecorder()
					h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
					if w.Code != 200 {
						b.Fatal(w.Body.String())
					}
				}
			})
		}
	}
}
