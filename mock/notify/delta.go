package notify

import (
	"slices"
	"time"
)

// Delta is what changed in a schedule since the last [Scheduler.TakeDelta]:
// the steps added to it and those reached (or dropped), and every
// notification made or changed, as it is now. Whole is set when a change
// cannot be told this way (a merchant forgotten) or more changed than a
// delta keeps: the schedule must then be saved whole.
type Delta struct {
	LastID        int           `json:"last_id"`
	StepsAdded    []SavedStep   `json:"steps_added,omitempty"`
	StepsDone     []SavedStep   `json:"steps_done,omitempty"`
	Notifications []SavedNotice `json:"notifications,omitempty"`
	Whole         bool          `json:"-"`
}

// maxDelta bounds the changes a delta keeps; past it, the schedule is
// saved whole.
const maxDelta = 1 << 14

// tracker collects a schedule's changes for its next delta.
type tracker struct {
	on    bool
	whole bool
	added []SavedStep
	done  []SavedStep
	notes map[int]*Notification
}

// TrackDeltas makes the scheduler collect its changes for
// [Scheduler.TakeDelta] (when its state is saved).
func (s *Scheduler) TrackDeltas() {
	s.mu.Lock()
	s.delta = tracker{on: true, notes: map[int]*Notification{}}
	s.mu.Unlock()
}

// persistent reports whether e is saved: a step, a drill's own notify or a
// follow-up; retries are remade from NextAttemptAt.
func persistent(e event) bool { return e.step >= 0 || e.drill != "" || e.followUp }

// saved is e as a saved state keeps it; s.mu is held.
func (s *Scheduler) saved(e event) SavedStep {
	st := SavedStep{Due: e.due, PaymentID: e.paymentID, MerchantID: e.merchant, Step: e.step, Revision: e.rev, Drill: e.drill,
		Kind: s.kinds[e.kind].Name}
	if e.followUp {
		st.FollowUp = e.note.ID
	}
	return st
}

// stepAdded, stepDone and changed record a change; s.mu is held.
func (s *Scheduler) stepAdded(e event) {
	if s.delta.on && !s.delta.whole && persistent(e) {
		s.delta.added = append(s.delta.added, s.saved(e))
		s.overflow()
	}
}

func (s *Scheduler) stepDone(e event) {
	if s.delta.on && !s.delta.whole && persistent(e) {
		s.delta.done = append(s.delta.done, s.saved(e))
		s.overflow()
	}
}

func (s *Scheduler) changed(n *Notification) {
	if s.delta.on && !s.delta.whole {
		s.delta.notes[n.ID] = n
		s.overflow()
	}
}

func (s *Scheduler) saveWhole() {
	if s.delta.on {
		s.delta.whole = true
		s.overflow()
	}
}

func (s *Scheduler) overflow() {
	if s.delta.whole || len(s.delta.added)+len(s.delta.done)+len(s.delta.notes) > maxDelta {
		s.delta = tracker{on: true, whole: true, notes: map[int]*Notification{}}
	}
}

// TakeDelta returns what changed since the last call and starts collecting
// afresh. The caller holds the gate, so that no change is half made.
func (s *Scheduler) TakeDelta() Delta {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := Delta{LastID: s.lastID, StepsAdded: s.delta.added, StepsDone: s.delta.done, Whole: s.delta.whole}
	for _, n := range s.delta.notes {
		d.Notifications = append(d.Notifications, SavedNotice{Notification: n.copy(), Kept: true})
	}
	slices.SortFunc(d.Notifications, func(a, b SavedNotice) int { return a.ID - b.ID })
	s.delta = tracker{on: s.delta.on, notes: map[int]*Notification{}}
	return d
}

// stepKey is a saved step as a map key: its time as an instant, whatever
// the location it was read in.
type stepKey struct {
	due int64
	SavedStep
}

func keyOf(e SavedStep) stepKey {
	k := stepKey{due: e.Due.UnixNano(), SavedStep: e}
	k.Due = time.Time{}
	return k
}

// Apply brings a saved schedule st up to date with a delta taken after it
// was saved: steps added, steps done taken away (one for one), each
// notification changed put in place of the one saved, or added.
func (st *State) Apply(d Delta) {
	st.Steps = append(st.Steps, d.StepsAdded...)
	if len(d.StepsDone) > 0 {
		done := map[stepKey]int{}
		for _, e := range d.StepsDone {
			done[keyOf(e)]++
		}
		kept := st.Steps[:0]
		for _, e := range st.Steps {
			if k := keyOf(e); done[k] > 0 {
				done[k]--
				continue
			}
			kept = append(kept, e)
		}
		st.Steps = kept
	}
	slices.SortStableFunc(st.Steps, func(a, b SavedStep) int { return a.Due.Compare(b.Due) })
	if len(d.Notifications) > 0 {
		at := make(map[int]int, len(st.Notifications))
		for i, n := range st.Notifications {
			at[n.ID] = i
		}
		for _, n := range d.Notifications {
			if i, ok := at[n.ID]; ok {
				st.Notifications[i] = n
			} else {
				at[n.ID] = len(st.Notifications)
				st.Notifications = append(st.Notifications, n)
			}
		}
		slices.SortFunc(st.Notifications, func(a, b SavedNotice) int { return a.ID - b.ID })
	}
	st.LastID = max(st.LastID, d.LastID)
}
