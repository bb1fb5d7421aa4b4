package mock_test

import (
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
)

// attempted is the attempts of a move of the clock (Server.Advance,
// Server.Drain).
func attempted(r sandbox.Run, err error) ([]notify.Attempt, error) { return r.Attempted, err }
