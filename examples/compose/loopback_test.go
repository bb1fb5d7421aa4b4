package compose_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// hostMerchant is a merchant's app on the job's host: it listens on every
// interface, as a merchant a container calls back must, and acknowledges
// every notify whose signature verifies.
type hostMerchant struct {
	port  string
	mu    sync.Mutex
	got   []sign.Fields
	hosts []string
}

func newHostMerchant(t *testing.T) *hostMerchant {
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	m := &hostMerchant{port: port}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := wire.Decode(r, 1<<20)
		if err != nil || !sign.Verify(sign.ScriptName(r.URL.Path), req.Fields, "test_secret_key") {
			http.Error(w, "bad notify", http.StatusBadRequest)
			return
		}
		m.mu.Lock()
		m.got, m.hosts = append(m.got, req.Fields), append(m.hosts, r.Host)
		m.mu.Unlock()
		fmt.Fprint(w, `<?xml version="1.0" encoding="utf-8"?><pg_status>ok</pg_status>`)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return m
}

// imageWithBuilder builds freedompay-mock:dev as the compose example does,
// in the builder image .ci/builder-image makes sure of. It passes that
// image as --build-arg BUILDER when the script names it on its last line.
func imageWithBuilder(t *testing.T) {
	t.Helper()
	cmd := exec.Command("../../.ci/builder-image")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf(".ci/builder-image: %v\n%s%s", err, out, stderr.String())
	}
	args := []string{"build", "-q", "-t", "freedompay-mock:dev"}
	if name := lastLine(string(out)); name != "" && !strings.ContainsAny(name, " \t") {
		args = append(args, "--build-arg", "BUILDER="+name)
	}
	start := time.Now()
	run(t, "docker", append(args, "../..")...)
	t.Logf("docker build: %s", time.Since(start).Round(time.Second))
}

// sandboxOn starts the image on network with a manual clock and the extra
// docker run flags, and returns its base URL on the host.
func sandboxOn(t *testing.T, network string, flags ...string) string {
	t.Helper()
	args := append([]string{"run", "-d", "--network", network, "-p", "127.0.0.1::8080", "-e", "FREEDOMPAY_MOCK_CLOCK=manual"}, flags...)
	id := lastLine(run(t, "docker", append(args, "freedompay-mock:dev")...))
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := exec.Command("docker", "logs", "--tail", "40", id).CombinedOutput()
			t.Logf("sandbox log:\n%s", out)
		}
		_ = exec.Command("docker", "rm", "-f", id).Run()
	})
	base := "http://" + lastLine(run(t, "docker", "port", id, "8080"))
	deadline := time.Now().Add(30 * time.Second)
	for {
		if ok, _ := get(base+"/_mock/ready", nil); ok {
			return base
		}
		if time.Now().After(deadline) {
			t.Fatalf("sandbox not ready after 30s")
		}
		<-time.After(100 * time.Millisecond)
	}
}

