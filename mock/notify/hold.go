package notify

import (
	"container/heap"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
)

// ScheduleHeld schedules a payout that is not saved yet: its steps fall
// due as usual but are set aside, not reached, until [Scheduler.Release]
// (the payout is saved: they are reached now) or [Scheduler.Drop] (it
// could not be: they are gone). No notify goes out for a payout its
// merchant may be told was never made.
func (s *Scheduler) ScheduleHeld(p ledger.Payout) {
	s.Hold(p.PaymentID)
	s.Schedule(p)
}

// Hold sets aside the steps of subject id (of any kind: a payout, a
// payment) as they fall due, until [Scheduler.Release] or
// [Scheduler.Drop]: call it before scheduling a subject that is not saved
// yet.
func (s *Scheduler) Hold(id int64) {
	s.mu.Lock()
	if _, ok := s.held[id]; !ok {
		s.held[id] = nil
	}
	s.mu.Unlock()
}

// Release lets a held subject's steps be reached: those that fell due
// while it was held go back on the schedule, due at once.
func (s *Scheduler) Release(paymentID int64) {
	s.mu.Lock()
	aside, ok := s.held[paymentID]
	delete(s.held, paymentID)
	for _, e := range aside {
		s.requeue(e)
	}
	s.mu.Unlock()
	if ok && len(aside) > 0 {
		s.poke()
	}
}

// Drop removes every event of a held subject from the schedule: steps,
// drills and those set aside. The subject has none of its callbacks yet.
func (s *Scheduler) Drop(paymentID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.held[paymentID] {
		s.stepDone(e)
	}
	delete(s.held, paymentID)
	kept := s.queue[:0]
	for _, e := range s.queue {
		if e.paymentID != paymentID {
			kept = append(kept, e)
		} else {
			s.stepDone(e)
		}
	}
	clear(s.queue[len(kept):])
	s.queue = kept
	heap.Init(&s.queue)
}

// heldEvents are the events set aside for held subjects, for a saved
// state: they are steps still to be reached.
func (s *Scheduler) heldEvents() []event {
	var out []event
	for _, aside := range s.held {
		out = append(out, aside...)
	}
	return out
}

// DropSteps takes the steps of subject id of a kind off the schedule, its
// callbacks' retries and drills left alone: the subject's timeline was
// changed, and what stands of it is scheduled again. (Steps of an older
// revision would be let go when due anyway; dropped now, they do not stop
// a drain of the clock at a moment nothing happens.)
func (s *Scheduler) DropSteps(name string, id int64) {
	k, ok := s.kindIndex(name)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.queue[:0]
	for _, e := range s.queue {
		if e.kind == k && e.paymentID == id && e.step >= 0 && e.note == nil && e.drill == "" && !e.followUp {
			s.stepDone(e)
			continue
		}
		kept = append(kept, e)
	}
	clear(s.queue[len(kept):])
	s.queue = kept
	heap.Init(&s.queue)
}
