package notify

import (
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// A hold's capture callback falls due at its capture, or at the end of the
// hold of the success in force: a status forced after the authorisation
// (success, then error, then success again) moves the hold's end to the
// last success's; a one-step payment, or a hold cancelled, sends none.
func TestCaptureAtFollowsTheSuccessInForce(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	step := func(d time.Duration, status string) ledger.Step {
		return ledger.Step{At: t0.Add(d), Status: status}
	}
	hold := func(steps ...ledger.Step) ledger.Payment {
		return ledger.Payment{Amount: 150000, Timeline: append([]ledger.Step{step(0, scenario.PaymentNew)}, steps...)}
	}
	for _, c := range []struct {
		name string
		p    ledger.Payment
		at   time.Time
		ok   bool
	}{
		{"authorised", hold(step(time.Minute, scenario.PaymentSuccess)), t0.Add(time.Minute + ledger.AutoCaptureAfter), true},
		{"forced to error and success again", hold(step(time.Minute, scenario.PaymentSuccess), step(time.Hour, scenario.PaymentError),
			step(2*time.Hour, scenario.PaymentSuccess)), t0.Add(2*time.Hour + ledger.AutoCaptureAfter), true},
		{"cancelled", hold(step(time.Minute, scenario.PaymentSuccess), step(time.Hour, scenario.PaymentRevoked)), time.Time{}, false},
		{"declined", hold(step(time.Minute, scenario.PaymentError)), time.Time{}, false},
		{"one-step", func() ledger.Payment {
			p := hold(step(time.Minute, scenario.PaymentSuccess))
			p.AutoClearing = true
			return p
		}(), time.Time{}, false},
		{"captured", func() ledger.Payment {
			p := hold(step(time.Minute, scenario.PaymentSuccess))
			p.CapturedAt, p.ClearingAmount = t0.Add(time.Hour), 100000
			return p
		}(), t0.Add(time.Hour), true},
	} {
		if at, ok := captureAt(c.p); !at.Equal(c.at) || ok != c.ok {
			t.Errorf("%s: captureAt = %v, %v; want %v, %v", c.name, at, ok, c.at, c.ok)
		}
	}
}
