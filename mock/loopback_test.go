package mock_test

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// loopbackScenario has merchant 9970 calling back at post, and one payout,
// o-1, paid out a second after the start; one retry 10 s after a failure.
func loopbackScenario(t *testing.T, post, extra string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("loopback.toml", []byte(`
seed = 3
[clock]
mode = "manual"
start = 2026-03-01T10:00:00Z
[notify]
retries = ["10s"]
timeout = "5s"
`+extra+`
[[merchants]]
id = "9970"
payout_secret_key = "test_secret_key"
balance = 1000
post_link = "`+post+`"

[[payouts]]
merchant_id = "9970"
order_id = "o-1"
amount = 100
timeline = [ { at = "1s", status = "success" } ]
`))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return port
}

// oneAttempt moves the clock to the payout's success and returns the one
// attempt made.
func oneAttempt(t *testing.T, s *mock.Server) notify.Attempt {
	t.Helper()
	a, err := attempted(s.Advance(time.Second))
	if err != nil || len(a) != 1 {
		t.Fatalf("Advance(1s): %d attempts (%v), want 1: %+v", len(a), err, a)
	}
	return a[0]
}

// TestLoopbackHostTakesLocalCallbacks: with a loopback host, a notify to a
// post_link on a loopback address goes to that host, at the same port,
// path and query, with a Host header naming it; the attempt records both.
// --callback-allow is checked on the post_link as the merchant gave it.
func TestLoopbackHostTakesLocalCallbacks(t *testing.T) {
	var mu sync.Mutex
	var hosts, queries []string
	m := newMerchant(t, "test_secret_key", func(w http.ResponseWriter, r *http.Request, f sign.Fields) {
		mu.Lock()
		hosts, queries = append(hosts, r.Host), append(queries, r.URL.RawQuery)
		mu.Unlock()
		ackOK(w, r, f)
	})
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(m.URL, "http://"))
	// 127.0.0.2 reaches this machine, where nothing listens on that address
	// and port: only the rewrite to 127.0.0.1 finds the merchant.
	post := "http://127.0.0.2:" + port + "/hooks/post?shop=kz"
	sentTo := "http://127.0.0.1:" + port + "/hooks/post?shop=kz"

	for _, allow := range []string{"", "127.0.0.2", "127.0.0.0/8,*.test"} {
		s := mock.RunT(t, mock.Options{Scenario: loopbackScenario(t, post, ""), CallbackLoopbackHost: "127.0.0.1", CallbackAllow: allow})
		a := oneAttempt(t, s)
		if !a.Delivered || a.SentTo != sentTo {
			t.Errorf("allow %q: attempt delivered %v, sent to %q (error %q); want delivered to %s", allow, a.Delivered, a.SentTo, a.Error, sentTo)
		}
		if n := mock.AllNotifications(s)[0]; n.URL != post || n.Attempts[0].SentTo != sentTo {
			t.Errorf("allow %q: notification to %q, attempt sent to %q; want the post_link %s and %s", allow, n.URL, n.Attempts[0].SentTo, post, sentTo)
		}
	}
	mu.Lock()
	for i := range hosts {
		if hosts[i] != "127.0.0.1:"+port || queries[i] != "shop=kz" {
			t.Errorf("the merchant saw Host %q and query %q; want 127.0.0.1:%s and shop=kz", hosts[i], queries[i], port)
		}
	}
	mu.Unlock()
	if len(m.got()) != 3 || m.badSig != 0 {
		t.Errorf("the merchant got %d notifies, %d with a bad signature; want 3 good ones", len(m.got()), m.badSig)
	}

	// The post_link as given is not allowed: nothing is sent.
	s := mock.RunT(t, mock.Options{Scenario: loopbackScenario(t, post, ""), CallbackLoopbackHost: "127.0.0.1", CallbackAllow: "127.0.0.1"})
	if a := oneAttempt(t, s); a.Delivered || !strings.Contains(a.Error, "127.0.0.2 is in none of: 127.0.0.1") {
		t.Errorf("allow 127.0.0.1, post_link on 127.0.0.2: delivered %v, error %q; want refused by the allow list", a.Delivered, a.Error)
	}
	// Another host is left alone.
	s = mock.RunT(t, mock.Options{Scenario: loopbackScenario(t, "http://merchant.invalid:"+port+"/hooks/post", ""), CallbackLoopbackHost: "127.0.0.1"})
	if a := oneAttempt(t, s); a.Delivered || a.SentTo != "" || !strings.Contains(a.Reason, "merchant.invalid does not resolve") {
		t.Errorf("post_link on merchant.invalid: delivered %v, sent to %q, reason %q; want it tried there, not rewritten", a.Delivered, a.SentTo, a.Reason)
	}
}

