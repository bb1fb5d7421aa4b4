// The end-to-end test across containers: the compose example's sandbox and
// sample merchant, built and run on a real Docker engine. It runs when
// FREEDOMPAY_MOCK_E2E_DOCKER=1 (.ci/run sets it when an engine answers);
// COMPOSE picks the tool ("docker compose" or "docker-compose").
package compose_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/notify"
)

// stack is the compose project under test.
type stack struct {
	t        *testing.T
	compose  []string // the tool and the project's flags
	sandbox  string   // base URLs on the host's published ports
	merchant string
}

func composeTool(t *testing.T) []string {
	if c := os.Getenv("COMPOSE"); c != "" {
		return strings.Fields(c)
	}
	if exec.Command("docker", "compose", "version").Run() == nil {
		return []string{"docker", "compose"}
	}
	if _, err := exec.LookPath("docker-compose"); err == nil {
		return []string{"docker-compose"}
	}
	t.Skip("neither docker compose nor docker-compose is installed")
	return nil
}

// run runs a command and returns its output, failing the test on error.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "SANDBOX_PORT=", "MERCHANT_PORT=") // published on free ports
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// builderImage makes sure an image to build this module in exists, and
// returns its name for --build-arg BUILDER= (compose.yaml reads it from
// FREEDOMPAY_MOCK_BUILDER): the official golang image when present or
// pullable, else the private one .ci/builder-image makes offline.
func builderImage(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("../../.ci/builder-image")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf(".ci/builder-image: %v\n%s", err, stderr.String())
	}
	name := lastLine(string(out))
	if name == "" {
		t.Fatalf(".ci/builder-image printed no image name\n%s", stderr.String())
	}
	t.Logf("%s-> %s", stderr.String(), name)
	return name
}

func (s *stack) do(args ...string) string {
	s.t.Helper()
	all := append(append([]string(nil), s.compose[1:]...), args...)
	return run(s.t, s.compose[0], all...)
}

// ports finds where the services are published, as they change on restart.
func (s *stack) ports() {
	s.t.Helper()
	s.sandbox = "http://" + lastLine(s.do("port", "sandbox", "8080"))
	s.merchant = "http://" + lastLine(s.do("port", "merchant", "8000"))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// eventually checks cond until it holds, failing after timeout with what
// cond last said. The sandbox runs on the real clock here, in containers,
// so the test waits in wall time.
func (s *stack) eventually(what string, timeout time.Duration, cond func() (bool, string)) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s: not after %s: %s\n%s", what, timeout, why, s.logs())
		}
		<-tick.C
	}
}

func (s *stack) logs() string {
	cmd := exec.Command(s.compose[0], append(append([]string(nil), s.compose[1:]...), "logs", "--no-color", "--tail", "60")...)
	out, _ := cmd.CombinedOutput()
	return string(out)
}

// get fetches url into out (JSON), reporting whether it answered 200.
func get(url string, out any) (bool, string) {
	resp, err := http.Get(url)
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Sprintf("HTTP %d %s", resp.StatusCode, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return false, fmt.Sprintf("not JSON: %v: %s", err, body)
		}
	}
	return true, ""
}

func (s *stack) ready() {
	s.t.Helper()
	s.ports()
	s.eventually("sandbox ready", 30*time.Second, func() (bool, string) { return get(s.sandbox+"/_mock/ready", nil) })
	s.eventually("merchant listening", 30*time.Second, func() (bool, string) { return get(s.merchant+"/seen", nil) })
}

// await long-polls the sandbox's /_mock/await.
func (s *stack) await(query string) {
	s.t.Helper()
	if ok, why := get(s.sandbox+"/_mock/await?timeout=60s&"+query, nil); !ok {
		s.t.Fatalf("await %s: %s\n%s", query, why, s.logs())
	}
}

