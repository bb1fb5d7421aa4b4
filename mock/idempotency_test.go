package mock_test

import (
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
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

// An idempotent request sent again with its fields in another order (and
// another salt) is the same request: its payment is replayed. A list's
// items in another order are another request, as PHP reads them.
func TestIdempotentReplayInAnotherOrder(t *testing.T) {
	s := mock.RunT(t, mock.Options{Clock: clock.NewManual(t0), Addr: "127.0.0.1:0"})
	base := s.URL()
	sh := newCarefulShop(t)
	pairs := [][2]string{{"pg_merchant_id", "9970"}, {"pg_order_id", "IDEM-ORDER"}, {"pg_amount", "1"},
		{"pg_description", "d"}, {"pg_result_url", sh.srv.URL + "/result"}, {"pg_idempotency_key", "k-order"},
		{"cart_id", "c-1"}, {"items[]", "a"}, {"items[]", "b"}}
	send := func(order []int, salt string) reply {
		t.Helper()
		var kv []string
		for _, i := range order {
			kv = append(kv, pairs[i][0], pairs[i][1])
		}
		fs := append(kvs(kv...), sign.Field{Name: "pg_salt", Value: salt})
		fs = append(fs, sign.Field{Name: "pg_sig", Value: sign.Sign("init_payment.php", fs, paymentSecret)})
		return payPost(t, base+"/init_payment.php", fs)
	}
	first := send([]int{0, 1, 2, 3, 4, 5, 6, 7, 8}, "salt-1")
	if first.get("pg_status") != "ok" {
		t.Fatalf("first: %s", first.body)
	}
	again := send([]int{6, 5, 7, 4, 3, 8, 2, 1, 0}, "salt-2") // items a before b still
	if again.get("pg_status") != "ok" || again.get("pg_payment_id") != first.get("pg_payment_id") {
		t.Errorf("the same fields in another order: got %s, want payment %s replayed", again.body, first.get("pg_payment_id"))
	}
	swapped := send([]int{0, 1, 2, 3, 4, 5, 6, 8, 7}, "salt-3")
	if swapped.get("pg_error_code") != "9403" {
		t.Errorf("a list's items in another order: got %s, want 9403", swapped.body)
	}
}
