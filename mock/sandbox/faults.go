package sandbox

import (
	"encoding/json"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/persist"
)

// Fault injection for tests of the saved state (--state): a test of a
// program that embeds the sandbox can make saving fail, crash it as kill -9
// would, and compare two sandboxes' states.

// FailSaves makes every save of the state fail with err from now on, or
// saves work again when err is nil. Without a StateDir it does nothing.
func (s *Sandbox) FailSaves(err error) {
	if s.saver == nil {
		return
	}
	s.saver.Fail(err)
}

// Crash makes the sandbox stop saving as kill -9 would: nothing more is
// saved, not even on Close, and the log keeps what was appended.
func (s *Sandbox) Crash() { s.FailSaves(errCrashed) }

var errCrashed error = &crashed{}

type crashed struct{}

func (*crashed) Error() string { return "crashed" }

// StateJSON is the whole state the sandbox would save now, with the wall
// clock's readings left out, for comparing two sandboxes. It waits for
// every change made so far to be saved first. Without a StateDir it is an
// error.
func (s *Sandbox) StateJSON() ([]byte, error) {
	if s.saver == nil {
		return nil, errorf(Conflict, "the sandbox saves no state")
	}
	if err := s.saver.Flush(); err != nil {
		return nil, err
	}
	snap, _ := s.snapshot()
	data, err := persist.Encode(snap)
	if err != nil {
		return nil, err
	}
	var st persist.State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, err
	}
	st.SavedAt, st.Clock.Wall = time.Time{}, time.Time{}
	return json.MarshalIndent(st, "", " ")
}

// CompactAt makes the sandbox compact its state log once it passes n bytes
// (and the size of the state file), instead of 1 MiB. Call it before any
// change.
func (s *Sandbox) CompactAt(n int64) {
	if s.saver != nil {
		s.saver.CompactAt(n)
	}
}
