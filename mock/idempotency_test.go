package mock_test

import (
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
)

// A merchant at --max-payments still has its idempotent requests
// replayed: the payment exists, nothing is made. A new payment is
// refused, and a key reused for other fields is still 9403.
func TestIdempotentReplayAtMaxPayments(t *testing.T) {
	s := mock.RunT(t, mock.Options{Clock: clock.NewManual(t0), Addr: "127.0.0.1:0", MaxPayments: 1})
	base := s.URL()
	sh := newCarefulShop(t)
	kv := []string{"pg_merchant_id", "9970", "pg_order_id", "IDEM-FULL", "pg_amount", "1", "pg_description", "d",
		"pg_result_url", sh.srv.URL + "/result", "pg_idempotency_key", "k-full"}
	first := payPost(t, base+"/init_payment.php", signed("init_payment.php", paymentSecret, kv...))
	again := payPost(t, base+"/init_payment.php", signed("init_payment.php", paymentSecret, kv...))
	if first.get("pg_status") != "ok" || again.get("pg_status") != "ok" || again.get("pg_payment_id") != first.get("pg_payment_id") {
		t.Errorf("replay at the limit: got %s, want the first reply again: %s", again.body, first.body)
	}
	other := payPost(t, base+"/init_payment.php", signed("init_payment.php", paymentSecret, append(kv[:len(kv)-1:len(kv)-1], "k-other")...))
	if other.get("pg_error_code") != "9999" {
		t.Errorf("a new payment at the limit: got %s, want 9999", other.body)
	}
	reused := payPost(t, base+"/init_payment.php", signed("init_payment.php", paymentSecret, append(kv, "pg_user_phone", "77001234567")...))
	if reused.get("pg_error_code") != "9403" {
		t.Errorf("a key reused for other fields at the limit: got %s, want 9403", reused.body)
	}
}
