package mock

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// lazyListener hands out connections whose deadlines are moved later
// lazily. For each request on a kept-alive connection net/http sets the
// read deadline five times (the header and request timeouts, the
// background read around the handler and its end, the idle timeout) and
// the write deadline once, and every set changes a timer in the runtime:
// under load that was a tenth of the hot path's own CPU. Here a deadline
// later than the one the connection has is only recorded; if the
// connection's deadline fires first, the read or write is tried again
// with the connection given the deadline wanted. A deadline earlier than
// the connection's, the past included (net/http's way to interrupt a
// read), is given at once. So a deadline never comes early and never
// late: the timeouts are what the flags say.
type lazyListener struct{ net.Listener }

func (l lazyListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(deadlineConn); ok {
		return newLazyConn(tc), nil
	}
	return c, nil
}

// deadlineConn is a connection that can close its writing half, as
// *net.TCPConn can (net/http uses it to close gracefully).
type deadlineConn interface {
	net.Conn
	CloseWrite() error
}

// lazyConn is a connection of a lazyListener. It exposes only what
// net/http uses of a TCP connection: not ReadFrom, whose writes would
// miss the retry below.
type lazyConn struct {
	c    deadlineConn
	r, w lazyDeadline
}

func newLazyConn(c deadlineConn) *lazyConn {
	return &lazyConn{c: c, r: lazyDeadline{set: c.SetReadDeadline}, w: lazyDeadline{set: c.SetWriteDeadline}}
}

// lazyDeadline is one direction's deadline: the one asked for and the one
// the connection has.
type lazyDeadline struct {
	set   func(time.Time) error // the connection's
	mu    sync.Mutex
	want  time.Time // zero: none
	given time.Time // zero: none
}

// to asks for deadline t.
func (d *lazyDeadline) to(t time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.want = t
	if t.IsZero() || (!d.given.IsZero() && !t.Before(d.given)) {
		return nil // none or later: the deadline given fires early, and again moves it
	}
	d.given = t
	return d.set(t)
}

// again reports whether an operation that timed out is to be tried again:
// the deadline asked for is not passed (or there is none), and the
// connection is given it now.
func (d *lazyDeadline) again() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.want.IsZero() && !time.Now().Before(d.want) {
		return false
	}
	d.given = d.want
	return d.set(d.want) == nil
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
	return errors.Join(c.r.to(t), c.w.to(t))
}
func (c *lazyConn) SetReadDeadline(t time.Time) error  { return c.r.to(t) }
func (c *lazyConn) SetWriteDeadline(t time.Time) error { return c.w.to(t) }
func (c *lazyConn) Close() error                       { return c.c.Close() }
func (c *lazyConn) CloseWrite() error                  { return c.c.CloseWrite() }
func (c *lazyConn) LocalAddr() net.Addr                { return c.c.LocalAddr() }
func (c *lazyConn) RemoteAddr() net.Addr               { return c.c.RemoteAddr() }
