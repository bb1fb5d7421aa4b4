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
	"container/heap"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
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
	URL        string `json:"url"`
	// Status is what it says of its subject in a word: a payout notify's
	// pg_status, ok, error or process.
	Status        string      `json:"status"`
	State         string      `json:"state"` // pending, delivered, failed or withheld
	CreatedAt     time.Time   `json:"created_at"`
	NextAttemptAt *time.Time  `json:"next_attempt_at"` // nil unless pending
	Fields        sign.Fields `json:"fields"`          // as sent, pg_salt and pg_sig included
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
	attempted chan struct{} // closed after the first attempt
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
	// (--callback-loopback-host).
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
	dispatching sync.Mutex // one dispatch at a time
	sendCtx     context.Context
	cancelAll   context.CancelFunc
	loopDone    chan struct{}
	stopLoop    context.CancelFunc
}

// event is a due moment: a subject reaching a timeline step, or a retry.
type event struct {
	due       time.Time
	seq       uint64
	paymentID int64 // the subject's
	merchant  string
	step      int // index into the timeline; -1 for a retry or a drill
	rev       int // the subject's Revision the step belongs to
	note      *Notification
	drill     string // a hostile drill's callback to make and send
	followUp  bool   // note was delivered: send what its subject's drills send after it
	kind      uint8  // index into Scheduler.kinds
}

// lane serialises the attempts of one subject's callbacks.
type lane struct {
	paymentID int64
	queue     []job
	running   bool
}

// job is one attempt queued on a lane, and the run that waits for it, if
// any.
type job struct {
	n   *Notification
	run *run
}

// run counts the attempts one dispatch queued, so that RunAt waits for
// exactly those: never for a resend's, a forced status's or an early
// notify's, which their own callers wait for. A run is made for one
// dispatch and dropped once its attempts are made; nothing counts it
// twice. Its fields are guarded by Scheduler.mu.
type run struct {
	left     int           // attempts queued and not made yet, plus one while its dispatch queues
	done     chan struct{} // closed when left drops to 0
	attempts []Attempt     // made for it, in the order made
}

func newRun() *run { return &run{left: 1, done: make(chan struct{})} }

