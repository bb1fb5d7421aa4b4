package control

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// The dashboard's sign-in and forms. Each button of the page is a plain
// HTML form posting to a route under /_mock/ui that acts and redirects back
// to the page (POST/redirect/GET), with the outcome in a short-lived
// cookie the page shows once; a browser without a script works the same.
// The forms are guarded as the control API is, and one step more:
//   - sameOrigin refuses a post from a page of another site;
//   - with --admin-token, the request must carry the token: as
//     "Authorization: Bearer", or the cookie the sign-in form sets
//     (HttpOnly, SameSite=Lax, path /_mock/ui, holding a digest of the
//     token and a salt drawn at start, never the token itself);
//   - every form carries the page's form token, which a page of another
//     site cannot read, so that even a browser sending neither Origin nor
//     Sec-Fetch-Site cannot be driven from elsewhere.

// Cookies of the dashboard, both scoped to uiPath.
const (
	uiSessionCookie = "freedompay_mock_ui"
	uiFlashCookie   = "freedompay_mock_ui_flash"
)

// staleForm refuses a form without the page's form token.
const staleForm = "This form did not come from this dashboard's page, or the page is older than the sandbox's last start: open the page again and retry."

// uiFormToken is the field every form of the page sends back.
const uiFormToken = "form_token"

// ui serves the dashboard.
type ui struct {
	h         *handlers
	token     string // the admin token; "" when there is none
	session   string // the sign-in cookie's value: a digest of token and a salt new at every start
	formToken string // in every form of the page; new at every start
}

// newUI makes the dashboard of a start. Its sign-in cookie is a digest of
// the token and a random salt of this start: a restart signs every browser
// out, and a copied cookie is good only until the sandbox stops.
func newUI(h *handlers, token string) *ui {
	u := &ui{h: h, token: token, formToken: rand.Text()}
	if token != "" {
		mac := hmac.New(sha256.New, []byte(token))
		mac.Write([]byte("freedompay-mock dashboard sign-in\x00"))
		mac.Write([]byte(rand.Text()))
		u.session = hex.EncodeToString(mac.Sum(nil))
	}
	return u
}

// uiPage is what the page template shows: the sign-in form, or the view.
type uiPage struct {
	View         *uiData // nil while signing in, or on a refusal
	SignIn       bool
	SignInFailed bool
	SignOut      bool   // the sandbox has an admin token: offer to sign out
	FormToken    string // of the sign-out form
	Flash        string // the outcome of the last form sent, shown once
	FlashOK      bool
	Problem      string // why a form was refused
}

// page serves the whole page: the view, rendered here, or the sign-in
// form when the sandbox has an admin token the request lacks.
func (u *ui) page(w http.ResponseWriter, r *http.Request) {
	if !u.authorized(r) {
		u.render(w, http.StatusUnauthorized, uiPage{SignIn: true})
		return
	}
	p := uiPage{View: u.data(), SignOut: u.token != "", FormToken: u.formToken}
	p.Flash, p.FlashOK = takeFlash(w, r)
	u.render(w, http.StatusOK, p)
}

func (u *ui) render(w http.ResponseWriter, status int, p uiPage) {
	renderPage(w, status, p)
}

// renderPage writes the page; checkHost uses it for the dashboard's own
// refusal, before there is a ui to ask.
func renderPage(w http.ResponseWriter, status int, p uiPage) {
	var b bytes.Buffer
	if err := uiTemplates.ExecuteTemplate(&b, "page", redactorOf(w).Copy(p)); err != nil {
		writeErr(w, nil, fmt.Errorf("rendering the dashboard: %w", err))
		return
	}
	uiHeaders(w, "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// refuse answers a form the dashboard will not act on, with a page that
// says why and links back.
func (u *ui) refuse(w http.ResponseWriter, status int, format string, args ...any) {
	u.render(w, status, uiPage{Problem: fmt.Sprintf(format, args...)})
}

// authorized reports whether r may see the dashboard's data and use its
// forms: there is no admin token, or r carries it (header or sign-in
// cookie).
func (u *ui) authorized(r *http.Request) bool {
	if u.token == "" {
		return true
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+u.token)) == 1 {
		return true
	}
	c, err := r.Cookie(uiSessionCookie)
	return err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(u.session)) == 1
}

