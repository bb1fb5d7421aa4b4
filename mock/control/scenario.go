package control

import (
	"net/http"
)

// MaxScenarioBytes bounds a scenario sent to PUT /_mock/scenario.
const MaxScenarioBytes = 4 << 20

// scenario replaces the scenario (or, with ?merchant_id=, one merchant's
// part of it) with the TOML body.
//
// At most sandbox.MaxParsing are read and parsed at once: a scenario
// takes many times its size while it is, so a burst of large uploads
// waits its turn with its body still unread.
func (h *handlers) scenario(r *http.Request) (any, error) {
	select {
	case h.uploads <- struct{}{}:
		defer func() { <-h.uploads }()
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	data, err := readBody(r, MaxScenarioBytes, "a scenario")
	if err != nil {
		return nil, err
	}
	return h.sb.ReplaceScenario(data, r.URL.Query().Get("merchant_id"))
}

// reset puts the sandbox (or, with ?merchant_id=, one merchant) back to the
// start of the scenario in force.
func (h *handlers) reset(r *http.Request) (any, error) {
	return h.sb.Reset(r.URL.Query().Get("merchant_id"))
}
