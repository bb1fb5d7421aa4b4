package mock

import (
	"context"

	"github.com/freedompay-mock/freedompay-mock/mock/control"
	"github.com/freedompay-mock/freedompay-mock/mock/expect"
)

// Await waits until a condition holds, as GET /_mock/await does, and takes
// the same query: "order_id=42&state=delivered" (a notify delivered),
// "order_id=42&status=success" (a payout's status), "path=/g2g/reg2reg&min=2"
// (requests made), with merchant_id= and timeout= as there. It returns the
// verdict once the condition holds; else the last verdict and an error:
// ctx's (or context.DeadlineExceeded after the query's timeout),
// control.ErrStopping when the sandbox stops first, control.ErrTooManyAwaits
// beyond --max-awaits, or what is wrong with the query.
//
// The wait is for other goroutines' work: a merchant's code under test
// making requests, the real clock's notifies. On a manual clock nothing
// happens while a test waits unless another goroutine moves it.
func (s *Server) Await(ctx context.Context, query string) (expect.Result, error) {
	return control.Await(ctx, s, s.awaits, query)
}
