// Package mock is the FreedomPay payout sandbox as a library: start it from a
// Go test with [RunT], or from a program with [Run], and point a FreedomPay
// client at [Server.URL].
//
//	s := mock.RunT(t, mock.Options{ScenarioPath: "testdata/payouts.toml"})
//	client := freedompay.New(s.URL(), "9970", "test_secret_key")
//
// Zero options give a working, deterministic server: the embedded default
// scenario, its seed, the real clock, on 127.0.0.1 with a free port.
package mock

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/control"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// Defaults of [Options].
const (
	DefaultAddr         = "127.0.0.1:0"
	DefaultMaxBodyBytes = sandbox.DefaultMaxBodyBytes // 1 MiB
	// Defaults of the HTTP timeouts (wall time): a client that sends its
	// headers, or its whole request, slower than this is cut off.
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	// MaxHeaderBytes bounds a request's headers, its URL and query string
	// included: more is answered 431.
	MaxHeaderBytes = 1 << 20
	// DefaultShutdownTimeout bounds how long Close waits for requests and
	// notify attempts in flight, together: a stop takes well under 5 s,
	// inside the 10 s Docker gives before SIGKILL.
	DefaultShutdownTimeout = 4 * time.Second
)

// Options configure a server. Every field has a working default.
type Options struct {
	// Scenario to serve. When nil, ScenarioPath is loaded; when that is empty
	// too, the embedded default scenario (scenarios/default.toml).
	Scenario     *scenario.Scenario
	ScenarioPath string
	// Seed for every generated value; 0 takes the scenario's seed (and
	// fixtures.DefaultSeed when the scenario has none).
	Seed int64
	// Logger receives one line per gateway request; nil discards.
	Logger *slog.Logger
	// Addr to listen on; default "127.0.0.1:0" (a free loopback port).
	Addr string
	// Clock is the source of "now". When nil it is made from ClockMode and
	// Speed, or else the scenario's [clock] section: the real clock by
	// default. Pass a *clock.Manual to move time by hand from Go.
	Clock clock.Clock
	// ClockMode is "real" or "manual"; "" takes the scenario's.
	ClockMode string
	// Speed makes a real clock run this many times faster; 0 takes the
	// scenario's (default 1).
	Speed float64
	// MaxBodyBytes limits a request body; default 1 MiB.
	MaxBodyBytes int64
	// JournalSize is how many gateway requests, and how many notifications,
	// each merchant's history keeps; default 10000.
	JournalSize int
	// AdminToken, when set, is required on every /_mock/ route as
	// "Authorization: Bearer <token>".
	AdminToken string
	// CallbackAllow, when set, lists the hosts payout notifies may go to:
	// comma-separated host-name globs and IP networks ("*.test,10.0.0.0/8").
	CallbackAllow string
	// CallbackLoopbackHost, when set, is where payout notifies to a
	// post_link on localhost, 127.0.0.0/8 or ::1 go instead: same scheme,
	// port, path and query (--callback-loopback-host; the Docker image sets
	// host.docker.internal). CallbackAllow is checked on the post_link as
	// given. Empty: off.
	CallbackLoopbackHost string
	// AllowedHosts, without an AdminToken, lists the host names the
	// control API and the dashboard answer besides IP literals and local
	// names (localhost, single labels, .internal, .local, .test, …):
	// comma-separated names and globs ("ci-runner,*.corp.example"); "*"
	// allows every Host. Addr's host, when it is a name, is allowed too.
	// It guards against DNS rebinding (see control.HostAllowed).
	AllowedHosts string
	// inContainer, when not nil, stands in for the container detection of
	// the notify scheduler (tests).
	inContainer func() bool
	// StateDir, when set, is where the sandbox saves its state (payouts,
	// notifies and their schedule, the clock, the journal) and where a
	// restarted sandbox resumes from. When empty, nothing is written.
	StateDir string
	// StateInterval is the least time between two saves that no request
	// waits on; default 100ms. A payout made is saved before its reply.
	StateInterval time.Duration
	// ReadHeaderTimeout, ReadTimeout and WriteTimeout bound how long a
	// client may take to send its headers and its request, and a reply to
	// be written; defaults 10s, 30s and 30s. Long control calls (advance,
	// drain, await) extend their own write limit.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout time.Duration
	// ShutdownTimeout bounds how long Close waits for requests and notify
	// attempts in flight; default DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// NotifyWorkers bounds the payouts whose notifies are in flight at
	// once; default notify.DefaultWorkers.
	NotifyWorkers int
	// MaxAwaits bounds the /_mock/await calls open at once; more are
	// answered 503 with Retry-After. Default sandbox.DefaultMaxAwaits.
	MaxAwaits int
	// MaxPayments bounds the payments kept per merchant; init_payment
	// beyond it is refused. Default ledger.DefaultMaxPayments.
	MaxPayments int
	// MaxCards bounds the card-storage records kept per merchant (saved
	// cards, removed ones, pages waiting for a card); cardstorage/add
	// beyond it is refused. Default ledger.DefaultMaxCards.
	MaxCards int
	// PublicURL, when set (an absolute http(s) URL without a path, such
	// as http://localhost:8080), is the base of the pages the gateway's
	// replies name (pg_redirect_url of a payment or a reg2nonreg payout):
	// where a payer's browser reaches the sandbox, when it is not where
	// the merchant's server does (a container's name). Default: the host
	// the request came to.
	PublicURL string
	// Version is what /_mock/health reports; empty takes [Version]("").
	Version string
}

