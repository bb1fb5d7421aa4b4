package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/expect"
	"github.com/freedompay-mock/freedompay-mock/mock/routes"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// Awaited is the verdict of an await and how long it waited.
type Awaited struct {
	expect.Result
	WaitedMS int64 `json:"waited_ms"`
}

// Await waits until a condition holds and takes the query GET
// /_mock/await takes: "order_id=42&state=delivered" (a notify delivered),
// "order_id=42&status=success" (a payout's status), "path=/g2g/reg2reg&min=2"
// (requests made), with merchant_id= and timeout= (default DefaultAwait).
// It returns the verdict once the condition holds; else the last look's
// verdict, with its message saying why it ended, and an error: of kind
// Timeout after the timeout (ctx's own error when ctx ends first), Stopping
// when the sandbox stops first, TooManyAwaits beyond --max-awaits,
// BadRequest for what is wrong with the query.
//
// The wait is for other goroutines' work: a merchant's code under test
// making requests, the real clock's notifies. On a manual clock nothing
// happens while it waits unless another goroutine moves the clock.
func (s *Sandbox) Await(ctx context.Context, query string) (Awaited, error) {
	start := time.Now()
	res, err := s.await(ctx, query)
	return Awaited{Result: res, WaitedMS: time.Since(start).Milliseconds()}, err
}

// AwaitKeys are the query parameters /_mock/await takes.
var AwaitKeys = []string{"timeout", "merchant_id", "order_id", "payment_id", "path", "outcome", "min", "state", "notify_status", "status", "error_code",
	"payment_status", "result"}

// Await timeouts.
const (
	DefaultAwait = 10 * time.Second
	MaxAwait     = 10 * time.Minute
)

// ParseAwait reads an await query into the expectation to wait for and the
// time to wait: path= waits for requests, state= for a notify, status= for
// a payout status.
func ParseAwait(q url.Values) (scenario.Expect, time.Duration, error) {
	var e scenario.Expect
	timeout := DefaultAwait
	if s := q.Get("timeout"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 || d > MaxAwait {
			return e, 0, errorf(BadRequest, "timeout=%q: want a duration such as 10s, at most %s", s, MaxAwait)
		}
		timeout = d
	}
	e.MerchantID = scenario.Text(q.Get("merchant_id"))
	order := scenario.Text(q.Get("order_id"))
	var pid int64
	if s := q.Get("payment_id"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return e, 0, errorf(BadRequest, "payment_id=%q: want the pg_payment_id, a positive integer", s)
		}
		pid = n
	}
	if order != "" && pid != 0 {
		return e, 0, errorf(BadRequest, "order_id and payment_id: say which payout with one of them")
	}
	count := func(name string) (*int, error) {
		s := q.Get(name)
		if s == "" {
			return nil, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, errorf(BadRequest, "%s=%q: want a count", name, s)
		}
		return &n, nil
	}
	switch {
	case q.Get("path") != "":
		// A misspelt path would wait the whole timeout for requests that
		// cannot come: refused at once, as in a scenario.
		if why := routes.Unknown(q.Get("path")); why != "" {
			return e, 0, errorf(BadRequest, "path=%s %s", wire.Shorten(q.Get("path"), 200), why)
		}
		r := &scenario.ExpectRequests{Path: q.Get("path"), OrderID: order, Outcome: q.Get("outcome")}
		var err error
		if r.Min, err = count("min"); err != nil {
			return e, 0, err
		}
		if pid != 0 {
			return e, 0, errorf(BadRequest, "a request is awaited by path and order_id, not payment_id")
		}
		e.Requests = r
	case q.Get("payment_status") != "" || q.Get("result") != "":
		// A payment: its status, its result notify's state, or both.
		p := &scenario.ExpectPayment{OrderID: order, PaymentID: pid, Status: q.Get("payment_status"), Result: q.Get("result")}
		if s := q.Get("error_code"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return e, 0, errorf(BadRequest, "error_code=%q: want a number", s)
			}
			p.ErrorCode = n
		}
		e.Payment = p
	case q.Get("state") != "":
		e.Notify = &scenario.ExpectNotify{OrderID: order, PaymentID: pid, State: q.Get("state"), Status: q.Get("notify_status")}
	case q.Get("status") != "":
		st := &scenario.ExpectStatus{OrderID: order, PaymentID: pid, Status: q.Get("status")}
		if s := q.Get("error_code"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return e, 0, errorf(BadRequest, "error_code=%q: want a number", s)
			}
			st.ErrorCode = n
		}
		e.Status = st
	default:
		return e, 0, errorf(BadRequest, "say what to wait for: state= (a notify: pending, delivered, failed), status= (a payout status: process, success, error), payment_status= (a payment's: new, pending, success, error, incomplete, revoked, refunded), result= (a payment's result notify: pending, delivered, failed) or path= (a gateway request)")
	}
	scenario.DefaultExpect(&e)
	if probs := scenario.CheckExpect(e, nil); len(probs) > 0 {
		return e, 0, errorf(BadRequest, "%s", strings.Join(probs, "; "))
	}
	return e, timeout, nil
}

