// Package notify sends signed callbacks to merchants: the payout notify
// today (when a payout reaches a step of its timeline that notifies,
// success and error by default, a signed POST goes to its post_link, and
// failed attempts are retried on the scenario's ladder), and every other
// [Kind] of callback the same way.
//
// The schedule is a priority queue of due events. With a clock that moves by
// itself a loop wakes for each event; a manual clock is moved by whoever
// holds it, stopping at each due time in turn ([Scheduler.NextDue]) while
// [Scheduler.RunAt] delivers everything due there. Deliveries about one
// subject (a payout, a payment) run one at a time and in order; different
// subjects run concurrently, at most Workers at once, each attempt cut at
// its kind's timeout.
package notify

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/ring"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// States of a notification.
const (
	StatePending   = "pending"
	StateDelivered = "delivered"
	StateFailed    = "failed"
	StateWithheld  = "withheld" // drill "lost": never sent
)

// PaymentDateLayout is pg_payment_date's form ("2018-12-31 15:00:00").
const PaymentDateLayout = "2006-01-02 15:04:05"

// DefaultWorkers bounds the subjects whose callbacks are in flight at once.
const DefaultWorkers = 32

// DefaultHistorySize is how many notifications a merchant's history keeps.
const DefaultHistorySize = 10000

// MaxDrainEvents bounds one drain: the moves of a manual clock from due
// event to due event until nothing is pending.
const MaxDrainEvents = 1_000_000

// ErrNotManual is returned when time is moved by hand on a clock that moves
// by itself.
var ErrNotManual = errors.New("the clock is not manual: start with --clock manual to move time by hand")

// ErrPastYear9999 refuses to move the clock past the year 9999: the
// protocol's dates have four-digit years.
var ErrPastYear9999 = errors.New("that would take the clock past the year 9999: the protocol's dates have four-digit years")

// Notification is one callback (a payout notify, or one of another
// [Kind]) and every attempt to deliver it.
type Notification struct {
	ID int `json:"id"`
	// Kind names its kind; "" for a payout notify ([PayoutNotify]).
	Kind string `json:"kind,omitempty"`
	// PaymentID is its subject's pg_payment_id: the payout's or payment's.
	PaymentID  int64  `json:"payment_id"`
	OrderID    string `json:"order_id"`
	MerchantID string `json:"merchant_id"`
	// URL is where it goes; shown (History) with its password masked.
	URL string `json:"url"`
	// Status is what it says of its subject in a word: a payout notify's
	// pg_status, ok, error or process.
	Status        string      `json:"status"`
	State         string      `json:"state"` // pending, delivered, failed or withheld
	CreatedAt     time.Time   `json:"created_at"`
	NextAttemptAt *time.Time  `json:"next_attempt_at"` // nil unless pending
	Fields        sign.Fields `json:"fields"`          // as sent, pg_salt and pg_sig included; shown (History) with card numbers masked
	Attempts      []Attempt   `json:"attempts"`
	// Resent is true for a notify sent again through the control API.
	Resent bool `json:"resent,omitempty"`
	// Drill names the drill this notify is part of (scenario.DrillNames).
	Drill string `json:"drill,omitempty"`
	// Of is the notification a duplicate copies or a stale notify follows.
	Of int `json:"of,omitempty"`
	// Verdict is the drill's verdict on the merchant's answer, once there
	// is one.
	Verdict *Verdict `json:"verdict,omitempty"`

	once      bool  // one attempt, no retries: a drill's extra notify
	followUps bool  // its delivery makes its subject's drills send more
	kind      uint8 // index into Scheduler.kinds
	script    string
	secret    string
	encoding  string
	attempted chan struct{} // closed after the first attempt, or when it is dropped first (wake)
	woken     bool          // attempted is closed
	dropped   bool          // its merchant was reset: no more attempts
}

// callback is n as its kind's funcs see it.
func (n *Notification) callback() Callback {
	return Callback{SubjectID: n.PaymentID, OrderID: n.OrderID, MerchantID: n.MerchantID, URL: n.URL, Status: n.Status,
		At: n.CreatedAt, Fields: n.Fields, Delivery: Delivery{Script: n.script, Secret: n.secret, Encoding: n.encoding}}
}