// Server is a running sandbox: the domain of package sandbox served over
// HTTP, with FreedomPay's routes, the control API and the dashboard on one
// router. Its methods are the Go API of a test: each returns what the
// control API's route of the same name answers.
type Server struct {
	opts    Options
	sb      *sandbox.Sandbox
	handler http.Handler // the one router, made in New, behind cleanPath and recoverer
	log     *slog.Logger

	listener net.Listener
	http     *http.Server
	url      string
	served   chan struct{}
	close    sync.Once
	closeErr error
}

// New builds a server without listening; [Server.Start] listens. The
// scenario's timelines count from the clock's reading now.
func New(opts Options) (*Server, error) {
	sc := opts.Scenario
	if sc == nil && opts.ScenarioPath != "" {
		var err error
		if sc, err = scenario.Load(opts.ScenarioPath); err != nil {
			return nil, err
		}
	}
	if sc == nil {
		sc = scenario.Default()
	}
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	for _, t := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&opts.ReadHeaderTimeout, DefaultReadHeaderTimeout}, {&opts.ReadTimeout, DefaultReadTimeout}, {&opts.WriteTimeout, DefaultWriteTimeout}, {&opts.ShutdownTimeout, DefaultShutdownTimeout}} {
		if *t.v <= 0 {
			*t.v = t.def
		}
	}
	if opts.Clock == nil {
		c, err := newClock(sc.Clock, opts.ClockMode, opts.Speed)
		if err != nil {
			return nil, err
		}
		opts.Clock = c
	}
	allow, err := notify.ParseAllowList(opts.CallbackAllow)
	if err != nil {
		return nil, err
	}
	loop, err := notify.ParseLoopbackHost(opts.CallbackLoopbackHost)
	if err != nil {
		return nil, err
	}
	if opts.PublicURL != "" {
		u, err := url.Parse(opts.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return nil, fmt.Errorf("public URL %q: want an absolute http(s) URL without a path, such as http://localhost:8080", opts.PublicURL)
		}
		opts.PublicURL = strings.TrimSuffix(opts.PublicURL, "/")
	}
	hosts, err := control.ParseAllowedHosts(opts.AllowedHosts)
	if err != nil {
		return nil, err
	}
	if h, _, err := net.SplitHostPort(opts.Addr); err == nil && h != "" {
		hosts = append(hosts, strings.ToLower(strings.TrimSuffix(h, "."))) // an IP literal is allowed anyway
	}
	sb, err := sandbox.New(sandbox.Config{
		Scenario: sc, Clock: opts.Clock, Seed: opts.Seed, Logger: opts.Logger, MaxBodyBytes: opts.MaxBodyBytes,
		JournalSize: opts.JournalSize, Allow: allow, LoopbackHost: loop, InContainer: opts.inContainer,
		StateDir: opts.StateDir, StateInterval: opts.StateInterval, NotifyWorkers: opts.NotifyWorkers, MaxAwaits: opts.MaxAwaits, MaxPayments: opts.MaxPayments,
		MaxCards: opts.MaxCards, PublicURL: opts.PublicURL,
	})
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, sb: sb, log: sb.Log(), served: make(chan struct{})}
	s.handler = s.recoverer(cleanPath(s.router(control.Options{Token: opts.AdminToken, Version: Version(opts.Version), AllowedHosts: hosts})))
	return s, nil
}

// Run builds a server and starts it.
func Run(opts Options) (*Server, error) {
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	if err := s.Start(); err != nil {
		return nil, err
	}
	return s, nil
}

