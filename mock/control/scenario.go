package control

import (
	"errors"
	"io"
	"net/http"
	"strings"
)

// MaxScenarioBytes bounds a scenario sent to PUT /_mock/scenario.
const MaxScenarioBytes = 4 << 20

// scenario replaces the scenario (or, with ?merchant_id=, one merchant's
// part of it) with the TOML body.
func (h *handlers) scenario(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxScenarioBytes+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "reading the scenario: %v", err)
		return
	}
	if len(data) > MaxScenarioBytes {
		tooLarge(w, r, MaxScenarioBytes, "a scenario is at most %d bytes", MaxScenarioBytes)
		return
	}
	change, err := h.b.ReplaceScenario(data, r.URL.Query().Get("merchant_id"))
	var invalid *InvalidError
	if errors.As(err, &invalid) {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
			"error": "the scenario is not valid; the one in force is unchanged", "code": CodeInvalid, "problems": strings.Split(invalid.Error(), "\n"),
		})
		return
	}
	if err != nil {
		writeFailure(w, err, http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, change)
}

// reset puts the sandbox (or, with ?merchant_id=, one merchant) back to the
// start of the scenario in force.
func (h *handlers) reset(w http.ResponseWriter, r *http.Request) {
	m := r.URL.Query().Get("merchant_id")
	if err := h.b.Reset(m); err != nil {
		writeFailure(w, err, http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"reset": true, "merchant_id": m, "scenario": h.b.ScenarioName(), "now": h.b.Now()})
}
