package control

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// fake is a sandbox of one merchant with one payout (77) that starts an
// hour after the clock's start, on a manual clock; its notifies go
// nowhere (the allow-list refuses them at once).
type fake struct {
	sb *sandbox.Sandbox
	t0 time.Time
}

const fakeScenario = `
name = "fake"
[[merchants]]
id = "9970"
payout_secret_key = "k"
post_link = "http://127.0.0.1:9/notify"
balance = 1000
[[payouts]]
merchant_id = "9970"
order_id = "order-1"
payment_id = 77
amount = 10
timeline = [ { at = "1h", status = "process" } ]
`

func newFake() *fake { return newFakeOrder("order-1") }

// newFakeOrder is newFake with payout 77's order id (no single quote).
func newFakeOrder(orderID string) *fake {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	sc, err := scenario.Parse("fake.toml", []byte(strings.Replace(fakeScenario, `order_id = "order-1"`, "order_id = '"+orderID+"'", 1)))
	if err != nil {
		panic(err)
	}
	allow, _ := notify.ParseAllowList("192.0.2.1/32")
	sb, err := sandbox.New(sandbox.Config{Scenario: sc, Clock: clock.NewManual(t0), Allow: allow})
	if err != nil {
		panic(err)
	}
	return &fake{sb: sb, t0: t0}
}

// forces are the statuses forced so far: "status code" of each step made
// at the clock's start.
func (f *fake) forces() []string {
	p, err := f.sb.Payout(77)
	if err != nil {
		panic(err)
	}
	var out []string
	for _, st := range p.Timeline {
		if st.At.Equal(f.t0) {
			out = append(out, st.Status+" "+strconv.Itoa(st.ErrorCode))
		}
	}
	return out
}

// moved are the moves of the clock so far: one, by how far it went, or
// none.
func (f *fake) moved() []time.Duration {
	if d := f.sb.Now().Sub(f.t0); d != 0 {
		return []time.Duration{d}
	}
	return nil
}

// do sends a request to the control handler and returns the recorded reply.
func do(h http.Handler, method, path, body string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://sandbox.test"+path, strings.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

const formType = "application/x-www-form-urlencoded"

// pageToken reads the form token out of the dashboard's page.
func pageToken(t *testing.T, h http.Handler, headers ...string) string {
	t.Helper()
	rec := do(h, "GET", "/_mock/ui", "", headers...)
	body := rec.Body.String()
	_, after, ok := strings.Cut(body, `name="form_token" value="`)
	if rec.Code != http.StatusOK || !ok {
		t.Fatalf("the page: HTTP %d with no form token:\n%.2000s", rec.Code, body)
	}
	tok, _, _ := strings.Cut(after, `"`)
	return tok
}

// The forms refuse what a page of another site could send: another
// Origin, Sec-Fetch-Site: cross-site, an opaque origin, and (for a
// browser that sends neither) a form without the page's form token.
func TestUIFormsRefuseOtherSites(t *testing.T) {
	b := newFake()
	h := New(b.sb, Options{})
	tok := pageToken(t, h)
	good := "form_token=" + tok + "&status=success"
	for _, tc := range []struct {
		name, path, body string
		headers          []string
		want             int
	}{
		{"another origin", "/_mock/ui/payouts/77/status", good, []string{"Content-Type", formType, "Origin", "http://evil.example"}, 403},
		{"cross-site", "/_mock/ui/payouts/77/status", good, []string{"Content-Type", formType, "Sec-Fetch-Site", "cross-site"}, 403},
		{"an opaque origin", "/_mock/ui/payouts/77/status", good, []string{"Content-Type", formType, "Origin", "null"}, 403},
		{"no form token", "/_mock/ui/payouts/77/status", "status=success", []string{"Content-Type", formType}, 403},
		{"another form token", "/_mock/ui/payouts/77/status", "form_token=x&status=success", []string{"Content-Type", formType}, 403},
		{"as JSON", "/_mock/ui/payouts/77/status", `{"status":"success"}`, []string{"Content-Type", "application/json"}, 415},
		{"a field the form lacks", "/_mock/ui/payouts/77/status", good + "&merchant_id=9970", []string{"Content-Type", formType}, 400},
		{"a field twice", "/_mock/ui/payouts/77/status", good + "&status=error", []string{"Content-Type", formType}, 400},
		{"a query", "/_mock/ui/payouts/77/status?status=error", good, []string{"Content-Type", formType}, 400},
		{"advance from another origin", "/_mock/ui/clock/advance", "form_token=" + tok + "&by=1h", []string{"Content-Type", formType, "Origin", "http://evil.example"}, 403},
		{"sign-out from another origin", "/_mock/ui/signout", "form_token=" + tok, []string{"Content-Type", formType, "Origin", "http://evil.example"}, 403},
	} {
		rec := do(h, "POST", tc.path, tc.body, tc.headers...)
		if rec.Code != tc.want {
			t.Errorf("%s: HTTP %d, want %d\n%.500s", tc.name, rec.Code, tc.want, rec.Body)
		}
	}
	if got := b.forces(); len(got) != 0 {
		t.Errorf("refused forms forced %v", got)
	}
	if len(b.moved()) != 0 {
		t.Errorf("a refused form moved the clock by %v", b.moved())
	}
	// The same form from the page itself is acted on.
	rec := do(h, "POST", "/_mock/ui/payouts/77/status", good, "Content-Type", formType, "Origin", "http://sandbox.test", "Sec-Fetch-Site", "same-origin")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/_mock/ui#payout-77" {
		t.Errorf("the page's own form: HTTP %d to %q, want 303 to /_mock/ui#payout-77", rec.Code, rec.Header().Get("Location"))
	}
}

