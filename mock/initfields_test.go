package mock_test

import (
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// init_payment's counts of seconds are ASCII digits only: a sign or a
// space, which strconv would take or a PHP form would not, is 9403 naming
// the field, as any other malformed value is.
func TestInitPaymentSecondsAreDigits(t *testing.T) {
	s, _ := newServer(t, nil)
	for _, c := range []struct{ field, value, want string }{
		{"pg_lifetime", "+300", "Field pg_lifetime is invalid: seconds, 300 to 604800"},
		{"pg_lifetime", " 300", "Field pg_lifetime is invalid: seconds, 300 to 604800"},
		{"pg_lifetime", "300 ", "Field pg_lifetime is invalid: seconds, 300 to 604800"},
		{"pg_lifetime", "-300", "Field pg_lifetime is invalid: seconds, 300 to 604800"},
		{"pg_lifetime", "3e2", "Field pg_lifetime is invalid: seconds, 300 to 604800"},
		{"pg_timeout_after_payment", "+10", "Field pg_timeout_after_payment is invalid: seconds, at least 1"},
		{"pg_timeout_after_payment", " 10", "Field pg_timeout_after_payment is invalid: seconds, at least 1"},
		{"pg_timeout_after_payment", "-1", "Field pg_timeout_after_payment is invalid: seconds, at least 1"},
		{"pg_lifetime", "300", ""},
		{"pg_timeout_after_payment", "10", ""},
	} {
		fs := signed("init_payment.php", paymentSecret, "pg_merchant_id", "9970", "pg_order_id", "SEC", "pg_amount", "1",
			"pg_description", "d", "pg_result_url", "http://shop/result", c.field, c.value)
		r := do(t, s.Handler(), newRequest(t, wire.EncForm, "/init_payment.php", fs))
		switch {
		case c.want == "" && r.get("pg_status") != "ok":
			t.Errorf("%s=%q: got %s, want ok", c.field, c.value, r.body)
		case c.want != "" && (r.get("pg_error_code") != "9403" || r.get("pg_error_description") != c.want):
			t.Errorf("%s=%q: got %s, want 9403 %q", c.field, c.value, r.body, c.want)
		}
	}
}
