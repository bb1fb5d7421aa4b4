package mock_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// withUserinfo is u (http://host:port) with the user "user" and the
// password "s3cret" in it.
func withUserinfo(u string) string { return strings.Replace(u, "http://", "http://user:s3cret@", 1) }

// basicAuths serves next behind a server of its own, keeping the user and
// password of the Basic credentials each request carried.
type basicAuths struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []string
}

func newBasicAuths(t *testing.T, next http.Handler) *basicAuths {
	b := &basicAuths{}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		b.mu.Lock()
		b.got = append(b.got, r.URL.Path+" "+user+":"+pass)
		b.mu.Unlock()
		next.ServeHTTP(w, r)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *basicAuths) all() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.got...)
}

// TestCallbackURLPasswordsNeverShown: a payment's callback URLs
// (pg_check_url, pg_result_url, pg_success_url, pg_failure_url, or the
// scenario merchant's) and a payout's pg_post_link carry a user and a
// password. The callbacks go to them with the credentials, but neither the
// payments, the payouts, the notifies, the journal, the verdicts, the
// dashboard nor the log shows the password: each shows "user:xxxxx@".
func TestCallbackURLPasswordsNeverShown(t *testing.T) {
	sh := newCarefulShop(t)
	shop := newBasicAuths(t, sh.srv.Config.Handler)
	payee := newMerchant(t, payoutSecret, ackOK)
	payouts := newBasicAuths(t, payee.Config.Handler)
	base := withUserinfo(shop.srv.URL)
	sc, err := scenario.Parse("userinfo.toml", []byte(`
seed = 3
[clock]
mode = "manual"
[[merchants]]
id = "9970"
secret_key = "`+paymentSecret+`"
payout_secret_key = "`+payoutSecret+`"
balance = 100000
post_link = "`+withUserinfo(payouts.srv.URL)+`/scenario-post"
check_url = "`+base+`/m/check"
result_url = "`+base+`/m/result"
success_url = "`+base+`/m/ok"
failure_url = "`+base+`/m/fail"
[[payouts]]
merchant_id = "9970"
order_id = "o-scn"
amount = 10
`))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	s := mock.RunT(t, mock.Options{Scenario: sc, Clock: clock.NewManual(t0), Addr: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})

	// A payment with its own URLs, one with the merchant's; both paid.
	own := initPayment(t, s.URL(), sh, "pg_order_id", "ORD-OWN", "pg_check_url", base+"/hooks/check",
		"pg_result_url", base+"/hooks/result", "pg_success_url", base+"/ok", "pg_failure_url", base+"/fail")
	if code, loc, body := payCard(t, own.Value("pg_redirect_url"), "4716047261941981"); code != http.StatusOK || !strings.Contains(body, "user:s3cret@") {
		t.Fatalf("paying: HTTP %d %s, want the page that sends the payer to the success URL as given:\n%.2000s", code, loc, body)
	}
	theirs := payPost(t, s.URL()+"/init_payment.php", signed("init_payment.php", paymentSecret,
		"pg_merchant_id", "9970", "pg_order_id", "ORD-SCN", "pg_amount", "10", "pg_description", "d"))
	if theirs.get("pg_status") != "ok" {
		t.Fatalf("init_payment: %s", theirs.body)
	}
	payCard(t, theirs.get("pg_redirect_url"), "4716047261941981")
	// A payout with its own pg_post_link; the scenario's has the merchant's.
	if r := send(t, s, "9970", payoutSecret, "/g2g/p2p2nonreg", "pg_order_id", "o-own", "pg_amount", "10", "pg_description", "d",
		"pg_payment_to", "4405645000006150", "pg_post_link", withUserinfo(payouts.srv.URL)+"/post"); r.get("pg_status") != "ok" {
		t.Fatalf("p2p2nonreg: %s", r.body)
	}
	if _, err := s.Drain(); err != nil {
		t.Fatal(err)
	}

	// The credentials went with every callback.
	calls := append(shop.all(), payouts.all()...)
	for _, want := range []string{"/hooks/check user:s3cret", "/hooks/result user:s3cret", "/m/check user:s3cret",
		"/m/result user:s3cret", "/post user:s3cret", "/scenario-post user:s3cret"} {
		found := false
		for _, c := range calls {
			found = found || c == want
		}
		if !found {
			t.Errorf("no callback %q among %q", want, calls)
		}
	}

	shown := map[string]string{}
	for _, path := range []string{"/_mock/payments", "/_mock/payments/" + own.Value("pg_payment_id"),
		"/_mock/payments/" + theirs.get("pg_payment_id"), "/_mock/payouts", "/_mock/notifications",
		"/_mock/requests", "/_mock/verify", "/_mock/ui", "/_mock/ui/view"} {
		res, err := http.Get(s.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(res.Body)
		res.Body.Close()
		shown[path] = string(data)
	}
	for _, want := range []string{"user:xxxxx@127.0.0.1", "/hooks/check", "/m/result", "/post"} {
		if !strings.Contains(shown["/_mock/payments"]+shown["/_mock/payouts"], want) {
			t.Errorf("the payments and payouts lack %q:\n%.3000s", want, shown["/_mock/payments"])
		}
	}
	s.Close()
	shown["the log"] = logs.String()
	if !strings.Contains(shown["the log"], "user:xxxxx@") {
		t.Errorf("the log names no callback URL, masked:\n%.3000s", shown["the log"])
	}
	for where, text := range shown {
		if i := strings.Index(text, "s3cret"); i >= 0 {
			t.Errorf("%s shows the URL's password: …%s…", where, text[max(0, i-200):min(len(text), i+100)])
		}
	}
}