// payTo makes a payout of merchant 9970 whose pg_post_link is post, moves
// the sandbox's clock past its success, and returns its notify.
func payTo(t *testing.T, base, order, post string) notify.Notification {
	t.Helper()
	fields := sign.Fields{
		{Name: "pg_merchant_id", Value: "9970"}, {Name: "pg_order_id", Value: order}, {Name: "pg_amount", Value: "100"},
		{Name: "pg_description", Value: "loopback"}, {Name: "pg_payment_to", Value: "4671593866478252"},
		{Name: "pg_post_link", Value: post}, {Name: "pg_salt", Value: "salt-" + order},
	}
	fields = append(fields, sign.Field{Name: sign.FieldSig, Value: sign.Sign("p2p2nonreg", fields, "test_secret_key")})
	resp, err := http.Post(base+"/g2g/p2p2nonreg", "application/x-www-form-urlencoded", strings.NewReader(wire.EncodeForm(fields)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "<pg_status>ok</pg_status>") {
		t.Fatalf("payout %s: HTTP %d %s", order, resp.StatusCode, body)
	}
	resp, err = http.Post(base+"/_mock/clock/advance?by=1m", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("advance: HTTP %d %s", resp.StatusCode, body)
	}
	var out struct {
		Notifications []notify.Notification `json:"notifications"`
	}
	if ok, why := get(base+"/_mock/notifications?order_id="+url.QueryEscape(order), &out); !ok || len(out.Notifications) != 1 || len(out.Notifications[0].Attempts) == 0 {
		t.Fatalf("notify of %s: %s %+v; want one, attempted", order, why, out.Notifications)
	}
	return out.Notifications[0]
}

// TestImageCallsTheJobsHost: the image, run as a CI job's service
// container on a network of its own, delivers a notify whose post_link is
// http://localhost:PORT/... to the merchant on the job's host, when it is
// started with --add-host=host.docker.internal:host-gateway; without it,
// the attempt says what to add.
func TestImageCallsTheJobsHost(t *testing.T) {
	if os.Getenv("FREEDOMPAY_MOCK_E2E_DOCKER") != "1" {
		t.Skip("set FREEDOMPAY_MOCK_E2E_DOCKER=1 to build the image and run it on a Docker engine")
	}
	if err := exec.Command("docker", "info").Run(); err != nil {
		t.Skip("no Docker engine answers: ", err)
	}
	imageWithBuilder(t)
	network := fmt.Sprintf("fpm-loopback-%d", os.Getpid())
	run(t, "docker", "network", "create", network)
	t.Cleanup(func() { _ = exec.Command("docker", "network", "rm", network).Run() })
	m := newHostMerchant(t)
	post := "http://localhost:" + m.port + "/hooks/post?shop=kz"

	t.Run("with --add-host", func(t *testing.T) {
		base := sandboxOn(t, network, "--add-host=host.docker.internal:host-gateway")
		n := payTo(t, base, "host-1", post)
		a := n.Attempts[0]
		if n.State != notify.StateDelivered || !a.Delivered || n.URL != post || a.SentTo != "http://host.docker.internal:"+m.port+"/hooks/post?shop=kz" {
			t.Fatalf("notify %s to %s, first attempt sent to %q: delivered %v, %s %s; want delivered to host.docker.internal", n.State, n.URL, a.SentTo, a.Delivered, a.Error, a.Reason)
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		if len(m.got) != 1 || m.got[0].Value("pg_order_id") != "host-1" || m.hosts[0] != "host.docker.internal:"+m.port {
			t.Errorf("the host's merchant got %d notifies, Host %v; want host-1's, to host.docker.internal:%s", len(m.got), m.hosts, m.port)
		}
	})

	t.Run("without --add-host", func(t *testing.T) {
		base := sandboxOn(t, network)
		n := payTo(t, base, "host-2", post)
		a := n.Attempts[0]
		if a.Delivered {
			t.Skip("host.docker.internal resolves without --add-host on this engine (Docker Desktop does so)")
		}
		if want := "host.docker.internal does not resolve: start the container with --add-host=host.docker.internal:host-gateway"; a.Reason != want {
			t.Errorf("attempt: reason %q, error %q; want reason %q", a.Reason, a.Error, want)
		}
	})

	t.Run("loopback host off", func(t *testing.T) {
		base := sandboxOn(t, network, "-e", "FREEDOMPAY_MOCK_CALLBACK_LOOPBACK_HOST=")
		n := payTo(t, base, "host-3", post)
		a := n.Attempts[0]
		want := "localhost inside a container is the container itself: set FREEDOMPAY_MOCK_CALLBACK_LOOPBACK_HOST=host.docker.internal and start the container with --add-host=host.docker.internal:host-gateway"
		if a.Delivered || !strings.Contains(a.Reason, "nothing listens at localhost:"+m.port+"; "+want) || a.SentTo != "" {
			t.Errorf("attempt: delivered %v, sent to %q, reason %q; want it to say nothing listens at localhost:%s and %q", a.Delivered, a.SentTo, a.Reason, m.port, want)
		}
	})
}
