package control

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/freedompay-mock/freedompay-mock/mock/routes"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/expect"
	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// requests answers the journal of gateway requests, filtered by path,
// merchant_id, order_id, payment_id and outcome, a page at a time
// (paging).
func (h *handlers) requests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pg, err := parsePaging(q)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	f := journal.Filter{
		MerchantID: q.Get("merchant_id"), Path: q.Get("path"), OrderID: q.Get("order_id"),
		PaymentID: q.Get("payment_id"), Outcome: q.Get("outcome"),
		After: pg.after, Before: pg.before, Limit: pg.limit, Oldest: pg.order == OrderOldest,
	}
	switch f.Outcome {
	case "", journal.OutcomeOK, journal.OutcomeError, journal.OutcomeBadSignature, journal.OutcomeFault:
	default:
		writeError(w, http.StatusBadRequest, "outcome=%q: want ok, error, bad_signature or fault", f.Outcome)
		return
	}
	p := h.b.Requests(f)
	reply := requestsReply{Page: p}
	if p.More && len(p.Entries) > 0 {
		if f.Oldest {
			reply.NextCursor = cursorAfter(p.Entries[len(p.Entries)-1].Seq)
		} else {
			reply.NextCursor = cursorBefore(p.Entries[0].Seq)
		}
	}
	if pg.order == OrderNewest {
		slices.Reverse(reply.Entries)
	}
	writeJSON(w, http.StatusOK, reply)
}

type requestsReply struct {
	journal.Page
	NextCursor string `json:"next_cursor,omitempty"` // absent on the last page
}

// AwaitKeys are the query parameters /_mock/await takes.
var AwaitKeys = []string{"timeout", "merchant_id", "order_id", "payment_id", "path", "outcome", "min", "state", "notify_status", "status", "error_code"}

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
			return e, 0, fmt.Errorf("timeout=%q: want a duration such as 10s, at most %s", s, MaxAwait)
		}
		timeout = d
	}
	e.MerchantID = scenario.Text(q.Get("merchant_id"))
	order := scenario.Text(q.Get("order_id"))
	var pid int64
	if s := q.Get("payment_id"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return e, 0, fmt.Errorf("payment_id=%q: want the pg_payment_id, a positive integer", s)
		}
		pid = n
	}
	if order != "" && pid != 0 {
		return e, 0, fmt.Errorf("order_id and payment_id: say which payout with one of them")
	}
	count := func(name string) (*int, error) {
		s := q.Get(name)
		if s == "" {
			return nil, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%s=%q: want a count", name, s)
		}
		return &n, nil
	}
	switch {
	case q.Get("path") != "":
		// A misspelt path would wait the whole timeout for requests that
		// cannot come: refused at once, as in a scenario.
		if why := routes.Unknown(q.Get("path")); why != "" {
			return e, 0, fmt.Errorf("path=%s %s", wire.Shorten(q.Get("path"), 200), why)
		}
		r := &scenario.ExpectRequests{Path: q.Get("path"), OrderID: order, Outcome: q.Get("outcome")}
		var err error
		if r.Min, err = count("min"); err != nil {
			return e, 0, err
		}
		if pid != 0 {
			return e, 0, fmt.Errorf("a request is awaited by path and order_id, not payment_id")
		}
		e.Requests = r
	case q.Get("state") != "":
		e.Notify = &scenario.ExpectNotify{OrderID: order, PaymentID: pid, State: q.Get("state"), Status: q.Get("notify_status")}
	case q.Get("status") != "":
		st := &scenario.ExpectStatus{OrderID: order, PaymentID: pid, Status: q.Get("status")}
		if s := q.Get("error_code"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return e, 0, fmt.Errorf("error_code=%q: want a number", s)
			}
			st.ErrorCode = n
		}
		e.Status = st
	default:
		return e, 0, fmt.Errorf("say what to wait for: state= (a notify: pending, delivered, failed), status= (a payout status: process, success, error) or path= (a gateway request)")
	}
	scenario.DefaultExpect(&e)
	if probs := scenario.CheckExpect(e, nil); len(probs) > 0 {
		return e, 0, fmt.Errorf("%s", strings.Join(probs, "; "))
	}
	return e, timeout, nil
}

// await long-polls until the condition of its query holds (200) or the
// timeout passes (408), answering with the verdict either way. It looks at
// the state again only when Awaits wakes it (see there); at most
// Awaits.Max awaits are open at once, more are a 503.
func (h *handlers) await(w http.ResponseWriter, r *http.Request) {
	e, timeout, err := ParseAwait(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(timeout + 10*time.Second))
	start := time.Now()
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	res, err := h.wait(ctx, e)
	status := http.StatusOK
	switch {
	case errors.Is(err, ErrTooManyAwaits):
		w.Header().Set("Retry-After", "1")
		writeCode(w, http.StatusServiceUnavailable, CodeTooManyAwaits, "%d awaits are open, the most --max-awaits allows: wait for one to end and try again", h.awaits.Max())
		return
	case errors.Is(err, ErrStopping):
		status = http.StatusServiceUnavailable
	case errors.Is(err, context.DeadlineExceeded):
		status = http.StatusRequestTimeout
		res.Message = fmt.Sprintf("timed out after %s waiting for %s: %s", timeout, e.Describe(), res.Message)
	case err != nil:
		// The client closed its side (a half-close still reads): say so
		// rather than end with an empty reply.
		status = http.StatusRequestTimeout
		res.Message = fmt.Sprintf("the wait for %s ended before it held: the client closed its side of the connection; %s", e.Describe(), res.Message)
	}
	writeJSON(w, status, awaitReply{Result: res, WaitedMS: time.Since(start).Milliseconds()})
}

