package mock

import "github.com/freedompay-mock/freedompay-mock/mock/sandbox"

// The saved state (Options.StateDir), as package sandbox keeps it.
const (
	StateFile            = sandbox.StateFile
	LogFile              = sandbox.LogFile
	DefaultStateInterval = sandbox.DefaultStateInterval
)

// StateError is a state file that cannot be resumed from.
type StateError = sandbox.StateError

// ErrNotSaved is a change that a reply would confirm but the state file
// does not hold.
var ErrNotSaved = sandbox.ErrNotSaved