// A success carries no error code: one sent with it is not applied, and
// the page says what was done after the redirect.
func TestUIForceSendsAnErrorCodeOnlyWithError(t *testing.T) {
	b := newFake()
	h := New(b.sb, Options{})
	tok := pageToken(t, h)
	post := func(body string) *httptest.ResponseRecorder {
		return do(h, "POST", "/_mock/ui/payouts/77/status", "form_token="+tok+"&"+body, "Content-Type", formType)
	}
	rec := post("status=success&error_code=10001")
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("force success: HTTP %d, want 303\n%s", rec.Code, rec.Body)
	}
	post("status=error&error_code=10032")
	if got, want := strings.Join(b.forces(), ", "), "success 0, error 10032"; got != want {
		t.Errorf("forced %q, want %q", got, want)
	}
	// The flash of the first post, shown by the page it redirects to.
	var flash *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == uiFlashCookie {
			flash = c
		}
	}
	if flash == nil || !flash.HttpOnly || flash.Path != "/_mock/ui" {
		t.Fatalf("no HttpOnly flash cookie for /_mock/ui: %+v", rec.Result().Cookies())
	}
	page := do(h, "GET", "/_mock/ui", "", "Cookie", flash.Name+"="+flash.Value)
	if body := page.Body.String(); !strings.Contains(body, "Done: Payment 77 forced to success; its notify #1 is failed") {
		t.Errorf("the page after the redirect does not say what was done:\n%.3000s", body)
	}
	// The page's error code is in the error form only.
	body := do(h, "GET", "/_mock/ui", "").Body.String()
	for _, form := range strings.Split(body, "<form")[1:] {
		if strings.Contains(form, `name="error_code"`) && !strings.Contains(form, `name="status" value="error"`) {
			t.Errorf("an error code is offered beside another status:\n<form%s", form)
		}
	}
}

// A form that fails says why on the page it redirects to.
func TestUIFormFailureIsShown(t *testing.T) {
	b := newFake()
	h := New(b.sb, Options{})
	tok := pageToken(t, h)
	for _, tc := range []struct{ path, body, want string }{
		{"/_mock/ui/clock/advance", "by=soon", `Failed: The clock did not move: &#34;soon&#34; is not a duration`},
		{"/_mock/ui/payouts/77/notify", "", "Failed: Payment 77: the payout has not started yet"},
		{"/_mock/ui/payouts/78/status", "status=success", "Failed: There is no payout with payment id 78"},
		{"/_mock/ui/payouts/77/status", "status=error&error_code=ten", "Failed: Payment 77 not forced: the error code &#34;ten&#34; is not a number."},
	} {
		body := "form_token=" + tok
		if tc.body != "" {
			body += "&" + tc.body
		}
		rec := do(h, "POST", tc.path, body, "Content-Type", formType)
		cookies := rec.Result().Cookies()
		if rec.Code != http.StatusSeeOther || len(cookies) == 0 {
			t.Errorf("%s %s: HTTP %d, want 303 with the outcome", tc.path, tc.body, rec.Code)
			continue
		}
		page := do(h, "GET", "/_mock/ui", "", "Cookie", cookies[0].Name+"="+cookies[0].Value)
		if !strings.Contains(page.Body.String(), tc.want) {
			t.Errorf("%s %s: the page does not say %q:\n%.1500s", tc.path, tc.body, tc.want, page.Body)
		}
	}
	if len(b.moved()) != 0 {
		t.Errorf("advance by 'soon' moved the clock by %v", b.moved())
	}
}

