package mock

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// lazyListener hands out connections whose deadlines in the future are
// kept by one watchdog goroutine instead of the runtime's timers. For each
// request on a kept-alive connection net/http sets the read deadline five
// times (the header and request timeouts, the background read around the
// handler and its end, the idle timeout) and the write deadline once, and
// each of them in the future arms or moves a timer in the runtime: under
// load that was a tenth of the hot path's own CPU, and builds without the
// timeouts answered their slowest requests sooner. Here a deadline
// in the future is only recorded, and the watchdog, looking every tick,
// gives a connection whose deadline has passed a deadline in the past,
// which ends its read or write as the deadline would have; a deadline
// already past (net/http's way to interrupt a read, or time.Now()) is
// given at once. So a deadline never comes early, and is given within a
// tick of its time: Start makes the tick a tenth of the shortest timeout,
// a second at most.
type lazyListener struct {
	net.Listener
	wd *watchdog
}

func newLazyListener(ln net.Listener, tick time.Duration) lazyListener {
	return lazyListener{ln, newWatchdog(tick)}
}

func (l lazyListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(deadlineConn); ok {
		lc := newLazyConn(tc, l.wd)
		l.wd.add(lc)
		return lc, nil
	}
	return c, nil
}

// deadlineConn is a connection that can close its writing half, as
// *net.TCPConn can (net/http uses it to close gracefully).
type deadlineConn interface {
	net.Conn
	CloseWrite() error
}

// watchdog gives the connections of a lazyListener their deadlines that
// have passed. Its goroutine runs while there are connections.
type watchdog struct {
	tick time.Duration
	// seen is when the watchdog last looked (Unix nanoseconds): a
	// deadline before it has passed, whatever the time is now.
	seen atomic.Int64

	mu      sync.Mutex
	conns   map[*lazyConn]struct{}
	running bool
}

func newWatchdog(tick time.Duration) *watchdog {
	w := &watchdog{tick: tick, conns: map[*lazyConn]struct{}{}}
	w.seen.Store(time.Now().UnixNano())
	return w
}

func (w *watchdog) add(c *lazyConn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.conns[c] = struct{}{}
	if !w.running {
		w.running = true
		go w.run()
	}
}

func (w *watchdog) remove(c *lazyConn) {
	w.mu.Lock()
	delete(w.conns, c)
	w.mu.Unlock()
}

func (w *watchdog) run() {
	t := time.NewTicker(w.tick)
	defer t.Stop()
	for range t.C {
		if !w.look(time.Now()) {
			return
		}
	}
}

// look gives each connection whose deadline is passed at now a deadline in
// the past; it reports false, and the watchdog stops, when there are no
// connections.
func (w *watchdog) look(now time.Time) bool {
	w.seen.Store(now.UnixNano())
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.conns) == 0 {
		w.running = false
		return false
	}
	for c := range w.conns {
		c.r.expire(now)
		c.w.expire(now)
	}
	return true
}

// lazyConn is a connection of a lazyListener. It exposes only what
// net/http uses of a TCP connection: not ReadFrom, whose writes would
// miss the retry below.
type lazyConn struct {
	c    deadlineConn
	wd   *watchdog
	r, w lazyDeadline
	gone sync.Once
}

func newLazyConn(c deadlineConn, wd *watchdog) *lazyConn {
	return &lazyConn{c: c, wd: wd, r: lazyDeadline{set: c.SetReadDeadline}, w: lazyDeadline{set: c.SetWriteDeadline}}
}

// aLongTimeAgo is the deadline given to end a read or write at once.
var aLongTimeAgo = time.Unix(1, 0)

// lazyDeadline is one direction's deadline: the one asked for, and
// whether the connection was given one in the past.
type lazyDeadline struct {
	set  func(time.Time) error // the connection's
	mu   sync.Mutex
	want time.Time // zero: none
	past bool      // the connection's deadline is aLongTimeAgo
}

// to asks for deadline t. One before the watchdog's last look (seen) has
// passed; one within two ticks of it is looked at against the time now,
// so that one just passed is given at once too, and the far deadlines
// net/http sets cost no reading of the clock.
func (d *lazyDeadline) to(t time.Time, wd *watchdog) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.want = t
	at, seen := t.UnixNano(), wd.seen.Load()
	switch {
	case !t.IsZero() && (at < seen || at < seen+int64(2*wd.tick) && !t.After(time.Now())):
		d.past = true
		return d.set(aLongTimeAgo)
	case d.past:
		d.past = false
		return d.set(time.Time{})
	}
	return nil
}

// expire gives the connection a deadline in the past if the one asked
// for is passed at now.
func (d *lazyDeadline) expire(now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.past && !d.want.IsZero() && !now.Before(d.want) {
		d.past = true
		_ = d.set(aLongTimeAgo)
	}
}

// again reports whether an operation that timed out is to be tried again:
// the deadline asked for is not passed (or there is none), and the
// connection's is cleared.
func (d *lazyDeadline) again() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.want.IsZero() && !time.Now().Before(d.want) {
		return false
	}
	d.past = false
	return d.set(time.Time{}) == nil
}

func timedOut(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

func (c *lazyConn) Read(b []byte) (int, error) {
	for {
		n, err := c.c.Read(b)
		if n > 0 || err == nil || !timedOut(err) || !c.r.again() {
			return n, err
		}
	}
}

func (c *lazyConn) Write(b []byte) (int, error) {
	done := 0
	for {
		n, err := c.c.Write(b[done:])
		done += n
		if err == nil || !timedOut(err) || !c.w.again() {
			return done, err
		}
	}
}

func (c *lazyConn) SetDeadline(t time.Time) error {
	return errors.Join(c.r.to(t, c.wd), c.w.to(t, c.wd))
}
func (c *lazyConn) SetReadDeadline(t time.Time) error  { return c.r.to(t, c.wd) }
func (c *lazyConn) SetWriteDeadline(t time.Time) error { return c.w.to(t, c.wd) }
func (c *lazyConn) Close() error {
	c.gone.Do(func() { c.wd.remove(c) })
	return c.c.Close()
}
func (c *lazyConn) CloseWrite() error    { return c.c.CloseWrite() }
func (c *lazyConn) LocalAddr() net.Addr  { return c.c.LocalAddr() }
func (c *lazyConn) RemoteAddr() net.Addr { return c.c.RemoteAddr() }
