package sandbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
)

// Kind is what went wrong with an operation, as both APIs tell it: the
// control API answers each kind with its own HTTP status and code (one
// table, in package control), the Go API returns the error, whose kind
// [KindOf] reads.
type Kind uint8

// Kinds of error. The zero Kind is a failure of the sandbox itself, which
// no request could explain.
const (
	Internal      Kind = iota
	BadRequest         // the request is wrong: a value, a filter, a query
	NotFound           // no such merchant or payout
	Conflict           // the state does not allow it now: a payout not started, a clock that is not manual
	Invalid            // a scenario that does not validate; its message lists every problem
	StaleCursor        // a page's cursor names an item no longer listed
	NotSaved           // made and served, but the state file does not hold it
	Stopping           // the sandbox is shutting down
	TooManyAwaits      // more awaits than --max-awaits are open
	Timeout            // an await whose condition did not hold in time
	NotReady           // the sandbox does not serve yet

	// Kinds of the HTTP layer's own refusals, before an operation is
	// asked: the control API answers them from the same table.
	Unauthorized     // the admin token is missing or wrong
	CrossOrigin      // a page of another site or origin
	HostNotAllowed   // a Host name a rebinding page could have (without an admin token)
	MethodNotAllowed // a route asked with a method it does not take
	TooLarge         // a body over its limit
	MediaType        // a body of a type the route does not take
)

var kindNames = [...]string{"internal", "bad request", "not found", "conflict", "invalid scenario", "stale cursor",
	"not saved", "stopping", "too many awaits", "timeout", "not ready",
	"unauthorized", "cross origin", "host not allowed", "method not allowed", "too large", "unsupported media type"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind %d", k)
}

// Error is an operation's failure, with its kind.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// errorf is an error of kind k.
func errorf(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Err: fmt.Errorf(format, args...)}
}

// Errorf is an error of kind k, for an adapter's own refusals (a query
// parameter that does not parse).
func Errorf(k Kind, format string, args ...any) error { return errorf(k, format, args...) }

// Sentinels of the sandbox's own refusals; errors.Is finds them in an
// error that wraps them.
var (
	// ErrStopping ends an operation when the sandbox begins to shut down.
	ErrStopping = &Error{Kind: Stopping, Err: errors.New("the sandbox is shutting down")}
	// ErrNotStarted refuses a resend for a payout whose timeline has not
	// begun.
	ErrNotStarted = &Error{Kind: Conflict, Err: errors.New("the payout has not started yet: there is no status to notify")}
	// ErrTooManyAwaits refuses an await beyond the bound of open ones.
	ErrTooManyAwaits = &Error{Kind: TooManyAwaits, Err: errors.New("too many awaits open")}
)

// KindOf is the kind of err: its own, for an [*Error], else the kind of
// the lower packages' errors it wraps (this is the one table of them);
// Internal for any other.
func KindOf(err error) Kind {
	var e *Error
	switch {
	case err == nil:
		return Internal
	case errors.As(err, &e):
		return e.Kind
	case errors.Is(err, ledger.ErrUnknownMerchant), errors.Is(err, ledger.ErrUnknownPayout):
		return NotFound
	case errors.Is(err, ledger.ErrRefused):
		return BadRequest
	case errors.Is(err, notify.ErrNotManual), errors.Is(err, ledger.ErrTooManySteps), errors.Is(err, notify.ErrTooManyResends):
		return Conflict
	case errors.Is(err, notify.ErrPastYear9999):
		return BadRequest
	case errors.Is(err, context.DeadlineExceeded):
		return Timeout
	}
	return Internal
}

// kinded gives err its kind from the table of KindOf, so a caller of the
// Go API can read it with errors.As as well; nil stays nil.
func kinded(err error) error {
	var e *Error
	if err == nil || errors.As(err, &e) {
		return err
	}
	return &Error{Kind: KindOf(err), Err: err}
}

// notSavedError is a change made that the state file does not hold.
func notSavedError(err error) error {
	return &Error{Kind: NotSaved, Err: fmt.Errorf("the change was made but not saved, so a restart would lose it: %w", err)}
}