// TestFailedAttemptsSayWhy: an attempt that gets no answer has a reason in
// words, in the attempt, the control API and the log, and the client's
// own error beside it; inside a container a loopback post_link says what
// to do.
func TestFailedAttemptsSayWhy(t *testing.T) {
	port := closedPort(t)
	const hint = "127.0.0.1 inside a container is the container itself: set FREEDOMPAY_MOCK_CALLBACK_LOOPBACK_HOST=host.docker.internal and start the container with --add-host=host.docker.internal:host-gateway"
	for _, c := range []struct {
		name        string
		post        string
		loopback    string
		inContainer bool
		want        string
	}{
		{"refused", "http://127.0.0.1:" + port + "/p", "", false,
			"connection refused: nothing listens at 127.0.0.1:" + port},
		{"refused in a container", "http://127.0.0.1:" + port + "/p", "", true,
			"connection refused: nothing listens at 127.0.0.1:" + port + "; " + hint},
		{"the loopback host does not resolve", "http://localhost:" + port + "/p", "no-such-host.invalid", true,
			"no-such-host.invalid does not resolve: start the container with --add-host=no-such-host.invalid:host-gateway"},
		{"nothing listens on the host", "http://localhost:" + port + "/p", "127.0.0.1", true,
			"nothing listens on 127.0.0.1:" + port + ": the merchant must listen on 0.0.0.0, not 127.0.0.1"},
		{"no such host", "http://no-such-host.invalid/p", "", true,
			"no such host: no-such-host.invalid does not resolve"},
	} {
		t.Run(c.name, func(t *testing.T) {
			logs := &syncBuffer{mu: make(chan struct{}, 1)}
			opts := mock.AsIfInContainer(mock.Options{Scenario: loopbackScenario(t, c.post, ""), CallbackLoopbackHost: c.loopback,
				Logger: slog.New(slog.NewTextHandler(logs, nil))}, c.inContainer)
			s := mock.RunT(t, opts)
			a := oneAttempt(t, s)
			if a.Delivered || a.Reason != c.want || a.Error == "" || a.Error == a.Reason {
				t.Errorf("attempt: delivered %v\nreason %q\nerror %q\nwant reason %q and the client's error", a.Delivered, a.Reason, a.Error, c.want)
			}
			var out struct {
				Notifications []notify.Notification `json:"notifications"`
			}
			ctl(t, s, "", http.MethodGet, "/_mock/notifications?order_id=o-1", "", http.StatusOK, &out)
			if len(out.Notifications) != 1 || out.Notifications[0].Attempts[0].Reason != c.want {
				t.Errorf("/_mock/notifications: %+v; want the attempt with reason %q", out.Notifications, c.want)
			}
			if !strings.Contains(logs.String(), fmt.Sprintf("reason=%q", c.want)) {
				t.Errorf("log:\n%s\nwant the reason %q", logs, c.want)
			}
		})
	}
}

// TestNotifyLogLines: each notify log line names the merchant, the order
// and the payment, and carries no attribute without a value.
func TestNotifyLogLines(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	m := newMerchant(t, "test_secret_key", func(w http.ResponseWriter, r *http.Request, f sign.Fields) {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		if first {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		ackOK(w, r, f)
	})
	logs := &syncBuffer{mu: make(chan struct{}, 1)}
	s := mock.RunT(t, mock.Options{Scenario: loopbackScenario(t, m.URL+"/hooks/post", ""), Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if a, err := attempted(s.Advance(20 * time.Second)); err != nil || len(a) != 2 || !a[1].Delivered {
		t.Fatalf("Advance(20s): %+v %v; want a failed attempt and a delivered one", a, err)
	}
	pid := mock.AllNotifications(s)[0].PaymentID
	var lines []string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "payout notify") {
			lines = append(lines, line)
		}
	}
	if len(lines) != 2 || !strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[1], "level=INFO") {
		t.Fatalf("notify log lines:\n%s\nwant a WARN for the failed attempt, then an INFO", strings.Join(lines, "\n"))
	}
	for _, line := range lines {
		for _, want := range []string{"merchant_id=9970", "order_id=o-1", fmt.Sprintf("payment_id=%d", pid)} {
			if !strings.Contains(line, want) {
				t.Errorf("log line %s\nlacks %s", line, want)
			}
		}
		if strings.Contains(line, `=""`) || strings.Contains(line, "=0 ") || strings.Contains(line, "=<nil>") {
			t.Errorf("log line %s\nhas an attribute without a value", line)
		}
	}
	if !strings.Contains(lines[0], "http_status=503") || !strings.Contains(lines[0], `reason="HTTP 503"`) || strings.Contains(lines[0], "error=") {
		t.Errorf("failed attempt's line: %s\nwant http_status=503 and reason, and no error (there is none)", lines[0])
	}
	if strings.Contains(lines[1], "error=") || strings.Contains(lines[1], "reason=") {
		t.Errorf("delivered attempt's line: %s\nwant neither error nor reason", lines[1])
	}
}

