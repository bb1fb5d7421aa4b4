package mock

import (
	"github.com/freedompay-mock/freedompay-mock/mock/expect"
	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
)

// FailSaves makes every save of s's state fail with err from now on, or
// saves work again when err is nil.
func FailSaves(s *Server, err error) { s.sb.FailSaves(err) }

// Crash stops s as kill -9 would, as far as its state goes: nothing more
// is saved, not even on Close, and the log keeps what was appended.
func Crash(s *Server) {
	s.sb.Crash()
	_ = s.Close()
}

// StateJSON is the whole state s would save now, with the wall clock's
// readings left out, for comparing two sandboxes. It waits for every
// change made so far to be saved first.
func StateJSON(s *Server) ([]byte, error) { return s.sb.StateJSON() }

// CompactAt makes s compact its state log once it passes n bytes (and the
// size of state.json), instead of 1 MiB. Call it before any change.
func CompactAt(s *Server, n int64) { s.sb.CompactAt(n) }

// Sandbox is s's domain, for tests that look beneath the Go API (the
// awaits' counters, the change signal).
func Sandbox(s *Server) *sandbox.Sandbox { return s.sb }

// The helpers below read the state beneath the Go API, for tests that
// check the ledger's own values (amounts as money, timelines as steps).

// PayoutByOrder is a merchant's payout with an order id, as the ledger
// holds it.
func PayoutByOrder(s *Server, merchantID, orderID string) (ledger.Payout, bool) {
	for _, p := range s.sb.State().Payouts(merchantID) {
		if p.OrderID == orderID {
			return p, true
		}
	}
	return ledger.Payout{}, false
}

// LedgerPayouts are a merchant's payouts (every merchant's for ""), as the
// ledger holds them.
func LedgerPayouts(s *Server, merchantID string) []ledger.Payout {
	return s.sb.State().Payouts(merchantID)
}

// History is a merchant's notifications kept (every merchant's for ""),
// with their verdicts, and how many were let go.
func History(s *Server, merchantID string) ([]notify.Notification, int64) {
	return s.sb.State().History(merchantID)
}

// AllNotifications are every notification kept, oldest first.
func AllNotifications(s *Server) []notify.Notification {
	ns, _ := s.sb.State().History("")
	return ns
}

// Journal queries the journal with a filter of its own.
func Journal(s *Server, f journal.Filter) journal.Page { return s.sb.State().Requests(f) }

// Report is the verdict of s's expectations (a merchant's, with one).
func Report(s *Server, merchantID string) expect.Report {
	r, err := s.Verify(merchantID)
	if err != nil {
		panic(err)
	}
	return r
}
