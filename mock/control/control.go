// Package control serves the sandbox's own API under /_mock/: JSON routes
// for CI jobs in any language to check readiness, read and move the clock,
// see payouts, notifies and the request journal, force a status, resend a
// notify, wait for a condition, swap or reset the scenario, and get the
// verdict on the scenario's expectations.
package control

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/freedompay-mock/freedompay-mock/mock/expect"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/redact"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// Prefix of every control route.
const Prefix = "/_mock"

// Backend is what the control routes act on: the server.
type Backend interface {
	Now() time.Time
	ClockMode() string
	Advance(d time.Duration) ([]notify.Attempt, error)
	Drain() ([]notify.Attempt, error)
	// Ready reports whether the server serves its scenario with its
	// scheduler running, and why not.
	Ready() (bool, string)
	ScenarioName() string
	// expect.State: payouts, notifications and requests, per merchant.
	expect.State
	Payout(paymentID int64) (ledger.Payout, bool)
	Force(ctx context.Context, paymentID int64, status string, errorCode int) (Forced, error)
	Resend(ctx context.Context, paymentID int64) (notify.Notification, error)
	Reset(merchantID string) error
	ReplaceScenario(toml []byte, merchantID string) (ScenarioChange, error)
	Verify(merchantID string) expect.Report
	KnownMerchant(id string) bool
	MerchantIDs() []string
	// Stopping reports whether the server is shutting down.
	Stopping() bool
}

// Forced is a payout whose status was forced, with the notify sent for it.
type Forced struct {
	Payout       ledger.Payout
	Was          ledger.Step
	Notification *notify.Notification
}

// ScenarioChange is what replacing the scenario did.
type ScenarioChange struct {
	Scenario   string   `json:"scenario"`
	Summary    string   `json:"summary"`
	MerchantID string   `json:"merchant_id,omitempty"`
	Ignored    []string `json:"ignored_merchants,omitempty"` // of a scoped replacement
}

// InvalidError is a scenario that does not validate; its message lists
// every problem, as `validate` prints them.
type InvalidError struct{ Err error }

func (e *InvalidError) Error() string { return e.Err.Error() }
func (e *InvalidError) Unwrap() error { return e.Err }

// NotSavedError is a change made that the state file (--state) does not
// hold: the sandbox serves it, but a restart would not. It is answered 503
// with the code "state_not_saved".
type NotSavedError struct{ Err error }

func (e *NotSavedError) Error() string {
	return "the change was made but not saved, so a restart would lose it: " + e.Err.Error()
}
func (e *NotSavedError) Unwrap() error { return e.Err }

// kindOf is the one table from the backend's errors to the control API's
// answers: the status and code of err's kind, and whether it has one.
func kindOf(err error) (status int, code string, ok bool) {
	var ns *NotSavedError
	var invalid *InvalidError
	switch {
	case errors.As(err, &ns):
		return http.StatusServiceUnavailable, CodeNotSaved, true
	case errors.As(err, &invalid):
		return http.StatusUnprocessableEntity, CodeInvalid, true
	case errors.Is(err, ledger.ErrUnknownMerchant), errors.Is(err, ledger.ErrUnknownPayout):
		return http.StatusNotFound, CodeNotFound, true
	case errors.Is(err, ErrNotStarted), errors.Is(err, notify.ErrNotManual):
		return http.StatusConflict, CodeConflict, true
	case errors.Is(err, notify.ErrPastYear9999):
		return http.StatusBadRequest, CodeBadRequest, true
	case errors.Is(err, ErrStopping):
		return http.StatusServiceUnavailable, CodeStopping, true
	}
	return 0, "", false
}

// writeFailure answers err, an error of the backend, with the status and
// code of its kind (kindOf); an error of no known kind gets status other:
// 400 where the backend refuses what the request asks for, 500 where no
// request could explain it.
func writeFailure(w http.ResponseWriter, err error, other int) {
	status, code, ok := kindOf(err)
	if !ok {
		status, code = other, codeOf(other)
	}
	writeCode(w, status, code, "%v", err)
}

// ErrStopping ends a drain when the sandbox begins to shut down.
var ErrStopping = errors.New("the sandbox is shutting down")