func (s *stack) notifications(order string) []notify.Notification {
	s.t.Helper()
	var out struct {
		Notifications []notify.Notification `json:"notifications"`
	}
	if ok, why := get(s.sandbox+"/_mock/notifications?order_id="+url.QueryEscape(order), &out); !ok {
		s.t.Fatalf("notifications of %s: %s", order, why)
	}
	return out.Notifications
}

// pay asks the merchant service to make a payout.
func (s *stack) pay(order string, amount int) {
	s.t.Helper()
	resp, err := http.PostForm(s.merchant+"/pay", url.Values{"order_id": {order}, "amount": {strconv.Itoa(amount)}})
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("pay %s: HTTP %d %s", order, resp.StatusCode, body)
	}
}

type seen struct {
	OrderID     string `json:"order_id"`
	Status      string `json:"status"`
	SignatureOK bool   `json:"signature_ok"`
	Duplicate   bool   `json:"duplicate"`
}

// seenBy lists the notifies the merchant received for an order, across its
// restarts as far as this run of it goes.
func (s *stack) seenBy(order string) []seen {
	s.t.Helper()
	var all []seen
	if ok, why := get(s.merchant+"/seen", &all); !ok {
		s.t.Fatalf("merchant /seen: %s", why)
	}
	var out []seen
	for _, x := range all {
		if x.OrderID == order {
			out = append(out, x)
		}
	}
	return out
}

// failedAttempts waits until the notify of order has at least n failed
// attempts, and returns it.
func (s *stack) failedAttempts(order string, n int) notify.Notification {
	s.t.Helper()
	var got notify.Notification
	s.eventually(fmt.Sprintf("%d failed attempts to notify %s", n, order), 60*time.Second, func() (bool, string) {
		ns := s.notifications(order)
		if len(ns) == 0 {
			return false, "no notify yet"
		}
		got = ns[0]
		failed := 0
		for _, a := range got.Attempts {
			if !a.Delivered {
				failed++
			}
		}
		return failed >= n, fmt.Sprintf("%d failed attempts, state %s", failed, got.State)
	})
	return got
}

// deliveredOnce checks that order's notify was delivered, by the sandbox's
// record and the merchant's, exactly once, with a good signature.
func (s *stack) deliveredOnce(order string) notify.Notification {
	s.t.Helper()
	s.await("order_id=" + url.QueryEscape(order) + "&state=delivered")
	ns := s.notifications(order)
	if len(ns) != 1 {
		s.t.Fatalf("%s: %d notifies, want 1: %+v", order, len(ns), ns)
	}
	n := ns[0]
	delivered := 0
	for _, a := range n.Attempts {
		if a.Delivered {
			delivered++
			if !a.Conforming {
				s.t.Errorf("%s: the merchant's ack was not conforming: %s", order, a.Reason)
			}
		}
	}
	if delivered != 1 || !n.Attempts[len(n.Attempts)-1].Delivered {
		s.t.Errorf("%s: attempts %+v: want the last one, and only it, delivered", order, n.Attempts)
	}
	got := s.seenBy(order)
	if len(got) != 1 || !got[0].SignatureOK || got[0].Duplicate {
		s.t.Errorf("%s: the merchant saw %+v: want one notify with a good signature", order, got)
	}
	return n
}

// post posts a form to the merchant and wants HTTP 200.
func (s *stack) post(path string, form url.Values) {
	s.t.Helper()
	resp, err := http.PostForm(s.merchant+path, form)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("POST %s %s: HTTP %d %s\n%s", path, form.Encode(), resp.StatusCode, body, s.logs())
	}
}

// expectPayment wants the sandbox's payment of order to satisfy ok.
func (s *stack) expectPayment(order string, ok func(map[string]any) bool) {
	s.t.Helper()
	var list struct {
		Payments []map[string]any `json:"payments"`
	}
	if good, why := get(s.sandbox+"/_mock/payments?order_id="+url.QueryEscape(order), &list); !good {
		s.t.Fatalf("payments of %s: %s", order, why)
	}
	if len(list.Payments) != 1 || !ok(list.Payments[0]) {
		s.t.Errorf("the sandbox's payment of %s: %v", order, list.Payments)
	}
}

