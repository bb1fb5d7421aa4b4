package mock

import (
	"encoding/json"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/persist"
)

// FailSaves makes every save of s's state fail with err from now on, or
// saves work again when err is nil.
func FailSaves(s *Server, err error) { s.saver.Fail(err) }

// Crash stops s as kill -9 would, as far as its state goes: nothing more
// is saved, not even on Close, and the log keeps what was appended.
func Crash(s *Server) {
	s.saver.Fail(errCrashed)
	_ = s.Close()
}

var errCrashed error = &crashed{}

type crashed struct{}

func (*crashed) Error() string { return "crashed" }

// StateJSON is the whole state s would save now, with the wall clock's
// readings left out, for comparing two sandboxes. It waits for every change
// made so far to be saved first.
func StateJSON(s *Server) ([]byte, error) {
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

// CompactAt makes s compact its state log once it passes n bytes (and the
// size of state.json), instead of 1 MiB. Call it before any change.
func CompactAt(s *Server, n int64) { s.saver.CompactAt(n) }
