package control

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/expect"
	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// The dashboard: /_mock/ui is a page with no data, which anyone may load;
// its script fetches /_mock/ui/view, the server-rendered view, with the
// admin token when there is one, and refreshes it.

//go:embed ui
var uiFiles embed.FS

// uiShown bounds the notifies and requests the view lists, newest first.
const uiShown = 100

var uiView = template.Must(template.New("view").Funcs(template.FuncMap{
	"iso":  func(t time.Time) string { return t.Format(time.RFC3339) },
	"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") },
	"join": func(s []string) string { return strings.Join(s, ", ") },
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
	"statusText": func(status string, code int) string {
		if status == scenario.StatusError && code != 0 {
			return "error " + strconv.Itoa(code)
		}
		return status
	},
	"outcomeText": func(o string) string {
		switch o {
		case journal.OutcomeBadSignature:
			return "bad signature"
		case journal.OutcomeFault:
			return "drill fault"
		}
		return o
	},
}).ParseFS(uiFiles, "ui/view.html"))

// uiAsset reports whether a path is part of the page itself, served
// without the admin token: it holds no data.
func uiAsset(path string) bool {
	switch path {
	case Prefix + "/ui", Prefix + "/ui/", Prefix + "/ui/app.js", Prefix + "/ui/style.css":
		return true
	}
	return false
}

func (h *handlers) registerUI(r *mux.Router) {
	static := func(name, ctype string) http.HandlerFunc {
		data, _ := uiFiles.ReadFile("ui/" + name)
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", ctype)
			w.Header().Set("Cache-Control", "no-cache")
			w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
			w.Header().Set("Referrer-Policy", "no-referrer")
			_, _ = w.Write(data)
		}
	}
	shell := static("shell.html", "text/html; charset=utf-8")
	r.HandleFunc(Prefix+"/ui", shell).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(Prefix+"/ui/", shell).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(Prefix+"/ui/app.js", static("app.js", "text/javascript; charset=utf-8")).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(Prefix+"/ui/style.css", static("style.css", "text/css; charset=utf-8")).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(Prefix+"/ui/view", noBody(h.uiView)).Methods(http.MethodGet)
}

type uiMerchant struct {
	ID      string
	Payouts []payoutView
}

type uiData struct {
	Scenario        string
	Now             time.Time
	Mode            string
	Manual          bool
	Report          expect.Report
	Merchants       []uiMerchant
	ErrorCodes      []int
	Notifications   []notify.Notification           // newest first
	NotifiesOf      map[int64][]notify.Notification // the shown ones, by payment id, oldest first
	NotifyDropped   int64
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

// uiView renders the dashboard's view of everything, as HTML.
func (h *handlers) uiView(w http.ResponseWriter, _ *http.Request) {
	now := h.b.Now()
	d := uiData{Scenario: h.b.ScenarioName(), Now: now, Mode: h.b.ClockMode(), Report: h.b.Verify(""),
		ErrorCodes: wire.PayoutErrorCodes()}
	d.Manual = d.Mode == clock.ModeManual
	byMerchant := map[string]*uiMerchant{}
	for _, id := range h.b.MerchantIDs() { // a shard that has made no payout yet is listed too
		byMerchant[id] = &uiMerchant{ID: id}
	}
	for _, p := range h.b.Payouts("") {
		m := byMerchant[p.MerchantID]
		if m == nil {
			m = &uiMerchant{ID: p.MerchantID}
			byMerchant[p.MerchantID] = m
		}
		m.Payouts = append(m.Payouts, viewOf(p, now))
	}
	for _, m := range byMerchant {
		d.Merchants = append(d.Merchants, *m)
	}
	sort.Slice(d.Merchants, func(i, j int) bool { return d.Merchants[i].ID < d.Merchants[j].ID })

	ns, dropped := h.b.History("")
	expect.LostVerdicts(h.b, ns)
	d.NotifyDropped = dropped
	d.NotifiesOf = map[int64][]notify.Notification{}
	for i := len(ns) - 1; i >= 0 && len(d.Notifications) < uiShown; i-- {
		d.Notifications = append(d.Notifications, ns[i])
		d.NotifiesOf[ns[i].PaymentID] = append([]notify.Notification{ns[i]}, d.NotifiesOf[ns[i].PaymentID]...)
	}
	page := h.b.Requests(journal.Filter{Limit: uiShown})
	for i := len(page.Entries) - 1; i >= 0; i-- {
		d.Requests = append(d.Requests, page.Entries[i])
	}
	d.RequestsShown, d.RequestsMatched, d.RequestsDropped = len(d.Requests), page.Matched, page.Dropped

	bad := h.b.Requests(journal.Filter{Outcome: journal.OutcomeBadSignature, Limit: uiProblems})
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
				d.Undelivered = append(d.Undelivered, n)
			}
		case !last.Conforming:
			if d.NonConformingSum++; len(d.NonConforming) < uiProblems {
				d.NonConforming = append(d.NonConforming, n)
			}
		}
	}

	var b bytes.Buffer
	if err := uiView.ExecuteTemplate(&b, "view", d); err != nil {
		writeError(w, http.StatusInternalServerError, "rendering the view: %v", err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b.Bytes())
}