// Attempt is one POST of a notification.
type Attempt struct {
	Notification int       `json:"notification"` // its ID
	PaymentID    int64     `json:"payment_id"`
	OrderID      string    `json:"order_id"`
	N            int       `json:"n"`           // 1 for the first attempt
	At           time.Time `json:"at"`          // sandbox time
	HTTPStatus   int       `json:"http_status"` // 0 when no answer came
	Error        string    `json:"error,omitempty"`
	LatencyMS    float64   `json:"latency_ms"` // wall time
	Delivered    bool      `json:"delivered"`
	Conforming   bool      `json:"conforming"` // the answer is a documented ack
	Reason       string    `json:"reason,omitempty"`
	// Outcome is "rejected" or "error" when the kind takes such an
	// answer as the merchant's (a result notify's); "" when the attempt is
	// acknowledged (delivered) or refused (not).
	Outcome Ack `json:"outcome,omitempty"`
	// SentTo is where the attempt went when that is not the notification's
	// URL: the post_link with its loopback host replaced
	// (--callback-loopback-host), its password masked (redact.URLs), as
	// in Error.
	SentTo string      `json:"sent_to,omitempty"`
	Fields sign.Fields `json:"fields"`           // sent, secrets masked
	Answer string      `json:"answer,omitempty"` // the body received, cut at 2 KiB
}

// Config is what the scheduler needs.
type Config struct {
	Clock  clock.Clock
	Ledger *ledger.Ledger
	Gen    *fixtures.Gen
	// Settings are the payout notify's ([notify] of the scenario).
	Settings scenario.Notify
	Location *time.Location // of pg_payment_date
	Logger   *slog.Logger
	Workers  int          // default DefaultWorkers
	Client   *http.Client // default: no redirects, no overall timeout
	// HistorySize is how many notifications each merchant's history keeps
	// (--journal-size); default 10000. Pending ones are sent all the same.
	HistorySize int
	// Allow, when not nil, lists the callback hosts notifies may go to.
	Allow *AllowList
	// LoopbackHost, when set (--callback-loopback-host, as
	// [ParseLoopbackHost] gives it), is where notifies to a post_link on
	// localhost, 127.0.0.0/8 or ::1 go instead.
	LoopbackHost string
	// InContainer reports whether the sandbox runs in a container, for the
	// reason of a failed attempt to a loopback host; default: InContainer
	// of the file system root, asked once.
	InContainer func() bool
	// Drills times the drills.
	Drills scenario.Drills
	// Kinds are the kinds of callback sent besides the payout notify,
	// each with its own name.
	Kinds []Kind
	// OnChange, if not nil, runs after every change of state: a step
	// reached, a callback made, an attempt recorded.
	OnChange func()
	// Gate, when not nil, is held while the schedule changes (steps
	// reached, notifies made, attempts recorded), so that whoever holds
	// its other side sees the schedule whole: the read side of the lock
	// that saving the state takes.
	Gate sync.Locker
}

// Scheduler owns the callback schedule and the attempt log.
type Scheduler struct {
	cfg    Config
	kinds  []*kind // the payout notify first; events and notifications keep the index
	client *http.Client
	demo   *demoMerchant
	local  http.RoundTripper // to the demo merchant, in-process
	shop   http.RoundTripper // to the demo shop, in-process
	sem    chan struct{}
	wake   chan struct{}

	mu       sync.Mutex
	queue    eventQueue
	seq      uint64
	history  map[string]*ring.Ring[*Notification] // by merchant
	pending  map[int]*Notification                // every pending notification, kept or not
	lastID   int
	resumed  bool // restored from a saved state: deliver what is due at Start
	lanes    map[int64]*lane
	followed map[int64]bool    // subjects whose drills' follow-ups went out
	held     map[int64][]event // subjects not saved yet: their events that fell due, set aside (see Hold)
	delta    tracker           // changes since the last TakeDelta
	busy     int               // lane workers at work
	closed   bool              // Close has begun: no attempt is queued any more
	quiet    chan struct{}     // made by Close, closed once busy is 0

	runMu       sync.Mutex // one RunAt, or Early, at a time
	resendMu    sync.Mutex // one Resend counted and kept at a time (MaxResends)
	dispatching sync.Mutex // one dispatch at a time
	sendCtx     context.Context
	cancelAll   context.CancelFunc
	loopDone    chan struct{}
	stopLoop    context.CancelFunc
}