// ErrNotStarted answers a resend for a payout whose timeline has not begun.
var ErrNotStarted = errors.New("the payout has not started yet: there is no status to notify")

// Options configure the control API. The zero value has no admin token
// and DefaultMaxAwaits.
type Options struct {
	// Token, when set, is required on every route, as "Authorization:
	// Bearer <token>"; the dashboard also takes it from its sign-in form
	// (uiform.go).
	Token string
	// Awaits are the open awaits; nil makes its own with DefaultMaxAwaits.
	Awaits *Awaits
	// Version is what /_mock/health reports; empty reports "dev".
	Version string
	// AllowedHosts, without a Token, are the host-name globs the control
	// API answers beside IP literals and local names (HostAllowed), as
	// ParseAllowedHosts reads them; "*" allows every Host. With a Token,
	// the Host is not checked.
	AllowedHosts []string
	// Redact, when not nil, gives the Redactor of the scenario served:
	// every JSON reply and dashboard page is masked by the one it gives
	// when the reply is written, before it is encoded (redact.go).
	Redact func() *redact.Redactor
}

// New returns the handler of every control route, on a router of its own
// (the sandbox registers them on its one router with [Register]).
func New(b Backend, opts Options) http.Handler {
	r := mux.NewRouter()
	r.SkipClean(true)
	misses := Register(r, b, opts)
	r.NotFoundHandler, r.MethodNotAllowedHandler = misses.NotFound, misses.MethodNotAllowed
	return r
}

// Owns reports whether path is a control route's: Prefix or under it.
func Owns(path string) bool {
	return path == Prefix || strings.HasPrefix(path, Prefix+"/")
}

// Misses answer a path under Prefix that no control route has, and a
// control route asked with a method it does not take, in JSON and guarded
// as the routes are: the router that holds the control routes sends them
// the requests [Owns] says are the control API's.
type Misses struct {
	NotFound, MethodNotAllowed http.Handler
}

// table registers control routes on a router, each behind the guard.
type table struct {
	r     *mux.Router
	guard func(http.Handler) http.Handler
}

func (t table) Handle(path string, h http.Handler) *mux.Route { return t.r.Handle(path, t.guard(h)) }

func (t table) HandleFunc(path string, h http.HandlerFunc) *mux.Route { return t.Handle(path, h) }

// Register adds every control route to r and returns the answers to the
// paths and methods under Prefix that none takes. Every route, and both
// answers, is guarded: the admin token when there is one, same-origin
// requests only, and without a token only allowed Host names. All routes
// are listed here.
func Register(router *mux.Router, b Backend, opts Options) Misses {
	if opts.Awaits == nil {
		opts.Awaits = NewAwaits(DefaultMaxAwaits)
	}
	opts.Awaits.history = b.History
	if opts.Version == "" {
		opts.Version = "dev"
	}
	h := &handlers{b: b, awaits: opts.Awaits, version: opts.Version}
	r := table{r: router, guard: opts.guard()}
	merchant := "merchant_id"
	r.HandleFunc(Prefix+"/health", noBody(h.health)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(Prefix+"/ready", noBody(h.ready)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(Prefix+"/clock", noBody(h.clock)).Methods(http.MethodGet)
	r.HandleFunc(Prefix+"/clock/advance", only(jsonBody(h.advance), "by")).Methods(http.MethodPost)
	r.HandleFunc(Prefix+"/clock/drain", noBody(h.drain)).Methods(http.MethodPost)
	r.HandleFunc(Prefix+"/notifications", noBody(h.notifications, pageKeys(merchant, "order_id", "state")...)).Methods(http.MethodGet)
	r.HandleFunc(Prefix+"/payouts", noBody(h.payouts, pageKeys(merchant, "order_id", "status")...)).Methods(http.MethodGet)
	r.HandleFunc(Prefix+"/payouts/{id}", noBody(h.payout)).Methods(http.MethodGet)
	r.HandleFunc(Prefix+"/payouts/{id}/status", only(jsonBody(h.force))).Methods(http.MethodPost)
	r.HandleFunc(Prefix+"/payouts/{id}/notify", noBody(h.resend)).Methods(http.MethodPost)
	r.HandleFunc(Prefix+"/requests", noBody(h.requests, pageKeys(merchant, "path", "order_id", "payment_id", "outcome")...)).Methods(http.MethodGet)
	r.HandleFunc(Prefix+"/await", noBody(h.await, AwaitKeys...)).Methods(http.MethodGet)
	r.HandleFunc(Prefix+"/scenario", only(tomlBody(h.scenario), merchant)).Methods(http.MethodPut, http.MethodPost)
	r.HandleFunc(Prefix+"/reset", noBody(h.reset, merchant)).Methods(http.MethodPost)
	r.HandleFunc(Prefix+"/verify", noBody(h.verify, merchant, "format")).Methods(http.MethodGet)
	h.registerUI(r, opts.Token)
	return Misses{
		NotFound: r.guard(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			writeError(w, http.StatusNotFound, "no control route %s; see docs/control-api.md", wire.Shorten(req.URL.Path, 200))
		})),
		MethodNotAllowed: r.guard(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			writeError(w, http.StatusMethodNotAllowed, "method %s is not allowed on %s", wire.Shorten(req.Method, 20), wire.Shorten(req.URL.Path, 200))
		})),
	}
}

