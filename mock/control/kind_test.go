package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
)

// TestKinds checks the one table from the sandbox's errors to statuses
// and codes, for errors wrapped as the sandbox and its packages wrap them:
// every kind has an entry, and each error is answered with its kind's.
func TestKinds(t *testing.T) {
	for k := sandbox.Internal; k <= sandbox.MediaType; k++ {
		if e, ok := kinds[k]; !ok || e.status == 0 || e.code == "" {
			t.Errorf("kind %v has no status and code", k)
		}
	}
	for _, c := range []struct {
		err    error
		status int
		code   string
	}{
		{fmt.Errorf("%w nope in the scenario", ledger.ErrUnknownMerchant), http.StatusNotFound, CodeNotFound},
		{ledger.ErrUnknownPayout, http.StatusNotFound, CodeNotFound},
		{fmt.Errorf("force: %w", ledger.ErrRefused), http.StatusBadRequest, CodeBadRequest},
		{sandbox.Errorf(sandbox.NotSaved, "disk full"), http.StatusServiceUnavailable, CodeNotSaved},
		{fmt.Errorf("reset: %w", sandbox.Errorf(sandbox.NotSaved, "disk full")), http.StatusServiceUnavailable, CodeNotSaved},
		{sandbox.ErrNotStarted, http.StatusConflict, CodeConflict},
		{notify.ErrNotManual, http.StatusConflict, CodeConflict},
		{fmt.Errorf("force: %w", ledger.ErrTooManySteps), http.StatusConflict, CodeConflict},
		{fmt.Errorf("%w: resent 64 times", notify.ErrTooManyResends), http.StatusConflict, CodeConflict},
		{fmt.Errorf("%w; the clock stands at …", notify.ErrPastYear9999), http.StatusBadRequest, CodeBadRequest},
		{sandbox.ErrStopping, http.StatusServiceUnavailable, CodeStopping},
		{sandbox.ErrTooManyAwaits, http.StatusServiceUnavailable, CodeTooManyAwaits},
		{errors.New("something else"), http.StatusInternalServerError, CodeInternal},
	} {
		rec := httptest.NewRecorder()
		writeErr(rec, httptest.NewRequest("GET", "/_mock/x", nil), c.err)
		var got ErrorReply
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != c.status || got.Code != c.code || got.Error != c.err.Error() {
			t.Errorf("%v: HTTP %d %s, want %d with code %q and the error's text", c.err, rec.Code, rec.Body, c.status, c.code)
		}
	}
}
