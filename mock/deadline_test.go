package mock

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// pair returns the two ends of a loopback TCP connection, the server's
// wrapped as lazyListener wraps it.
func pair(t *testing.T) (*lazyConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := lazyListener{ln}.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return server.(*lazyConn), client
}

// A deadline moved later holds off a read past the earlier one; one moved
// earlier, or into the past from another goroutine, ends it then; a write
// past its deadline fails and, the deadline cleared, goes through.
func TestLazyDeadlinesKeepTheirTimes(t *testing.T) {
	s, c := pair(t)
	buf := make([]byte, 8)

	_ = s.SetReadDeadline(time.Now().Add(time.Millisecond))
	_ = s.SetReadDeadline(time.Now().Add(time.Hour)) // later: only recorded
	time.AfterFunc(30*time.Millisecond, func() { _, _ = c.Write([]byte("late")) })
	if n, err := s.Read(buf); err != nil || string(buf[:n]) != "late" {
		t.Fatalf("read after the first deadline, moved an hour later: %q, %v", buf[:n], err)
	}

	start := time.Now()
	_ = s.SetReadDeadline(time.Now().Add(20 * time.Millisecond)) // earlier: given at once
	// A guard against a deadline never given: the client gives up after
	// 30 s, which a read ended by its deadline never sees.
	hang := time.AfterFunc(30*time.Second, func() { _ = c.Close() })
	if _, err := s.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past a deadline moved earlier: %v, want a timeout", err)
	}
	hang.Stop()
	if waited := time.Since(start); waited < 20*time.Millisecond {
		t.Errorf("the deadline came early: after %v", waited)
	}

	_ = s.SetReadDeadline(time.Time{})
	done := make(chan error)
	go func() { _, err := s.Read(buf); done <- err }()
	time.AfterFunc(10*time.Millisecond, func() { _ = s.SetReadDeadline(time.Unix(1, 0)) }) // as net/http aborts a read
	if err := <-done; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a read interrupted by a past deadline: %v", err)
	}
	_ = s.SetReadDeadline(time.Time{})
	go func() { _, _ = c.Write([]byte("next")) }()
	if n, err := s.Read(buf); err != nil || string(buf[:n]) != "next" {
		t.Fatalf("read after the deadline was cleared: %q, %v", buf[:n], err)
	}

	_ = s.SetWriteDeadline(time.Unix(1, 0))
	if _, err := s.Write([]byte("x")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write past its deadline: %v", err)
	}
	_ = s.SetWriteDeadline(time.Now().Add(time.Hour))
	if _, err := s.Write([]byte("ok")); err != nil {
		t.Fatalf("write after the deadline moved: %v", err)
	}
	if n, err := io.ReadFull(c, buf[:2]); err != nil || string(buf[:n]) != "ok" {
		t.Fatalf("client read %q, %v", buf[:n], err)
	}
}

// countingConn counts the deadlines given to a connection.
type countingConn struct {
	*net.TCPConn
	sets *atomic.Int64
}

func (c countingConn) SetReadDeadline(t time.Time) error {
	c.sets.Add(1)
	return c.TCPConn.SetReadDeadline(t)
}

func (c countingConn) SetWriteDeadline(t time.Time) error {
	c.sets.Add(1)
	return c.TCPConn.SetWriteDeadline(t)
}

type countingListener struct {
	net.Listener
	sets *atomic.Int64
	lazy bool
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	cc := countingConn{c.(*net.TCPConn), l.sets}
	if l.lazy {
		return newLazyConn(cc), nil
	}
	return cc, nil
}

// Served with the sandbox's timeouts, a kept-alive connection's requests
// each give the connection three deadlines or fewer through a lazyListener,
// against seven without it.
func TestLazyDeadlinesSetFewTimers(t *testing.T) {
	const requests = 200
	perRequest := func(lazy bool) float64 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		sets := new(atomic.Int64)
		srv := &http.Server{
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.ReadAll(r.Body)
				_, _ = w.Write([]byte("ok"))
			}),
			ReadHeaderTimeout: DefaultReadHeaderTimeout, ReadTimeout: DefaultReadTimeout,
			WriteTimeout: DefaultWriteTimeout, IdleTimeout: 2 * time.Minute,
		}
		go func() { _ = srv.Serve(countingListener{ln, sets, lazy}) }()
		defer srv.Close()
		client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
		defer client.CloseIdleConnections()
		for range requests {
			resp, err := client.Post("http://"+ln.Addr().String()+"/", "application/x-www-form-urlencoded", strings.NewReader("pg_merchant_id=9970"))
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return float64(sets.Load()) / requests
	}
	eager, lazy := perRequest(false), perRequest(true)
	t.Logf("deadlines given a request: %.2f without the lazy listener, %.2f with it", eager, lazy)
	if lazy > 3.1 {
		t.Errorf("%.2f deadlines given a request through the lazy listener, want 3 or fewer", lazy)
	}
	if eager < 2*lazy {
		t.Errorf("%.2f deadlines a request without the lazy listener, %.2f with it: no gain", eager, lazy)
	}
}
