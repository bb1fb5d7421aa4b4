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
// wrapped as a lazyListener looking every 5 ms wraps it.
func pair(t *testing.T) (*lazyConn, net.Conn) { return pairEvery(t, 5*time.Millisecond) }

// pairEvery is pair with a watchdog looking every tick.
func pairEvery(t *testing.T, tick time.Duration) (*lazyConn, net.Conn) {
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
	server, err := newLazyListener(ln, tick).Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return server.(*lazyConn), client
}

// A deadline moved later holds off a read past the earlier one; one moved
// earlier ends it then, never before; one in the past from another
// goroutine ends it at once; a write past its deadline fails and, the
// deadline moved later, goes through.
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
	_ = s.SetReadDeadline(time.Now().Add(20 * time.Millisecond)) // earlier: the watchdog gives it
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

// countingConn counts the deadlines given to a connection, and those of
// them in the future: each arms a timer in the runtime.
type countingConn struct {
	*net.TCPConn
	sets, timers *atomic.Int64
}

func (c countingConn) count(t time.Time) {
	c.sets.Add(1)
	if t.After(time.Now()) {
		c.timers.Add(1)
	}
}

func (c countingConn) SetReadDeadline(t time.Time) error {
	c.count(t)
	return c.TCPConn.SetReadDeadline(t)
}

func (c countingConn) SetWriteDeadline(t time.Time) error {
	c.count(t)
	return c.TCPConn.SetWriteDeadline(t)
}

type countingListener struct {
	net.Listener
	sets, timers *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c.(*net.TCPConn), l.sets, l.timers}, nil
}

// Served with the sandbox's timeouts, a kept-alive connection's requests
// each give the connection two deadlines through a lazyListener, neither
// of them a timer, against seven, five of them timers, without it.
func TestLazyDeadlinesSetNoTimers(t *testing.T) {
	const requests = 200
	perRequest := func(lazy bool) (float64, float64) { // deadlines, timers
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		sets, armed := new(atomic.Int64), new(atomic.Int64)
		var served net.Listener = countingListener{ln, sets, armed}
		if lazy {
			served = newLazyListener(served, deadlineTick(DefaultReadHeaderTimeout, DefaultReadTimeout, DefaultWriteTimeout))
		}
		srv := &http.Server{
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.ReadAll(r.Body)
				_, _ = w.Write([]byte("ok"))
			}),
			ReadHeaderTimeout: DefaultReadHeaderTimeout, ReadTimeout: DefaultReadTimeout,
			WriteTimeout: DefaultWriteTimeout, IdleTimeout: 2 * time.Minute,
		}
		go func() { _ = srv.Serve(served) }()
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
		return float64(sets.Load()) / requests, float64(armed.Load()) / requests
	}
	eager, eagerTimers := perRequest(false)
	lazy, lazyTimers := perRequest(true)
	t.Logf("deadlines given a request: %.2f (%.2f timers) without the lazy listener, %.2f (%.2f timers) with it", eager, eagerTimers, lazy, lazyTimers)
	if lazyTimers > 0 {
		t.Errorf("%.2f timers armed a request through the lazy listener, want none", lazyTimers)
	}
	if lazy > 2.1 {
		t.Errorf("%.2f deadlines given a request through the lazy listener, want 2 or fewer", lazy)
	}
	if eagerTimers < 3 {
		t.Errorf("%.2f timers a request without the lazy listener: the count does not see them", eagerTimers)
	}
}

// The watchdog runs while its listener has connections: it stops at its
// first look after the last one closes and starts again with the next.
func TestWatchdogRunsWhileConnectionsLast(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	lazy := newLazyListener(ln, time.Hour) // it looks only when told to here
	running := func() bool {
		lazy.wd.mu.Lock()
		defer lazy.wd.mu.Unlock()
		return lazy.wd.running
	}
	accept := func() net.Conn {
		client, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c, err := lazy.Accept()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { client.Close(); c.Close() })
		return c
	}
	if running() {
		t.Fatal("the watchdog runs before any connection")
	}
	a, b := accept(), accept()
	if !running() {
		t.Fatal("the watchdog is not running with two connections")
	}
	_ = a.Close()
	_ = a.Close() // twice, as net/http may
	if !lazy.wd.look(time.Now()) {
		t.Fatal("the watchdog stopped with a connection left")
	}
	_ = b.Close()
	if lazy.wd.look(time.Now()) || running() {
		t.Fatal("the watchdog goes on with no connections")
	}
	_ = accept()
	if !running() {
		t.Fatal("the watchdog did not start again with a new connection")
	}
}

// A look gives a connection whose deadline is passed a deadline in the
// past, which ends a read waiting on it, and leaves one whose deadline is
// to come alone.
func TestWatchdogEndsWhatIsPassed(t *testing.T) {
	s, c := pair(t)
	buf := make([]byte, 8)
	_ = s.SetReadDeadline(time.Now().Add(time.Hour))
	s.wd.look(time.Now())
	go func() { _, _ = c.Write([]byte("x")) }()
	if _, err := s.Read(buf); err != nil {
		t.Fatalf("a read with its deadline to come: %v", err)
	}
	_ = s.SetReadDeadline(time.Now().Add(time.Millisecond))
	hang := time.AfterFunc(30*time.Second, func() { _ = c.Close() })
	defer hang.Stop()
	if _, err := s.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a read past its deadline: %v, want a timeout", err)
	}
}

func TestDeadlineTick(t *testing.T) {
	for _, c := range []struct {
		timeouts []time.Duration
		want     time.Duration
	}{
		{[]time.Duration{DefaultReadHeaderTimeout, DefaultReadTimeout, DefaultWriteTimeout}, time.Second},
		{[]time.Duration{200 * time.Millisecond, 400 * time.Millisecond, time.Minute}, 20 * time.Millisecond},
		{[]time.Duration{time.Microsecond}, time.Millisecond},
	} {
		if got := deadlineTick(c.timeouts...); got != c.want {
			t.Errorf("deadlineTick(%v) = %v, want %v", c.timeouts, got, c.want)
		}
	}
}

// A write to a peer that reads nothing ends at its deadline, never before;
// a deadline set to the time now ends a read at once, not at the next
// look (the watchdog here looks every hour).
func TestWatchdogEndsWritesAndReadsAtNow(t *testing.T) {
	s, c := pair(t)
	hang := time.AfterFunc(30*time.Second, func() { _ = c.Close() }) // a guard: a deadline never given
	defer hang.Stop()
	start := time.Now()
	_ = s.SetWriteDeadline(start.Add(50 * time.Millisecond))
	big := make([]byte, 64<<20) // more than the socket buffers hold: the write waits for the peer
	if n, err := s.Write(big); !errors.Is(err, os.ErrDeadlineExceeded) || n == len(big) {
		t.Fatalf("a write the peer never reads: %d bytes, %v; want a timeout", n, err)
	}
	if waited := time.Since(start); waited < 50*time.Millisecond {
		t.Errorf("the write deadline came early: after %v", waited)
	}

	slow, client := pairEvery(t, time.Hour)
	_ = slow.SetReadDeadline(time.Now())
	stop := time.AfterFunc(30*time.Second, func() { _ = client.Close() })
	defer stop.Stop()
	if _, err := slow.Read(make([]byte, 8)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a read with its deadline set to now: %v, want a timeout at once", err)
	}
}
