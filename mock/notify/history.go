package notify

import (
	"container/heap"
	"sort"

	"github.com/freedompay-mock/freedompay-mock/mock/redact"
	"github.com/freedompay-mock/freedompay-mock/mock/ring"
)

// Notifications as they are made and kept: the merchants' histories.

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
		Status: c.Status, State: StatePending, CreatedAt: c.At, Fields: c.Fields, Drill: c.Drill,
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

// Notifications returns a copy of every notification kept, oldest first.
func (s *Scheduler) Notifications() []Notification {
	ns, _ := s.History("")
	return ns
}

// History returns the notifications kept for a merchant (every merchant
// for ""), oldest first, as they are shown (see shown), and how many older
// ones were let go.
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
			out = append(out, n.shown())
			return true
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, dropped
}

// shown is a copy of n as the sandbox shows it (the control API, the
// dashboard, the verdicts, the log): its URL's password masked
// (redact.URLs), and its fields masked as each attempt's are (card
// numbers in a description or a merchant's field, URL passwords: see
// sign.Fields.Redacted). The notification itself keeps the URL and the
// fields its attempts send; what is saved is copy's.
func (n *Notification) shown() Notification {
	c := n.copy()
	c.URL = redact.URLs(c.URL)
	c.Fields = c.Fields.Redacted(nil)
	return c
}

// copy is a copy of n that shares nothing it may change.
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
			n.wake()
			delete(s.pending, id)
		}
	}
	if h := s.history[merchantID]; h != nil {
		h.Each(func(n *Notification) bool { n.dropped = true; n.wake(); return true })
	}
	delete(s.history, merchantID)
	s.saveWhole()
	s.mu.Unlock()
	s.cfg.OnChange()
}