// Start listens synchronously, so a busy port is an error here, and serves
// in the background until [Server.Close].
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.opts.Addr, err)
	}
	s.listener = ln
	s.url = baseURL(ln.Addr())
	s.http = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		ReadTimeout:       s.opts.ReadTimeout,
		WriteTimeout:      s.opts.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.sb.Start()
	go func() {
		defer close(s.served)
		if err := s.http.Serve(newLazyListener(ln, deadlineTick(s.opts.ReadHeaderTimeout, s.opts.ReadTimeout, s.opts.WriteTimeout))); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve", "err", err)
		}
	}()
	return nil
}

// deadlineTick is how often the connections' deadlines are looked at: a
// tenth of the shortest timeout, between a millisecond and a second.
func deadlineTick(timeouts ...time.Duration) time.Duration {
	tick := time.Second
	for _, t := range timeouts {
		tick = min(tick, t/10)
	}
	return max(tick, time.Millisecond)
}

// baseURL is the address to reach a listener at: an unspecified host
// (":8080", "0.0.0.0") reads as localhost.
func baseURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() {
		_, port, _ := net.SplitHostPort(addr.String())
		return "http://localhost:" + port
	}
	return "http://" + tcp.String()
}

// URL is the server's base URL without a trailing slash, such as
// "http://127.0.0.1:41873". It is empty before Start.
func (s *Server) URL() string { return s.url }

// Handler is the server's HTTP handler, for use without a listener.
func (s *Server) Handler() http.Handler { return s.handler }

// Close stops the server: it stops accepting, waits up to the ShutdownTimeout
// for requests and notify attempts in flight, saves the state a last time
// (with a StateDir), and returns when the serving goroutine has ended. It
// is safe to call more than once.
func (s *Server) Close() error {
	s.close.Do(func() {
		s.sb.Stop() // awaits answer that the sandbox is stopping
		ctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
		defer cancel()
		if s.http != nil {
			s.closeErr = s.http.Shutdown(ctx)
			<-s.served
		}
		if err := s.sb.Close(ctx); err != nil && s.closeErr == nil {
			s.closeErr = err
		}
	})
	return s.closeErr
}

// newClock makes the clock of a scenario's [clock] section, with mode and
// speed from the caller winning when set.
func newClock(c scenario.Clock, mode string, speed float64) (clock.Clock, error) {
	if mode == "" {
		mode = c.Mode
	}
	if speed == 0 {
		speed = c.Speed
	}
	start := c.Start
	if start.IsZero() {
		start = time.Now().Truncate(time.Second) // a manual clock reads whole seconds
	}
	switch mode {
	case clock.ModeManual:
		return clock.NewManual(start), nil
	case clock.ModeReal, "":
		if speed == 1 && c.Start.IsZero() {
			return clock.Real{}, nil
		}
		if speed <= 0 {
			return nil, fmt.Errorf("clock speed %v: want a positive number", speed)
		}
		return clock.NewScaled(start, speed), nil
	}
	return nil, fmt.Errorf("clock mode %q: want %q or %q", mode, clock.ModeReal, clock.ModeManual)
}

// TB is the part of testing.TB that [RunT] uses, so this package does not
// import testing.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// RunT starts a server for a test and closes it when the test ends.
func RunT(t TB, opts Options) *Server {
	t.Helper()
	s, err := Run(opts)
	if err != nil {
		t.Fatalf("freedompay-mock: %v", err)
		return nil
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// cleanPath serves "//api/iban_payout" as "/api/iban_payout", and resolves
// "." and ".." segments, as the gateway's web server does: the official PHP
// payout SDK builds that URL from its base URL and a path that starts with
// "/". A router redirect instead would not be followed by a POST.
func cleanPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if !strings.Contains(p, "//") && !strings.Contains(p, "/.") {
			next.ServeHTTP(w, r)
			return
		}
		clean := path.Clean("/" + p)
		if strings.HasSuffix(p, "/") && clean != "/" {
			clean += "/"
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path, r2.URL.RawPath = clean, ""
		next.ServeHTTP(w, r2)
	})
}

// recoverer turns a panic in a handler into a log line and a 500 in the
// surface's own error format, so the server keeps serving whatever a
// request holds: under /_mock the control API's JSON error with the code
// "internal", anywhere else FreedomPay's 9999 in XML.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic serving request", "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if control.Owns(path.Clean("/" + r.URL.Path)) { // cleanPath runs inside
					control.WriteInternal(w)
					return
				}
				w.Header().Set("Content-Type", wire.ContentType)
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = w.Write(wire.NewError(wire.CodeSystem).Encode())
			}
		}()
		next.ServeHTTP(w, r)
	})
}