// With an admin token, the page asks for it; the sign-in form sets a
// cookie (not the token) that opens the page, its view and its forms,
// and nothing else of the control API.
func TestUISignIn(t *testing.T) {
	const token = "admin-s3cret"
	b := newFake()
	h := New(b.sb, Options{Token: token})
	rec := do(h, "GET", "/_mock/ui", "")
	if body := rec.Body.String(); rec.Code != http.StatusUnauthorized || !strings.Contains(body, `action="/_mock/ui/signin"`) || strings.Contains(body, "order-1") {
		t.Fatalf("the page without the token: HTTP %d, want 401 with the sign-in form and no data:\n%s", rec.Code, body)
	}
	for path, want := range map[string]int{"/_mock/ui/view": 401, "/_mock/ui/style.css": 200, "/_mock/ui/app.js": 200} {
		if rec := do(h, "GET", path, ""); rec.Code != want {
			t.Errorf("GET %s without the token: HTTP %d, want %d", path, rec.Code, want)
		}
	}
	rec = do(h, "POST", "/_mock/ui/signin", "token=wrong", "Content-Type", formType)
	if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "That token was not accepted.") || len(rec.Result().Cookies()) != 0 {
		t.Errorf("a wrong token: HTTP %d, cookies %v, want 401 saying so", rec.Code, rec.Result().Cookies())
	}
	rec = do(h, "POST", "/_mock/ui/signin", "token="+token, "Content-Type", formType, "Origin", "http://evil.example")
	if rec.Code != http.StatusForbidden {
		t.Errorf("sign-in from another origin: HTTP %d, want 403", rec.Code)
	}
	rec = do(h, "POST", "/_mock/ui/signin", "token="+token, "Content-Type", formType)
	cookies := rec.Result().Cookies()
	if rec.Code != http.StatusSeeOther || len(cookies) != 1 {
		t.Fatalf("the right token: HTTP %d, cookies %v, want 303 with one cookie", rec.Code, cookies)
	}
	c := cookies[0]
	if strings.Contains(c.Value, token) || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/_mock/ui" {
		t.Errorf("the sign-in cookie %+v: want HttpOnly, SameSite=Lax, path /_mock/ui, without the token", c)
	}
	signed := []string{"Cookie", c.Name + "=" + c.Value}
	if rec := do(h, "GET", "/_mock/ui", "", signed...); rec.Code != 200 || !strings.Contains(rec.Body.String(), "order-1") {
		t.Errorf("the page signed in: HTTP %d, want 200 with the payout", rec.Code)
	}
	if rec := do(h, "GET", "/_mock/ui/view", "", signed...); rec.Code != 200 {
		t.Errorf("the view signed in: HTTP %d, want 200", rec.Code)
	}
	if rec := do(h, "GET", "/_mock/payouts", "", signed...); rec.Code != 401 {
		t.Errorf("the JSON API with the dashboard's cookie: HTTP %d, want 401 (it takes the token only)", rec.Code)
	}
	tok := pageToken(t, h, signed...)
	if rec := do(h, "POST", "/_mock/ui/clock/advance", "form_token="+tok+"&by=1m", "Content-Type", formType); rec.Code != 401 {
		t.Errorf("a form without the cookie: HTTP %d, want 401", rec.Code)
	}
	if rec := do(h, "POST", "/_mock/ui/clock/advance", "form_token="+tok+"&by=1m", append(signed, "Content-Type", formType)...); rec.Code != 303 || len(b.moved()) != 1 {
		t.Errorf("a form signed in: HTTP %d, clock moves %v, want 303 and one move", rec.Code, b.moved())
	}
	if rec := do(h, "GET", "/_mock/ui", "", "Authorization", "Bearer "+token); rec.Code != 200 {
		t.Errorf("the page with the token as Bearer: HTTP %d, want 200", rec.Code)
	}
	rec = do(h, "POST", "/_mock/ui/signout", "form_token="+tok, append(signed, "Content-Type", formType)...)
	out := rec.Result().Cookies()
	if rec.Code != 303 || len(out) != 1 || out[0].Name != c.Name || out[0].MaxAge >= 0 {
		t.Errorf("sign-out: HTTP %d, cookies %+v, want 303 letting the cookie go", rec.Code, out)
	}
}