// guard wraps a control route's handler in the checks every request
// passes first: the Host (without a token), then, except for the
// dashboard, which guards its own routes (its page opens from a link
// anywhere and signs in), same-origin and the admin token; outermost, the
// Redactor for what the route writes (redact.go).
func (opts Options) guard() func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		guarded := sameOrigin(next)
		if opts.Token != "" {
			guarded = sameOrigin(requireToken(opts.Token, next))
		}
		var served http.Handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if uiRoute(req.URL.Path) {
				next.ServeHTTP(w, req)
				return
			}
			guarded.ServeHTTP(w, req)
		})
		if opts.Token == "" && !slices.Contains(opts.AllowedHosts, "*") {
			served = checkHost(opts.AllowedHosts, served) // the token is the guard when there is one
		}
		return withRedactor(opts.Redact, served)
	}
}

// sameOrigin refuses a request a browser sent from a page of another
// site: a page the developer visits could otherwise swap the scenario or
// move the clock with a simple (unpreflighted) request. It is
// http.CrossOriginProtection's rule, applied to every method (an await is
// a GET that holds a slot) and letting same-site requests without an
// Origin through:
//   - "Sec-Fetch-Site: cross-site" is refused (same-origin, same-site and
//     none, a URL typed in the address bar, are not);
//   - an Origin header whose host (and port) is not the request's Host is
//     refused, "Origin: null" included.
//
// A request with neither header comes from a program, not a browser.
// Matching the Host is not enough against a page whose name was re-pointed
// at the sandbox (DNS rebinding): without an admin token, checkHost
// (hosts.go) refuses the names such a page can have.
func sameOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
			writeCode(w, http.StatusForbidden, CodeCrossOrigin, "a page of another site may not use the control API (Sec-Fetch-Site: cross-site)")
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" {
			u, err := url.Parse(origin)
			if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
				writeCode(w, http.StatusForbidden, CodeCrossOrigin, "a page of another origin (%.100s) may not use the control API of %.100s", origin, r.Host)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// mediaType is the request's Content-Type without its parameters; "" when
// there is none.
func mediaType(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "invalid"
	}
	return mt
}

// jsonBody refuses a body sent as another type than application/json
// (415): form, multipart and text/plain bodies are what a browser sends
// to another site without asking first. A request without a Content-Type
// comes from a program and is read as JSON.
func jsonBody(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if mt := mediaType(r); mt != "" && mt != "application/json" {
			writeCode(w, http.StatusUnsupportedMediaType, CodeMediaType, "the body must be sent as Content-Type: application/json, not %.100q", r.Header.Get("Content-Type"))
			return
		}
		h(w, r)
	}
}

// TOMLTypes are the Content-Types a scenario may be sent as; a request
// without a Content-Type is read as TOML too.
var TOMLTypes = []string{"application/toml", "text/x-toml", "text/toml", "application/x-toml"}

