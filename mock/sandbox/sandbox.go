// Package sandbox is the sandbox's domain: the scenario served and the
// state of its run — merchants and payouts, the notify schedule with its
// attempts and verdicts, the journal of gateway requests, the clock's
// moves, the saved state — and every operation on it that the control API
// (package control), the dashboard and the Go API (package mock) offer:
// list and show payouts, notifications and requests, force a status,
// resend a notify, reset, swap the scenario, move the clock, await a
// condition, verify the expectations.
//
// Each operation returns the value both APIs show, or an [*Error] whose
// [Kind] says what went wrong; the control API answers a kind with its
// status and code from one table, and the Go API returns the same error.
//
// A change of state goes one way: under the save gate the ledger changes,
// the notify schedule gets what the change made due, and the reply waits
// until the state file holds it (commit.go; the gateway's Config.Commit).
package sandbox

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/gateway"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/persist"
	"github.com/freedompay-mock/freedompay-mock/mock/redact"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// Config configures a sandbox. Scenario and Clock are required.
type Config struct {
	Scenario *scenario.Scenario
	// Clock is the source of "now"; a *clock.Manual is moved by hand.
	Clock clock.Clock
	// Seed for every generated value; 0 takes the scenario's seed.
	Seed int64
	// Logger receives the sandbox's log lines; nil discards. Log wraps it
	// so that the scenario's secrets are masked.
	Logger *slog.Logger
	// MaxBodyBytes limits a gateway request's body; 0 takes
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// JournalSize is how many gateway requests, and how many
	// notifications, each merchant's history keeps.
	JournalSize int
	// Allow lists the hosts notifies may go to; nil allows every host.
	Allow *notify.AllowList
	// LoopbackHost, when set, is where notifies to a post_link on a
	// loopback address go instead (notify.ParseLoopbackHost).
	LoopbackHost string
	// InContainer, when not nil, stands in for the notify scheduler's
	// container detection (tests).
	InContainer func() bool
	// StateDir, when set, is where the state is saved and resumed from;
	// StateInterval the least time between two saves no request waits on.
	StateDir      string
	StateInterval time.Duration
	// NotifyWorkers bounds the payouts whose notifies are in flight.
	NotifyWorkers int
	// MaxAwaits bounds the awaits open at once (DefaultMaxAwaits when 0).
	MaxAwaits int
	// MaxPayments bounds the payments kept per merchant
	// (ledger.DefaultMaxPayments when 0).
	MaxPayments int
	// MaxCards bounds the card-storage records (saved cards, removed
	// ones, pages waiting for a card) kept per merchant
	// (ledger.DefaultMaxCards when 0).
	MaxCards int
	// PublicURL is the base of the pages the gateway's replies name; ""
	// takes the host a request came to.
	PublicURL string
}

// Sandbox is a scenario served with the whole state of its run. It is
// safe for concurrent use.
type Sandbox struct {
	opts   Config
	clock  clock.Clock
	origin time.Time // the clock's reading when the sandbox was made
	log    *slog.Logger

	world   atomic.Pointer[world] // the scenario served and all its state
	mutate  sync.Mutex            // one change of scenario or time at a time
	changes signal                // fires on every change (Changed)
	awaits  *Awaits               // the open awaits, woken by the changes that concern them
	parsing chan struct{}         // the scenarios being parsed (ReplaceScenario), at most MaxParsing

	// With StateDir: changes that must be saved whole hold gate's read
	// side; taking a snapshot holds its write side.
	gate  sync.RWMutex
	saver *persist.Saver
	start persist.StartPrint // what this sandbox was started with

	state    atomic.Int32 // stateNew, stateServing, stateClosed
	unfollow func()       // stops running the schedule as a manual clock moves (move.go)
	close    sync.Once
	closeErr error
}

// MaxParsing bounds the scenarios parsed at once (ReplaceScenario; the
// control API also reads at most this many uploads at once): more wait
// their turn, so a burst of large uploads cannot take memory many times
// their size each.
const MaxParsing = 2

// DefaultMaxBodyBytes limits a gateway request's body: 1 MiB.
const DefaultMaxBodyBytes = 1 << 20

