package notify

import (
	"container/heap"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/redact"
	"github.com/freedompay-mock/freedompay-mock/mock/ring"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
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

// SavedStep is a subject's timeline step still to be reached: a payout's,
// or of another kind's subject.
type SavedStep struct {
	Due        time.Time `json:"due"`
	PaymentID  int64     `json:"payment_id"` // the subject's
	MerchantID string    `json:"merchant_id"`
	Step       int       `json:"step"`
	Revision   int       `json:"revision"`
	Drill      string    `json:"drill,omitempty"` // a hostile drill's callback, not a step
	// FollowUp is a delivered notification whose drills' follow-ups are due.
	FollowUp int `json:"follow_up,omitempty"`
	// Kind names the kind of callback; "" for a payout notify.
	Kind string `json:"kind,omitempty"`
}

// SavedNotice is a notification and whether its merchant's history keeps it
// (a pending one is sent all the same when the history has let it go).
type SavedNotice struct {
	Notification
	Kept bool `json:"kept"`
}

// SaveState returns a copy of the schedule and starts the next delta
// afresh, at one moment: a change made meanwhile is in one or the other,
// never both. Attempts in flight are not in it: their notifications are
// pending, and a restored schedule makes them again.
func (s *Scheduler) SaveState() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delta = tracker{on: s.delta.on, notes: map[int]*Notification{}}
	return s.state()
}

func (s *Scheduler) state() State {
	st := State{LastID: s.lastID, Dropped: map[string]int64{}}
	var notes []*Notification
	events := make([]event, 0, len(s.queue))
	for _, e := range append(s.heldEvents(), s.queue...) {
		if e.step >= 0 || e.drill != "" || e.followUp { // retries are remade from NextAttemptAt
			events = append(events, e)
		}
	}
	sort.Slice(events, func(i, j int) bool { return eventQueue(events).Less(i, j) })
	for _, e := range events {
		if e.followUp {
			notes = append(notes, e.note)
		}
		st.Steps = append(st.Steps, s.saved(e))
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
			kept[n.ID] = true
			st.Notifications = append(st.Notifications, SavedNotice{Notification: n.copy()})
		}
	}
	for _, n := range notes { // delivered, awaiting follow-ups, let go by the history
		if !kept[n.ID] {
			kept[n.ID] = true
			st.Notifications = append(st.Notifications, SavedNotice{Notification: n.copy()})
		}
	}
	sort.Slice(st.Notifications, func(i, j int) bool { return st.Notifications[i].ID < st.Notifications[j].ID })
	return st
}

// Restore loads a saved schedule into a scheduler not started yet. A
// pending notification is tried again when its next attempt falls due, or
// at once when its first attempt had not been recorded; its kind gives it
// what it needs to be sent (Kind.Restored). merchant reports whether the
// scenario has a merchant (the payout secret it gives is not used).
func (s *Scheduler) Restore(st State, merchant func(merchantID string) (string, bool)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Clock.Now()
	s.lastID = st.LastID
	byID := map[int]*Notification{}
	for _, e := range st.Steps {
		k, ok := s.kindIndex(e.Kind)
		if !ok {
			return fmt.Errorf("a step of %d is of callback kind %q, which the sandbox does not send", e.PaymentID, e.Kind)
		}
		subject := s.kinds[k].Words.Subject
		if _, ok := merchant(e.MerchantID); !ok {
			return fmt.Errorf("a step of %s %d is of merchant %q, which the scenario does not have", subject, e.PaymentID, e.MerchantID)
		}
		switch {
		case e.FollowUp != 0:
			continue // once the notifications are back, below
		case e.Drill != "" && !scenario.Hostile(e.Drill):
			return fmt.Errorf("%s %d: %q is not a drill that sends a notify of its own", subject, e.PaymentID, e.Drill)
		case e.Drill != "":
			e.Step = -1
		case e.Step < 0:
			return fmt.Errorf("%s %d: step %d is not a step of a timeline", subject, e.PaymentID, e.Step)
		}
		s.requeue(event{due: e.Due, paymentID: e.PaymentID, merchant: e.MerchantID, step: e.Step, rev: e.Revision, drill: e.Drill, kind: k})
	}
	for i := range st.Notifications {
		sn := &st.Notifications[i]
		if _, ok := merchant(sn.MerchantID); !ok {
			return fmt.Errorf("notification %d is of merchant %q, which the scenario does not have", sn.ID, sn.MerchantID)
		}
		if sn.ID <= 0 || sn.ID > st.LastID {
			return fmt.Errorf("notification id %d is out of range 1..%d", sn.ID, st.LastID)
		}
		k, ok := s.kindIndex(sn.Kind)
		if !ok {
			return fmt.Errorf("notification %d is of callback kind %q, which the sandbox does not send", sn.ID, sn.Kind)
		}
		d, err := s.kinds[k].Restored(sn.Notification)
		if err != nil {
			return err
		}
		n := sn.Notification.copy()
		np := &n
		np.kind, np.script, np.secret, np.encoding, np.attempted = k, d.Script, d.Secret, d.Encoding, make(chan struct{})
		np.once = oneShot(np.Drill)
		// A genuine callback that is no "process" one may be its subject's
		// final one, whose delivery sends the drills' follow-ups (once).
		if sub, ok := s.kinds[k].Subject(np.PaymentID, now); ok && !np.once && !np.Resent && np.Status != scenario.StatusProcess {
			np.followUps = slices.Contains(sub.Drills, scenario.DrillDuplicate) || slices.Contains(sub.Drills, scenario.DrillOutOfOrder)
		}
		byID[np.ID] = np
		if len(np.Attempts) > 0 {
			np.wake()
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
			s.requeue(event{due: due, paymentID: np.PaymentID, merchant: np.MerchantID, step: -1, note: np, kind: k})
		}
	}
	for _, e := range st.Steps {
		if e.FollowUp == 0 {
			continue
		}
		n := byID[e.FollowUp]
		if n == nil {
			return fmt.Errorf("a follow-up names notification %d, which the state does not hold", e.FollowUp)
		}
		s.requeue(event{due: e.Due, paymentID: n.PaymentID, merchant: n.MerchantID, step: -1, note: n, followUp: true, kind: n.kind})
	}
	for id, d := range st.Dropped {
		if s.history[id] == nil {
			if _, ok := merchant(id); ok {
				s.history[id] = ring.Of[*Notification](s.cfg.HistorySize, nil, d)
			}
		}
	}
	heap.Init(&s.queue)
	s.resumed = true
	return nil
}

