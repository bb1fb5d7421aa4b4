package sandbox

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// DefaultMaxAwaits bounds the awaits open at once (--max-awaits).
const DefaultMaxAwaits = 1000

// Awaits are the open /_mock/await calls, indexed by what can satisfy
// them, so that a change costs only the awaits it concerns:
//
//   - a journalled request is matched against the request awaits of its
//     path, each of which counts the matches seen since its last look; one
//     is woken, to count the journal again, only once that count may have
//     reached its min;
//   - a request that names an order or payment id wakes the status
//     awaits of that payout (it may have made it); one that names none
//     wakes every status await;
//   - any other change (a step reached, a notify made or attempted, the
//     clock moved, a status forced, a reset) wakes the status awaits, whose
//     look finds their payout by index, and no request await: a request
//     count only grows with requests;
//   - notify awaits are not woken one by one by such a change: one
//     evaluation reads the notifications once for all of them and wakes
//     those whose notify now holds. Changes that come while it runs are
//     covered by one more evaluation, so a burst of deliveries costs a few
//     reads of the history, not one per await per delivery.
//
// An Awaits is safe for concurrent use.
type Awaits struct {
	max int

	mu      sync.Mutex
	open    int
	anyOpen atomic.Bool // open > 0, read without the lock by every request
	byPath  map[string]map[*awaiter]struct{}
	byOrder map[string]map[*awaiter]struct{}
	byID    map[string]map[*awaiter]struct{}
	state   map[*awaiter]struct{} // status awaits
	notify  map[*awaiter]struct{} // notify awaits

	// history reads every notification kept (Backend.History); while
	// evaluating, one evaluation runs, and dirty asks it for one more.
	history     func(merchantID string) ([]notify.Notification, int64)
	evaluating  bool
	dirty       bool
	evaluations atomic.Int64

	wakes, checks atomic.Int64
}

// AwaitStats counts an Awaits' work, for tests and benchmarks.
type AwaitStats struct {
	Open   int   // awaits open now
	Wakes  int64 // times an await was woken to look again
	Checks int64 // looks at the state: checks of a condition, counts of the journal
	// Evaluations counts the reads of the notifications for every notify
	// await at once.
	Evaluations int64
}

// awaiter is one open await.
type awaiter struct {
	wake chan struct{} // holds one token when woken since the last look

	// Of a request await, under Awaits.mu: the filter, the matches seen
	// since the last count, and how many more it needs.
	requests *journal.Filter
	hits     int
	need     int

	order, paymentID string // of a status or notify await

	merchant string                 // of a notify await
	notify   *scenario.ExpectNotify // of a notify await
}

// holds reports whether notification n makes w's notify await hold, as
// expect.Check would find.
func (w *awaiter) holds(n *notify.Notification) bool {
	x := w.notify
	return !n.Extra() && n.State == x.State && (x.Status == "" || n.Status == x.Status) &&
		(w.merchant == "" || n.MerchantID == w.merchant) &&
		((x.OrderID != "" && n.OrderID == string(x.OrderID)) || (x.PaymentID != 0 && n.PaymentID == x.PaymentID))
}

// newAwaits bounds the awaits open at once to max (DefaultMaxAwaits when
// max ≤ 0).
func newAwaits(max int) *Awaits {
	if max <= 0 {
		max = DefaultMaxAwaits
	}
	return &Awaits{max: max, byPath: map[string]map[*awaiter]struct{}{}, byOrder: map[string]map[*awaiter]struct{}{},
		byID: map[string]map[*awaiter]struct{}{}, state: map[*awaiter]struct{}{}, notify: map[*awaiter]struct{}{}}
}

// Max is the bound of open awaits.
func (a *Awaits) Max() int { return a.max }

// Stats counts the work done so far.
func (a *Awaits) Stats() AwaitStats {
	a.mu.Lock()
	open := a.open
	a.mu.Unlock()
	return AwaitStats{Open: open, Wakes: a.wakes.Load(), Checks: a.checks.Load(), Evaluations: a.evaluations.Load()}
}

func add(m map[string]map[*awaiter]struct{}, key string, w *awaiter) {
	if m[key] == nil {
		m[key] = map[*awaiter]struct{}{}
	}
	m[key][w] = struct{}{}
}

func remove(m map[string]map[*awaiter]struct{}, key string, w *awaiter) {
	delete(m[key], w)
	if len(m[key]) == 0 {
		delete(m, key)
	}
}