// Await waits until the condition of an await query holds (the query
// /_mock/await takes: order_id=42&state=delivered, path=/g2g/reg2reg&min=2,
// ...), ctx ends, or the sandbox stops. It gives the verdict: held, or the
// last look's with an error — ctx's when it ended first, ErrStopping,
// ErrTooManyAwaits, or the query's problem. The query's timeout, when it
// has one, bounds the wait as ctx does.
func Await(ctx context.Context, b Backend, a *Awaits, query string) (expect.Result, error) {
	q, err := url.ParseQuery(query)
	if err != nil {
		return expect.Result{}, fmt.Errorf("await %q: the query does not parse: %w", query, err)
	}
	e, timeout, err := ParseAwait(q)
	if err != nil {
		return expect.Result{}, fmt.Errorf("await %q: %w", query, err)
	}
	if q.Has("timeout") {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	h := &handlers{b: b, awaits: a}
	res, err := h.wait(ctx, e)
	if err != nil && !errors.Is(err, ErrTooManyAwaits) {
		err = fmt.Errorf("waiting for %s: %w; %s", e.Describe(), err, res.Message)
	}
	return res, err
}

// wait looks at e until it holds, ctx ends (its error, with the last
// look's verdict) or the sandbox stops (ErrStopping).
func (h *handlers) wait(ctx context.Context, e scenario.Expect) (expect.Result, error) {
	wt, err := h.awaits.enter(e)
	if err != nil {
		return expect.Result{}, err
	}
	defer h.awaits.leave(wt)
	for {
		res := h.look(e, wt)
		if res.OK {
			return res, nil
		}
		if h.b.Stopping() {
			res.Message = fmt.Sprintf("the wait for %s ended before it held: the sandbox is shutting down; %s", e.Describe(), res.Message)
			return res, ErrStopping
		}
		select {
		case <-wt.wake:
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				// The whole verdict, with its message, once at the end.
				res = h.check(e)
			}
			// Else from the last look: a thousand clients hanging up at
			// once must not make a thousand looks at a full journal.
			return res, ctx.Err()
		}
	}
}

func (h *handlers) check(e scenario.Expect) expect.Result {
	h.awaits.look()
	return expect.Check(e, h.b)
}

// look is the verdict on e now. For a request await it counts the journal
// and, while that count is short of min, tells Awaits how many more
// requests to wait for, giving a verdict that says so without building the
// whole message: the message of a verdict that does not hold is built only
// at the end.
func (h *handlers) look(e scenario.Expect, wt *waiter) expect.Result {
	x := e.Requests
	if x == nil {
		return h.check(e)
	}
	if x.Min == nil || x.Max != nil { // not an await's: look again at every match
		h.awaits.counting(wt)
		res := h.check(e)
		h.awaits.counted(wt, 1)
		return res
	}
	h.awaits.look()
	h.awaits.counting(wt)
	f := *wt.requests
	f.Limit = 1 // the count is what matters
	n := h.b.Requests(f).Matched
	if n >= *x.Min {
		res := h.check(e)
		if !res.OK { // entries let go or forgotten since the count
			h.awaits.counted(wt, 1)
		}
		return res
	}
	h.awaits.counted(wt, *x.Min-n)
	return expect.Result{Name: e.Name, Kind: e.Kind(), MerchantID: string(e.MerchantID),
		Message: fmt.Sprintf("%d of the %d request(s) wanted", n, *x.Min)}
}

type awaitReply struct {
	expect.Result
	WaitedMS int64 `json:"waited_ms"`
}

// verify answers the verdict on the scenario's expectations (200 either
// way; "ok" tells), as JSON or, with format=junit, as JUnit XML for a CI
// system's test report (a pipeline in any language fetches it with curl).
func (h *handlers) verify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	format := q.Get("format")
	if format != "" && format != "json" && format != "junit" {
		writeError(w, http.StatusBadRequest, "format=%s: want json (the default) or junit", format)
		return
	}
	m := q.Get("merchant_id")
	if m != "" && !h.b.KnownMerchant(m) {
		writeError(w, http.StatusNotFound, "merchant_id=%s: the scenario has no such merchant, so nothing can be verified for it", m)
		return
	}
	rep := h.b.Verify(m)
	if format != "junit" {
		writeJSON(w, http.StatusOK, rep)
		return
	}
	var b bytes.Buffer
	if err := rep.JUnit(&b); err != nil {
		writeCode(w, http.StatusInternalServerError, CodeInternal, "writing the JUnit report: %v", err)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
}