// TestDefaultScenarioStartsQuietly: the embedded default scenario's
// merchants use the demo merchant, so a first run delivers its payouts'
// notifies, acknowledged, with no warning in the log.
func TestDefaultScenarioStartsQuietly(t *testing.T) {
	logs := &syncBuffer{mu: make(chan struct{}, 1)}
	s := mock.RunT(t, mock.Options{ClockMode: "manual", Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	attempts, err := attempted(s.Advance(time.Hour))
	if err != nil || len(attempts) == 0 {
		t.Fatalf("Advance(1h): %d attempts (%v); want the default payouts' notifies", len(attempts), err)
	}
	var out struct {
		Notifications []notify.Notification `json:"notifications"`
	}
	ctl(t, s, "", http.MethodGet, "/_mock/notifications", "", http.StatusOK, &out)
	if len(out.Notifications) != len(attempts) {
		t.Errorf("%d notifications, %d attempts; want one attempt each", len(out.Notifications), len(attempts))
	}
	orders := map[string]bool{}
	for _, n := range out.Notifications {
		orders[n.OrderID] = true
		if n.URL != scenario.DemoPostLink || n.State != notify.StateDelivered || len(n.Attempts) != 1 || !n.Attempts[0].Conforming {
			t.Errorf("order %s: notify to %s %s with attempts %+v; want delivered to the demo merchant at once, conforming", n.OrderID, n.URL, n.State, n.Attempts)
		}
	}
	for _, order := range []string{"12345", "1001", "1002", "1003"} {
		if !orders[order] {
			t.Errorf("no notify for order %s", order)
		}
		if want := "demo merchant: payout notify for order " + order; !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if text := logs.String(); strings.Contains(text, "level=WARN") || strings.Contains(text, "level=ERROR") {
		t.Errorf("log of the default scenario:\n%s\nwant no warning", text)
	}
}

// TestDemoMerchantOverHTTP: the demo merchant answers at its path, without
// the admin token (a post_link is public), with a signed ack for a good
// notify and a rejection for a bad one.
func TestDemoMerchantOverHTTP(t *testing.T) {
	logs := &syncBuffer{mu: make(chan struct{}, 1)}
	s := mock.RunT(t, mock.Options{ClockMode: "manual", AdminToken: "s3cret", Logger: slog.New(slog.NewTextHandler(logs, nil))})
	url := s.URL() + scenario.DemoPostLink
	notifyFields := func(secret string) sign.Fields {
		return signed("merchant", secret, "pg_payment_id", "1", "pg_order_id", "o-1", "pg_status", "ok",
			"pg_merchant_id", "9970")
	}
	post := func(fields sign.Fields, query string) (int, string) {
		resp, err := http.Post(url+query, "application/x-www-form-urlencoded", strings.NewReader(wire.EncodeForm(fields)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	code, body := post(notifyFields("test_secret_key"), "")
	if ok, why := notify.CheckAck([]byte(body), "merchant", "test_secret_key"); code != http.StatusOK || !ok {
		t.Errorf("a good notify: HTTP %d %s (%s); want a conforming signed ack", code, body, why)
	}
	for name, c := range map[string]struct {
		fields sign.Fields
		query  string
	}{
		"wrong secret":       {notifyFields("not-the-secret"), ""},
		"unsigned":           {notifyFields("test_secret_key").Without("pg_sig"), ""},
		"another merchant's": {notifyFields("test_secret_key"), "?merchant_id=123456"},
	} {
		code, body := post(c.fields, c.query)
		fields, err := wire.DecodeXML([]byte(body))
		if code != http.StatusOK || err != nil || fields.Value("pg_status") != "rejected" {
			t.Errorf("%s: HTTP %d %s; want a <response> with pg_status rejected", name, code, body)
		}
	}
	// Anyone may post here: what it logs of a request is cut short, and
	// its signed refusal quotes nothing of the request (else anyone could
	// have a text of their choosing signed with the merchant's secret).
	before := len(logs.String())
	huge := strings.Repeat("\x7f", 9<<10) // 54 KiB encoded: under the demo merchant's 64 KiB
	_, body = post(sign.Fields{{Name: "pg_merchant_id", Value: huge}, {Name: "pg_order_id", Value: huge}, {Name: "pg_sig", Value: "x"}}, "?merchant_id=9970")
	if n := len(logs.String()) - before; n > 8<<10 {
		t.Errorf("a 54 KiB notify made %d bytes of log; want a few kilobytes at most", n)
	}
	if strings.Contains(body, "\x7f") || !strings.Contains(body, "<pg_status>rejected</pg_status>") {
		t.Errorf("refusal %.300s: want rejected, quoting nothing of the request", body)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: HTTP %d, want 405", resp.StatusCode)
	}
}

// TestDemoMerchantIsCareful: the demo merchant takes every encoding, and
// the drills find it careful: it refuses forged, tampered, unsigned and
// replayed notifies and acknowledges the rest.
func TestDemoMerchantIsCareful(t *testing.T) {
	for _, enc := range []string{"urlencoded", "multipart", "xml"} {
		sc := loopbackScenario(t, scenario.DemoPostLink, "encoding = \""+enc+"\"\nack = \"strict\"\n")
		s := mock.RunT(t, mock.Options{Scenario: sc})
		if a := oneAttempt(t, s); !a.Delivered || !a.Conforming {
			t.Errorf("encoding %s: attempt %+v; want delivered, conforming", enc, a)
		}
	}
	var payouts strings.Builder
	drills := []string{"duplicate", "out_of_order", "late", "forged", "tampered", "unsigned", "replayed"}
	for _, d := range drills {
		fmt.Fprintf(&payouts, "\n[[payouts]]\nmerchant_id = \"9970\"\norder_id = %q\namount = 100\n", d)
		fmt.Fprintf(&payouts, "timeline = [ { at = \"0s\", status = \"process\" }, { at = \"5s\", status = \"success\" } ]\ndrills = [%q]\n", d)
	}
	sc, err := scenario.Parse("demo-drills.toml", []byte(`
seed = 9
[clock]
mode = "manual"
start = 2026-03-01T10:00:00Z
[drills]
hostile_after = "1s"
late_by = "20s"

[[merchants]]
id = "9970"
payout_secret_key = "test_secret_key"
balance = 1000000
post_link = "/_mock/demo/merchant"

[[merchants]]
id = "9971"
payout_secret_key = "other_merchant_secret"
balance = 1000
post_link = "/_mock/demo/merchant"

[[payouts]]
merchant_id = "9971"
order_id = "other-1"
amount = 10
timeline = [ { at = "0s", status = "success" } ]
`+payouts.String()))
	if err != nil {
		t.Fatal(err)
	}
	s := mock.RunT(t, mock.Options{Scenario: sc})
	if _, err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	judged := map[string]bool{}
	for _, n := range mock.AllNotifications(s) {
		if n.Verdict == nil {
			continue
		}
		judged[n.Drill] = true
		if !n.Verdict.OK {
			t.Errorf("drill %s: %s", n.Drill, n.Verdict.Message)
		}
	}
	for _, d := range drills {
		if !judged[d] {
			t.Errorf("drill %s has no verdict", d)
		}
	}
}

// TestDemoMerchantResumes: a state saved with the demo merchant's
// notifies in it is taken back after a restart.
func TestDemoMerchantResumes(t *testing.T) {
	dir := t.TempDir()
	s, err := mock.Run(mock.Options{ClockMode: "manual", StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Advance(time.Minute); err != nil {
		t.Fatal(err)
	}
	before := len(mock.AllNotifications(s))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mock.RunT(t, mock.Options{ClockMode: "manual", StateDir: dir})
	if got := len(mock.AllNotifications(s)); got != before || before == 0 {
		t.Errorf("after the restart: %d notifications, want the %d delivered before", got, before)
	}
}
