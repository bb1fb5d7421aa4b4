package mock_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/control"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// The Go API and the control API answer the same: every read compared on
// one run, every change made on two identical runs (one through each API),
// every refusal with the same text and a kind whose status and code the
// route answers.

// twin starts the default scenario on a manual clock at a fixed moment.
func twin(t *testing.T) *mock.Server {
	return mock.RunT(t, mock.Options{Clock: clock.NewManual(time.Date(2024, 11, 28, 11, 10, 3, 0, time.UTC))})
}

// goapiCall sends a control request and returns its status and JSON body.
func goapiCall(t *testing.T, s *mock.Server, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, data
}

// comparable decodes JSON (or encodes v first) with what differs between
// two runs or two calls left out: wall-clock latencies and waits, and the
// servers' own addresses.
func comparable(t *testing.T, v any, urls ...string) any {
	t.Helper()
	data, ok := v.([]byte)
	if !ok {
		var err error
		if data, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	text := string(data)
	for _, u := range urls {
		text = strings.ReplaceAll(text, u, "http://sandbox")
	}
	var out any
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
	var strip func(any)
	strip = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			delete(v, "latency_ms")
			delete(v, "waited_ms")
			for _, x := range v {
				strip(x)
			}
		case []any:
			for _, x := range v {
				strip(x)
			}
		}
	}
	strip(out)
	return out
}

func same(t *testing.T, what string, goValue any, status int, body []byte, urls ...string) {
	t.Helper()
	if status != http.StatusOK {
		t.Errorf("%s: HTTP %d %s", what, status, body)
		return
	}
	if g, h := comparable(t, goValue, urls...), comparable(t, body, urls...); !reflect.DeepEqual(g, h) {
		gj, _ := json.MarshalIndent(g, "", " ")
		hj, _ := json.MarshalIndent(h, "", " ")
		t.Errorf("%s: the Go API and HTTP differ\nGo:   %.3000s\nHTTP: %.3000s", what, gj, hj)
	}
}

