package mock_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// An error_code goes with status error only: forced with another status,
// it is a 400 that says so, and the payment or payout is left as it was,
// as the control API refuses a payout's.
func TestForceRefusesAnErrorCodeWithoutAnError(t *testing.T) {
	_, _, base := payServer(t)
	sh := newCarefulShop(t)
	id := initPayment(t, base, sh, "pg_order_id", "ORD-CODE").Value("pg_payment_id")
	for _, c := range []struct{ target, body string }{
		{"/_mock/payments/" + id, `{"status":"success","error_code":10004}`},
		{"/_mock/payments/" + id, `{"status":"incomplete","error_code":10018}`},
		{"/_mock/payments/" + id, `{"status":"revoked","error_code":10004}`},
		{"/_mock/payouts/7777777777", `{"status":"success","error_code":10001}`},
	} {
		before := getBody(t, base+c.target)
		code, data := postJSON(t, base+c.target+"/status", c.body)
		var e struct{ Error, Code string }
		if code != 400 || json.Unmarshal(data, &e) != nil || e.Code != "bad_request" || !strings.Contains(e.Error, `goes with status "error"`) {
			t.Errorf("%s %s: got HTTP %d %s, want 400 bad_request saying the error_code goes with status \"error\"", c.target, c.body, code, data)
		}
		if after := getBody(t, base+c.target); string(after) != string(before) {
			t.Errorf("%s %s: refused, yet changed:\n%s\nwant\n%s", c.target, c.body, after, before)
		}
	}
	if _, results := sh.got(); len(results) != 0 {
		t.Errorf("got %d result notifies, want none", len(results))
	}
}
