package mock

import "github.com/freedompay-mock/freedompay-mock/mock/persist"

// The saved state (Options.StateDir), as package persist writes it.
const (
	// StateFile is the whole state, replaced on every compaction.
	StateFile = persist.StateFile
	// LogFile is the log of changes since StateFile was written.
	LogFile = persist.LogFile
	// MaxLogRecord bounds one record of the log when it is read back.
	MaxLogRecord = persist.MaxLogRecord
	// DefaultStateInterval is the least time between two saves that no
	// request waits on.
	DefaultStateInterval = persist.DefaultInterval
)

// StateError is a state file that cannot be resumed from: the sandbox
// stops rather than start empty. See [persist.StateError].
type StateError = persist.StateError

// ErrNotSaved is a change that a reply would confirm but the state file
// does not hold: the save that should have covered it failed, or the
// sandbox stopped first.
var ErrNotSaved = persist.ErrNotSaved
