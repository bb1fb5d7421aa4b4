package control

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/expect"
	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// The dashboard: /_mock/ui is the whole page, rendered by the server with
// the data in it, and it works without a script. Its buttons are plain
// forms posting to /_mock/ui/... routes that act and redirect back
// (uiform.go). The script only keeps it fresh: it fetches /_mock/ui/view,
// the same view, and sends the forms in the background.

//go:embed ui
var uiFiles embed.FS

// Bounds of the view, so that its size does not grow with the scenario
// or the run: it lists the newest uiShown payouts, notifies and requests,
// the first uiShown verdicts (failed ones first), uiAttempts attempts of
// each notify and uiMerchants merchants, and counts the rest.
const (
	uiShown     = 100
	uiAttempts  = 10
	uiMerchants = 100
)

// uiTemplates are the page (shell.html) and the view in it (view.html).
var uiTemplates = template.Must(template.New("ui").Funcs(template.FuncMap{
	"iso":  func(t time.Time) string { return t.Format(time.RFC3339) },
	"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") },
	"join": func(s []string) string { return strings.Join(s, ", ") },
	"refuses": func(ops map[string]int) string { // "cancel (10012), refund (10019)"
		var out []string
		for _, op := range slices.Sorted(maps.Keys(ops)) {
			out = append(out, fmt.Sprintf("%s (%d)", op, ops[op]))
		}
		return strings.Join(out, ", ")
	},
	"last": func(as []notify.Attempt) *notify.Attempt {
		if len(as) == 0 {
			return nil
		}
		return &as[len(as)-1]
	},
	"mark": func(when string) string {
		switch when {
		case "past":
			return "✓ done"
		case "current":
			return "● now"
		}
		return "○ later"
	},
	"failure":    attemptFailure,
	"statusText": statusText,
	"outcomeText": func(o string) string {
		switch o {
		case journal.OutcomeBadSignature:
			return "bad signature"
		case journal.OutcomeFault:
			return "drill fault"
		}
		return o
	},
}).ParseFS(uiFiles, "ui/view.html", "ui/shell.html"))

// statusText is a status with its error code, if any: "error 10001".
func statusText(status string, code int) string {
	if (status == scenario.StatusError || status == scenario.PaymentIncomplete) && code != 0 {
		return "error " + strconv.Itoa(code)
	}
	return status
}

// uiPath is the dashboard's page; its other routes are under it.
const uiPath = Prefix + "/ui"

// uiRoute reports whether a path is the dashboard's. Its routes guard
// themselves (uiform.go): the page opens from a link anywhere and asks for
// the admin token when it has not got it, the rest refuse other sites.
func uiRoute(path string) bool {
	return path == uiPath || strings.HasPrefix(path, uiPath+"/")
}

// uiHeaders are the headers of everything the dashboard serves. The
// referrer is kept to the same origin, not dropped: with "no-referrer" a
// browser sends "Origin: null" with the page's own form posts, which
// sameOrigin refuses.
func uiHeaders(w http.ResponseWriter, ctype string) {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.Header().Set("X-Content-Type-Options", "nosniff")
}