// SavedPayout is what [Check] needs to know of a saved payout, to judge
// the payout notifies and steps that name it.
type SavedPayout struct {
	MerchantID string
	Steps      int // the length of its timeline
	Revision   int
}

// Check reports, at once, what in a saved schedule [Scheduler.Restore]
// would trust and must not: steps and notifications of payouts the state
// lacks or of another merchant, steps past a timeline's end, unknown
// drills, states and statuses, ids out of range or used twice, URLs that
// are not. payouts are the state's payouts by payment id; nil, when the
// state has lost them, leaves what steps and notifications name unjudged.
// A step or notification of another kind than the payout notify is judged
// on what every kind shares: its kind judges the rest when it is restored.
// Each problem starts with the field, as in the file:
// "notifications[2].state: ...".
func Check(st State, payouts map[int64]SavedPayout) []error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if st.LastID < 0 {
		add("last_id", "%d is negative", st.LastID)
	}
	for _, id := range slices.Sorted(maps.Keys(st.Dropped)) {
		if st.Dropped[id] < 0 {
			add(fmt.Sprintf("dropped[%q]", id), "%d is negative", st.Dropped[id])
		}
	}
	ids := map[int]int{}
	for i, n := range st.Notifications {
		at := fmt.Sprintf("notifications[%d]", i)
		switch j, dup := ids[n.ID]; {
		case n.ID <= 0 || n.ID > st.LastID:
			add(at+".id", "%d is out of range 1..last_id (%d)", n.ID, st.LastID)
		case dup:
			add(at+".id", "%d is also notifications[%d]'s", n.ID, j)
		default:
			ids[n.ID] = i
		}
		if n.Kind == PayoutNotify {
			checkPayout(at, n.PaymentID, n.MerchantID, payouts, add)
			switch n.Status {
			case "ok", "error", scenario.StatusProcess:
			default:
				add(at+".status", "%q is not a notify's pg_status; want ok, error or process", n.Status)
			}
		}
		switch n.State {
		case StatePending, StateDelivered, StateFailed, StateWithheld:
		default:
			add(at+".state", "%q is not a notify state; want %s, %s, %s or %s", n.State, StatePending, StateDelivered, StateFailed, StateWithheld)
		}
		if n.CreatedAt.IsZero() {
			add(at+".created_at", "is empty")
		}
		if n.URL != "" && n.URL != scenario.DemoPostLink {
			if why := wire.CallbackURLProblem(n.URL); why != "" {
				add(at+".url", "%q: %s", wire.Shorten(redact.URLs(n.URL), 80), why)
			}
		}
		if n.Drill != "" && !slices.Contains(scenario.DrillNames(), n.Drill) && !(n.Kind == CheckRequest && n.Drill == scenario.FaultSlow) {
			add(at+".drill", "%q is not a drill", n.Drill)
		}
	}
	for i, e := range st.Steps {
		at := fmt.Sprintf("steps[%d]", i)
		if e.Due.IsZero() {
			add(at+".due", "is empty")
		}
		switch {
		case e.FollowUp != 0:
			if _, ok := ids[e.FollowUp]; !ok {
				add(at+".follow_up", "names notification %d, which the state does not hold", e.FollowUp)
			}
		case e.Drill != "":
			if !scenario.Hostile(e.Drill) {
				add(at+".drill", "%q is not a drill that sends a notify of its own", e.Drill)
			}
		case e.Step < 0:
			add(at+".step", "%d is not a step of a timeline", e.Step)
		case e.Kind != PayoutNotify:
		default: // a step of an older revision is let go when due, whatever it names
			if p, ok := payouts[e.PaymentID]; ok && e.Revision == p.Revision && e.Step >= p.Steps {
				add(at+".step", "%d is not a step of payout %d's timeline (0..%d)", e.Step, e.PaymentID, p.Steps-1)
			}
		}
		if e.FollowUp == 0 && e.Kind == PayoutNotify { // a follow-up's payout is its notification's
			checkPayout(at, e.PaymentID, e.MerchantID, payouts, add)
		}
	}
	return errs
}

// checkPayout reports a payment id the state has no payout of, or one of
// another merchant.
func checkPayout(at string, id int64, merchantID string, payouts map[int64]SavedPayout, add func(field, format string, args ...any)) {
	if payouts == nil {
		return
	}
	p, ok := payouts[id]
	switch {
	case !ok:
		add(at+".payment_id", "%d is not a payout of the state", id)
	case p.MerchantID != merchantID:
		add(at+".merchant_id", "%q, but payout %d is merchant %q's", merchantID, id, p.MerchantID)
	}
}