// await is Await without the time it waited.
func (s *Sandbox) await(ctx context.Context, query string) (expect.Result, error) {
	q, err := url.ParseQuery(query)
	if err != nil {
		return expect.Result{}, errorf(BadRequest, "the query does not parse: %v", err)
	}
	for k, vs := range q {
		switch {
		case !slices.Contains(AwaitKeys, k):
			return expect.Result{}, errorf(BadRequest, "/_mock/await takes %s; %q is not one of them", strings.Join(AwaitKeys, ", "), k)
		case len(vs) > 1:
			return expect.Result{}, errorf(BadRequest, "%s is given %d times; say it once", k, len(vs))
		}
	}
	e, timeout, err := ParseAwait(q)
	if err != nil {
		return expect.Result{}, err
	}
	if e.Requests == nil { // a payout's status or notify: of a merchant the scenario has
		if err := s.world.Load().known(string(e.MerchantID)); err != nil {
			return expect.Result{}, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := s.wait(ctx, e)
	switch {
	case err == nil, errors.Is(err, ErrTooManyAwaits):
	case errors.Is(err, ErrStopping):
		res.Message = fmt.Sprintf("the wait for %s ended before it held: the sandbox is shutting down; %s", e.Describe(), res.Message)
	case errors.Is(err, context.DeadlineExceeded):
		res.Message = fmt.Sprintf("timed out after %s waiting for %s: %s", timeout, e.Describe(), res.Message)
		err = &Error{Kind: Timeout, Err: saying{res.Message, err}}
	default:
		// The caller gave up (an HTTP client closed its side: a
		// half-close still reads); say so rather than end with nothing.
		res.Message = fmt.Sprintf("the wait for %s ended before it held: the caller stopped waiting (an HTTP client closed its side of the connection, or a Go caller's context ended); %s", e.Describe(), res.Message)
		err = &Error{Kind: Timeout, Err: saying{res.Message, err}}
	}
	return res, err
}

// wait looks at e until it holds, ctx ends (its error, with the last
// look's verdict) or the sandbox stops (ErrStopping).
func (s *Sandbox) wait(ctx context.Context, e scenario.Expect) (expect.Result, error) {
	wt, err := s.awaits.enter(e)
	if err != nil {
		return expect.Result{}, err
	}
	defer s.awaits.leave(wt)
	for {
		res := s.look(e, wt)
		if res.OK {
			return res, nil
		}
		if s.Stopping() {
			return res, ErrStopping
		}
		select {
		case <-wt.wake:
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				// The whole verdict, with its message, once at the end.
				res = s.check(e)
			}
			// Else from the last look: a thousand clients hanging up at
			// once must not make a thousand looks at a full journal.
			return res, ctx.Err()
		}
	}
}

func (s *Sandbox) check(e scenario.Expect) expect.Result {
	s.awaits.look()
	return expect.Check(e, s.State())
}

// look is the verdict on e now. For a request await it counts the journal
// and, while that count is short of min, tells Awaits how many more
// requests to wait for, giving a verdict that says so without building the
// whole message: the message of a verdict that does not hold is built only
// at the end.
func (s *Sandbox) look(e scenario.Expect, wt *awaiter) expect.Result {
	x := e.Requests
	if x == nil {
		return s.check(e)
	}
	if x.Min == nil || x.Max != nil { // not an await's: look again at every match
		s.awaits.counting(wt)
		res := s.check(e)
		s.awaits.counted(wt, 1)
		return res
	}
	s.awaits.look()
	s.awaits.counting(wt)
	f := *wt.requests
	f.Limit = 1 // the count is what matters
	n := s.world.Load().journal.Query(f).Matched
	if n >= *x.Min {
		res := s.check(e)
		if !res.OK { // entries let go or forgotten since the count
			s.awaits.counted(wt, 1)
		}
		return res
	}
	s.awaits.counted(wt, *x.Min-n)
	return expect.Result{Name: e.Name, Kind: e.Kind(), MerchantID: string(e.MerchantID),
		Message: fmt.Sprintf("%d of the %d request(s) wanted", n, *x.Min)}
}

// saying is err with a message of its own.
type saying struct {
	msg string
	err error
}

func (e saying) Error() string { return e.msg }
func (e saying) Unwrap() error { return e.err }