// tomlBody is jsonBody for the scenario route, with TOMLTypes.
func tomlBody(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if mt := mediaType(r); mt != "" && !slices.Contains(TOMLTypes, mt) {
			writeCode(w, http.StatusUnsupportedMediaType, CodeMediaType, "a scenario must be sent as Content-Type: application/toml (curl -H 'Content-Type: application/toml' --data-binary @file), not %.100q", r.Header.Get("Content-Type"))
			return
		}
		h(w, r)
	}
}

// requireToken lets through requests that carry the admin token.
func requireToken(token string, next http.Handler) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="freedompay-mock"`)
			writeCode(w, http.StatusUnauthorized, CodeUnauthorized, "the control API needs the admin token: send \"Authorization: Bearer <token>\" (--admin-token)")
			return
		}
		next.ServeHTTP(w, r)
	})
}

type handlers struct {
	b       Backend
	awaits  *Awaits
	version string
}

type clockReply struct {
	Now  time.Time `json:"now"`
	Mode string    `json:"mode"`
}

// runReply answers advance and drain: the clock afterwards and every attempt
// made on the way, in time order.
type runReply struct {
	Now       time.Time        `json:"now"`
	Mode      string           `json:"mode"`
	Attempted []notify.Attempt `json:"attempted"`
}

type healthReply struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}

// health answers while the process serves HTTP at all (liveness), with the
// sandbox's version.
func (h *handlers) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, healthReply{Status: "ok", Version: h.version})
}

type readyReply struct {
	Ready    bool      `json:"ready"`
	Reason   string    `json:"reason,omitempty"`
	Scenario string    `json:"scenario"`
	Clock    string    `json:"clock"`
	Now      time.Time `json:"now"`
}

// ready answers 200 once the scenario is loaded and the notify scheduler
// runs, 503 with the reason otherwise (readiness).
func (h *handlers) ready(w http.ResponseWriter, _ *http.Request) {
	ok, why := h.b.Ready()
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, readyReply{Ready: ok, Reason: why, Scenario: h.b.ScenarioName(), Clock: h.b.ClockMode(), Now: h.b.Now()})
}

func (h *handlers) clock(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, clockReply{Now: h.b.Now(), Mode: h.b.ClockMode()})
}

// only answers 400 for a query parameter the route does not take, or one
// given twice: a typo would otherwise be ignored, or a repeat settled
// silently one way.
func only(h http.HandlerFunc, keys ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			writeError(w, http.StatusBadRequest, "the query string does not parse: %v", err)
			return
		}
		for k, vs := range q {
			if !slices.Contains(keys, k) {
				if len(keys) == 0 {
					writeError(w, http.StatusBadRequest, "%s takes no query parameters; %q is not one", r.URL.Path, k)
				} else {
					writeError(w, http.StatusBadRequest, "%s takes %s; %q is not one of them", r.URL.Path, strings.Join(keys, ", "), k)
				}
				return
			}
			if len(vs) > 1 {
				writeError(w, http.StatusBadRequest, "%s is given %d times; say it once", k, len(vs))
				return
			}
		}
		h(w, r)
	}
}

// noBody is only, for a route that takes no body: one sent is a 400, as a
// body with {"merchant_id": …} would otherwise be ignored and the call
// reach every merchant.
func noBody(h http.HandlerFunc, keys ...string) http.HandlerFunc {
	return only(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			var one [1]byte
			if n, _ := io.ReadFull(r.Body, one[:]); n > 0 {
				if len(keys) == 0 {
					writeError(w, http.StatusBadRequest, "%s %s takes no body", r.Method, r.URL.Path)
				} else {
					writeError(w, http.StatusBadRequest, "%s %s takes no body; it takes %s in the query", r.Method, r.URL.Path, strings.Join(keys, ", "))
				}
				return
			}
		}
		h(w, r)
	}, keys...)
}

// decodeStrict reads a JSON object into v, refusing a key v lacks, a key
// whose case differs from v's, and a key given twice; encoding/json would
// take them silently.
func decodeStrict(data []byte, v any, keys ...string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("want a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		k, _ := tok.(string)
		switch {
		case !slices.Contains(keys, k):
			return fmt.Errorf("unknown key %q: want %s", k, strings.Join(keys, ", "))
		case seen[k]:
			return fmt.Errorf("key %q is given twice", k)
		}
		seen[k] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return err
		}
	}
	return json.Unmarshal(data, v)
}

// maxControlBody bounds a control request's JSON body.
const maxControlBody = 64 << 10

// readBody reads a control request's body: a 413 beyond maxControlBody, a
// 400 when it cannot be read. ok is false once an error was written.
func readBody(w http.ResponseWriter, r *http.Request) (data []byte, ok bool) {
	if r.Body == nil {
		return nil, true
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxControlBody+1))
	switch {
	case len(data) > maxControlBody:
		tooLarge(w, r, maxControlBody, "a control request's body is at most %d bytes", maxControlBody)
		return nil, false
	case err != nil:
		writeError(w, http.StatusBadRequest, "reading the body: %v", err)
		return nil, false
	}
	return data, true
}

func (h *handlers) advance(w http.ResponseWriter, r *http.Request) {
	by := r.URL.Query().Get("by")
	data, ok := readBody(w, r)
	if !ok {
		return
	}
	if len(data) > 0 {
		var req struct {
			By string `json:"by"`
		}
		if err := decodeStrict(data, &req, "by"); err != nil {
			writeError(w, http.StatusBadRequest, "body must be JSON such as {\"by\":\"30m\"}: %v", err)
			return
		}
		if by != "" && req.By != "" && req.By != by {
			writeError(w, http.StatusBadRequest, "by=%s in the query and %q in the body: say it once", by, req.By)
			return
		}
		if by == "" {
			by = req.By
		}
	}
	if by == "" {
		writeError(w, http.StatusBadRequest, "say how far to move the clock: ?by=30m or {\"by\":\"30m\"}")
		return
	}
	d, err := advanceBy(by, h.b.Now())
	if err != nil {
		writeError(w, http.StatusBadRequest, "by=%v", err)
		return
	}
	h.run(w, func() ([]notify.Attempt, error) { return h.b.Advance(d) })
}

func (h *handlers) drain(w http.ResponseWriter, _ *http.Request) {
	h.run(w, h.b.Drain)
}

func (h *handlers) run(w http.ResponseWriter, f func() ([]notify.Attempt, error)) {
	// Attempts to slow merchants may take longer than the server's 30 s
	// write limit; the reply must still come, or a client may send the
	// request again and move the clock twice.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(MaxAwait))
	attempts, err := f()
	if errors.Is(err, notify.ErrPastYear9999) {
		err = fmt.Errorf("%w; the clock stands at %s", err, h.b.Now().Format(time.RFC3339))
	}
	if err != nil {
		writeFailure(w, err, http.StatusInternalServerError)
		return
	}
	if attempts == nil {
		attempts = []notify.Attempt{}
	}
	writeJSON(w, http.StatusOK, runReply{Now: h.b.Now(), Mode: h.b.ClockMode(), Attempted: attempts})
}

// notifications lists notifies, filtered by merchant_id, order_id and
// state, a page at a time (paging).
func (h *handlers) notifications(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pg, err := parsePaging(q)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if !h.knownFilter(w, q.Get("merchant_id")) {
		return
	}
	order, state := q.Get("order_id"), q.Get("state")
	switch state {
	case "", notify.StatePending, notify.StateDelivered, notify.StateFailed, notify.StateWithheld:
	default:
		writeError(w, http.StatusBadRequest, "state=%q: want pending, delivered, failed or withheld", state)
		return
	}
	ns, dropped := h.b.History(q.Get("merchant_id"))
	out := ns[:0]
	for _, n := range ns {
		if (order == "" || n.OrderID == order) && (state == "" || n.State == state) {
			out = append(out, n)
		}
	}
	shown, next, _ := page(out, pg, func(n *notify.Notification) int64 { return int64(n.ID) }, true)
	expect.LostVerdicts(h.b, shown)
	writeJSON(w, http.StatusOK, notificationsReply{Notifications: shown, Matched: len(out), Dropped: dropped, NextCursor: next})
}

type notificationsReply struct {
	Notifications []notify.Notification `json:"notifications"`
	Matched       int                   `json:"matched"` // notifications kept that match, on every page
	Dropped       int64                 `json:"dropped"`
	NextCursor    string                `json:"next_cursor,omitempty"` // absent on the last page
}

// knownFilter answers 404 for a merchant_id filter the scenario lacks: a
// typo would otherwise list nothing, and a test asserting "none failed"
// would pass. ok is false once the error was written.
func (h *handlers) knownFilter(w http.ResponseWriter, m string) bool {
	if m != "" && !h.b.KnownMerchant(m) {
		writeError(w, http.StatusNotFound, "merchant_id=%s: the scenario has no such merchant", m)
		return false
	}
	return true
}

// writeJSON writes v as the reply. It is encoded whole first, so that a
// value that cannot be (a time past the year 9999, say) is a 500 that says
// so, never a status with an empty or cut body.
//
// The scenario's secrets are masked in v first (redactorOf).
func writeJSON(w http.ResponseWriter, status int, v any) {
	v = redactorOf(w).Copy(v)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // signing strings show <secret:N chars> as is
	if err := enc.Encode(v); err != nil {
		b.Reset()
		_ = enc.Encode(ErrorReply{Error: "the reply could not be encoded: " + err.Error(), Code: CodeInternal})
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// Error codes of the control API, in every error reply's "code" beside
// the "error" text. Most follow from the HTTP status (codeOf); the rest
// name a refusal a client may want to tell apart.
const (
	CodeBadRequest    = "bad_request"
	CodeUnauthorized  = "unauthorized"
	CodeNotFound      = "not_found"
	CodeMethod        = "method_not_allowed"
	CodeTimeout       = "timeout"
	CodeConflict      = "conflict"
	CodeTooLarge      = "too_large"
	CodeMediaType     = "unsupported_media_type"
	CodeInvalid       = "invalid_scenario"
	CodeInternal      = "internal"
	CodeStopping      = "stopping"
	CodeCrossOrigin   = "cross_origin"
	CodeTooManyAwaits = "too_many_awaits"
	CodeStaleCursor   = "stale_cursor"
	CodeNotSaved      = "state_not_saved"
	// CodeHostNotAllowed refuses, without an admin token, a Host that is
	// not a local name (hosts.go).
	CodeHostNotAllowed = "host_not_allowed"
)

// codeOf is the code of an error reply with an HTTP status.
func codeOf(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return CodeUnauthorized
	case http.StatusNotFound:
		return CodeNotFound
	case http.StatusMethodNotAllowed:
		return CodeMethod
	case http.StatusRequestTimeout:
		return CodeTimeout
	case http.StatusConflict:
		return CodeConflict
	case http.StatusRequestEntityTooLarge:
		return CodeTooLarge
	case http.StatusUnsupportedMediaType:
		return CodeMediaType
	case http.StatusUnprocessableEntity:
		return CodeInvalid
	case http.StatusServiceUnavailable:
		return CodeStopping
	}
	if status >= 500 {
		return CodeInternal
	}
	return CodeBadRequest
}

// ErrorReply is the body of every control error: {"error", "code"}.
type ErrorReply struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// tooLarge answers a body over limit with a 413 that a client sending its
// whole body before reading can read (see wire.WriteTooLarge).
func tooLarge(w http.ResponseWriter, r *http.Request, limit int64, format string, args ...any) {
	body, _ := json.MarshalIndent(ErrorReply{Error: fmt.Sprintf(format, args...), Code: CodeTooLarge}, "", "  ")
	wire.WriteTooLarge(w, r, limit, "application/json", append(body, '\n'))
}

// WriteInternal answers a control request whose handler failed
// unexpectedly (a panic): a 500 with the code "internal". What went wrong
// goes to the sandbox's log, not to the client.
func WriteInternal(w http.ResponseWriter) {
	writeCode(w, http.StatusInternalServerError, CodeInternal, "the sandbox failed serving this request; its log says why")
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeCode(w, status, codeOf(status), format, args...)
}

func writeCode(w http.ResponseWriter, status int, code, format string, args ...any) {
	writeJSON(w, status, ErrorReply{Error: fmt.Sprintf(format, args...), Code: code})
}