// checkout takes a card payment through the merchant's checkout, which
// makes it, pays it on the hosted page as the payer (confirming 3-D Secure
// when the card wants it), answers the check request and the result notify
// and polls get_status3.php. It checks the merchant's account and the
// sandbox's: a success, paid by a verified result notify, and one check
// request and one result notify delivered and acknowledged with a signed
// ok.
func (s *stack) checkout(order, card string, threeDS bool) {
	s.t.Helper()
	resp, err := http.PostForm(s.merchant+"/checkout", url.Values{"order_id": {order}, "amount": {"1500"}, "card": {card}})
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var got struct {
		PaymentID  string `json:"payment_id"`
		Status     string `json:"status"`
		ThreeDS    bool   `json:"three_ds"`
		PageStatus int    `json:"page_status"`
		Outcome    string `json:"outcome"`
	}
	if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != http.StatusOK {
		s.t.Fatalf("checkout %s: HTTP %d %s (%v)\n%s", order, resp.StatusCode, body, err, s.logs())
	}
	if got.Status != "success" || got.Outcome != "paid" || got.PageStatus != http.StatusOK || got.ThreeDS != threeDS {
		s.t.Errorf("checkout %s: %s; want status success, outcome paid, page 200, three_ds %t", order, body, threeDS)
	}
	var p struct {
		Status        string                `json:"status"`
		OrderID       string                `json:"order_id"`
		Notifications []notify.Notification `json:"notifications"`
	}
	if ok, why := get(s.sandbox+"/_mock/payments/"+url.PathEscape(got.PaymentID), &p); !ok {
		s.t.Fatalf("payment %s of %s: %s", got.PaymentID, order, why)
	}
	if p.Status != "success" || p.OrderID != order {
		s.t.Errorf("payment %s: the sandbox says %s of order %q, want success of %s", got.PaymentID, p.Status, p.OrderID, order)
	}
	n := map[string]int{}
	for _, c := range p.Notifications {
		n[c.Kind]++
		if c.State != "delivered" || len(c.Attempts) != 1 || !c.Attempts[0].Delivered || !c.Attempts[0].Conforming ||
			!strings.Contains(c.Attempts[0].Answer, "<pg_status>ok</pg_status>") {
			s.t.Errorf("payment %s: %s %s to %s: %+v; want one attempt, delivered and answered ok", got.PaymentID, c.Kind, c.State, c.URL, c.Attempts)
		}
	}
	if n[notify.CheckRequest] != 1 || n[notify.ResultNotify] != 1 || len(p.Notifications) != 2 {
		s.t.Errorf("payment %s: callbacks %v, want one check request and one result notify", got.PaymentID, n)
	}
}

// checkLadder checks that each retry of n went out when the scenario's
// ladder says (2s, 4s, 8s, ... after the attempt before), within slack.
func checkLadder(t *testing.T, n notify.Notification, slack time.Duration) {
	t.Helper()
	ladder := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, time.Minute}
	for i := 1; i < len(n.Attempts); i++ {
		gap := n.Attempts[i].At.Sub(n.Attempts[i-1].At)
		if want := ladder[i-1]; gap < want || gap > want+slack {
			t.Errorf("%s: attempt %d came %s after attempt %d; the ladder says %s", n.OrderID, i+1, gap, i, want)
		}
	}
}

