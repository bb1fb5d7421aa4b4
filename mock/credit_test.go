package mock_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
)

// A marketplace's books: with a payment commission, pg_net_amount is the
// amount less it; with [payments] credit_payout_balance, each capture's
// net reaches the payout balance when it is captured (a hold's after 5
// days), each refund takes its amount back, and a payout can spend what
// payments brought. Without the setting the balance does not move.
func TestPaymentsCreditThePayoutBalance(t *testing.T) {
	run := func(t *testing.T, credit bool) (*mock.Server, *clock.Manual, string, *shop) {
		setting := ""
		if credit {
			setting = "[payments]\ncredit_payout_balance = true\n"
		}
		sc := shopScenario(t, setting, `balance = 0
payment_commission_percent = 3.5
`)
		c := clock.NewManual(t0)
		s := mock.RunT(t, mock.Options{Scenario: sc, Clock: c, Addr: "127.0.0.1:0"})
		return s, c, s.URL(), newCarefulShop(t)
	}
	post := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer post.Close()
	balance := func(s *mock.Server) string {
		t.Helper()
		return call(t, s, "/g2g/balance_status", "pg_currency", "KZT").get("pg_balance")
	}
	payout := func(s *mock.Server, order, amount string) reply {
		t.Helper()
		return call(t, s, "/g2g/p2p2nonreg", "pg_order_id", order, "pg_amount", amount, "pg_description", "Seller",
			"pg_payment_to", "4405645000006150", "pg_post_link", post.URL+"/hooks/post")
	}

	t.Run("credited", func(t *testing.T) {
		s, _, base, sh := run(t, true)
		id := paidPayment(t, base, sh, "MP-1", "4111111111111111") // 1500.00, 3.5 % kept
		if _, results := sh.got(); len(results) != 1 || results[0].Get("pg_net_amount") != "1447.50" || results[0].Get("pg_amount") != "1500.00" {
			t.Fatalf("result notify %v, want pg_net_amount 1447.50", results)
		}
		var view struct {
			Payments []struct {
				NetAmount string `json:"net_amount"`
			} `json:"payments"`
		}
		getJSON(t, base+"/_mock/payments?merchant_id=9970&order_id=MP-1", &view)
		if len(view.Payments) != 1 || view.Payments[0].NetAmount != "1447.50" {
			t.Errorf("/_mock/payments net_amount: %+v", view)
		}
		if b := balance(s); b != "1447.50" {
			t.Fatalf("balance after a captured payment: %s, want 1447.50", b)
		}
		payOp(t, base, "/g2g/refund", id, "pg_amount", "500")
		if b := balance(s); b != "947.50" {
			t.Fatalf("balance after a refund of 500: %s, want 947.50", b)
		}
		held := heldPayment(t, base, sh, "MP-2")
		if b := balance(s); b != "947.50" {
			t.Fatalf("balance with a hold: %s, want 947.50 (nothing captured)", b)
		}
		if _, err := s.Advance(5 * 24 * time.Hour); err != nil {
			t.Fatal(err)
		}
		if b := balance(s); b != "2395.00" {
			t.Fatalf("balance once the hold is captured after 5 days: %s, want 2395.00", b)
		}
		if r := payout(s, "SELLER-1", "2000"); r.get("pg_status") != "ok" {
			t.Fatalf("a payout of what payments brought: %s", r.body)
		}
		if r := payout(s, "SELLER-2", "1000"); r.get("pg_error_code") != "8888" {
			t.Fatalf("a payout of more than is left: %s", r.body)
		}
		wantPayError(t, "a cancel of a captured hold", payOp(t, base, "/cancel.php", held), "10012")
	})
	t.Run("not credited", func(t *testing.T) {
		s, _, base, sh := run(t, false)
		paidPayment(t, base, sh, "MP-1", "4111111111111111")
		if b := balance(s); b != "0.00" {
			t.Fatalf("balance after a payment, not credited: %s", b)
		}
		if r := payout(s, "SELLER-1", "100"); r.get("pg_error_code") != "8888" {
			t.Fatalf("a payout from an empty balance: %s", r.body)
		}
	})
}

// A captured payment rejected after a refund takes back what it gave less
// the refund: a recurring charge, answered before its result notify, is
// refunded in part, then its merchant rejects the notify.
func TestCreditRejectedAfterRefund(t *testing.T) {
	sc := shopScenario(t, "[payments]\ncredit_payout_balance = true\n", "balance = 0\npayment_commission_percent = 3.5\n")
	s := mock.RunT(t, mock.Options{Scenario: sc, Clock: clock.NewManual(t0), Addr: "127.0.0.1:0"})
	base := s.URL()
	sh := newCarefulShop(t)
	balance := func() string {
		t.Helper()
		return call(t, s, "/g2g/balance_status", "pg_currency", "KZT").get("pg_balance")
	}
	_, profile := startProfile(t, base, sh, "CR-START", "4111111111111111", "12") // 1500.00: 1447.50 net
	if b := balance(); b != "1447.50" {
		t.Fatalf("after the start: %s", b)
	}
	sh.mu.Lock()
	sh.result = "rejected"
	sh.mu.Unlock()
	id := charge(t, base, "/make_recurring_payment.php", "pg_recurring_profile", profile, "pg_description", "m2", "pg_amount", "100").get("pg_payment_id")
	if b := balance(); b != "1544.00" { // + 96.50
		t.Fatalf("after a charge of 100: %s", b)
	}
	payOp(t, base, "/g2g/refund", id, "pg_amount", "30")
	if b := balance(); b != "1514.00" {
		t.Fatalf("after a refund of 30 of it: %s", b)
	}
	if _, err := s.Advance(0); err != nil { // the notify goes out, rejected
		t.Fatal(err)
	}
	if st := status3(t, base, id); st.get("pg_payment_status") != "revoked" {
		t.Fatalf("the rejected charge: %s", st.body)
	}
	if b := balance(); b != "1447.50" { // 96.50 - 30 taken back
		t.Errorf("after the rejection: %s, want 1447.50 (what the charge gave less its refund taken back)", b)
	}
}
