package mock

import (
	"context"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/expect"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// The Go API: each method does what the control API's route does, and
// returns the value that route answers as JSON — the scenario's secrets
// masked as there — or the error it answers with: an [*sandbox.Error]
// whose Kind the route answers with its status and code ([sandbox.KindOf]
// reads it). When a change was made but not saved (kind NotSaved), the
// value is returned beside the error.

// shown is v as the control API shows it: the secrets of the scenario
// served masked.
func shown[T any](s *Server, v T, err error) (T, error) {
	if m, ok := s.sb.Redactor().Copy(v).(T); ok {
		v = m
	}
	return v, err
}

// Clock is the server's clock. A *clock.Manual (Options.Clock, or
// ClockMode "manual") may be moved by the test holding it: moving it
// delivers what falls due, as Advance does.
func (s *Server) Clock() clock.Clock { return s.sb.Clock() }

// Scenario is the scenario being served.
func (s *Server) Scenario() *scenario.Scenario { return s.sb.Scenario() }

// Seed is the seed every generated value comes from: Options.Seed, else
// the scenario's. The same scenario and seed make the same run.
func (s *Server) Seed() int64 { return s.sb.Seed() }

// Ready says whether the server serves its scenario with its notify
// schedule running (GET /_mock/ready).
func (s *Server) Ready() sandbox.Readiness { r, _ := shown(s, s.sb.Ready(), nil); return r }

// Advance moves a manual clock forward by d, delivering every notify that
// falls due on the way, each at its due time (POST /_mock/clock/advance).
// With a StateDir it returns once the attempts are saved. It refuses a
// clock that moves by itself (kind Conflict) and a move past the year 9999
// (kind BadRequest).
func (s *Server) Advance(d time.Duration) (sandbox.Run, error) {
	v, err := s.sb.Advance(d)
	return shown(s, v, err)
}

// Drain moves a manual clock to each next due event until nothing is
// pending (POST /_mock/clock/drain).
func (s *Server) Drain() (sandbox.Run, error) {
	v, err := s.sb.Drain()
	return shown(s, v, err)
}

// Payouts lists the payouts q selects, a page at a time (GET
// /_mock/payouts).
func (s *Server) Payouts(q sandbox.PayoutQuery) (sandbox.Payouts, error) {
	v, err := s.sb.Payouts(q)
	return shown(s, v, err)
}

// Payout is one payout with its timeline and its notifies (GET
// /_mock/payouts/{id}).
func (s *Server) Payout(paymentID int64) (sandbox.Payout, error) {
	v, err := s.sb.Payout(paymentID)
	return shown(s, v, err)
}

// Notifications lists the notifies q selects with their attempts and
// verdicts (GET /_mock/notifications).
func (s *Server) Notifications(q sandbox.NotificationQuery) (sandbox.Notifications, error) {
	v, err := s.sb.Notifications(q)
	return shown(s, v, err)
}

// Requests lists the journalled gateway requests q selects, each with its
// outcome and, for a bad signature, why (GET /_mock/requests).
func (s *Server) Requests(q sandbox.RequestQuery) (sandbox.Requests, error) {
	v, err := s.sb.Requests(q)
	return shown(s, v, err)
}

// Force ends a payout's timeline now with a status and sends its notify at
// once, returning after its first attempt or when ctx ends (POST
// /_mock/payouts/{id}/status).
func (s *Server) Force(ctx context.Context, paymentID int64, status string, errorCode int) (sandbox.Forced, error) {
	v, err := s.sb.Force(ctx, paymentID, status, errorCode)
	return shown(s, v, err)
}

// Resend sends the notify of a payout's current status again now (POST
// /_mock/payouts/{id}/notify).
func (s *Server) Resend(ctx context.Context, paymentID int64) (sandbox.Resent, error) {
	v, err := s.sb.Resend(ctx, paymentID)
	return shown(s, v, err)
}

// Payments lists the payments q selects, a page at a time (GET
// /_mock/payments).
func (s *Server) Payments(q sandbox.PaymentQuery) (sandbox.Payments, error) {
	v, err := s.sb.Payments(q)
	return shown(s, v, err)
}

// Payment is one payment with its timeline, its check requests and result
// notifies (GET /_mock/payments/{id}).
func (s *Server) Payment(paymentID int64) (sandbox.Payment, error) {
	v, err := s.sb.Payment(paymentID)
	return shown(s, v, err)
}

// ForcePayment ends a payment's timeline now with a status (success, error,
// incomplete, revoked) and sends its result notify at once, returning
// after its first attempt or when ctx ends (POST
// /_mock/payments/{id}/status).
func (s *Server) ForcePayment(ctx context.Context, paymentID int64, status string, errorCode int) (sandbox.ForcedPayment, error) {
	v, err := s.sb.ForcePayment(ctx, paymentID, status, errorCode)
	return shown(s, v, err)
}

// ResendPayment sends the result notify of a payment's status now again
// (POST /_mock/payments/{id}/notify).
func (s *Server) ResendPayment(ctx context.Context, paymentID int64) (sandbox.Resent, error) {
	v, err := s.sb.ResendPayment(ctx, paymentID)
	return shown(s, v, err)
}

// Reset puts the sandbox, or with merchantID one merchant, back to the
// start of the scenario in force (POST /_mock/reset).
func (s *Server) Reset(merchantID string) (sandbox.ResetDone, error) {
	v, err := s.sb.Reset(merchantID)
	return shown(s, v, err)
}

// ReplaceScenario serves a new scenario, or with merchantID that
// merchant's part of one (PUT /_mock/scenario); one that does not
// validate is an error of kind Invalid, one problem a line.
func (s *Server) ReplaceScenario(toml []byte, merchantID string) (sandbox.ScenarioChange, error) {
	v, err := s.sb.ReplaceScenario(toml, merchantID)
	return shown(s, v, err)
}

// Verify checks the scenario's expectations, or with merchantID that
// merchant's (GET /_mock/verify).
func (s *Server) Verify(merchantID string) (expect.Report, error) {
	v, err := s.sb.Verify(merchantID)
	return shown(s, v, err)
}

// Await waits until the condition of query holds, as GET /_mock/await
// does with the same query: "order_id=42&state=delivered",
// "order_id=42&status=success", "path=/g2g/reg2reg&min=2", with
// merchant_id= and timeout= (default 10s). It returns the verdict, and
// when the condition did not hold, an error of kind Timeout, Stopping,
// TooManyAwaits or BadRequest. The wait is for other goroutines' work: on
// a manual clock nothing happens meanwhile unless another goroutine moves
// it.
func (s *Server) Await(ctx context.Context, query string) (sandbox.Awaited, error) {
	v, err := s.sb.Await(ctx, query)
	return shown(s, v, err)
}