func TestComposeEndToEnd(t *testing.T) {
	if os.Getenv("FREEDOMPAY_MOCK_E2E_DOCKER") != "1" {
		t.Skip("set FREEDOMPAY_MOCK_E2E_DOCKER=1 to build the images and run the compose example on a Docker engine")
	}
	if err := exec.Command("docker", "info").Run(); err != nil {
		t.Skip("no Docker engine answers: ", err)
	}
	tool := composeTool(t)
	t.Setenv("FREEDOMPAY_MOCK_BUILDER", builderImage(t)) // read by compose.yaml
	project := fmt.Sprintf("fpm-e2e-%d", os.Getpid())
	s := &stack{t: t, compose: append(tool, "-p", project, "-f", "compose.yaml")}
	t.Cleanup(func() {
		_ = exec.Command(s.compose[0], append(append([]string(nil), s.compose[1:]...), "down", "-v", "--remove-orphans")...).Run()
	})

	start := time.Now()
	s.do("build")
	t.Logf("%s build: %s", strings.Join(tool, " "), time.Since(start).Round(time.Second))
	s.do("up", "-d")
	s.ready()

	// 1. The merchant's own payout, made at its start: created, notified,
	// verified, acknowledged, polled to its final status.
	var created string
	s.eventually("the merchant's first payout", 30*time.Second, func() (bool, string) {
		var out struct {
			Payouts []struct {
				OrderID string `json:"order_id"`
			} `json:"payouts"`
		}
		if ok, why := get(s.sandbox+"/_mock/payouts?merchant_id=9970", &out); !ok || len(out.Payouts) == 0 {
			return false, "no payout yet " + why
		}
		created = out.Payouts[0].OrderID
		return true, ""
	})
	s.deliveredOnce(created)
	s.eventually("the merchant's poll sees the final status", 30*time.Second, func() (bool, string) {
		logs := s.do("logs", "--no-color", "merchant")
		return strings.Contains(logs, "final order_id="+created+" status=success"), "no final line for " + created
	})

	// 2. Card payments through the merchant's checkout: the sandbox calls
	// the merchant back in its container before and after the charge.
	s.checkout("shop-1", "4716047261941981", false)
	s.checkout("shop-3ds", "4916307416334310", true) // 3-D Secure
	// After the charge: a partial refund, then the rest; the sandbox agrees.
	s.post("/refund", url.Values{"order_id": {"shop-1"}, "amount": {"500"}})
	s.post("/refund", url.Values{"order_id": {"shop-1"}})
	s.expectPayment("shop-1", func(p map[string]any) bool { return p["refund_amount"] == "-1500.00" })

	// 3. The merchant goes away while its notify is due: the attempts fail
	// and are recorded; back up, it gets the notify on the next retry.
	s.pay("down-1", 100)
	s.do("stop", "merchant")
	n := s.failedAttempts("down-1", 2)
	for _, a := range n.Attempts {
		if a.Error == "" && a.HTTPStatus == 0 {
			t.Errorf("down-1: failed attempt %d records no reason", a.N)
		}
	}
	s.do("start", "merchant")
	s.ready()
	n = s.deliveredOnce("down-1")
	if len(n.Attempts) < 3 {
		t.Errorf("down-1: %d attempts, want the failed ones and the delivery", len(n.Attempts))
	}
	checkLadder(t, n, 1500*time.Millisecond)

	// 4. The sandbox restarts with a notify waiting for its retry and a
	// payout still in process: after the restart both are delivered, once,
	// on schedule, and the attempts made before it are still on record.
	s.pay("restart-1", 100) // success after 3s
	s.pay("restart-2", 500) // success after 12s
	s.do("stop", "merchant")
	before := s.failedAttempts("restart-1", 1)
	stopStart := time.Now()
	s.do("restart", "sandbox")
	t.Logf("sandbox restart (stop and start): %s", time.Since(stopStart).Round(10*time.Millisecond))
	s.do("start", "merchant")
	s.ready()
	n = s.deliveredOnce("restart-1")
	if n.Attempts[0].At != before.Attempts[0].At || n.Attempts[0].Error != before.Attempts[0].Error {
		t.Errorf("restart-1: the attempt made before the restart changed: %+v, was %+v", n.Attempts[0], before.Attempts[0])
	}
	n = s.deliveredOnce("restart-2")
	var payout struct {
		Timeline []struct {
			At     time.Time `json:"at"`
			Status string    `json:"status"`
		} `json:"timeline"`
	}
	if ok, why := get(s.sandbox+"/_mock/payouts/"+strconv.FormatInt(n.PaymentID, 10), &payout); !ok {
		t.Fatal(why)
	}
	due := payout.Timeline[len(payout.Timeline)-1].At
	if late := n.Attempts[0].At.Sub(due); late < 0 || late > 1500*time.Millisecond {
		t.Errorf("restart-2: first attempt at %s, due at %s (%s late)", n.Attempts[0].At, due, late)
	}

	// 5. Killed outright (SIGKILL, no shutdown) right after a payout is
	// made: the payout, saved before its reply, is still there and notified.
	s.pay("kill-1", 100)
	s.do("kill", "sandbox")
	s.do("start", "sandbox")
	s.ready()
	s.deliveredOnce("kill-1")

	var verdict struct {
		OK bool `json:"ok"`
	}
	if ok, why := get(s.sandbox+"/_mock/verify", &verdict); !ok || !verdict.OK {
		t.Errorf("verify: %v %s", verdict, why)
	}

	// 6. docker stop: SIGTERM to PID 1, a clean exit well within 5 s.
	id := s.do("ps", "-q", "sandbox")
	stopStart = time.Now()
	run(t, "docker", "stop", "-t", "10", lastLine(id))
	took := time.Since(stopStart)
	code := run(t, "docker", "inspect", "-f", "{{.State.ExitCode}}", lastLine(id))
	t.Logf("docker stop: %s, exit code %s", took.Round(10*time.Millisecond), code)
	if code != "0" || took > 5*time.Second {
		t.Errorf("docker stop took %s and exited %s: want exit 0 within 5s", took, code)
	}
}

