// Package control serves the sandbox's own API under /_mock/: JSON routes
// for CI jobs in any language to read and move the clock and to see every
// payout notify and its attempts.
package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/freedompay-mock/freedompay-mock/mock/notify"
)

// Prefix of every control route.
const Prefix = "/_mock"

// Backend is what the control routes act on: the server.
type Backend interface {
	Now() time.Time
	ClockMode() string
	Advance(d time.Duration) ([]notify.Attempt, error)
	Drain() ([]notify.Attempt, error)
	Notifications() []notify.Notification
	// Ready reports whether the server serves its scenario with its
	// scheduler running, and why not.
	Ready() (bool, string)
	ScenarioName() string
}

// Register adds the control routes to r. All of them are listed here.
func Register(r *mux.Router, b Backend) {
	h := &handlers{b: b}
	r.HandleFunc(Prefix+"/health", h.health).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(Prefix+"/ready", h.ready).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(Prefix+"/clock", h.clock).Methods(http.MethodGet)
	r.HandleFunc(Prefix+"/clock/advance", h.advance).Methods(http.MethodPost)
	r.HandleFunc(Prefix+"/clock/drain", h.drain).Methods(http.MethodPost)
	r.HandleFunc(Prefix+"/notifications", h.notifications).Methods(http.MethodGet)
}

type handlers struct{ b Backend }

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

// health answers while the process serves HTTP at all (liveness).
func (h *handlers) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
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

// maxControlBody bounds a control request's JSON body.
const maxControlBody = 64 << 10

func (h *handlers) advance(w http.ResponseWriter, r *http.Request) {
	by := r.URL.Query().Get("by")
	if by == "" && r.Body != nil {
		var req struct {
			By string `json:"by"`
		}
		data, _ := io.ReadAll(io.LimitReader(r.Body, maxControlBody))
		if len(data) > 0 {
			if err := json.Unmarshal(data, &req); err != nil {
				writeError(w, http.StatusBadRequest, "body must be JSON such as {\"by\":\"30m\"}: %v", err)
				return
			}
		}
		by = req.By
	}
	if by == "" {
		writeError(w, http.StatusBadRequest, "say how far to move the clock: ?by=30m or {\"by\":\"30m\"}")
		return
	}
	d, err := time.ParseDuration(by)
	if err != nil || d < 0 {
		writeError(w, http.StatusBadRequest, "by=%q is not a non-negative duration such as 30m or 1h30m", by)
		return
	}
	h.run(w, func() ([]notify.Attempt, error) { return h.b.Advance(d) })
}

func (h *handlers) drain(w http.ResponseWriter, _ *http.Request) {
	h.run(w, h.b.Drain)
}

func (h *handlers) run(w http.ResponseWriter, f func() ([]notify.Attempt, error)) {
	attempts, err := f()
	if errors.Is(err, notify.ErrNotManual) {
		writeError(w, http.StatusConflict, "%v", err)
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	if attempts == nil {
		attempts = []notify.Attempt{}
	}
	writeJSON(w, http.StatusOK, runReply{Now: h.b.Now(), Mode: h.b.ClockMode(), Attempted: attempts})
}

func (h *handlers) notifications(w http.ResponseWriter, _ *http.Request) {
	ns := h.b.Notifications()
	if ns == nil {
		ns = []notify.Notification{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"notifications": ns})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}
