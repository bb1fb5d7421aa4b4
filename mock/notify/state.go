package notify

import (
	"container/heap"
	"fmt"
	"sort"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/ring"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// State is the schedule and the notifications, to be saved and restored:
// the timeline steps still to come, every notification kept in a history
// and every one still pending, and what the histories let go.
type State struct {
	LastID        int              `json:"last_id"`
	Steps         []SavedStep      `json:"steps"`         // in the order they fall due
	Notifications []SavedNotice    `json:"notifications"` // by id
	Dropped       map[string]int64 `json:"dropped,omitempty"`
}

// SavedStep is a payout's timeline step still to be reached.
type SavedStep struct {
	Due        time.Time `json:"due"`
	PaymentID  int64     `json:"payment_id"`
	MerchantID string    `json:"merchant_id"`
	Step       int       `json:"step"`
	Revision   int       `json:"revision"`
	Drill      string    `json:"drill,omitempty"` // a hostile drill's notify, not a step
}

// SavedNotice is a notification and whether its merchant's history keeps it
// (a pending one is sent all the same when the history has let it go).
type SavedNotice struct {
	Notification
	Kept bool `json:"kept"`
}

// State returns a copy of the schedule. Attempts in flight are not in it:
// their notifications are pending, and a restored schedule makes them again.
func (s *Scheduler) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{LastID: s.lastID, Dropped: map[string]int64{}}
	events := make([]event, 0, len(s.queue))
	for _, e := range s.queue {
		if e.step >= 0 || e.drill != "" { // retries are remade from NextAttemptAt
			events = append(events, e)
		}
	}
	sort.Slice(events, func(i, j int) bool { return eventQueue(events).Less(i, j) })
	for _, e := range events {
		st.Steps = append(st.Steps, SavedStep{Due: e.due, PaymentID: e.paymentID, MerchantID: e.merchant, Step: e.step, Revision: e.rev, Drill: e.drill})
	}
	kept := map[int]bool{}
	for id, h := range s.history {
		if h.Dropped() > 0 {
			st.Dropped[id] = h.Dropped()
		}
		h.Each(func(n *Notification) bool {
			kept[n.ID] = true
			st.Notifications = append(st.Notifications, SavedNotice{Notification: n.copy(), Kept: true})
			return true
		})
	}
	for _, n := range s.pending {
		if !kept[n.ID] {
			st.Notifications = append(st.Notifications, SavedNotice{Notification: n.copy()})
		}
	}
	sort.Slice(st.Notifications, func(i, j int) bool { return st.Notifications[i].ID < st.Notifications[j].ID })
	return st
}

// Restore loads a saved schedule into a scheduler not started yet. A
// pending notification is tried again when its next attempt falls due, or
// at once when its first attempt had not been recorded. secret gives a
// merchant's payout secret, to check the acks of notifies sent from now on.
func (s *Scheduler) Restore(st State, secret func(merchantID string) (string, bool)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Clock.Now()
	s.lastID = st.LastID
	for _, e := range st.Steps {
		if _, ok := secret(e.MerchantID); !ok {
			return fmt.Errorf("a step of payout %d is of merchant %q, which the scenario does not have", e.PaymentID, e.MerchantID)
		}
		switch {
		case e.Drill != "" && !scenario.Hostile(e.Drill):
			return fmt.Errorf("payout %d: %q is not a drill that sends a notify of its own", e.PaymentID, e.Drill)
		case e.Drill != "":
			e.Step = -1
		case e.Step < 0:
			return fmt.Errorf("payout %d: step %d is not a step of a timeline", e.PaymentID, e.Step)
		}
		s.push(event{due: e.Due, paymentID: e.PaymentID, merchant: e.MerchantID, step: e.Step, rev: e.Revision, drill: e.Drill})
	}
	for i := range st.Notifications {
		sn := &st.Notifications[i]
		key, ok := secret(sn.MerchantID)
		if !ok {
			return fmt.Errorf("notification %d is of merchant %q, which the scenario does not have", sn.ID, sn.MerchantID)
		}
		if sn.ID <= 0 || sn.ID > st.LastID {
			return fmt.Errorf("notification id %d is out of range 1..%d", sn.ID, st.LastID)
		}
		n := sn.Notification.copy()
		np := &n
		np.script, np.secret, np.attempted = s.cfg.Settings.Script(np.URL), key, make(chan struct{})
		np.once = oneShot(np.Drill)
		if len(np.Attempts) > 0 {
			close(np.attempted)
		}
		if sn.Kept {
			h := s.history[np.MerchantID]
			if h == nil {
				h = ring.Of[*Notification](s.cfg.HistorySize, nil, st.Dropped[np.MerchantID])
				s.history[np.MerchantID] = h
			}
			h.Push(np)
		}
		if np.State != StatePending {
			continue
		}
		s.pending[np.ID] = np
		due := now
		if np.NextAttemptAt != nil {
			due = *np.NextAttemptAt
		}
		if np.URL != "" {
			s.push(event{due: due, paymentID: np.PaymentID, merchant: np.MerchantID, step: -1, note: np})
		}
	}
	for id, d := range st.Dropped {
		if s.history[id] == nil {
			if _, ok := secret(id); ok {
				s.history[id] = ring.Of[*Notification](s.cfg.HistorySize, nil, d)
			}
		}
	}
	heap.Init(&s.queue)
	s.resumed = true
	return nil
}