// TestImageFigures measures what docs/docker.md reports of the image: its
// size, the time from docker run to ready, and the idle memory.
func TestImageFigures(t *testing.T) {
	if os.Getenv("FREEDOMPAY_MOCK_E2E_DOCKER") != "1" {
		t.Skip("set FREEDOMPAY_MOCK_E2E_DOCKER=1 to measure the image on a Docker engine")
	}
	if err := exec.Command("docker", "image", "inspect", "freedompay-mock:dev").Run(); err != nil {
		t.Skip("no freedompay-mock:dev image: run TestComposeEndToEnd first")
	}
	size := run(t, "docker", "image", "inspect", "-f", "{{.Size}}", "freedompay-mock:dev")
	var readies []time.Duration
	var mem string
	for i := range 5 {
		start := time.Now()
		id := run(t, "docker", "run", "-d", "--read-only", "-p", "127.0.0.1::8080", "freedompay-mock:dev")
		addr := lastLine(run(t, "docker", "port", id, "8080"))
		tick := time.NewTicker(2 * time.Millisecond)
		for {
			if ok, _ := get("http://"+addr+"/_mock/ready", nil); ok {
				break
			}
			if time.Since(start) > 20*time.Second {
				t.Fatalf("not ready after 20s: %s", run(t, "docker", "logs", id))
			}
			<-tick.C
		}
		tick.Stop()
		readies = append(readies, time.Since(start))
		if i == 0 {
			<-time.After(2 * time.Second) // idle a while, then read its memory
			mem = run(t, "docker", "stats", "--no-stream", "--format", "{{.MemUsage}}", id)
		}
		run(t, "docker", "rm", "-f", id)
	}
	var b bytes.Buffer
	for _, r := range readies {
		fmt.Fprintf(&b, " %s", r.Round(time.Millisecond))
	}
	n, _ := strconv.ParseFloat(size, 64)
	t.Logf("image %.1f MB; docker run to ready:%s; idle memory %s", n/1e6, b.String(), mem)
}
