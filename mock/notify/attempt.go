package notify

import (
	"sort"
	"time"
)

// Attempts: the lanes that send each subject's callbacks in order, and the
// record of each attempt with what follows it.

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

// attempt sends n once and records the outcome: delivered, a retry
// scheduled, or failed after the last retry. The attempt is reported to r,
// when r is not nil.
func (s *Scheduler) attempt(n *Notification, r *run) {
	s.mu.Lock()
	dropped := n.dropped
	if dropped {
		n.wake() // a resend waiting for this attempt ends
	}
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
		n.wake()
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

// wake tells those waiting for n's first attempt (a resend, a forced
// status) that it was made, or that it never will be: n was dropped with
// its merchant's state. s.mu is held.
func (n *Notification) wake() {
	if !n.woken {
		n.woken = true
		close(n.attempted)
	}
}