// finish counts one of r's attempts made (or its dispatch ended); the last
// one closes r.done. Called with s.mu held.
func (r *run) finish() {
	r.left--
	if r.left == 0 {
		close(r.done)
	}
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
	return &Scheduler{
		cfg: cfg, kinds: kinds(newPayoutNotify(cfg), cfg.Kinds), client: client, demo: demo, local: inProcess{demo},
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

// Schedule adds every step of a payout's timeline to the schedule.
func (s *Scheduler) Schedule(p ledger.Payout) {
	tl := p.Timeline
	s.schedule(0, p.PaymentID, p.MerchantID, p.Revision, p.Drills, len(tl), func(i int) time.Time { return tl[i].At })
}

// schedule adds the steps of a subject of kind k, due(i) the moment step i
// of n falls due, and the hostile drills it has, counted from its first
// step.
func (s *Scheduler) schedule(k uint8, id int64, merchant string, rev int, drills []string, n int, due func(int) time.Time) {
	s.mu.Lock()
	for i := range n {
		s.push(event{due: due(i), paymentID: id, merchant: merchant, step: i, rev: rev, kind: k})
	}
	for _, d := range drills {
		if scenario.Hostile(d) && n > 0 {
			at := due(0).Add(s.cfg.Drills.HostileAfter.Duration)
			s.push(event{due: at, paymentID: id, merchant: merchant, step: -1, rev: rev, drill: d, kind: k})
		}
	}
	s.mu.Unlock()
	s.poke()
}

func (s *Scheduler) push(e event) {
	s.stepAdded(e)
	s.requeue(e)
}

// requeue puts e on the schedule without recording it as a change: it was
// there before (restored, or set aside and released).
func (s *Scheduler) requeue(e event) {
	s.seq++
	e.seq = s.seq
	heap.Push(&s.queue, e)
}

func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Start runs the loop that delivers events as the clock reaches them, for
// clocks that move by themselves; with a manual clock it does nothing.
func (s *Scheduler) Start() {
	if _, ok := clock.WallDuration(s.cfg.Clock, 0); !ok {
		if s.resumed { // what fell due before the state was saved
			s.dispatch(s.cfg.Clock.Now(), nil)
		}
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stopLoop = cancel
	s.loopDone = make(chan struct{})
	go s.loop(ctx)
}

func (s *Scheduler) loop(ctx context.Context) {
	defer close(s.loopDone)
	for {
		var timer *time.Timer
		var fire <-chan time.Time
		if due, ok := s.NextDue(); ok {
			wall, _ := clock.WallDuration(s.cfg.Clock, due.Sub(s.cfg.Clock.Now()))
			timer = time.NewTimer(max(wall, 0))
			fire = timer.C
		}
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return
		case <-s.wake:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
		s.dispatch(s.cfg.Clock.Now(), nil)
	}
}

// NextDue reports the earliest moment something is due on the schedule: a
// subject's step, a retry, a drill's callback.
func (s *Scheduler) NextDue() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return time.Time{}, false
	}
	return s.queue[0].due, true
}

// dispatch handles every event due at or before t, in time order: a step
// reached creates its callback right here, so balances and generated salts
// come out the same on every run; the attempts then go to their subject's
// lane to be sent, counted in r when r is not nil.
func (s *Scheduler) dispatch(t time.Time, r *run) {
	s.dispatching.Lock() // one at a time: a step's notify exists when a dispatch returns
	defer s.dispatching.Unlock()
	defer s.hold()()
	s.mu.Lock()
	var due []event
	for len(s.queue) > 0 && !s.queue[0].due.After(t) {
		e := heap.Pop(&s.queue).(event)
		if aside, held := s.held[e.paymentID]; held {
			s.held[e.paymentID] = append(aside, e)
			continue
		}
		s.stepDone(e)
		due = append(due, e)
	}
	s.mu.Unlock()
	s.retried(due)
	// Follow-ups come from lanes running side by side; they go first, by
	// payment id, so the notifies they make are numbered the same each run.
	var follow []event
	for _, e := range due {
		if e.followUp {
			follow = append(follow, e)
		}
	}
	sort.SliceStable(follow, func(i, j int) bool { return follow[i].paymentID < follow[j].paymentID })
	for _, e := range follow {
		s.followUp(e.note, r)
	}
	for _, e := range due {
		n := e.note
		if e.followUp {
			continue
		}
		if e.drill != "" {
			s.hostile(e, r)
			continue
		}
		if e.step >= 0 {
			if n = s.reach(e, r); n == nil || n.URL == "" {
				continue
			}
		}
		s.enqueue(n, r)
	}
}

// retried gives the retries among due the fields they send, for kinds
// whose retries send other fields than the first attempt: in time order,
// then by notification, so that what they draw from the generator comes
// out the same on every run (lanes settle attempts in any order).
func (s *Scheduler) retried(due []event) {
	var again []event
	for _, e := range due {
		if n := e.note; n != nil && !e.followUp && s.kinds[e.kind].Retried != nil {
			again = append(again, e)
		}
	}
	if len(again) == 0 {
		return
	}
	sort.SliceStable(again, func(i, j int) bool {
		if !again[i].due.Equal(again[j].due) {
			return again[i].due.Before(again[j].due)
		}
		return again[i].note.ID < again[j].note.ID
	})
	for _, e := range again {
		n := e.note
		s.mu.Lock()
		c, tries := n.callback(), len(n.Attempts)
		s.mu.Unlock()
		if tries == 0 {
			continue // its first attempt: a late drill's, or one restored
		}
		fields := s.kinds[e.kind].Retried(c, tries+1)
		s.mu.Lock()
		n.Fields = fields
		s.changed(n)
		s.mu.Unlock()
	}
}

// reach records a subject reaching a timeline step and returns the
// callback to send, if the step sends one.
func (s *Scheduler) reach(e event, r *run) *Notification {
	sub, ok := s.kinds[e.kind].Subject(e.paymentID, e.due)
	if !ok || e.step >= sub.Steps || sub.Revision != e.rev {
		return nil // forgotten, or its timeline was changed since
	}
	n := s.reachStep(e.kind, e.paymentID, e.step, r)
	if n == nil || len(sub.Drills) == 0 || n.URL == "" {
		return n
	}
	return s.drillStep(sub, e.step, n)
}

// reachStep makes the callback of subject id of kind k reaching step i,
// if that step sends one.
func (s *Scheduler) reachStep(k uint8, id int64, i int, r *run) *Notification {
	defer s.cfg.OnChange()
	c, ok := s.kinds[k].Build(id, i, false)
	if !ok {
		return nil
	}
	return s.create(k, c, false, r)
}

// enqueue queues an attempt of n on its subject's lane, counted in r when r
// is not nil, starting the lane's worker if it is idle. It reports false,
// queuing nothing, once Close has begun.
func (s *Scheduler) enqueue(n *Notification, r *run) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	l := s.lanes[n.PaymentID]
	if l == nil {
		l = &lane{paymentID: n.PaymentID}
		s.lanes[n.PaymentID] = l
	}
	l.queue = append(l.queue, job{n, r})
	if r != nil {
		r.left++
	}
	if !l.running {
		l.running = true
		s.busy++
		go s.runLane(l)
	}
	return true
}

