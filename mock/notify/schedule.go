package notify

import (
	"container/heap"
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// The schedule: a priority queue of due events, and what happens when one
// falls due.

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
	var first time.Time // of the first step scheduled: the drills count from it
	for i := range n {
		d := due(i)
		if d.IsZero() { // a step left off: reached before, or sent at once
			continue
		}
		if first.IsZero() {
			first = d
		}
		s.push(event{due: d, paymentID: id, merchant: merchant, step: i, rev: rev, kind: k})
	}
	for _, d := range drills {
		if scenario.Hostile(d) && !first.IsZero() {
			at := first.Add(s.cfg.Drills.HostileAfter.Duration)
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

// ScheduleKind adds every step of subject id of a kind to the schedule,
// due[i] the moment step i falls due (a zero due leaves step i off: a step
// reached before, or whose callback went out at once), and the hostile
// drills the subject has, counted from the first step scheduled
// ([Scheduler.Schedule] for a payout).
func (s *Scheduler) ScheduleKind(name string, id int64, due []time.Time) error {
	k, ok := s.kindIndex(name)
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownKind, name)
	}
	var at time.Time
	for _, d := range due {
		if !d.IsZero() {
			at = d
			break
		}
	}
	sub, ok := s.kinds[k].Subject(id, at)
	if !ok {
		return fmt.Errorf("callback kind %q has no subject %d", name, id)
	}
	s.schedule(k, id, sub.MerchantID, sub.Revision, sub.Drills, len(due), func(i int) time.Time { return due[i] })
	return nil
}

// ScheduleDrills adds the hostile drills subject id of a kind has,
// counted from at: for a subject whose step went out at once
// ([Scheduler.FireKind]) with no later step to count them from.
func (s *Scheduler) ScheduleDrills(name string, id int64, at time.Time) error {
	k, ok := s.kindIndex(name)
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownKind, name)
	}
	sub, ok := s.kinds[k].Subject(id, at)
	if !ok {
		return fmt.Errorf("callback kind %q has no subject %d", name, id)
	}
	s.mu.Lock()
	for _, d := range sub.Drills {
		if scenario.Hostile(d) {
			s.push(event{due: at.Add(s.cfg.Drills.HostileAfter.Duration), paymentID: id, merchant: sub.MerchantID, step: -1, rev: sub.Revision, drill: d, kind: k})
		}
	}
	s.mu.Unlock()
	s.poke()
	return nil
}
