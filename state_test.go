package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// TestMain lets a test start this package's command as a child process:
// the test binary runs main when FREEDOMPAY_MOCK_TEST_MAIN is set.
func TestMain(m *testing.M) {
	if os.Getenv("FREEDOMPAY_MOCK_TEST_MAIN") == "1" {
		limitFileSize()
		main()
	}
	os.Exit(m.Run())
}

// child is the sandbox running as a process of its own.
type child struct {
	cmd *exec.Cmd
	url string
	log *strings.Builder
	mu  *sync.Mutex
}

var listening = regexp.MustCompile(`msg="freedompay-mock listening" url=(\S+)`)

// startChild runs "freedompay-mock serve args..." and returns once it listens.
func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	return startChildEnv(t, nil, args...)
}

// startChildEnv is startChild with more environment variables. The child's
// log goes on being collected (logged) after it listens.
func startChildEnv(t *testing.T, env []string, args ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(append(os.Environ(), "FREEDOMPAY_MOCK_TEST_MAIN=1"), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, log: &strings.Builder{}, mu: &sync.Mutex{}}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		c.log.WriteString(lines.Text() + "\n")
		if m := listening.FindStringSubmatch(lines.Text()); m != nil {
			c.url = m[1]
			go func() {
				for lines.Scan() {
					c.mu.Lock()
					c.log.WriteString(lines.Text() + "\n")
					c.mu.Unlock()
				}
				_, _ = io.Copy(io.Discard, stderr) // past a line too long to scan
			}()
			return c
		}
	}
	_ = cmd.Wait()
	t.Fatalf("the sandbox did not start:\n%s", c.log)
	return nil
}

// TestKillNineLosesNoAcceptedPayout kills the sandbox with SIGKILL while
// payouts are being made (and the state saved) and starts it again on the
// same state directory, several times: every start-up must resume the
// state (no torn file) and hold every payout whose reply said ok.
func TestKillNineLosesNoAcceptedPayout(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the sandbox as a process several times")
	}
	dir := t.TempDir()
	var mu sync.Mutex
	accepted := map[string]bool{}
	order := 0
	for round := range 4 {
		c := startChild(t, "--state", dir, "--state-interval", "1ms")
		var wg sync.WaitGroup
		stop := make(chan struct{})
		var oks atomic.Int32
		var once sync.Once
		enough := make(chan struct{})
		killAfter := int32(40 + 15*round) // ok replies, and a few more in flight
		refused := make(chan string, 4)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					mu.Lock()
					order++
					id := fmt.Sprintf("K-%d", order)
					mu.Unlock()
					fields := sign.Fields{{Name: "pg_merchant_id", Value: "9970"}, {Name: "pg_order_id", Value: id},
						{Name: "pg_amount", Value: "1"}, {Name: "pg_description", Value: "kill test"},
						{Name: "pg_payment_to", Value: "4405645000006150"}, {Name: "pg_post_link", Value: "http://127.0.0.1:9/notify"},
						{Name: "pg_salt", Value: "s" + id}}
					fields = append(fields, sign.Field{Name: "pg_sig", Value: sign.Sign("p2p2nonreg", fields, "test_secret_key")})
					resp, err := http.Post(c.url+"/g2g/p2p2nonreg", "application/x-www-form-urlencoded", strings.NewReader(wire.EncodeForm(fields)))
					if err != nil {
						return // killed
					}
					body, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					if err != nil {
						return
					}
					got, _ := wire.DecodeXML(body)
					if got.Value("pg_status") != "ok" {
						refused <- string(body)
						return
					}
					mu.Lock()
					accepted[id] = true
					mu.Unlock()
					if oks.Add(1) == killAfter {
						once.Do(func() { close(enough) })
					}
				}
			}()
		}
		select {
		case <-enough:
		case body := <-refused:
			t.Fatalf("a payout was refused: %s", body)
		}
		_ = c.cmd.Process.Kill() // SIGKILL: no shutdown, no last save
		close(stop)
		wg.Wait()
		_ = c.cmd.Wait()
	}

	c := startChild(t, "--state", dir)
	have := map[string]bool{}
	for cursor := ""; ; { // every page of the list
		resp, err := http.Get(c.url + "/_mock/payouts?merchant_id=9970&limit=1000" + cursor)
		if err != nil {
			t.Fatal(err)
		}
		var list struct {
			Payouts []struct {
				OrderID string `json:"order_id"`
			} `json:"payouts"`
			NextCursor string `json:"next_cursor"`
		}
		err = json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range list.Payouts {
			have[p.OrderID] = true
		}
		if list.NextCursor == "" {
			break
		}
		cursor = "&cursor=" + list.NextCursor
	}
	mu.Lock()
	defer mu.Unlock()
	lost := 0
	for id := range accepted {
		if !have[id] {
			lost++
		}
	}
	if lost > 0 || len(accepted) == 0 {
		t.Fatalf("%d of %d payouts whose reply said ok are gone after kill -9 and restart", lost, len(accepted))
	}
	t.Logf("%d payouts accepted over 4 kills, all resumed", len(accepted))
}
