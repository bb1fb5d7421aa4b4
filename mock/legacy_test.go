package mock_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// legacyCallbacks are the callbacks sh received that carry name (the
// legacy refund and capture callbacks: pg_refund_amount,
// pg_clearing_amount), each verified by the shop under its URL's script.
func legacyCallbacks(sh *shop, name string) []url.Values {
	_, results := sh.got()
	var out []url.Values
	for _, q := range results {
		if q.Has(name) {
			out = append(out, q)
		}
	}
	return out
}

// [payments] legacy_notifies (payments.md §5.4, open point 13): a refund,
// a hold's cancel and a hold's capture (by do_capture.php, or at the
// hold's end 5 days on) each send a signed callback to the payment's
// pg_refund_url or pg_capture_url, on a manual clock at its next move,
// with the amount; a refund request replayed (the same
// pg_idempotency_key) sends none; off, as by default, none is sent.
func TestLegacyRefundAndCaptureNotifies(t *testing.T) {
	for _, on := range []bool{true, false} {
		name := "off"
		setting := ""
		if on {
			name, setting = "on", "[payments]\nlegacy_notifies = true\n"
		}
		t.Run(name, func(t *testing.T) {
			s := mock.RunT(t, mock.Options{Scenario: shopScenario(t, setting, ""), Clock: clock.NewManual(t0), Addr: "127.0.0.1:0"})
			base := s.URL()
			sh := newCarefulShop(t)
			urls := []string{"pg_refund_url", sh.srv.URL + "/hooks/refund", "pg_capture_url", sh.srv.URL + "/hooks/capture"}
			made := func(order string, kv ...string) string {
				created := initPayment(t, base, sh, append(append([]string{"pg_order_id", order}, urls...), kv...)...)
				payCard(t, created.Value("pg_redirect_url"), "4111111111111111")
				return created.Value("pg_payment_id")
			}
			paid := made("ORD-LR")                               // one step: captured on authorisation
			held := made("ORD-LC", "pg_auto_clearing", "0")      // captured by do_capture.php
			cancelled := made("ORD-LX", "pg_auto_clearing", "0") // cancelled
			left := made("ORD-LH", "pg_auto_clearing", "0")      // captured at the hold's end
			payOp(t, base, "/revoke.php", paid, "pg_refund_amount", "400", "pg_idempotency_key", "rf-1")
			payOp(t, base, "/g2g/refund", paid, "pg_amount", "100")
			payOp(t, base, "/revoke.php", paid, "pg_refund_amount", "400", "pg_idempotency_key", "rf-1") // a replay: no refund, no callback
			payOp(t, base, "/do_capture.php", held, "pg_clearing_amount", "1200")
			payOp(t, base, "/cancel.php", cancelled)
			if got := legacyCallbacks(sh, "pg_refund_amount"); len(got) != 0 {
				t.Fatalf("refund callbacks before the clock moved: %v; they go out after the reply", got)
			}
			if _, err := s.Advance(0); err != nil {
				t.Fatal(err)
			}
			refunds := legacyCallbacks(sh, "pg_refund_amount")
			captures := legacyCallbacks(sh, "pg_clearing_amount")
			if !on {
				if _, err := s.Advance(5 * 24 * time.Hour); err != nil {
					t.Fatal(err)
				}
				if n := len(legacyCallbacks(sh, "pg_refund_amount")) + len(legacyCallbacks(sh, "pg_clearing_amount")); n != 0 {
					t.Errorf("%d legacy callbacks sent with legacy_notifies off", n)
				}
				return
			}
			type want struct{ id, order, field, amount string }
			// Callbacks of one payment come in order; of several, in
			// any (each payment has its own lane).
			check := func(what string, got []url.Values, ws ...want) {
				t.Helper()
				if len(got) != len(ws) {
					t.Fatalf("%s: %d callbacks, want %d: %v", what, len(got), len(ws), got)
				}
				next := map[string]int{} // per payment: how many of its callbacks matched
				for _, w := range ws {
					n := next[w.id]
					next[w.id]++
					var q url.Values
					for _, g := range got {
						if g.Get("pg_payment_id") == w.id {
							if n == 0 {
								q = g
								break
							}
							n--
						}
					}
					if q == nil || q.Get("pg_order_id") != w.order || q.Get(w.field) != w.amount || q.Get("cart_id") != "c-77" || q.Get("pg_salt") == "" {
						t.Errorf("%s: %v, want payment %s, order %s, %s=%s and the merchant's own cart_id", what, q, w.id, w.order, w.field, w.amount)
					}
				}
			}
			check("refund callbacks", refunds,
				want{paid, "ORD-LR", "pg_refund_amount", "400.00"}, want{paid, "ORD-LR", "pg_refund_amount", "100.00"},
				want{cancelled, "ORD-LX", "pg_refund_amount", "1500.00"})
			check("capture callbacks", captures, want{held, "ORD-LC", "pg_clearing_amount", "1200.00"})

			if _, err := s.Advance(5*24*time.Hour - time.Minute); err != nil {
				t.Fatal(err)
			}
			check("capture callbacks a minute before the hold's end", legacyCallbacks(sh, "pg_clearing_amount"),
				want{held, "ORD-LC", "pg_clearing_amount", "1200.00"})
			if _, err := s.Advance(2 * time.Minute); err != nil {
				t.Fatal(err)
			}
			check("capture callbacks after the hold's end", legacyCallbacks(sh, "pg_clearing_amount"),
				want{held, "ORD-LC", "pg_clearing_amount", "1200.00"}, want{left, "ORD-LH", "pg_clearing_amount", "1500.00"})
			check("refund callbacks in the end", legacyCallbacks(sh, "pg_refund_amount"),
				want{paid, "ORD-LR", "pg_refund_amount", "400.00"}, want{paid, "ORD-LR", "pg_refund_amount", "100.00"},
				want{cancelled, "ORD-LX", "pg_refund_amount", "1500.00"})

			// The control API shows them with the payment, by kind.
			var p sandbox.Payment
			getJSON(t, base+"/_mock/payments/"+paid, &p)
			kinds := map[string]int{}
			for _, n := range p.Notifications {
				kinds[n.Kind]++
				if n.Kind == "refund" && (len(n.Attempts) != 1 || !n.Attempts[0].Delivered) {
					t.Errorf("refund notify %+v: want one attempt, delivered", n)
				}
			}
			if kinds["refund"] != 2 || kinds["result"] != 1 {
				t.Errorf("payment %s's notifications by kind: %v, want 2 refund and 1 result", paid, kinds)
			}
		})
	}
}

