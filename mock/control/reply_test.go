package control

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
)

// TestReplyIsWholeOrAnError: a value that cannot be encoded (a time past
// the year 9999) is a 500 with a JSON error, never a 200 with an empty or
// cut body.
func TestReplyIsWholeOrAnError(t *testing.T) {
	rec := httptest.NewRecorder()
	writeJSON(rec, http.StatusOK, sandbox.ClockView{Now: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Mode: "manual"})
	var got ErrorReply
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusInternalServerError || got.Code != CodeInternal {
		t.Errorf("got HTTP %d %q (%v), want 500 with code %q", rec.Code, rec.Body, err, CodeInternal)
	}
}