// New returns a scheduler; [Scheduler.Start] starts its loop.
func New(cfg Config) *Scheduler {
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.HistorySize <= 0 {
		cfg.HistorySize = DefaultHistorySize
	}
	if cfg.OnChange == nil {
		cfg.OnChange = func() {}
	}
	if cfg.InContainer == nil {
		cfg.InContainer = sync.OnceValue(func() bool { return InContainer(os.DirFS("/")) })
	}
	client := cfg.Client
	if client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		// Notifies go straight to the post_link, as FreedomPay's do, never
		// through the environment's HTTP_PROXY: through a proxy the dial
		// would check the proxy's address against --callback-allow, not
		// the post_link's.
		tr.Proxy = nil
		tr.MaxIdleConnsPerHost = cfg.Workers
		tr.MaxResponseHeaderBytes = MaxAnswerHeader // more is a failed attempt, not memory
		tr.DialContext = dialChecked((&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext)
		client = &http.Client{
			Transport:     tr,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	demo := &demoMerchant{ledger: cfg.Ledger, log: cfg.Logger}
	shop := inProcess{&demoShop{ledger: cfg.Ledger, log: cfg.Logger}}
	return &Scheduler{
		cfg: cfg, kinds: kinds(newPayoutNotify(cfg), cfg.Kinds), client: client, demo: demo, local: inProcess{demo}, shop: shop,
		sem: make(chan struct{}, cfg.Workers), wake: make(chan struct{}, 1),
		lanes: map[int64]*lane{}, followed: map[int64]bool{}, held: map[int64][]event{}, history: map[string]*ring.Ring[*Notification]{}, pending: map[int]*Notification{},
		sendCtx: ctx, cancelAll: cancel,
	}
}

// hold takes the gate, if there is one, and returns its release.
func (s *Scheduler) hold() func() {
	if s.cfg.Gate == nil {
		return func() {}
	}
	s.cfg.Gate.Lock()
	return s.cfg.Gate.Unlock
}

// DemoMerchant is the sandbox's demo merchant (scenario.DemoPostLink) as
// an HTTP handler, for serving it at its path: notifies to it are
// delivered in-process, without it.
func (s *Scheduler) DemoMerchant() http.Handler { return s.demo }

// DemoShop is the sandbox's demo shop for payments ([DemoShop]), served
// over HTTP.
func (s *Scheduler) DemoShop() http.Handler {
	return &demoShop{ledger: s.cfg.Ledger, log: s.cfg.Logger}
}

// Close stops the loop and waits for attempts in flight until ctx ends, then
// cuts them. Notifies still pending are logged.
func (s *Scheduler) Close(ctx context.Context) {
	if s.stopLoop != nil {
		s.stopLoop()
		<-s.loopDone
	}
	done := s.stopQueuing()
	select {
	case <-done:
	case <-ctx.Done():
		s.cancelAll()
		<-done
	}
	s.cancelAll()
	for _, n := range s.Notifications() {
		if n.State == StatePending && !n.dropped {
			attrs := []any{"merchant_id", n.MerchantID, "order_id", n.OrderID, "payment_id", n.PaymentID, "url", n.URL, "attempts", len(n.Attempts)}
			if n.NextAttemptAt != nil {
				attrs = append(attrs, "next_attempt_at", *n.NextAttemptAt)
			}
			s.cfg.Logger.Warn(s.kinds[n.kind].pending, attrs...)
		}
	}
}

// stopQueuing refuses attempts from now on and returns a channel closed
// once the lanes at work have made the attempts queued on them.
func (s *Scheduler) stopQueuing() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.quiet == nil {
		s.closed = true
		s.quiet = make(chan struct{})
		if s.busy == 0 {
			close(s.quiet)
		}
	}
	return s.quiet
}