func TestGoAPIAnswersAsHTTP(t *testing.T) {
	s := twin(t)
	if _, err := s.Advance(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	// A request with a bad signature, for the journal.
	form := url.Values{"pg_merchant_id": {"9970"}, "pg_order_id": {"12345"}, "pg_salt": {"salt"}}
	form.Set("pg_sig", sign.SignValues("payout_status2", form, "payment_secret_key"))
	if res, err := http.PostForm(s.URL()+"/g2g/payout_status2", form); err == nil {
		res.Body.Close()
	}

	code, body := goapiCall(t, s, "GET", "/_mock/ready", "")
	same(t, "ready", s.Ready(), code, body)
	for q, query := range map[string]sandbox.PayoutQuery{
		"":                                      {},
		"merchant_id=9970&status=success":       {MerchantID: "9970", Status: "success"},
		"limit=2&order=oldest":                  {Page: sandbox.Page{Limit: 2, Order: "oldest"}},
		"order_id=12345":                        {OrderID: "12345"},
		"merchant_id=9970&limit=1&cursor=b1003": {MerchantID: "9970", Page: sandbox.Page{Limit: 1, Cursor: "b1003"}},
	} {
		got, err := s.Payouts(query)
		code, body := goapiCall(t, s, "GET", "/_mock/payouts?"+q, "")
		if err != nil {
			goRefusedAsHTTP(t, "payouts?"+q, err, code, body)
			continue
		}
		same(t, "payouts?"+q, got, code, body, s.URL())
	}
	p, err := s.Payout(7777777777)
	code, body = goapiCall(t, s, "GET", "/_mock/payouts/7777777777", "")
	if err != nil {
		t.Fatal(err)
	}
	same(t, "payout", p, code, body, s.URL())
	n, err := s.Notifications(sandbox.NotificationQuery{MerchantID: "9970", State: "delivered"})
	code, body = goapiCall(t, s, "GET", "/_mock/notifications?merchant_id=9970&state=delivered", "")
	if err != nil {
		t.Fatal(err)
	}
	same(t, "notifications", n, code, body, s.URL())
	r, err := s.Requests(sandbox.RequestQuery{Outcome: "bad_signature"})
	code, body = goapiCall(t, s, "GET", "/_mock/requests?outcome=bad_signature", "")
	if err != nil || len(r.Entries) != 1 {
		t.Fatalf("requests: %d entries, %v", len(r.Entries), err)
	}
	same(t, "requests", r, code, body)
	for _, m := range []string{"", "9970"} {
		v, err := s.Verify(m)
		code, body := goapiCall(t, s, "GET", "/_mock/verify?merchant_id="+m, "")
		if err != nil {
			t.Fatal(err)
		}
		same(t, "verify "+m, v, code, body)
	}
	a, err := s.Await(context.Background(), "order_id=12345&status=success")
	code, body = goapiCall(t, s, "GET", "/_mock/await?order_id=12345&status=success", "")
	if err != nil {
		t.Fatal(err)
	}
	same(t, "await", a, code, body)

	// Refusals: the same text, the kind the route's status and code say.
	for _, c := range []struct {
		path string
		err  error
	}{
		{"GET /_mock/payouts?merchant_id=997", second(s.Payouts(sandbox.PayoutQuery{MerchantID: "997"}))},
		{"GET /_mock/payouts?status=declined", second(s.Payouts(sandbox.PayoutQuery{Status: "declined"}))},
		{"GET /_mock/payouts?order=sideways", second(s.Payouts(sandbox.PayoutQuery{Page: sandbox.Page{Order: "sideways"}}))},
		{"GET /_mock/payouts/1", second(s.Payout(1))},
		{"GET /_mock/notifications?state=lost", second(s.Notifications(sandbox.NotificationQuery{State: "lost"}))},
		{"GET /_mock/requests?outcome=maybe", second(s.Requests(sandbox.RequestQuery{Outcome: "maybe"}))},
		{"GET /_mock/verify?merchant_id=nobody", second(s.Verify("nobody"))},
		{"POST /_mock/reset?merchant_id=nobody", second(s.Reset("nobody"))},
		{"POST /_mock/payouts/1/notify", second(s.Resend(context.Background(), 1))},
		{"GET /_mock/await?path=/g2g/payout_status&min=1", second(s.Await(context.Background(), "path=/g2g/payout_status&min=1"))},
		{"GET /_mock/await?order_id=12345&status=error&timeout=1ms", second(s.Await(context.Background(), "order_id=12345&status=error&timeout=1ms"))},
		{"GET /_mock/payouts?limit=5000", second(s.Payouts(sandbox.PayoutQuery{Page: sandbox.Page{Limit: 5000}}))},
		{"POST /_mock/payouts/1/status", second(s.Force(context.Background(), 1, "declined", 0))},
		{"GET /_mock/await?order_id=1&order_id=2&status=success", second(s.Await(context.Background(), "order_id=1&order_id=2&status=success"))},
		{"GET /_mock/await?merchant_id=nope&order_id=12345&status=success", second(s.Await(context.Background(), "merchant_id=nope&order_id=12345&status=success"))},
		{"PUT /_mock/scenario?merchant_id=nope", second(s.ReplaceScenario([]byte("name = \"x\"\n"), "nope"))},
	} {
		method, path, _ := strings.Cut(c.path, " ")
		code, body := goapiCall(t, s, method, path, "")
		if c.err == nil {
			t.Errorf("%s: no error from Go", c.path)
			continue
		}
		goRefusedAsHTTP(t, c.path, c.err, code, body)
	}
	_, err = s.ReplaceScenario([]byte("name = 1\n"), "")
	code, body = callTOML(t, s, "name = 1\n")
	var invalid struct {
		Code     string   `json:"code"`
		Problems []string `json:"problems"`
	}
	_ = json.Unmarshal(body, &invalid)
	if sandbox.KindOf(err) != sandbox.Invalid || code != http.StatusUnprocessableEntity || invalid.Code != control.CodeInvalid ||
		strings.Join(invalid.Problems, "\n") != err.Error() {
		t.Errorf("an invalid scenario: Go %v (%v), HTTP %d %s", sandbox.KindOf(err), err, code, body)
	}
}

func second[T any](_ T, err error) error { return err }

func callTOML(t *testing.T, s *mock.Server, toml string) (int, []byte) {
	t.Helper()
	res, err := http.Post(s.URL()+"/_mock/scenario", "application/toml", strings.NewReader(toml))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, data
}

// goRefusedAsHTTP checks that a route refused with err's text and with the
// status and code of err's kind.
func goRefusedAsHTTP(t *testing.T, what string, err error, code int, body []byte) {
	t.Helper()
	var reply struct {
		Error, Code, Message string
	}
	_ = json.Unmarshal(body, &reply)
	kind := sandbox.KindOf(err)
	want := map[sandbox.Kind]struct {
		status int
		code   string
	}{
		sandbox.BadRequest: {400, control.CodeBadRequest}, sandbox.NotFound: {404, control.CodeNotFound},
		sandbox.Conflict: {409, control.CodeConflict}, sandbox.StaleCursor: {400, control.CodeStaleCursor},
		sandbox.Timeout: {408, ""},
	}[kind]
	switch {
	case want.status == 0:
		t.Errorf("%s: Go's error is of kind %v: %v", what, kind, err)
	case kind == sandbox.Timeout: // the verdict, as a 408
		if code != want.status || !strings.Contains(err.Error(), reply.Message) {
			t.Errorf("%s: Go %v (%v); HTTP %d %s", what, kind, err, code, body)
		}
	case code != want.status || reply.Code != want.code || reply.Error != err.Error():
		t.Errorf("%s: Go %v %q; HTTP %d %s", what, kind, err, code, body)
	}
}

// Changes made through either API on two identical runs answer the same
// and leave the same state.
func TestGoAPIChangesAsHTTP(t *testing.T) {
	goSide, httpSide := twin(t), twin(t)
	urls := []string{goSide.URL(), httpSide.URL()}

	run, err := goSide.Advance(10 * time.Second)
	code, body := goapiCall(t, httpSide, "POST", "/_mock/clock/advance", `{"by":"10s"}`)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "advance", run, code, body, urls...)

	f, err := goSide.Force(context.Background(), 7777777777, "error", 10000)
	code, body = goapiCall(t, httpSide, "POST", "/_mock/payouts/7777777777/status", `{"status":"error","error_code":10000}`)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "force", f, code, body, urls...)

	re, err := goSide.Resend(context.Background(), 7777777777)
	code, body = goapiCall(t, httpSide, "POST", "/_mock/payouts/7777777777/notify", "")
	if err != nil {
		t.Fatal(err)
	}
	same(t, "resend", re, code, body, urls...)

	d, err := goSide.Drain()
	code, body = goapiCall(t, httpSide, "POST", "/_mock/clock/drain", "")
	if err != nil {
		t.Fatal(err)
	}
	same(t, "drain", d, code, body, urls...)

	for _, m := range []string{"9970", ""} {
		r, err := goSide.Reset(m)
		code, body := goapiCall(t, httpSide, "POST", "/_mock/reset?merchant_id="+m, "")
		if err != nil {
			t.Fatal(err)
		}
		same(t, "reset "+m, r, code, body, urls...)
	}
	toml := "name = \"mine\"\n[[merchants]]\nid = \"1\"\npayout_secret_key = \"k\"\nbalance = 10\n"
	sc, err := goSide.ReplaceScenario([]byte(toml), "")
	code, body = callTOML(t, httpSide, toml)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "scenario", sc, code, body, urls...)
	g, _ := goSide.Payouts(sandbox.PayoutQuery{})
	_, body = goapiCall(t, httpSide, "GET", "/_mock/payouts", "")
	same(t, "payouts after the changes", g, http.StatusOK, body, urls...)
}

// The Go API masks the scenario's secrets as the control API does: a
// payout whose order id holds a merchant's secret shows the mask in both.
func TestGoAPIMasksAsHTTP(t *testing.T) {
	s := twin(t)
	toml := "name = \"leaky\"\n[[merchants]]\nid = \"1\"\npayout_secret_key = \"supersecretvalue\"\nbalance = 10\n" +
		"[[payouts]]\nmerchant_id = \"1\"\norder_id = \"o-supersecretvalue\"\namount = 1\n"
	if _, err := s.ReplaceScenario([]byte(toml), ""); err != nil {
		t.Fatal(err)
	}
	got, err := s.Payouts(sandbox.PayoutQuery{})
	if err != nil || len(got.Payouts) != 1 {
		t.Fatalf("payouts: %+v, %v", got, err)
	}
	if o := got.Payouts[0].OrderID; strings.Contains(o, "supersecretvalue") || !strings.Contains(o, "<secret:16 chars>") {
		t.Errorf("the Go API shows order id %q, want the secret masked", o)
	}
	code, body := goapiCall(t, s, "GET", "/_mock/payouts", "")
	same(t, "payouts with a secret", got, code, body)
}