// A legacy callback scheduled and not yet sent survives a restart with
// --state: a refund's (made before the clock moved: sent as the sandbox
// starts again) and a hold's end's.
func TestLegacyNotifiesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	sh := newCarefulShop(t)
	got := make(chan url.Values, 16) // the legacy callbacks, as they come
	legacy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		q, _ := url.ParseQuery(string(body))
		fs := sign.Fields{}
		for name := range q {
			fs = append(fs, sign.Field{Name: name, Value: q.Get(name)})
		}
		if script := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]; !sign.Verify(script, fs, paymentSecret) {
			t.Errorf("a legacy callback whose signature does not verify under %q: %v", script, q)
		}
		got <- q
	}))
	defer legacy.Close()
	next := func(what string) url.Values {
		t.Helper()
		select {
		case q := <-got:
			return q
		case <-time.After(30 * time.Second): // a guard: a callback that never comes
			t.Fatalf("no %s callback", what)
			return nil
		}
	}
	sc := shopScenario(t, "[payments]\nlegacy_notifies = true\n", "")
	start := func() (*mock.Server, string) {
		s := mock.RunT(t, mock.Options{Scenario: sc, ClockMode: "manual", Addr: "127.0.0.1:0", StateDir: dir})
		return s, s.URL()
	}
	s, base := start()
	urls := []string{"pg_refund_url", legacy.URL + "/legacy/refund", "pg_capture_url", legacy.URL + "/legacy/capture"}
	paid := initPayment(t, base, sh, append([]string{"pg_order_id", "ORD-SR"}, urls...)...)
	payCard(t, paid.Value("pg_redirect_url"), "4111111111111111")
	held := initPayment(t, base, sh, append([]string{"pg_order_id", "ORD-SH", "pg_auto_clearing", "0"}, urls...)...)
	payCard(t, held.Value("pg_redirect_url"), "4111111111111111")
	payOp(t, base, "/revoke.php", paid.Value("pg_payment_id"), "pg_refund_amount", "250")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("a legacy callback before the clock moved: %v", <-got)
	}
	s, _ = start()
	defer s.Close()
	if q := next("refund"); q.Get("pg_refund_amount") != "250.00" || q.Get("pg_payment_id") != paid.Value("pg_payment_id") {
		t.Errorf("the refund callback after a restart: %v, want the one of 250.00", q)
	}
	if _, err := s.Advance(5*24*time.Hour + time.Minute); err != nil {
		t.Fatal(err)
	}
	if q := next("capture"); q.Get("pg_clearing_amount") != "1500.00" || q.Get("pg_payment_id") != held.Value("pg_payment_id") {
		t.Errorf("the capture callback after a restart and the hold's end: %v, want the held payment's", q)
	}
	if len(got) != 0 {
		t.Errorf("a legacy callback more: %v", <-got)
	}
}