const (
	stateNew int32 = iota
	stateServing
	stateClosed
)

// New builds the sandbox of cfg.Scenario, resuming the state saved in
// cfg.StateDir when there is one. Its timelines count from the clock's
// reading now; nothing is delivered before [Sandbox.Start].
func New(cfg Config) (*Sandbox, error) {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Sandbox{opts: cfg, clock: cfg.Clock, origin: cfg.Clock.Now(), awaits: newAwaits(cfg.MaxAwaits), parsing: make(chan struct{}, MaxParsing)}
	s.awaits.history = func(merchantID string) ([]notify.Notification, int64) {
		return s.world.Load().notify.History(merchantID)
	}
	s.log = slog.New(redact.Handler(logger.Handler(), s.Redactor))
	var w *world
	if cfg.StateDir != "" {
		var err error
		if w, err = s.openState(cfg.Scenario); err != nil {
			return nil, err
		}
	}
	if w == nil {
		w = s.newWorld(cfg.Scenario, s.origin)
	}
	s.world.Store(w)
	if s.saver != nil {
		if err := s.saver.Save(); err != nil { // a directory we cannot write to stops start-up
			return nil, err
		}
		s.saver.Run()
	}
	s.unfollow = s.follow()
	return s, nil
}

// Log is the sandbox's logger, with the scenario's secrets masked in every
// line.
func (s *Sandbox) Log() *slog.Logger { return s.log }

// Start begins delivering notifies on the sandbox's clock.
func (s *Sandbox) Start() {
	s.world.Load().notify.Start()
	s.state.Store(stateServing)
}

// Stop begins to close the sandbox: moves of the clock deliver nothing
// more, awaits answer that the sandbox is stopping ([ErrStopping]). It is
// safe to call more than once; [Sandbox.Close] finishes.
func (s *Sandbox) Stop() {
	if s.state.Swap(stateClosed) == stateClosed {
		return
	}
	s.unfollow()
	s.changes.fire()
	s.awaits.Stop()
}

// Close stops the sandbox: it waits, until ctx ends, for notify attempts
// in flight, and saves the state a last time. It is safe to call more
// than once.
func (s *Sandbox) Close(ctx context.Context) error {
	started := s.state.Load() != stateNew
	s.Stop()
	s.close.Do(func() {
		if started {
			s.world.Load().notify.Close(ctx)
		}
		if s.saver != nil {
			s.closeErr = s.saver.Stop()
		}
	})
	return s.closeErr
}

// Stopping reports whether Stop or Close has begun.
func (s *Sandbox) Stopping() bool { return s.state.Load() == stateClosed }

// Gateway is the gateway of the scenario served now: the router's
// FreedomPay routes read it at every request.
func (s *Sandbox) Gateway() *gateway.Gateway { return s.world.Load().gateway }

// DemoMerchant is the built-in merchant of the scenario served now
// (scenario.DemoPostLink).
func (s *Sandbox) DemoMerchant() http.Handler { return s.world.Load().notify.DemoMerchant() }

// DemoShop is the demo shop of the world served now, for payments'
// callbacks (notify.DemoShop).
func (s *Sandbox) DemoShop() http.Handler { return s.world.Load().notify.DemoShop() }

// Scenario is the scenario being served.
func (s *Sandbox) Scenario() *scenario.Scenario { return s.world.Load().sc }

// Seed is the seed in use.
func (s *Sandbox) Seed() int64 { return s.world.Load().seed }

// Clock is the sandbox's clock.
func (s *Sandbox) Clock() clock.Clock { return s.clock }

// Now is the sandbox's current time.
func (s *Sandbox) Now() time.Time { return s.clock.Now() }

// ClockMode is "manual" for a clock moved by hand, else "real".
func (s *Sandbox) ClockMode() string {
	if _, ok := s.clock.(*clock.Manual); ok {
		return clock.ModeManual
	}
	return clock.ModeReal
}

// AwaitStats counts the work of the awaits: the awaits open, the times
// one was woken and the looks they took at the state.
func (s *Sandbox) AwaitStats() AwaitStats { return s.awaits.Stats() }
