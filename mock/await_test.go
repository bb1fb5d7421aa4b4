package mock_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
)

// Await from Go answers as /_mock/await does: the verdict when the
// condition holds, the last one with the reason when it does not.
func TestAwaitFromGo(t *testing.T) {
	c := clock.NewManual(time.Date(2024, 11, 28, 11, 10, 3, 0, time.UTC))
	s := mock.RunT(t, mock.Options{Clock: c})

	// Payout 7777777777 of the default scenario is success from 5 s on.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		res, err := s.Await(ctx, "order_id=12345&status=success")
		if err == nil && !res.OK {
			err = errors.New("no error, but the verdict does not hold: " + res.Message)
		}
		done <- err
	}()
	c.Advance(5 * time.Second) // wakes the await through the server's change signal
	if _, err := s.Advance(0); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("await of a status the clock reached: %v", err)
	}
	cancel()

	res, err := s.Await(context.Background(), "order_id=12345&status=error&timeout=1ms")
	if !errors.Is(err, context.DeadlineExceeded) || res.OK || !strings.Contains(err.Error(), "order 12345") {
		t.Errorf("await of a status never reached: %+v, %v; want the deadline and the order named", res, err)
	}
	gone, stop := context.WithCancel(context.Background())
	stop()
	if _, err := s.Await(gone, "order_id=12345&status=error"); !errors.Is(err, context.Canceled) {
		t.Errorf("await with a cancelled context: %v, want context.Canceled", err)
	}
	if _, err := s.Await(context.Background(), "order_id=12345&colour=blue"); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Errorf("await of a query with an unknown key: %v, want the key named", err)
	}
	if _, err := s.Await(context.Background(), "%zz"); err == nil {
		t.Error("await of a query that does not parse: no error")
	}
}

func TestAwaitFromGoEndsWhenTheServerStops(t *testing.T) {
	s, err := mock.Run(mock.Options{Clock: clock.NewManual(time.Date(2024, 11, 28, 11, 10, 3, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := s.Await(context.Background(), "order_id=12345&status=error"); !errors.Is(err, sandbox.ErrStopping) {
		t.Errorf("await on a stopped server: %v, want sandbox.ErrStopping", err)
	}
}

// An await of requests to a path the gateway does not serve is refused at
// once, naming the path it most likely misspells, rather than waiting its
// whole timeout for requests that cannot come.
func TestAwaitOfAMisspeltPath(t *testing.T) {
	s := mock.RunT(t, mock.Options{ClockMode: "manual"})
	_, err := s.Await(context.Background(), "path=/g2g/payout_status&min=1&timeout=1m")
	if err == nil || !strings.Contains(err.Error(), "did you mean /g2g/payout_status2?") {
		t.Errorf("await of /g2g/payout_status: %v; want it refused, naming /g2g/payout_status2", err)
	}
}
