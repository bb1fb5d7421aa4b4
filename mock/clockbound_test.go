package mock_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// TestClockStopsAtTheYear9999: a payout made near the end of the year
// 9999 whose next step falls after it is not reached by drain (a 400
// naming the limit, the clock where it stood), nor by an advance through
// the API or from Go.
func TestClockStopsAtTheYear9999(t *testing.T) {
	sc, err := scenario.Parse("end.toml", []byte(`
[clock]
mode = "manual"
start = 9999-12-31T20:00:00Z
[notify]
retries = []
[[merchants]]
id = "9970"
payout_secret_key = "test_secret_key"
balance = 100000
post_link = "http://127.0.0.1:9/p"
[[rules]]
match = { order_id = "E-*" }
timeline = [ { at = "0s", status = "process" }, { at = "1h", status = "success" } ]
`))
	if err != nil {
		t.Fatal(err)
	}
	s := mock.RunT(t, mock.Options{Scenario: sc})
	if _, err := s.Advance(3*time.Hour + 30*time.Minute); err != nil {
		t.Fatal(err)
	}
	if r := call(t, s, "/g2g/p2p2nonreg", "pg_order_id", "E-1", "pg_amount", "100", "pg_description", "Payout",
		"pg_payment_to", "4405645000006150", "pg_post_link", "http://127.0.0.1:9/p"); r.get("pg_status") != "ok" {
		t.Fatalf("payout: %v", r.fields)
	}
	before := s.Clock().Now()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/_mock/clock/drain", nil))
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "past the year 9999") || !strings.Contains(rec.Body.String(), "10000-01-01") {
		t.Errorf("drain towards the year 10000: HTTP %d %s, want a 400 naming the limit and the step", rec.Code, rec.Body)
	}
	if s.Clock().Now().Year() > 9999 || s.Clock().Now().Before(before) {
		t.Errorf("the clock stands at %s after the refused drain", s.Clock().Now())
	}
	if _, err := s.Advance(2 * time.Hour); !errors.Is(err, notify.ErrPastYear9999) {
		t.Errorf("Advance past the year 9999 from Go: %v, want ErrPastYear9999", err)
	}
	if s.Clock().Now().Year() > 9999 {
		t.Errorf("the clock moved to %s", s.Clock().Now())
	}
}
