package notify

import (
	"context"
	"errors"
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

// MaxResends bounds the resends of one subject's callback: a resend is
// refused while its merchant's history holds MaxResends resent callbacks
// of the subject, so that resending in a loop cannot grow a payout or
// payment, and every reply that shows its callbacks, without bound (each
// resend keeps a notification with its own retries). Like
// ledger.MaxSteps, it is far more than a test resends.
const MaxResends = 64

// Errors of [Scheduler.Resend].
var (
	// ErrNothingToResend: no kind has the subject, or it has not started.
	ErrNothingToResend = errors.New("no status to resend")
	// ErrTooManyResends: the subject's callback was resent MaxResends
	// times; the error wrapping it says so.
	ErrTooManyResends = errors.New("too many resends")
)

// Resend sends the callback of the step in force now of a subject (a
// payout, a payment: whichever kind has it) again, with a fresh pg_salt
// and its own retries, and returns it after its first attempt (or when ctx
// ends). It fails with ErrNothingToResend when no kind has the subject, or
// it has not started, and with ErrTooManyResends past MaxResends.
func (s *Scheduler) Resend(ctx context.Context, paymentID int64) (Notification, error) {
	now := s.cfg.Clock.Now()
	for i, k := range s.kinds {
		sub, ok := k.Subject(paymentID, now)
		if !ok {
			continue
		}
		if sub.InForce < 0 {
			return Notification{}, ErrNothingToResend
		}
		// One resend is counted and kept at a time, so that concurrent
		// ones cannot pass the bound together.
		s.resendMu.Lock()
		if r := s.resent(uint8(i), sub.MerchantID, paymentID); r >= MaxResends {
			s.resendMu.Unlock()
			return Notification{}, fmt.Errorf("%w: the %s of %s %d was resent %d times, as many as the sandbox keeps for one %s; reset its merchant to start afresh",
				ErrTooManyResends, k.Words.Callback, k.Words.Subject, paymentID, r, k.Words.Subject)
		}
		release := s.hold()
		c, ok := k.Build(paymentID, sub.InForce, true)
		if !ok {
			release()
			s.resendMu.Unlock()
			return Notification{}, ErrNothingToResend
		}
		n := s.create(uint8(i), c, false, nil)
		s.mu.Lock()
		n.Resent = true
		s.changed(n)
		s.mu.Unlock()
		s.resendMu.Unlock()
		return s.sendNow(ctx, n, release), nil
	}
	return Notification{}, ErrNothingToResend
}

// resent counts the resent callbacks of kind k of subject id that its
// merchant's history holds.
func (s *Scheduler) resent(k uint8, merchantID string, id int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	if h := s.history[merchantID]; h != nil {
		h.Each(func(x *Notification) bool {
			if x.Resent && x.kind == k && x.PaymentID == id {
				n++
			}
			return true
		})
	}
	return n
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
