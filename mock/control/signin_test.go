package control

import (
	"net/http"
	"testing"
)

// The sign-in cookie is new at every start: one from an earlier start,
// or copied from another sandbox with the same token, opens nothing.
func TestSignInCookieIsPerStart(t *testing.T) {
	const token = "admin-s3cret"
	signIn := func(h http.Handler) *http.Cookie {
		rec := do(h, "POST", "/_mock/ui/signin", "token="+token, "Content-Type", formType)
		cs := rec.Result().Cookies()
		if rec.Code != http.StatusSeeOther || len(cs) != 1 {
			t.Fatalf("sign-in: HTTP %d, cookies %v", rec.Code, cs)
		}
		return cs[0]
	}
	first, second := New(newFake().sb, Options{Token: token}), New(newFake().sb, Options{Token: token})
	a, b := signIn(first), signIn(second)
	if a.Value == b.Value {
		t.Fatalf("two starts with the same token set the same cookie %q", a.Value)
	}
	if again := signIn(first); again.Value != a.Value {
		t.Errorf("signing in twice to one start: cookies %q and %q, want the same", a.Value, again.Value)
	}
	if rec := do(second, "GET", "/_mock/ui/view", "", "Cookie", a.Name+"="+a.Value); rec.Code != http.StatusUnauthorized {
		t.Errorf("the first start's cookie on the second: HTTP %d, want 401", rec.Code)
	}
	if rec := do(first, "GET", "/_mock/ui/view", "", "Cookie", a.Name+"="+a.Value); rec.Code != http.StatusOK {
		t.Errorf("the cookie on its own start: HTTP %d, want 200", rec.Code)
	}
}