// enter registers an await of e, before its first look so that no change
// after it is missed; ErrTooManyAwaits when max are open.
func (a *Awaits) enter(e scenario.Expect) (*awaiter, error) {
	w := &awaiter{wake: make(chan struct{}, 1)}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.open >= a.max {
		return nil, &Error{Kind: TooManyAwaits, Err: fmt.Errorf("%w: %d awaits are open, the most --max-awaits allows: wait for one to end and try again", ErrTooManyAwaits, a.max)}
	}
	a.open++
	a.anyOpen.Store(true) // before the await's first look: a request after that look sees it
	m := string(e.MerchantID)
	switch {
	case e.Requests != nil:
		r := e.Requests
		w.requests = &journal.Filter{MerchantID: m, Path: r.Path, OrderID: string(r.OrderID), Outcome: r.Outcome}
		w.need = 1 << 62 // nothing to wake for before the first count
		add(a.byPath, r.Path, w)
	case e.Notify != nil && a.history != nil:
		w.notify, w.merchant = e.Notify, m
		a.notify[w] = struct{}{}
	default:
		var order scenario.Text
		var pid int64
		if n := e.Notify; n != nil {
			order, pid = n.OrderID, n.PaymentID
		} else if s := e.Status; s != nil {
			order, pid = s.OrderID, s.PaymentID
		}
		w.order = string(order)
		if pid != 0 {
			w.paymentID = strconv.FormatInt(pid, 10)
		}
		a.state[w] = struct{}{}
		if w.order != "" {
			add(a.byOrder, w.order, w)
		}
		if w.paymentID != "" {
			add(a.byID, w.paymentID, w)
		}
	}
	return w, nil
}

// leave unregisters w.
func (a *Awaits) leave(w *awaiter) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.open--
	a.anyOpen.Store(a.open > 0)
	if w.requests != nil {
		remove(a.byPath, w.requests.Path, w)
		return
	}
	delete(a.notify, w)
	delete(a.state, w)
	if w.order != "" {
		remove(a.byOrder, w.order, w)
	}
	if w.paymentID != "" {
		remove(a.byID, w.paymentID, w)
	}
}

// counting is said before a request await counts the journal: the
// matches seen so far are in the count. Those recorded while it counts may
// be seen twice, which wakes it early, never late.
func (a *Awaits) counting(w *awaiter) {
	a.mu.Lock()
	defer a.mu.Unlock()
	w.need, w.hits = 1<<62, 0
}

// counted tells a request await how many matches its count was short of:
// it is woken once it has seen that many more since counting.
func (a *Awaits) counted(w *awaiter, need int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if w.need = need; w.hits >= need {
		a.wake(w)
	}
}

// look counts one look at the state.
func (a *Awaits) look() { a.checks.Add(1) }

func (a *Awaits) wake(w *awaiter) {
	a.wakes.Add(1)
	select {
	case w.wake <- struct{}{}:
	default: // already woken: one look covers both
	}
}

// Request tells the awaits of a request journalled: it wakes the request
// awaits it brings to their count and the status and notify awaits of the
// payout it names.
func (a *Awaits) Request(e *journal.Entry) {
	if !a.anyOpen.Load() { // the common case, without the lock
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for w := range a.byPath[e.Path] {
		if w.requests.Match(e) {
			if w.hits++; w.hits >= w.need {
				a.wake(w)
			}
		}
	}
	if e.OrderID == "" && e.PaymentID == "" {
		for w := range a.state { // a request naming no payout, as a card entered on a payout page, may change one
			a.wake(w)
		}
		return
	}
	if e.OrderID != "" {
		for w := range a.byOrder[e.OrderID] {
			a.wake(w)
		}
	}
	if e.PaymentID != "" {
		for w := range a.byID[e.PaymentID] {
			a.wake(w)
		}
	}
}

// Changed tells the awaits of any change but a request journalled: it
// wakes the status awaits and has the notify awaits evaluated.
func (a *Awaits) Changed() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for w := range a.state {
		a.wake(w)
	}
	if len(a.notify) == 0 {
		return
	}
	if a.evaluating {
		a.dirty = true
		return
	}
	a.evaluating = true
	go a.evaluate()
}

// evaluate reads the notifications once and wakes every notify await one
// of them makes hold, again while changes came meanwhile.
func (a *Awaits) evaluate() {
	for {
		a.mu.Lock()
		a.dirty = false
		byOrder, byID := map[string][]*awaiter{}, map[int64][]*awaiter{}
		for w := range a.notify {
			if x := w.notify; x.OrderID != "" {
				byOrder[string(x.OrderID)] = append(byOrder[string(x.OrderID)], w)
			} else {
				byID[x.PaymentID] = append(byID[x.PaymentID], w)
			}
		}
		a.mu.Unlock()
		if len(byOrder)+len(byID) > 0 {
			a.evaluations.Add(1)
			ns, _ := a.history("")
			for i := range ns {
				n := &ns[i]
				for _, w := range byOrder[n.OrderID] {
					if w.holds(n) {
						a.wake(w)
					}
				}
				for _, w := range byID[n.PaymentID] {
					if w.holds(n) {
						a.wake(w)
					}
				}
			}
		}
		a.mu.Lock()
		if !a.dirty || len(a.notify) == 0 {
			a.evaluating = false
			a.mu.Unlock()
			return
		}
		a.mu.Unlock()
	}
}

// Stop wakes every await, to answer that the sandbox is stopping.
func (a *Awaits) Stop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, m := range a.byPath {
		for w := range m {
			a.wake(w)
		}
	}
	for w := range a.state {
		a.wake(w)
	}
	for w := range a.notify {
		a.wake(w)
	}
}
