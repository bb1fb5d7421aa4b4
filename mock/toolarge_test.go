package mock_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
)

// sendWholeThenRead is a client as Python's urllib or PHP's curl are: it
// writes the whole request, body included, and only then reads the answer.
func sendWholeThenRead(t *testing.T, addr, head string, body []byte) (*http.Response, []byte, error) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Bounds in case the server neither reads nor closes; a passing run
	// takes milliseconds.
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(conn, head); err != nil {
		return nil, nil, fmt.Errorf("writing the headers: %w", err)
	}
	if _, err := conn.Write(body); err != nil {
		return nil, nil, fmt.Errorf("writing the body: %w", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the answer: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp, data, err
}

// chunked encodes body as one chunk and the last one.
func chunked(body []byte) []byte {
	return append(fmt.Appendf(nil, "%x\r\n", len(body)), append(body, "\r\n0\r\n\r\n"...)...)
}

// TestTooLargeIsReadable: a client that sends a whole body over --max-body
// before reading reads the 413, whether the body said its size or was
// found over the limit while reading; the connection is closed after it.
func TestTooLargeIsReadable(t *testing.T) {
	s := mock.RunT(t, mock.Options{ClockMode: "manual", MaxBodyBytes: 1 << 20})
	addr := strings.TrimPrefix(s.URL(), "http://")
	body := bytes.Repeat([]byte("pg_description=x&"), 4<<20/17) // 4 MiB
	const head = "POST /g2g/payout_status2 HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
	for name, c := range map[string]struct {
		head string
		body []byte
	}{
		"declared": {head + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body)), body},
		// Larger, so that what the sockets' buffers hold cannot hide a
		// reset.
		"found chunked": {head + "Transfer-Encoding: chunked\r\n\r\n", chunked(bytes.Repeat(body, 4))},
	} {
		t.Run(name, func(t *testing.T) {
			resp, data, err := sendWholeThenRead(t, addr, c.head, c.body)
			if err != nil {
				t.Fatalf("%v; want the 413", err)
			}
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !resp.Close || !bytes.Contains(data, []byte("<pg_error_code>9403</pg_error_code>")) {
				t.Errorf("got HTTP %d (close %v) %.200q, want 413 with Connection: close and FreedomPay's 9403", resp.StatusCode, resp.Close, data)
			}
			// Sized, so a client that has not sent all its body yet
			// can read the 413 whole while the server reads on.
			if resp.ContentLength != int64(len(data)) {
				t.Errorf("413 with Content-Length %d for %d bytes, want it sized", resp.ContentLength, len(data))
			}
		})
	}
	t.Run("expects 100-continue", func(t *testing.T) {
		// The client waits for 100 Continue before it sends the body;
		// the 413 comes instead, and the body is never sent.
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
		_, _ = fmt.Fprintf(conn, "%sExpect: 100-continue\r\nContent-Length: %d\r\n\r\n", head, len(body))
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("got HTTP %d, want 413 without 100 Continue", resp.StatusCode)
		}
		// Nothing lingers for a body that will not come: the server
		// closes at once (the 20 s deadline is only a bound).
		if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
			t.Errorf("after the 413: %q, %v; want the connection closed", rest, err)
		}
	})
	t.Run("expects 100-continue, found while reading", func(t *testing.T) {
		// Without a size, the body is read (100 Continue) and found
		// over the limit: the client sends it all, then reads the 413.
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
		_, _ = io.WriteString(conn, head+"Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n")
		br := bufio.NewReader(conn)
		if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
			t.Fatalf("got %q, %v; want 100 Continue", line, err)
		}
		if _, err := br.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(chunked(bytes.Repeat(body, 4))); err != nil {
			t.Fatalf("writing the body: %v", err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%v; want the 413", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("got HTTP %d, want 413", resp.StatusCode)
		}
	})
	// The sandbox serves on.
	resp, err := http.Post(s.URL()+"/g2g/payout_status2", "application/x-www-form-urlencoded", strings.NewReader(form(statusFields("7777777777"))))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// TestTooLargeWithPython: Python's urllib, which sends the whole body
// before it reads, gets the 413 (it got a connection reset before). Skipped
// where python3 is not installed.
func TestTooLargeWithPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed: ", err)
	}
	s := mock.RunT(t, mock.Options{ClockMode: "manual", MaxBodyBytes: 1 << 20})
	const script = `
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1] + "/g2g/payout_status2", data=b"x" * (4 << 20),
    headers={"Content-Type": "application/x-www-form-urlencoded"})
try:
    urllib.request.urlopen(req, timeout=20)
    print("no error")
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
`
	out, err := exec.Command(python, "-c", script, s.URL()).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "413 ") || !strings.Contains(string(out), "9403") {
		t.Errorf("python3 urllib posting 4 MiB: %v\n%s\nwant 413 with FreedomPay's 9403", err, out)
	}
}

// TestControlTooLargeIsReadable: the control API's 413s (a JSON body over
// 64 KiB, a scenario over 4 MiB) reach a client that sends its whole body
// before reading, as the gateway's do.
func TestControlTooLargeIsReadable(t *testing.T) {
	s := mock.RunT(t, mock.Options{ClockMode: "manual"})
	addr := strings.TrimPrefix(s.URL(), "http://")
	for name, c := range map[string]struct {
		head string
		body []byte
	}{
		"advance": {"POST /_mock/clock/advance HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
			chunked(append([]byte(`{"by":"`), bytes.Repeat([]byte("1"), 4<<20)...))},
		"scenario": {"PUT /_mock/scenario HTTP/1.1\r\nHost: x\r\nContent-Type: application/toml\r\nTransfer-Encoding: chunked\r\n\r\n",
			chunked(bytes.Repeat([]byte("# a comment line\n"), 16<<20/17))},
	} {
		t.Run(name, func(t *testing.T) {
			resp, data, err := sendWholeThenRead(t, addr, c.head, c.body)
			if err != nil {
				t.Fatalf("%v; want the 413", err)
			}
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !bytes.Contains(data, []byte(`"code": "too_large"`)) {
				t.Errorf("got HTTP %d %.200q, want 413 with code too_large", resp.StatusCode, data)
			}
		})
	}
}

// TestPayoutPageTooLargeIsReadable: a card form over its 4 KiB, sent whole
// before reading, gets a 413 that says so rather than a reset, and the
// payout still waits for its card.
func TestPayoutPageTooLargeIsReadable(t *testing.T) {
	s := mock.RunT(t, mock.Options{ClockMode: "manual", Scenario: payoutScenario(t, post)})
	page := call(t, s, "/api/reg2nonreg", endpoints[5].fields("big-form")...).get("pg_redirect_url")
	path := page[strings.Index(page, "/payout/"):]
	body := []byte("card_number=4111111111111111&x=" + strings.Repeat("y", 4<<20))
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n", path, len(body))
	resp, data, err := sendWholeThenRead(t, strings.TrimPrefix(s.URL(), "http://"), head, body)
	if err != nil {
		t.Fatalf("%v; want the 413", err)
	}
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !bytes.Contains(data, []byte("card form is larger")) {
		t.Errorf("got HTTP %d %.200q, want 413 saying the form is too large", resp.StatusCode, data)
	}
	if p, _ := mock.PayoutByOrder(s, "9970", "big-form"); !p.AwaitingCard {
		t.Errorf("the payout no longer waits for its card")
	}
}
