package mock_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// TestUnsavedPayoutIsTakenBack: with --state, a payout whose save fails is
// answered 9999 and taken back — no payout, the order id free, the balance
// untouched, no notify ever — and a control change that cannot be saved is
// a 503 state_not_saved. Once the disk mends, the same order id is made.
func TestUnsavedPayoutIsTakenBack(t *testing.T) {
	m := newMerchant(t, payoutSecret, ackOK)
	dir := t.TempDir()
	s := mock.RunT(t, mock.Options{Scenario: payoutScenario(t, m.URL+"/hooks/post"), StateDir: dir})
	balance := func() string {
		return call(t, s, "/g2g/balance_status", "pg_currency", "KZT").get("pg_balance")
	}
	opening := balance()
	mock.FailSaves(s, fmt.Errorf("write %s: no space left on device", filepath.Join(dir, mock.LogFile)))

	r := call(t, s, "/g2g/p2p2nonreg", "pg_order_id", "D-1", "pg_amount", "100", "pg_description", "Payout",
		"pg_payment_to", "4405645000006150", "pg_post_link", m.URL+"/hooks/post")
	wantError(t, r, "9999")
	if d := r.get("pg_error_description"); !strings.Contains(d, "could not save") || !strings.Contains(d, dir) {
		t.Errorf("the 9999 does not say what failed: %q", d)
	}
	if _, ok := mock.PayoutByOrder(s, "9970", "D-1"); ok {
		t.Error("the payout answered 9999 is still in the ledger")
	}
	if got := balance(); got != opening {
		t.Errorf("balance %s after a payout taken back, want %s", got, opening)
	}
	// The control API says so too, and no notify of D-1 ever goes out.
	req := httptest.NewRequest(http.MethodPost, "/_mock/clock/advance", strings.NewReader(`{"by":"1h"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"state_not_saved"`) {
		t.Errorf("advance with the state unsaved: HTTP %d %s, want 503 state_not_saved", rec.Code, rec.Body)
	}
	for _, f := range m.got() {
		if f.Value("pg_order_id") == "D-1" {
			t.Errorf("a notify of the payout taken back went out: %v", f)
		}
	}

	mock.FailSaves(s, nil)
	r = call(t, s, "/g2g/p2p2nonreg", "pg_order_id", "D-1", "pg_amount", "100", "pg_description", "Payout",
		"pg_payment_to", "4405645000006150", "pg_post_link", m.URL+"/hooks/post")
	if r.get("pg_status") != "ok" {
		t.Fatalf("the same order id once the disk mends: %v", r.fields)
	}
	if _, err := s.Advance(time.Hour); err != nil {
		t.Fatal(err)
	}
	var sent int
	for _, f := range m.got() {
		if f.Value("pg_order_id") == "D-1" {
			sent++
			if !sign.Verify("post", f, payoutSecret) {
				t.Errorf("notify %v does not verify", f)
			}
		}
	}
	if sent != 1 {
		t.Errorf("%d notifies of D-1, want 1", sent)
	}
}

// TestSavedPayoutNotifiesOnARealClock: a payout held until saved is
// released to its schedule, so on a clock that moves by itself its notify
// goes out without anyone advancing.
func TestSavedPayoutNotifiesOnARealClock(t *testing.T) {
	got := make(chan sign.Fields, 4)
	m := newMerchant(t, payoutSecret, func(w http.ResponseWriter, r *http.Request, f sign.Fields) {
		ackOK(w, r, f)
		got <- f
	})
	sc, err := scenario.Parse("held.toml", []byte(`
[[merchants]]
id = "9970"
payout_secret_key = "test_secret_key"
balance = 100000
[[rules]]
match = { order_id = "R-*" }
timeline = [ { at = "0s", status = "success" } ]
`))
	if err != nil {
		t.Fatal(err)
	}
	// Its success is due at once: it falls due while the payout is held
	// for its save, and goes out once released.
	s := mock.RunT(t, mock.Options{Scenario: sc, StateDir: t.TempDir(), ClockMode: "real"})
	r := call(t, s, "/g2g/p2p2nonreg", "pg_order_id", "R-1", "pg_amount", "100", "pg_description", "Payout",
		"pg_payment_to", "4405645000006150", "pg_post_link", m.URL+"/hooks/post")
	if r.get("pg_status") != "ok" {
		t.Fatalf("payout: %v", r.fields)
	}
	for {
		select {
		case f := <-got:
			if f.Value("pg_order_id") == "R-1" {
				return
			}
		case <-time.After(10 * time.Second): // a bound on failure, not a wait for the server
			t.Fatal("no notify of R-1 within 10 s of wall time; its success is due at once")
		}
	}
}

// TestFlakyDiskTakesBackOnlyWhatItRefused switches the saves between
// failing and working while payouts are made side by side, and crashes
// the sandbox in the middle of it:
// every payout answered ok is in the state that starts again, and none
// answered 9999 is, however the failures and the next saves interleaved.
func TestFlakyDiskTakesBackOnlyWhatItRefused(t *testing.T) {
	m := newMerchant(t, payoutSecret, ackOK)
	sc := payoutScenario(t, m.URL+"/hooks/post")
	sc.Merchants[0].Balance = 99_999_999
	dir := t.TempDir()
	s1, err := mock.Run(mock.Options{Scenario: sc, StateDir: dir, StateInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	full := fmt.Errorf("write %s: no space left on device", filepath.Join(dir, mock.LogFile))
	var mu sync.Mutex
	answered := map[string]string{} // order id: pg_status or the error code
	var answers atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				order := fmt.Sprintf("F-%d-%d", g, i)
				r := call(t, s1, "/g2g/p2p2nonreg", "pg_order_id", order, "pg_amount", "1", "pg_description", "Payout",
					"pg_payment_to", "4405645000006150", "pg_post_link", m.URL+"/hooks/post")
				got := r.get("pg_status")
				if got != "ok" {
					got = r.get("pg_error_code")
				}
				mu.Lock()
				answered[order] = got
				mu.Unlock()
				answers.Add(1)
			}
		}()
	}
	// Flip the disk between full and not at every answer, until 400 came.
	for last, failing := int64(0), false; answers.Load() < 400; {
		if n := answers.Load(); n != last {
			last, failing = n, !failing
			if failing {
				mock.FailSaves(s1, full)
			} else {
				mock.FailSaves(s1, nil)
			}
		}
		runtime.Gosched()
	}
	mock.Crash(s1) // while payouts are still being made and taken back
	close(stop)
	wg.Wait()

	s2 := startState(t, sc, dir)
	var ok, refused int
	for order, got := range answered {
		_, found := mock.PayoutByOrder(s2, "9970", order)
		switch got {
		case "ok":
			ok++
			if !found {
				t.Errorf("payout %s was answered ok and is gone after the crash", order)
			}
		case "9999":
			refused++
			if found {
				t.Errorf("payout %s was answered 9999 (taken back), yet the state has it", order)
			}
		default: // made after the crash began: the sandbox is stopping
			if found {
				t.Errorf("payout %s answered %q, yet the state has it", order, got)
			}
		}
	}
	if ok == 0 || refused == 0 {
		t.Fatalf("%d ok and %d refused: the flips must let some through and stop others", ok, refused)
	}
	t.Logf("%d payouts ok, %d answered 9999", ok, refused)
}