// signedIn lets through requests that are authorized, as requireToken
// does for the rest of the control API.
func (u *ui) signedIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="freedompay-mock"`)
			writeErr(w, r, refuse(sandbox.Unauthorized, "the dashboard needs the admin token: sign in at %s, or send \"Authorization: Bearer <token>\" (--admin-token)", uiPath))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// registerForms lists the routes the page's forms post to.
func (u *ui) registerForms(r table) {
	post := func(path string, h http.Handler) { r.Handle(uiPath+path, h).Methods(http.MethodPost) }
	post("/signin", sameOrigin(onlyHTTP(u.signin)))
	post("/signout", sameOrigin(onlyHTTP(u.signout)))
	post("/clock/advance", u.form(u.advance, "by"))
	post("/clock/drain", u.form(u.drain))
	post("/payouts/{id}/status", u.form(u.force, "status", "error_code"))
	post("/payouts/{id}/notify", u.form(u.resend))
	u.registerPaymentForms(post)
}

// uiOutcome is what a form did: said on the page it redirects to, which
// it opens at anchor ("#payout-…", or "").
type uiOutcome struct {
	OK     bool
	Text   string
	Anchor string
}

func done(anchor, format string, args ...any) uiOutcome {
	return uiOutcome{OK: true, Text: fmt.Sprintf(format, args...), Anchor: anchor}
}

func failed(anchor, format string, args ...any) uiOutcome {
	return uiOutcome{Text: fmt.Sprintf(format, args...), Anchor: anchor}
}

// form adapts an action to a route the page's forms post to: it refuses
// another site, a request without the admin token, a body that is not a
// form of the action's fields, and a form without the page's form token;
// then it acts and redirects to the page (303), the outcome in a cookie.
func (u *ui) form(act func(*http.Request, url.Values) uiOutcome, fields ...string) http.Handler {
	return sameOrigin(onlyHTTP(func(w http.ResponseWriter, r *http.Request) {
		if !u.authorized(r) {
			u.refuse(w, http.StatusUnauthorized, "This sandbox needs its admin token: sign in, then try again.")
			return
		}
		f, ok := u.readPageForm(w, r, fields)
		if !ok {
			return
		}
		// Attempts to slow merchants may take longer than the server's
		// write limit, as in run.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(sandbox.MaxAwait))
		out := act(r, f)
		setFlash(w, r, out)
		w.Header().Set("Location", uiPath+out.Anchor)
		w.WriteHeader(http.StatusSeeOther)
	}))
}

// readForm reads a form's body: fields, plus the form token, each once.
// It answers the status to refuse it with when it is not one.
func readForm(r *http.Request, fields []string) (url.Values, int, error) {
	if mt := mediaType(r); mt != "application/x-www-form-urlencoded" {
		return nil, http.StatusUnsupportedMediaType, fmt.Errorf("a dashboard form is sent as application/x-www-form-urlencoded, not %.100q", r.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxControlBody+1))
	switch {
	case err != nil:
		return nil, http.StatusBadRequest, fmt.Errorf("reading the form: %w", err)
	case len(body) > maxControlBody:
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("a dashboard form is at most %d bytes, as any control request's body", maxControlBody)
	}
	f, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, http.StatusBadRequest, fmt.Errorf("the form does not parse: %w", err)
	}
	for k, vs := range f {
		switch {
		case k != uiFormToken && !slices.Contains(fields, k):
			return nil, http.StatusBadRequest, fmt.Errorf("the form has a field %.100q this route does not take", k)
		case len(vs) > 1:
			return nil, http.StatusBadRequest, fmt.Errorf("the form gives %.100q %d times", k, len(vs))
		}
	}
	return f, 0, nil
}

// setFlash keeps an outcome for the page the browser is sent back to.
// It holds the sandbox's words and numbers, never a client's text: a
// cookie is not masked as the page is.
func setFlash(w http.ResponseWriter, r *http.Request, out uiOutcome) {
	mark := "0"
	if out.OK {
		mark = "1"
	}
	http.SetCookie(w, &http.Cookie{Name: uiFlashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(mark + out.Text)),
		Path: uiPath, MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
}

// takeFlash reads the outcome setFlash kept, and lets it go.
func takeFlash(w http.ResponseWriter, r *http.Request) (text string, ok bool) {
	c, err := r.Cookie(uiFlashCookie)
	if err != nil {
		return "", false
	}
	http.SetCookie(w, &http.Cookie{Name: uiFlashCookie, Path: uiPath, MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(b) == 0 {
		return "", false
	}
	return string(b[1:]), b[0] == '1'
}

func (u *ui) signin(w http.ResponseWriter, r *http.Request) {
	f, status, err := readForm(r, []string{"token"})
	if err != nil {
		u.refuse(w, status, "%v", err)
		return
	}
	if u.token != "" {
		if subtle.ConstantTimeCompare([]byte(f.Get("token")), []byte(u.token)) != 1 {
			u.render(w, http.StatusUnauthorized, uiPage{SignIn: true, SignInFailed: true})
			return
		}
		http.SetCookie(w, &http.Cookie{Name: uiSessionCookie, Value: u.session, Path: uiPath,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	}
	w.Header().Set("Location", uiPath)
	w.WriteHeader(http.StatusSeeOther)
}

// readPageForm reads a form posted from the page: its fields, and the
// page's form token, which another site cannot read. It answers the
// refusal itself and reports false when the form is not one.
func (u *ui) readPageForm(w http.ResponseWriter, r *http.Request, fields []string) (url.Values, bool) {
	f, status, err := readForm(r, fields)
	if err != nil {
		u.refuse(w, status, "%v", err)
		return nil, false
	}
	if subtle.ConstantTimeCompare([]byte(f.Get(uiFormToken)), []byte(u.formToken)) != 1 {
		u.refuse(w, http.StatusForbidden, staleForm)
		return nil, false
	}
	return f, true
}

// signout lets the sign-in cookie go; it takes the page's form token,
// so that another site cannot sign the browser out.
func (u *ui) signout(w http.ResponseWriter, r *http.Request) {
	if _, ok := u.readPageForm(w, r, nil); !ok {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: uiSessionCookie, Path: uiPath, MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	w.Header().Set("Location", uiPath)
	w.WriteHeader(http.StatusSeeOther)
}

// advanceBy reads how far to move the clock, for the control API's advance
// and the dashboard's: a non-negative duration (the sandbox refuses one
// that would take the clock past the year 9999).
func advanceBy(by string) (time.Duration, error) {
	d, err := time.ParseDuration(by)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%.40q is not a duration of zero or more such as 30s, 5m or 1h30m", by)
	}
	return d, nil
}

func (u *ui) advance(_ *http.Request, f url.Values) uiOutcome {
	by := f.Get("by")
	d, err := advanceBy(by)
	if err != nil {
		return failed("", "The clock did not move: %v.", err)
	}
	run, err := u.h.sb.Advance(d)
	if err != nil {
		return failed("", "The clock did not move by %s: %v.", d, err)
	}
	return done("", "Clock moved by %s to %s UTC: %d notify attempt(s) made.", d, run.Now.UTC().Format(time.DateTime), run.AttemptedTotal)
}

func (u *ui) drain(*http.Request, url.Values) uiOutcome {
	run, err := u.h.sb.Drain()
	if err != nil {
		return failed("", "Drain stopped at %s UTC: %v.", run.Now.UTC().Format(time.DateTime), err)
	}
	return done("", "Drained to %s UTC: %d notify attempt(s) made.", run.Now.UTC().Format(time.DateTime), run.AttemptedTotal)
}

// formPaymentID is the route's {id}, or the outcome that says it is not one.
func formPaymentID(r *http.Request) (int64, *uiOutcome) {
	raw := mux.Vars(r)["id"]
	id, ok := fixtures.ParseID(raw)
	if !ok || id == 0 {
		out := failed("", "Payment id %.40q is not a pg_payment_id (a positive integer).", raw)
		return 0, &out
	}
	return id, nil
}

// force forces a payout's status. Only the error form sends an error
// code; one sent with another status is not applied, as a success or a
// process carries none.
func (u *ui) force(r *http.Request, f url.Values) uiOutcome {
	id, bad := formPaymentID(r)
	if bad != nil {
		return *bad
	}
	anchor := fmt.Sprintf("#payout-%d", id)
	status, code := f.Get("status"), 0
	if status == scenario.StatusError {
		var err error
		if code, err = strconv.Atoi(f.Get("error_code")); err != nil {
			return failed(anchor, "Payment %d not forced: the error code %.20q is not a number.", id, f.Get("error_code"))
		}
	}
	fo, err := u.h.sb.Force(r.Context(), id, status, code)
	if sandbox.KindOf(err) == sandbox.NotFound {
		return failed("", "There is no payout with payment id %d (the scenario was reset or replaced since the page was loaded?).", id)
	}
	if err != nil {
		return failed(anchor, "Payment %d: %v.", id, err)
	}
	text := fmt.Sprintf("Payment %d forced to %s", id, statusText(status, code))
	if n := fo.Notification; n != nil {
		text += "; its notify " + notifyOutcome(*n)
	}
	if was := fo.Was; fo.Warning != "" && was != nil {
		text += ". It was already " + statusText(was.Status, was.ErrorCode) + ": FreedomPay never changes a final status, so a merchant may rightly ignore this notify"
	}
	return done(anchor, "%s.", text)
}

func (u *ui) resend(r *http.Request, _ url.Values) uiOutcome {
	id, bad := formPaymentID(r)
	if bad != nil {
		return *bad
	}
	anchor := fmt.Sprintf("#payout-%d", id)
	re, err := u.h.sb.Resend(r.Context(), id)
	n := re.Notification
	switch {
	case sandbox.KindOf(err) == sandbox.NotFound:
		return failed("", "There is no payout with payment id %d (the scenario was reset or replaced since the page was loaded?).", id)
	case err != nil:
		return failed(anchor, "Payment %d: %v.", id, err)
	}
	return done(anchor, "Payment %d: notify %s.", id, notifyOutcome(n))
}

// notifyOutcome says where a notify stands after its first attempt, in
// the sandbox's words only (see setFlash).
func notifyOutcome(n notify.Notification) string {
	s := fmt.Sprintf("#%d is %s", n.ID, n.State)
	if len(n.Attempts) > 0 && !n.Attempts[len(n.Attempts)-1].Delivered {
		s += " (its last attempt failed: see the notify below)"
	}
	return s
}
