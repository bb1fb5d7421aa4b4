package control

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
)

// TestKindOf checks the one table from the backend's errors to statuses
// and codes, for errors wrapped as the backend wraps them.
func TestKindOf(t *testing.T) {
	for _, c := range []struct {
		err    error
		status int
		code   string
	}{
		{fmt.Errorf("%w nope in the scenario", ledger.ErrUnknownMerchant), http.StatusNotFound, CodeNotFound},
		{ledger.ErrUnknownPayout, http.StatusNotFound, CodeNotFound},
		{&NotSavedError{Err: errors.New("disk full")}, http.StatusServiceUnavailable, CodeNotSaved},
		{fmt.Errorf("reset: %w", &NotSavedError{Err: errors.New("disk full")}), http.StatusServiceUnavailable, CodeNotSaved},
		{&InvalidError{Err: errors.New("line 3: unknown key")}, http.StatusUnprocessableEntity, CodeInvalid},
		{ErrNotStarted, http.StatusConflict, CodeConflict},
		{notify.ErrNotManual, http.StatusConflict, CodeConflict},
		{fmt.Errorf("%w; the clock stands at …", notify.ErrPastYear9999), http.StatusBadRequest, CodeBadRequest},
		{ErrStopping, http.StatusServiceUnavailable, CodeStopping},
	} {
		status, code, ok := kindOf(c.err)
		if !ok || status != c.status || code != c.code {
			t.Errorf("kindOf(%v) = %d, %q, %v; want %d, %q, true", c.err, status, code, ok, c.status, c.code)
		}
	}
	if status, code, ok := kindOf(errors.New("something else")); ok {
		t.Errorf("kindOf(an error of no kind) = %d, %q, true; want false", status, code)
	}
}
