// Package control serves the sandbox's own API under /_mock/: JSON routes
// for CI jobs in any language to check readiness, read and move the clock,
// see payouts, notifies and the request journal, force a status, resend a
// notify, wait for a condition, swap or reset the scenario, and get the
// verdict on the scenario's expectations.
package control

import (
	"bytes"
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
	"github.com/freedompay-mock/freedompay-mock/mock/redact"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// Prefix of every control route.
const Prefix = "/_mock"

// kinds is the one table from the kinds of the sandbox's errors to the
// control API's answers: the status and code of each.
var kinds = map[sandbox.Kind]struct {
	status int
	code   string
}{
	sandbox.Internal:      {http.StatusInternalServerError, CodeInternal},
	sandbox.BadRequest:    {http.StatusBadRequest, CodeBadRequest},
	sandbox.NotFound:      {http.StatusNotFound, CodeNotFound},
	sandbox.Conflict:      {http.StatusConflict, CodeConflict},
	sandbox.Invalid:       {http.StatusUnprocessableEntity, CodeInvalid},
	sandbox.StaleCursor:   {http.StatusBadRequest, CodeStaleCursor},
	sandbox.NotSaved:      {http.StatusServiceUnavailable, CodeNotSaved},
	sandbox.Stopping:      {http.StatusServiceUnavailable, CodeStopping},
	sandbox.TooManyAwaits: {http.StatusServiceUnavailable, CodeTooManyAwaits},
	sandbox.Timeout:       {http.StatusRequestTimeout, CodeTimeout},
	sandbox.NotReady:      {http.StatusServiceUnavailable, CodeNotReady},

	sandbox.Unauthorized:     {http.StatusUnauthorized, CodeUnauthorized},
	sandbox.CrossOrigin:      {http.StatusForbidden, CodeCrossOrigin},
	sandbox.HostNotAllowed:   {http.StatusForbidden, CodeHostNotAllowed},
	sandbox.MethodNotAllowed: {http.StatusMethodNotAllowed, CodeMethod},
	sandbox.TooLarge:         {http.StatusRequestEntityTooLarge, CodeTooLarge},
	sandbox.MediaType:        {http.StatusUnsupportedMediaType, CodeMediaType},
}

// refuse is a refusal of the control API's own, before the sandbox is
// asked (a token, an origin, a body it cannot read), of kind k.
func refuse(k sandbox.Kind, format string, args ...any) error {
	return sandbox.Errorf(k, format, args...)
}

// tooLarge is a body over limit: TooLarge, with the limit its reply names.
type tooLarge struct {
	limit int64
	what  string
}

func (e *tooLarge) Error() string { return fmt.Sprintf("%s is at most %d bytes", e.what, e.limit) }

// badRequest is the control API's refusal of a query or body it cannot
// take: an error of the sandbox's kind BadRequest.
func badRequest(format string, args ...any) error {
	return sandbox.Errorf(sandbox.BadRequest, format, args...)
}

// A handler answers a request with a value or an error; serve writes
// either. A value is written as JSON with 200, unless it is a [statusReply]
// (JSON with another status) or a [junitReply] (XML).
type handler func(r *http.Request) (any, error)

// statusReply is a JSON reply with a status of its own: a readiness probe
// that is not ready, an await that did not hold.
type statusReply struct {
	status int
	v      any
}

// junitReply is a verdict written as JUnit XML, with a 200.
type junitReply struct{ report expect.Report }

// serve is the one adapter from handlers to HTTP.
func serve(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := h(r)
		if err != nil {
			writeErr(w, r, err)
			return
		}
		switch v := v.(type) {
		case statusReply:
			writeJSON(w, v.status, v.v)
		case junitReply:
			var b bytes.Buffer
			if err := redactorOf(w).Copy(v.report).(expect.Report).JUnit(&b); err != nil {
				writeErr(w, r, err)
				return
			}
			w.Header().Set("Content-Type", "application/xml; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(b.Bytes())
		default:
			writeJSON(w, http.StatusOK, v)
		}
	}
}

// writeErr answers err with the status and code of its kind (kinds):
// {"error", "code"}; a scenario that does not validate also lists its "problems", and
// too many awaits say when to try again.
func writeErr(w http.ResponseWriter, r *http.Request, err error) {
	var big *tooLarge
	if errors.As(err, &big) { // read whole by a client that sends all before it reads
		body, _ := json.MarshalIndent(ErrorReply{Error: err.Error(), Code: CodeTooLarge}, "", "  ")
		wire.WriteTooLarge(w, r, big.limit, "application/json", append(body, '\n'))
		return
	}
	kind := sandbox.KindOf(err)
	k := kinds[kind]
	switch kind {
	case sandbox.Invalid:
		writeJSON(w, k.status, invalidReply{Error: "the scenario is not valid; the one in force is unchanged", Code: k.code,
			Problems: strings.Split(err.Error(), "\n")})
		return
	case sandbox.TooManyAwaits:
		w.Header().Set("Retry-After", "1")
	}
	writeCode(w, k.status, k.code, "%v", err)
}

// invalidReply refuses a scenario that does not validate.
type invalidReply struct {
	Error    string   `json:"error"`
	Code     string   `json:"code"`
	Problems []string `json:"problems"`
}

// Options configure the control API. The zero value has no admin token
// and DefaultMaxAwaits.
type Options struct {
	// Token, when set, is required on every route, as "Authorization:
	// Bearer <token>"; the dashboard also takes it from its sign-in form
	// (uiform.go).
	Token string
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
func New(sb *sandbox.Sandbox, opts Options) http.Handler {
	r := mux.NewRouter()
	r.SkipClean(true)
	misses := Register(r, sb, opts)
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
func Register(router *mux.Router, sb *sandbox.Sandbox, opts Options) Misses {
	if opts.Version == "" {
		opts.Version = "dev"
	}
	h := &handlers{sb: sb, version: opts.Version, uploads: make(chan struct{}, sandbox.MaxParsing)}
	r := table{r: router, guard: opts.guard()}
	merchant := "merchant_id"
	page := sandbox.PageKeys
	r.HandleFunc(Prefix+"/health", noBody(h.health)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(Prefix+"/ready", noBody(h.ready)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(Prefix+"/clock", noBody(h.clock)).Methods(http.MethodGet)
	r.HandleFunc(Prefix+"/clock/advance", long(only(jsonBody(h.advance), "by"))).Methods(http.MethodPost)
	r.HandleFunc(Prefix+"/clock/drain", long(noBody(h.drain))).Methods(http.MethodPost)
	r.HandleFunc(Prefix+"/notifications", noBody(h.notifications, page(merchant, "order_id", "state")...)).Methods(http.MethodGet)
	r.HandleFunc(Prefix+"/payouts", noBody(h.payouts, page(merchant, "order_id", "status")...)).Methods(http.MethodGet)
	r.HandleFunc(Prefix+"/payouts/{id}", noBody(h.payout)).Methods(http.MethodGet)
	r.HandleFunc(Prefix+"/payouts/{id}/status", only(jsonBody(h.force))).Methods(http.MethodPost)
	r.HandleFunc(Prefix+"/payouts/{id}/notify", noBody(h.resend)).Methods(http.MethodPost)
	r.HandleFunc(Prefix+"/payments", noBody(h.payments, page(merchant, "order_id", "status")...)).Methods(http.MethodGet)
	r.HandleFunc(Prefix+"/payments/{id}", noBody(h.payment)).Methods(http.MethodGet)
	r.HandleFunc(Prefix+"/payments/{id}/status", only(jsonBody(h.forcePayment))).Methods(http.MethodPost)
	r.HandleFunc(Prefix+"/payments/{id}/notify", noBody(h.resendPayment)).Methods(http.MethodPost)
	r.HandleFunc(Prefix+"/cards", noBody(h.cards, page(merchant, "user_id", "state")...)).Methods(http.MethodGet)
	r.HandleFunc(Prefix+"/requests", noBody(h.requests, page(merchant, "path", "order_id", "payment_id", "outcome")...)).Methods(http.MethodGet)
	r.HandleFunc(Prefix+"/await", long(noBody(h.await, sandbox.AwaitKeys...))).Methods(http.MethodGet)
	r.HandleFunc(Prefix+"/scenario", only(tomlBody(h.scenario), merchant)).Methods(http.MethodPut, http.MethodPost)
	r.HandleFunc(Prefix+"/reset", noBody(h.reset, merchant)).Methods(http.MethodPost)
	r.HandleFunc(Prefix+"/verify", noBody(h.verify, merchant, "format")).Methods(http.MethodGet)
	h.registerUI(r, opts.Token)
	return Misses{
		NotFound: r.guard(serve(func(req *http.Request) (any, error) {
			return nil, refuse(sandbox.NotFound, "no control route %s; see docs/control-api.md", wire.Shorten(req.URL.Path, 200))
		})),
		MethodNotAllowed: r.guard(serve(func(req *http.Request) (any, error) {
			return nil, refuse(sandbox.MethodNotAllowed, "method %s is not allowed on %s", wire.Shorten(req.Method, 20), wire.Shorten(req.URL.Path, 200))
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
			writeErr(w, r, refuse(sandbox.CrossOrigin, "a page of another site may not use the control API (Sec-Fetch-Site: cross-site)"))
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" {
			u, err := url.Parse(origin)
			if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
				writeErr(w, r, refuse(sandbox.CrossOrigin, "a page of another origin (%.100s) may not use the control API of %.100s", origin, r.Host))
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
func jsonBody(h handler) handler {
	return func(r *http.Request) (any, error) {
		if mt := mediaType(r); mt != "" && mt != "application/json" {
			return nil, refuse(sandbox.MediaType, "the body must be sent as Content-Type: application/json, not %.100q", r.Header.Get("Content-Type"))
		}
		return h(r)
	}
}

// TOMLTypes are the Content-Types a scenario may be sent as; a request
// without a Content-Type is read as TOML too.
var TOMLTypes = []string{"application/toml", "text/x-toml", "text/toml", "application/x-toml"}

// tomlBody is jsonBody for the scenario route, with TOMLTypes.
func tomlBody(h handler) handler {
	return func(r *http.Request) (any, error) {
		if mt := mediaType(r); mt != "" && !slices.Contains(TOMLTypes, mt) {
			return nil, refuse(sandbox.MediaType, "a scenario must be sent as Content-Type: application/toml (curl -H 'Content-Type: application/toml' --data-binary @file), not %.100q", r.Header.Get("Content-Type"))
		}
		return h(r)
	}
}

// requireToken lets through requests that carry the admin token.
func requireToken(token string, next http.Handler) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="freedompay-mock"`)
			writeErr(w, r, refuse(sandbox.Unauthorized, "the control API needs the admin token: send \"Authorization: Bearer <token>\" (--admin-token)"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

type handlers struct {
	sb      *sandbox.Sandbox
	version string
	uploads chan struct{} // the scenarios being read and parsed, at most sandbox.MaxParsing
}

type healthReply struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}

// health answers while the process serves HTTP at all (liveness), with the
// sandbox's version.
func (h *handlers) health(*http.Request) (any, error) {
	return healthReply{Status: "ok", Version: h.version}, nil
}

// ready answers 200 once the scenario is loaded and the notify scheduler
// runs, 503 with the reason otherwise (readiness).
func (h *handlers) ready(*http.Request) (any, error) {
	r := h.sb.Ready()
	if !r.Ready {
		k := kinds[sandbox.NotReady]
		if h.sb.Stopping() {
			k = kinds[sandbox.Stopping]
		}
		return statusReply{k.status, notReady{Readiness: r, Error: r.Reason, Code: k.code}}, nil
	}
	return r, nil
}

// notReady is a readiness probe's 503: the readiness, with the error and
// code every failure carries.
type notReady struct {
	sandbox.Readiness
	Error string `json:"error"`
	Code  string `json:"code"`
}

func (h *handlers) clock(*http.Request) (any, error) { return h.sb.ClockNow(), nil }

// only answers 400 for a query parameter the route does not take, or one
// given twice: a typo would otherwise be ignored, or a repeat settled
// silently one way.
func only(h handler, keys ...string) http.HandlerFunc {
	return serve(func(r *http.Request) (any, error) {
		if err := checkQuery(r, keys); err != nil {
			return nil, err
		}
		return h(r)
	})
}

// onlyHTTP is only for a handler that writes its own reply (the
// dashboard's pages and forms).
func onlyHTTP(h http.HandlerFunc, keys ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := checkQuery(r, keys); err != nil {
			writeErr(w, r, err)
			return
		}
		h(w, r)
	}
}

// checkQuery refuses a query parameter not in keys, or one given twice.
func checkQuery(r *http.Request, keys []string) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return badRequest("the query string does not parse: %v", err)
	}
	for k, vs := range q {
		if !slices.Contains(keys, k) {
			if len(keys) == 0 {
				return badRequest("%s takes no query parameters; %q is not one", r.URL.Path, k)
			}
			return badRequest("%s takes %s; %q is not one of them", r.URL.Path, strings.Join(keys, ", "), k)
		}
		if len(vs) > 1 {
			return badRequest("%s is given %d times; say it once", k, len(vs))
		}
	}
	return nil
}

// noBody is only, for a route that takes no body: one sent is a 400, as a
// body with {"merchant_id": …} would otherwise be ignored and the call
// reach every merchant.
func noBody(h handler, keys ...string) http.HandlerFunc {
	return only(func(r *http.Request) (any, error) {
		if r.Body != nil {
			var one [1]byte
			if n, _ := io.ReadFull(r.Body, one[:]); n > 0 {
				if len(keys) == 0 {
					return nil, badRequest("%s %s takes no body", r.Method, r.URL.Path)
				}
				return nil, badRequest("%s %s takes no body; it takes %s in the query", r.Method, r.URL.Path, strings.Join(keys, ", "))
			}
		}
		return h(r)
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

// readBody reads a control request's body: a 413 beyond limit, a 400 when
// it cannot be read.
func readBody(r *http.Request, limit int64, what string) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	switch {
	case int64(len(data)) > limit:
		return nil, &sandbox.Error{Kind: sandbox.TooLarge, Err: &tooLarge{limit: limit, what: what}}
	case err != nil:
		return nil, badRequest("reading the body: %v", err)
	}
	return data, nil
}

func (h *handlers) advance(r *http.Request) (any, error) {
	by := r.URL.Query().Get("by")
	data, err := readBody(r, maxControlBody, "a control request's body")
	if err != nil {
		return nil, err
	}
	if len(data) > 0 {
		var req struct {
			By string `json:"by"`
		}
		if err := decodeStrict(data, &req, "by"); err != nil {
			return nil, badRequest("body must be JSON such as {\"by\":\"30m\"}: %v", err)
		}
		if by != "" && req.By != "" && req.By != by {
			return nil, badRequest("by=%s in the query and %q in the body: say it once", by, req.By)
		}
		if by == "" {
			by = req.By
		}
	}
	if by == "" {
		return nil, badRequest("say how far to move the clock: ?by=30m or {\"by\":\"30m\"}")
	}
	d, err := advanceBy(by)
	if err != nil {
		return nil, badRequest("by=%v", err)
	}
	return h.sb.Advance(d)
}

func (h *handlers) drain(*http.Request) (any, error) { return h.sb.Drain() }

// long lets a long call's reply (advance, drain, await) be written up to
// MaxAwait from its start: attempts to slow merchants may take longer than
// the server's 30 s write limit, and the reply must still come, or a
// client may send the request again and move the clock twice.
func long(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(sandbox.MaxAwait + 10*time.Second))
		next(w, r)
	}
}

// notifications lists notifies, filtered by merchant_id, order_id and
// state, a page at a time.
func (h *handlers) notifications(r *http.Request) (any, error) {
	q := r.URL.Query()
	pg, err := sandbox.ReadPage(q)
	if err != nil {
		return nil, err
	}
	return h.sb.Notifications(sandbox.NotificationQuery{MerchantID: q.Get("merchant_id"), OrderID: q.Get("order_id"), State: q.Get("state"), Page: pg})
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
// the "error" text: one for each kind of error (kinds).
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
	CodeNotReady      = "not_ready"
	// CodeHostNotAllowed refuses, without an admin token, a Host that is
	// not a local name (hosts.go).
	CodeHostNotAllowed = "host_not_allowed"
)

// ErrorReply is the body of every control error: {"error", "code"}.
type ErrorReply struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// WriteInternal answers a control request whose handler failed
// unexpectedly (a panic): a 500 with the code "internal". What went wrong
// goes to the sandbox's log, not to the client.
func WriteInternal(w http.ResponseWriter) {
	writeErr(w, nil, errors.New("the sandbox failed serving this request; its log says why"))
}

func writeCode(w http.ResponseWriter, status int, code, format string, args ...any) {
	writeJSON(w, status, ErrorReply{Error: fmt.Sprintf(format, args...), Code: code})
}
