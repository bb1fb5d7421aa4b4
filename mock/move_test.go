package mock_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// notifyStart is where notifyScenario's clock starts; its payout's notify
// falls due 5 s later.
var notifyStart = time.Date(2018, 12, 31, 15, 0, 0, 0, time.UTC)

// deliveredOnce checks that s made exactly one attempt, delivered and dated
// at the notify's due time, and that the merchant got one notify.
func deliveredOnce(t *testing.T, s *mock.Server, m *merchant) {
	t.Helper()
	ns := mock.AllNotifications(s)
	if len(ns) != 1 || len(ns[0].Attempts) != 1 {
		t.Fatalf("got notifications %+v, want one with one attempt", ns)
	}
	a := ns[0].Attempts[0]
	if want := notifyStart.Add(5 * time.Second); !a.Delivered || !a.At.Equal(want) {
		t.Errorf("attempt delivered %v at %s, want delivered at %s (when it fell due)", a.Delivered, a.At, want)
	}
	if got := len(m.notifies()); got != 1 {
		t.Errorf("merchant got %d notifies, want 1", got)
	}
}

// notifies is what the merchant has received so far.
func (m *merchant) notifies() []sign.Fields {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]sign.Fields(nil), m.received...)
}

// A test holding the manual clock moves it itself: the notify that falls
// due on the way is delivered before Advance returns, dated when it fell
// due, and a later Server.Advance finds nothing left to send.
func TestManualClockAdvanceDelivers(t *testing.T) {
	m := newMerchant(t, "asflerjgsdfv", ackOK)
	s := mock.RunT(t, mock.Options{Scenario: notifyScenario(t, m.URL+"/hooks/post", "")})
	c := s.Clock().(*clock.Manual)
	if got, want := c.Advance(time.Hour), notifyStart.Add(time.Hour); !got.Equal(want) {
		t.Fatalf("Advance(1h) reads %s, want %s", got, want)
	}
	deliveredOnce(t, s, m)
	if a, err := attempted(s.Advance(0)); err != nil || len(a) != 0 {
		t.Errorf("a later Server.Advance(0): %+v (%v), want no attempt", a, err)
	}
	deliveredOnce(t, s, m)

	c.Set(notifyStart.Add(2 * time.Hour)) // Set moves it as well, with nothing left to run
	if got := len(m.notifies()); got != 1 {
		t.Errorf("after Set the merchant got %d notifies, want 1", got)
	}
}

// The control API's advance is the same move: by=1h delivers the notify
// due at +5 s dated then, reports it, and leaves nothing for a later move.
func TestHTTPAdvanceDeliversAtDueTime(t *testing.T) {
	m := newMerchant(t, "asflerjgsdfv", ackOK)
	s := mock.RunT(t, mock.Options{Scenario: notifyScenario(t, m.URL+"/hooks/post", "")})
	advance := func(by string) []notify.Attempt {
		t.Helper()
		resp, err := http.Post(s.URL()+"/_mock/clock/advance?by="+by, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var reply struct {
			Now       time.Time
			Attempted []notify.Attempt
		}
		if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("advance by=%s: HTTP %d (%v), want 200 with JSON", by, resp.StatusCode, err)
		}
		return reply.Attempted
	}
	a := advance("1h")
	if want := notifyStart.Add(5 * time.Second); len(a) != 1 || !a[0].At.Equal(want) || !a[0].Delivered {
		t.Errorf("advance by=1h reported %+v, want one delivered attempt at %s", a, want)
	}
	deliveredOnce(t, s, m)
	if a := advance("0s"); len(a) != 0 {
		t.Errorf("a later advance by=0s reported %+v, want none", a)
	}
	s.Clock().(*clock.Manual).Advance(time.Hour)
	deliveredOnce(t, s, m)
}

// Two sandboxes on one manual clock: moving it delivers both schedules'
// notifies, each at its own time; Server.Advance reports its own only.
func TestSharedManualClock(t *testing.T) {
	m1 := newMerchant(t, "asflerjgsdfv", ackOK)
	m2 := newMerchant(t, "asflerjgsdfv", ackOK)
	c := clock.NewManual(notifyStart)
	s1 := mock.RunT(t, mock.Options{Scenario: notifyScenario(t, m1.URL+"/hooks/post", ""), Clock: c})
	s2 := mock.RunT(t, mock.Options{Scenario: notifyScenario(t, m2.URL+"/hooks/post", `[notify]
retries = []`), Clock: c})
	a, err := attempted(s2.Advance(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 1 || a[0].PaymentID != 12345678 {
		t.Errorf("s2.Advance reported %+v, want its one attempt", a)
	}
	deliveredOnce(t, s1, m1)
	deliveredOnce(t, s2, m2)
}

// Once a sandbox is closed, moving the clock it used only moves it.
func TestManualClockAfterClose(t *testing.T) {
	m := newMerchant(t, "asflerjgsdfv", ackOK)
	c := clock.NewManual(notifyStart)
	s, err := mock.Run(mock.Options{Scenario: notifyScenario(t, m.URL+"/hooks/post", ""), Clock: c})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Hour)
	if got := len(m.notifies()); got != 0 {
		t.Errorf("merchant got %d notifies from a closed sandbox, want 0", got)
	}
}

// A merchant handler that moves the clock while it answers a notify does
// not hang the sandbox: its move waits for the delivery under way, which
// ends at the notify timeout, and then runs.
func TestMoveFromAMerchantHandler(t *testing.T) {
	var c *clock.Manual
	nested := make(chan time.Time, 1)
	m := newMerchant(t, "asflerjgsdfv", func(w http.ResponseWriter, r *http.Request, f sign.Fields) {
		nested <- c.Advance(time.Minute)
		ackOK(w, r, f)
	})
	c = clock.NewManual(notifyStart)
	s := mock.RunT(t, mock.Options{Scenario: notifyScenario(t, m.URL+"/hooks/post", `[notify]
retries = []
timeout = "300ms"`), Clock: c})
	a, err := attempted(s.Advance(10 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 1 || a[0].Delivered {
		t.Errorf("got attempts %+v, want one, failed at the timeout", a)
	}
	if got, want := <-nested, notifyStart.Add(10*time.Second+time.Minute); !got.Equal(want) {
		t.Errorf("the handler's move read %s, want %s: it ran after the advance", got, want)
	}
}
