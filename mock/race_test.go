package mock_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// raceScenario has merchant 9970 calling back at url, payouts of its own
// (one with follow-up drills), and rules that give created payouts the
// drills duplicate, out_of_order and early by order id prefix.
func raceScenario(t *testing.T, url string) *scenario.Scenario {
	t.Helper()
	var payouts strings.Builder
	for i := range 6 {
		fmt.Fprintf(&payouts, "[[payouts]]\nmerchant_id = \"9970\"\norder_id = \"seed-%d\"\namount = 10\n"+
			"timeline = [ { at = \"0s\", status = \"process\" }, { at = \"%ds\", status = \"success\" } ]\n", i, 2+i)
	}
	sc, err := scenario.Parse("race.toml", []byte(`
seed = 9
[clock]
mode = "manual"
start = 2026-01-01T00:00:00Z
[notify]
retries = ["1s", "2s"]
timeout = "60s"

[[merchants]]
id = "9970"
payout_secret_key = "test_secret_key"
balance = 100000000
post_link = "`+url+`/hooks/post"

[[merchants]]
id = "9971"
payout_secret_key = "other_secret"
balance = 1000
post_link = "`+url+`/other/post"

[[payouts]]
merchant_id = "9970"
order_id = "drilled"
amount = 10
timeline = [ { at = "0s", status = "process" }, { at = "1s", status = "success" } ]
drills = ["duplicate", "out_of_order"]

[[rules]]
match = { merchant_id = "9970", order_id = "dup-*" }
timeline = [ { at = "0s", status = "process" }, { at = "1s", status = "success" } ]
drills = ["duplicate", "out_of_order"]

[[rules]]
match = { merchant_id = "9970", order_id = "early-*" }
timeline = [ { at = "0s", status = "success" } ]
drills = ["early"]
`+payouts.String()))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestResendAdvanceDrainCreateRace loops resends, advances, drains and
// creates side by side, a bounded number of times each. Run with -race: it
// must report no race, every call must be answered without a 5xx, each
// resend with the notification it sent (or, past notify.MaxResends of its
// payout, a 409), and every advance must return.
func TestResendAdvanceDrainCreateRace(t *testing.T) {
	const (
		resenders  = 8
		advancers  = 2
		drainers   = 1
		creators   = 2
		iterations = 120 // per goroutine
	)
	m := newMerchant(t, "test_secret_key", ackOK)
	logged := &syncBuffer{mu: make(chan struct{}, 1)} // errors only: a panic served as a 500 says why here
	s := mock.RunT(t, mock.Options{Scenario: raceScenario(t, m.URL),
		Logger: slog.New(slog.NewTextHandler(logged, &slog.HandlerOptions{Level: slog.LevelError}))})
	var ids []int64
	for _, p := range mock.LedgerPayouts(s, "9970") {
		ids = append(ids, p.PaymentID)
	}
	if len(ids) != 7 {
		t.Fatalf("got %d scenario payouts, want 7", len(ids))
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	post := func(path, ctype, body string) (int, []byte, error) {
		resp, err := client.Post(s.URL()+path, ctype, strings.NewReader(body))
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		return resp.StatusCode, data, err
	}

	var advanced, advances atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, resenders+advancers+drainers+creators)
	loop := func(name string, f func(i int) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range iterations {
				if err := f(i); err != nil {
					errs <- fmt.Errorf("%s, call %d: %w", name, i+1, err)
					return
				}
			}
		}()
	}
	// Each payout is resent more often than notify.MaxResends: exactly
	// that many resends are served, the rest refused, however they race.
	var resendMu sync.Mutex
	tried, served := map[int64]int{}, map[int64]int{}
	for r := range resenders {
		loop("resend "+strconv.Itoa(r), func(i int) error {
			id := ids[(r+i)%len(ids)]
			code, data, err := post("/_mock/payouts/"+strconv.FormatInt(id, 10)+"/notify", "", "")
			resendMu.Lock()
			tried[id]++
			if code == http.StatusOK {
				served[id]++
			}
			resendMu.Unlock()
			if err == nil && code == http.StatusConflict && strings.Contains(string(data), "too many resends") {
				return nil
			}
			if err != nil || code != http.StatusOK {
				return fmt.Errorf("got HTTP %d %s (%v), want 200, or 409 past the bound", code, data, err)
			}
			var got struct {
				Notification struct {
					PaymentID int64 `json:"payment_id"`
					Resent    bool
					Attempts  []json.RawMessage
				}
			}
			if err := json.Unmarshal(data, &got); err != nil {
				return fmt.Errorf("reply is not JSON: %v: %s", err, data)
			}
			if n := got.Notification; n.PaymentID != id || !n.Resent || len(n.Attempts) != 1 {
				return fmt.Errorf("got notification of payout %d, resent %v, %d attempts; want %d, true, 1: %s",
					n.PaymentID, n.Resent, len(n.Attempts), id, data)
			}
			return nil
		})
	}
	for a := range advancers {
		loop("advance "+strconv.Itoa(a), func(int) error {
			advances.Add(1)
			code, data, err := post("/_mock/clock/advance?by=1s", "", "")
			if err != nil {
				return fmt.Errorf("got %v, want a reply", err)
			}
			advanced.Add(1)
			if code != http.StatusOK {
				return fmt.Errorf("got HTTP %d %s, want 200", code, data)
			}
			return nil
		})
	}
	for d := range drainers {
		loop("drain "+strconv.Itoa(d), func(int) error {
			code, data, err := post("/_mock/clock/drain", "", "")
			if err != nil || code != http.StatusOK {
				return fmt.Errorf("got HTTP %d %s (%v), want 200", code, data, err)
			}
			return nil
		})
	}
	prefixes := []string{"plain-", "dup-", "early-"}
	for c := range creators {
		loop("create "+strconv.Itoa(c), func(i int) error {
			order := prefixes[i%len(prefixes)] + strconv.Itoa(c) + "-" + strconv.Itoa(i)
			fields := signed("p2p2nonreg", payoutSecret, "pg_merchant_id", "9970", "pg_order_id", order, "pg_amount", "10",
				"pg_description", "race", "pg_payment_to", "4405645000006150", "pg_post_link", m.URL+"/hooks/post")
			code, data, err := post("/g2g/p2p2nonreg", "application/x-www-form-urlencoded", wire.EncodeForm(fields))
			if err != nil || code != http.StatusOK {
				return fmt.Errorf("got HTTP %d %s (%v), want 200", code, data, err)
			}
			got, err := wire.DecodeXML(data)
			if err != nil || got.Value("pg_status") != "ok" {
				return fmt.Errorf("create %s: got %s (%v), want pg_status ok", order, data, err)
			}
			return nil
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, want := advanced.Load(), advances.Load(); n != want {
		t.Errorf("%d advances returned, want %d", n, want)
	}
	for _, id := range ids {
		if got, want := served[id], min(tried[id], notify.MaxResends); got != want {
			t.Errorf("payout %d: %d of %d resends served, want %d", id, got, tried[id], want)
		}
	}
	if _, err := s.Advance(0); err != nil { // the scheduler still answers
		t.Errorf("Advance(0) after the run: %v", err)
	}
	if text := logged.String(); text != "" {
		t.Errorf("the sandbox logged errors, want none:\n%s", text)
	}
	m.mu.Lock()
	bad := m.badSig
	m.mu.Unlock()
	if bad != 0 {
		t.Errorf("merchant got %d notifies with a bad signature, want 0", bad)
	}
}

// TestAdvanceDoesNotWaitForAResend holds the merchant's answer to a resent
// notify while the clock is advanced: the advance delivers what falls due
// and returns without waiting for the resend's attempt, and reports only
// its own attempts; the resend still answers with the notification it sent.
func TestAdvanceDoesNotWaitForAResend(t *testing.T) {
	m, held, arrived, release := holdingMerchant(t)
	sc := raceScenario(t, m.URL)
	s := mock.RunT(t, mock.Options{Scenario: sc})
	first, ok := mock.PayoutByOrder(s, "9970", "seed-0") // success at 2s
	if !ok {
		t.Fatal("no payout seed-0")
	}
	later, _ := mock.PayoutByOrder(s, "9970", "seed-1") // success at 3s
	if a, err := attempted(s.Advance(2 * time.Second)); err != nil || len(a) == 0 {
		t.Fatalf("Advance(2s): %d attempts (%v), want some", len(a), err)
	}
	held.Store(first.PaymentID)
	resent := make(chan notify.Notification)
	go func() {
		n, err := s.Resend(context.Background(), first.PaymentID)
		if err != nil {
			t.Errorf("Resend: %v", err)
		}
		resent <- n.Notification
	}()
	<-arrived // the resend's attempt is in flight, and stays so
	a, err := attempted(s.Advance(time.Second))
	if err != nil {
		t.Fatalf("Advance(1s): %v", err)
	}
	for _, at := range a {
		if at.PaymentID != later.PaymentID {
			t.Errorf("Advance(1s) reported an attempt of payout %d, want only %d's: %+v", at.PaymentID, later.PaymentID, at)
		}
	}
	if len(a) != 1 || !a[0].Delivered {
		t.Errorf("Advance(1s): %+v, want one delivered attempt of payout %d", a, later.PaymentID)
	}
	close(release)
	n := <-resent
	if !n.Resent || n.PaymentID != first.PaymentID || len(n.Attempts) != 1 || !n.Attempts[0].Delivered {
		t.Errorf("resend answered %+v, want the resent notify of payout %d with one delivered attempt", n, first.PaymentID)
	}
}

// TestResendEndsWhenItsMerchantIsReset: a resend waiting behind another
// attempt of its payout answers once its merchant is reset meanwhile (its
// notify dropped, never sent), with a conflict that says so; it used to
// wait for an attempt that never came.
func TestResendEndsWhenItsMerchantIsReset(t *testing.T) {
	m, held, arrived, release := holdingMerchant(t)
	s := mock.RunT(t, mock.Options{Scenario: raceScenario(t, m.URL)})
	first, _ := mock.PayoutByOrder(s, "9970", "seed-0")
	if _, err := s.Advance(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	held.Store(first.PaymentID)
	done := make(chan error, 2)
	go func() { _, err := s.Resend(context.Background(), first.PaymentID); done <- err }() // held at the merchant
	<-arrived
	queued := make(chan struct{})
	go func() { // queued behind the held one, on the payout's lane
		close(queued)
		_, err := s.Resend(context.Background(), first.PaymentID)
		done <- err
	}()
	<-queued
	for { // until the second resend is on the lane (its notify made)
		changed := mock.Sandbox(s).Changed()
		if len(mock.AllNotifications(s)) >= 3 {
			break
		}
		<-changed
	}
	if _, err := s.Reset("9970"); err != nil {
		t.Fatal(err)
	}
	close(release)
	var errs []error
	for range 2 {
		errs = append(errs, <-done)
	}
	if !slices.ContainsFunc(errs, func(err error) bool { return sandbox.KindOf(err) == sandbox.Conflict }) {
		t.Errorf("resends after a reset of their merchant: %v, want one conflict (the notify was dropped)", errs)
	}
}

// holdingMerchant acknowledges every notify, except that it holds its
// answer to those of the payment id held names until release is closed;
// arrived is closed when the first such notify arrives.
func holdingMerchant(t *testing.T) (m *merchant, held *atomic.Int64, arrived, release chan struct{}) {
	held = new(atomic.Int64)
	arrived, release = make(chan struct{}), make(chan struct{})
	var once sync.Once
	m = newMerchant(t, "test_secret_key", func(w http.ResponseWriter, r *http.Request, f sign.Fields) {
		if id, _ := strconv.ParseInt(f.Value("pg_payment_id"), 10, 64); id != 0 && id == held.Load() {
			once.Do(func() { close(arrived) })
			<-release
		}
		ackOK(w, r, f)
	})
	return m, held, arrived, release
}