// runLane makes the attempts queued on l in order until none is left.
func (s *Scheduler) runLane(l *lane) {
	for {
		s.mu.Lock()
		if len(l.queue) == 0 {
			l.running = false
			delete(s.lanes, l.paymentID) // idle: the next attempt makes a new one
			s.busy--
			if s.busy == 0 && s.quiet != nil {
				close(s.quiet)
			}
			s.mu.Unlock()
			return
		}
		j := l.queue[0]
		l.queue[0] = job{}
		l.queue = l.queue[1:]
		s.mu.Unlock()

		s.sem <- struct{}{}
		s.attempt(j.n, j.run)
		<-s.sem
		if j.run != nil {
			s.mu.Lock()
			j.run.finish()
			s.mu.Unlock()
		}
	}
}

// create keeps callback c of kind k as a notification (one attempt only
// when once); a callback with nowhere to go fails at once, its attempt
// counted in r.
func (s *Scheduler) create(k uint8, c Callback, once bool, r *run) *Notification {
	n := s.note(k, c)
	n.once = once
	s.keep(n)
	if n.URL == "" {
		kd := s.kinds[k]
		s.settle(n, Attempt{At: c.At, Reason: kd.noURLReason}, false, r)
		s.cfg.Logger.Warn(kd.noURL, "merchant_id", n.MerchantID, "order_id", n.OrderID, "payment_id", n.PaymentID)
	}
	return n
}

// note is the pending notification of callback c of kind k, not kept yet.
func (s *Scheduler) note(k uint8, c Callback) *Notification {
	return &Notification{
		Kind: s.kinds[k].Name, PaymentID: c.SubjectID, OrderID: c.OrderID, MerchantID: c.MerchantID, URL: c.URL,
		Status: c.Status, State: StatePending, CreatedAt: c.At, Fields: c.Fields,
		kind: k, script: c.Script, secret: c.Secret, encoding: c.Encoding, attempted: make(chan struct{}),
	}
}

// keep numbers n and adds it to its merchant's history and, while it is
// pending, to the pending ones.
func (s *Scheduler) keep(n *Notification) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastID++
	n.ID = s.lastID
	h := s.history[n.MerchantID]
	if h == nil {
		h = ring.New[*Notification](s.cfg.HistorySize)
		s.history[n.MerchantID] = h
	}
	h.Push(n)
	if n.State == StatePending {
		s.pending[n.ID] = n
	}
	s.changed(n)
}

// attempt sends n once and records the outcome: delivered, a retry
// scheduled, or failed after the last retry. The attempt is reported to r,
// when r is not nil.
func (s *Scheduler) attempt(n *Notification, r *run) {
	s.mu.Lock()
	dropped := n.dropped
	s.mu.Unlock()
	if dropped {
		return
	}
	now := s.cfg.Clock.Now()
	k := s.kinds[n.kind]
	a, retry := s.post(k, n)
	a.At = now
	release := s.hold()
	state, a := s.settle(n, a, retry && !n.once, r)
	if a.Outcome == Rejected && k.Rejected != nil && !n.Extra() {
		k.Rejected(n.PaymentID, a.At)
	}
	s.judge(n, a)
	if a.Delivered && n.followUps {
		s.mu.Lock()
		s.push(event{due: a.At, paymentID: n.PaymentID, merchant: n.MerchantID, step: -1, note: n, followUp: true})
		s.mu.Unlock()
		s.poke()
	}
	release()

	attrs := attemptAttrs(n, a, state)
	if a.Delivered {
		s.cfg.Logger.Info(k.delivered, attrs...)
	} else {
		s.cfg.Logger.Warn(k.failed, attrs...)
	}
}