func (h *handlers) registerUI(r table, token string) {
	u := newUI(h, token)
	static := func(name, ctype string) http.HandlerFunc {
		data, _ := uiFiles.ReadFile("ui/" + name)
		return func(w http.ResponseWriter, _ *http.Request) {
			uiHeaders(w, ctype)
			w.Header().Set("Cache-Control", "no-cache")
			_, _ = w.Write(data)
		}
	}
	r.HandleFunc(uiPath, onlyHTTP(u.page)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(uiPath+"/", onlyHTTP(u.page)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(uiPath+"/app.js", static("app.js", "text/javascript; charset=utf-8")).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(uiPath+"/style.css", static("style.css", "text/css; charset=utf-8")).Methods(http.MethodGet, http.MethodHead)
	r.Handle(uiPath+"/view", sameOrigin(u.signedIn(onlyHTTP(u.view)))).Methods(http.MethodGet)
	u.registerForms(r)
}

type uiMerchant struct {
	ID      string
	Payouts []sandbox.Payout // the newest shown, oldest first
	Total   int              // its payouts, shown or not
}

// Hidden is how many of the merchant's payouts are not shown.
func (m uiMerchant) Hidden() int { return m.Total - len(m.Payouts) }

type uiData struct {
	Scenario        string
	Now             time.Time
	Mode            string
	Manual          bool
	Report          expect.Report
	Merchants       []uiMerchant
	MerchantsHidden int // merchants not listed
	PayoutsShown    int
	PayoutsTotal    int
	Payments        []sandbox.Payment // newest first
	PaymentsTotal   int
	Cards           []sandbox.Card // card storage, newest first
	CardsTotal      int
	PaymentCodes    []uiErrorCode   // the codes a payment may be forced to fail with
	Verdicts        []expect.Result // the first uiShown of Report, failed ones first
	ErrorCodes      []uiErrorCode
	FormToken       string                          // sent back by every form (uiform.go)
	Notifications   []notify.Notification           // newest first
	NotifiesOf      map[int64][]notify.Notification // the shown ones, by payment id, oldest first
	NotifyDropped   int64
	NotifyTotal     int             // kept
	Requests        []journal.Entry // newest first
	RequestsShown   int
	RequestsMatched int
	RequestsDropped int64

	// Problems, newest first, however far back in the journal.
	BadSignatures    []journal.Entry
	BadSignatureSum  int
	Undelivered      []notify.Notification // failed or pending after a failed attempt
	NonConforming    []notify.Notification // delivered, with an answer that is not a documented ack
	UndeliveredSum   int
	NonConformingSum int
}

// uiProblems bounds each list of problems.
const uiProblems = 10

// uiErrorCode is an error code a payout may be forced to end with.
type uiErrorCode struct {
	Code int
	Text string
}

// view writes the dashboard's view of everything, the part of the page
// the script refreshes, as HTML.
func (u *ui) view(w http.ResponseWriter, _ *http.Request) {
	var b bytes.Buffer
	if err := uiTemplates.ExecuteTemplate(&b, "view", redactorOf(w).Copy(u.data())); err != nil {
		writeErr(w, nil, fmt.Errorf("rendering the view: %w", err))
		return
	}
	uiHeaders(w, "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b.Bytes())
}

// data gathers what the view shows.
func (u *ui) data() *uiData {
	h := u.h
	now := h.sb.Now()
	st := h.sb.State()
	report, _ := h.sb.Verify("")
	d := &uiData{Scenario: h.sb.Scenario().Name, Now: now, Mode: h.sb.ClockMode(), Report: report, FormToken: u.formToken}
	for _, c := range wire.PayoutErrorCodes() {
		d.ErrorCodes = append(d.ErrorCodes, uiErrorCode{Code: c, Text: wire.Text(c)})
	}
	d.Manual = d.Mode == clock.ModeManual
	d.Verdicts = verdicts(d.Report.Results)
	d.Merchants, d.MerchantsHidden, d.PayoutsShown, d.PayoutsTotal = h.uiPayouts(now)
	d.Payments, d.PaymentsTotal = u.uiPayments()
	d.PaymentCodes = paymentErrorCodes()
	if cs, err := h.sb.Cards(sandbox.CardQuery{Page: sandbox.Page{Limit: uiShown, Order: sandbox.OrderNewest}}); err == nil {
		d.Cards, d.CardsTotal = cs.Cards, cs.Matched
	}

	ns, dropped := st.History("") // with the verdicts of the drill "lost"
	d.NotifyDropped, d.NotifyTotal = dropped, len(ns)
	d.NotifiesOf = map[int64][]notify.Notification{}
	for i := len(ns) - 1; i >= 0 && len(d.Notifications) < uiShown; i-- {
		n := lastAttempts(ns[i])
		d.Notifications = append(d.Notifications, n)
		d.NotifiesOf[n.PaymentID] = append([]notify.Notification{n}, d.NotifiesOf[n.PaymentID]...)
	}
	page := st.Requests(journal.Filter{Limit: uiShown})
	for i := len(page.Entries) - 1; i >= 0; i-- {
		d.Requests = append(d.Requests, page.Entries[i])
	}
	d.RequestsShown, d.RequestsMatched, d.RequestsDropped = len(d.Requests), page.Matched, page.Dropped

	bad := st.Requests(journal.Filter{Outcome: journal.OutcomeBadSignature, Limit: uiProblems})
	for i := len(bad.Entries) - 1; i >= 0; i-- {
		d.BadSignatures = append(d.BadSignatures, bad.Entries[i])
	}
	d.BadSignatureSum = bad.Matched
	for i := len(ns) - 1; i >= 0; i-- {
		n := ns[i]
		if len(n.Attempts) == 0 || n.Extra() {
			continue
		}
		last := n.Attempts[len(n.Attempts)-1]
		switch {
		case !last.Delivered:
			if d.UndeliveredSum++; len(d.Undelivered) < uiProblems {
				d.Undelivered = append(d.Undelivered, lastAttempts(n))
			}
		case !last.Conforming:
			if d.NonConformingSum++; len(d.NonConforming) < uiProblems {
				d.NonConforming = append(d.NonConforming, lastAttempts(n))
			}
		}
	}
	return d
}

// uiPayouts are the payouts the view shows: the newest uiShown of all
// merchants, under their merchants; merchants without a payout shown are
// listed too, up to uiMerchants in all. It returns the merchants listed,
// how many are not, and the payouts shown and made.
func (h *handlers) uiPayouts(now time.Time) (list []uiMerchant, hidden, shown, total int) {
	byMerchant := map[string]*uiMerchant{}
	newest, counts := h.sb.NewestPayouts(uiShown)
	for id, n := range counts {
		byMerchant[id] = &uiMerchant{ID: id, Total: n}
		total += n
	}
	for _, p := range newest {
		m := byMerchant[p.MerchantID]
		m.Payouts = append(m.Payouts, sandbox.ViewOf(p, now))
	}
	ids := h.sb.MerchantIDs() // a shard that has made no payout yet is listed too
	for id := range byMerchant {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	var rest []uiMerchant
	for _, id := range ids {
		m := byMerchant[id]
		if m == nil {
			m = &uiMerchant{ID: id}
		}
		if len(m.Payouts) > 0 {
			list = append(list, *m) // every merchant with a payout shown
		} else {
			rest = append(rest, *m)
		}
	}
	n := max(0, uiMerchants-len(list))
	list = append(list, rest[:min(n, len(rest))]...)
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	return list, len(ids) - len(list), len(newest), total
}

// verdicts are the first uiShown results, failed ones first.
func verdicts(rs []expect.Result) []expect.Result {
	out := make([]expect.Result, 0, min(len(rs), uiShown))
	for _, failed := range []bool{true, false} {
		for _, r := range rs {
			if r.OK != failed && len(out) < uiShown {
				out = append(out, r)
			}
		}
	}
	return out
}

// lastAttempts keeps a notify's last uiAttempts attempts for the view; N
// still numbers each one.
func lastAttempts(n notify.Notification) notify.Notification {
	if len(n.Attempts) > uiAttempts {
		n.Attempts = n.Attempts[len(n.Attempts)-uiAttempts:]
	}
	return n
}
