package notify

import (
	"context"
	"fmt"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
)

// Callbacks sent at once, off the schedule: a forced status, a resend, a
// call whose answer is waited for. Each returns its notification as the
// sandbox shows it (Notification.shown).

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

// FireKind records that subject id of a kind reached step i of its
// timeline now and sends the step's callback at once, as [Scheduler.Fire]
// does for a payout, the subject's drills applied as on a scheduled step.
func (s *Scheduler) FireKind(ctx context.Context, name string, id int64, i int, release func()) (Notification, bool) {
	k, ok := s.kindIndex(name)
	if !ok {
		release()
		return Notification{}, false
	}
	n := s.reachStep(k, id, i, nil)
	if n == nil {
		release()
		return Notification{}, false
	}
	// The step's drills act as they do on a scheduled step: a lost or
	// late callback is not sent now.
	if sub, ok := s.kinds[k].Subject(id, s.cfg.Clock.Now()); ok && len(sub.Drills) > 0 && n.URL != "" && s.drillStep(sub, i, n) == nil {
		release()
		s.mu.Lock()
		defer s.mu.Unlock()
		return n.shown(), true
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
	return n.shown()
}

// Call sends callback c of a kind at once, one attempt and no retries,
// keeps it in its merchant's history as every callback is kept, and
// returns it after that attempt, or when ctx ends. It is how a callback
// whose answer is waited for goes out: FreedomPay's check request before a
// charge, whose attempt (Delivered, Outcome, read by the kind's Ack)
// decides the charge. A kind sent this way has no Retries: a notification
// found pending in a saved state is tried once more, and no more.
func (s *Scheduler) Call(ctx context.Context, name string, c Callback) (Notification, error) {
	k, ok := s.kindIndex(name)
	if !ok {
		return Notification{}, fmt.Errorf("%w: %q", ErrUnknownKind, name)
	}
	release := s.hold()
	n := s.create(k, c, true, nil)
	return s.sendNow(ctx, n, release), nil
}