// attemptAttrs are the log attributes of attempt a of n: whose notify it
// is, where it went and how it ended, each only when it has a value.
func attemptAttrs(n *Notification, a Attempt, state string) []any {
	attrs := []any{"merchant_id", n.MerchantID, "order_id", n.OrderID, "payment_id", n.PaymentID, "url", n.URL}
	if a.SentTo != "" {
		attrs = append(attrs, "sent_to", a.SentTo)
	}
	if n.Drill != "" {
		attrs = append(attrs, "drill", n.Drill)
	}
	attrs = append(attrs, "attempt", a.N, "state", state)
	if a.HTTPStatus != 0 {
		attrs = append(attrs, "http_status", a.HTTPStatus)
	}
	if a.Delivered {
		attrs = append(attrs, "conforming", a.Conforming)
	}
	if a.Outcome != "" {
		attrs = append(attrs, "outcome", string(a.Outcome))
	}
	for _, kv := range [][2]string{{"reason", a.Reason}, {"error", a.Error}} {
		if kv[1] != "" {
			attrs = append(attrs, kv[0], kv[1])
		}
	}
	return attrs
}

// DemoMerchant is the sandbox's demo merchant (scenario.DemoPostLink) as
// an HTTP handler, for serving it at its path: notifies to it are
// delivered in-process, without it.
func (s *Scheduler) DemoMerchant() http.Handler { return s.demo }

// settle records attempt a of n and what follows: delivered, a retry on
// its kind's ladder (when retry allows one), or failed; r, when not nil,
// collects the attempt. It returns n's state and the attempt as recorded
// (numbered).
func (s *Scheduler) settle(n *Notification, a Attempt, retry bool, r *run) (string, Attempt) {
	s.mu.Lock()
	a.Notification, a.PaymentID, a.OrderID = n.ID, n.PaymentID, n.OrderID
	a.N = len(n.Attempts) + 1
	n.Attempts = append(n.Attempts, a)
	if r != nil {
		r.attempts = append(r.attempts, a)
	}
	retries := s.kinds[n.kind].Retries
	switch {
	case a.Delivered:
		n.State, n.NextAttemptAt = StateDelivered, nil
	case retry && a.N <= len(retries) && !n.dropped:
		next := a.At.Add(retries[a.N-1])
		n.NextAttemptAt = &next
		s.push(event{due: next, paymentID: n.PaymentID, merchant: n.MerchantID, step: -1, note: n, kind: n.kind})
	default:
		n.State, n.NextAttemptAt = StateFailed, nil
	}
	if n.State != StatePending {
		delete(s.pending, n.ID)
	}
	s.changed(n)
	state := n.State
	if a.N == 1 {
		close(n.attempted)
	}
	s.mu.Unlock()
	s.poke()
	s.cfg.OnChange()
	return state, a
}

// RunAt delivers everything due at now, the clock's reading, and returns
// the attempts made, in time order. It is how a manual clock, stopping at
// each moment something is due (see [Scheduler.NextDue]), runs the
// schedule: retries that fall due at now run too.
//
// It waits for the attempts its own dispatch queued, and reports those
// only: a resend or a forced status sent meanwhile is its caller's.
func (s *Scheduler) RunAt(now time.Time) []Attempt {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	out := s.runAt(now)
	// Attempts at one moment run concurrently; report them in a stable order.
	SortAttempts(out)
	return out
}

// SortAttempts puts attempts in the order they are reported: by time, then
// by notification.
func SortAttempts(out []Attempt) {
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].Notification < out[j].Notification
	})
}

// runAt dispatches what is due at now and waits for the attempts queued,
// which it returns.
func (s *Scheduler) runAt(now time.Time) []Attempt {
	r := newRun()
	s.dispatch(now, r)
	s.mu.Lock()
	r.finish() // every attempt is queued: the last one made closes done
	s.mu.Unlock()
	<-r.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return r.attempts
}

// Notifications returns a copy of every notification kept, oldest first.
func (s *Scheduler) Notifications() []Notification {
	ns, _ := s.History("")
	return ns
}

// History returns a copy of the notifications kept for a merchant (every
// merchant for ""), oldest first, and how many older ones were let go.
func (s *Scheduler) History(merchantID string) ([]Notification, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Notification
	var dropped int64
	for id, h := range s.history {
		if merchantID != "" && id != merchantID {
			continue
		}
		dropped += h.Dropped()
		h.Each(func(n *Notification) bool {
			out = append(out, n.copy())
			return true
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, dropped
}

func (n *Notification) copy() Notification {
	c := *n
	c.Attempts = append([]Attempt{}, n.Attempts...) // [] in JSON, never null
	if n.NextAttemptAt != nil {
		t := *n.NextAttemptAt
		c.NextAttemptAt = &t
	}
	return c
}

// Forget drops a merchant's pending events and its notification history,
// as when its state is reset: attempts in flight finish, none follow.
func (s *Scheduler) Forget(merchantID string) {
	s.mu.Lock()
	kept := s.queue[:0]
	for _, e := range s.queue {
		if e.merchant != merchantID {
			kept = append(kept, e)
		}
	}
	s.queue = kept
	heap.Init(&s.queue)
	for id, n := range s.pending {
		if n.MerchantID == merchantID {
			n.dropped = true
			delete(s.pending, id)
		}
	}
	if h := s.history[merchantID]; h != nil {
		h.Each(func(n *Notification) bool { n.dropped = true; return true })
	}
	delete(s.history, merchantID)
	s.saveWhole()
	s.mu.Unlock()
	s.cfg.OnChange()
}

// Fire records that a payout reached step i of its timeline now, as a
// status forced through the control API, and sends the step's notify at
// once. It returns the notify, if the step sends one, after its first
// attempt (or when ctx ends).
//
// The caller holds the gate, if there is one, over the change of the
// ledger and this call: release lets it go once the notify is queued,
// before the wait.
func (s *Scheduler) Fire(ctx context.Context, p ledger.Payout, i int, release func()) (Notification, bool) {
	return s.fire(ctx, 0, p.PaymentID, i, release)
}

func (s *Scheduler) fire(ctx context.Context, k uint8, id int64, i int, release func()) (Notification, bool) {
	n := s.reachStep(k, id, i, nil)
	if n == nil {
		release()
		return Notification{}, false
	}
	return s.sendNow(ctx, n, release), true
}

// Resend sends the callback of the step in force now of a subject (a
// payout, a payment: whichever kind has it) again, with a fresh pg_salt
// and its own retries, and returns it after its first attempt (or when ctx
// ends). It reports false when no kind has the subject, or it has not
// started.
func (s *Scheduler) Resend(ctx context.Context, paymentID int64) (Notification, bool) {
	now := s.cfg.Clock.Now()
	for i, k := range s.kinds {
		sub, ok := k.Subject(paymentID, now)
		if !ok {
			continue
		}
		if sub.InForce < 0 {
			return Notification{}, false
		}
		release := s.hold()
		c, ok := k.Build(paymentID, sub.InForce, true)
		if !ok {
			release()
			return Notification{}, false
		}
		n := s.create(uint8(i), c, false, nil)
		s.mu.Lock()
		n.Resent = true
		s.changed(n)
		s.mu.Unlock()
		return s.sendNow(ctx, n, release), true
	}
	return Notification{}, false
}

// sendNow queues n's first attempt, if it has somewhere to go, lets the
// gate go, and waits for the attempt; it does not wait when the scheduler
// is closing and queues nothing.
func (s *Scheduler) sendNow(ctx context.Context, n *Notification, release func()) Notification {
	queued := n.URL != "" && s.enqueue(n, nil)
	release()
	if queued {
		select {
		case <-n.attempted:
		case <-ctx.Done():
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return n.copy()
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

// eventQueue is a min-heap of events by due time, then insertion order.
type eventQueue []event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if !q[i].due.Equal(q[j].due) {
		return q[i].due.Before(q[j].due)
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}
