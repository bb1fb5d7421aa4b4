package mock_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// chrome finds a Chromium or Chrome to drive, "" when there is none.
func chrome() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// artifacts is where the browser test leaves its screenshots:
// $FREEDOMPAY_MOCK_ARTIFACTS, else a temporary directory.
func artifacts(t *testing.T) string {
	if dir := os.Getenv("FREEDOMPAY_MOCK_ARTIFACTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

// syncBuffer is a log sink the server writes to from its goroutines.
type syncBuffer struct {
	mu chan struct{}
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu <- struct{}{}
	defer func() { <-s.mu }()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu <- struct{}{}
	defer func() { <-s.mu }()
	return s.b.String()
}

// defaultWith is the default scenario with its merchants' notifies sent to
// url.
func defaultWith(t *testing.T, url string) *scenario.Scenario {
	t.Helper()
	text := string(scenario.Default().Source)
	for _, link := range []string{`"http://127.0.0.1:9000/freedompay/payout"`, `"/_mock/demo/merchant"`} {
		text = strings.ReplaceAll(text, link, strconv.Quote(url))
	}
	sc, err := scenario.Parse("default.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// browser starts headless Chromium at exe, with page scripts on or off,
// for the rest of the test.
func browser(t *testing.T, exe string, scripts bool) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.WindowSize(1280, 900))
	if !scripts {
		opts = append(opts, chromedp.Flag("blink-settings", "scriptEnabled=false"))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestDashboardInABrowser opens /_mock/ui in headless Chromium with the
// default scenario: the payout is on the page, "Advance" delivers its
// notify and the page shows it, a request with a bad signature shows its
// explanation. Screenshots (laptop and phone) are kept as artifacts.
func TestDashboardInABrowser(t *testing.T) {
	exe := chrome()
	if exe == "" {
		t.Skip("no Chromium installed (apt-get install chromium; .ci/run installs it): the dashboard's browser test is skipped")
	}
	m := newMerchant(t, "test_secret_key", ackOK)
	sc := defaultWith(t, m.URL+"/notify")
	logs := &syncBuffer{mu: make(chan struct{}, 1)}
	const token = "dashboard-s3cret"
	s := mock.RunT(t, mock.Options{Scenario: sc, ClockMode: "manual", AdminToken: token,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})

	ctx := browser(t, exe, true)

	var location string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(s.URL()+"/_mock/ui#token="+token),
		chromedp.WaitVisible(`#payout-7777777777`, chromedp.ByQuery),
		chromedp.Location(&location),
	); err != nil {
		t.Fatalf("the page with the default scenario's payout: %v", err)
	}
	if strings.Contains(location, token) {
		t.Errorf("the token stays in the address bar: %s", location)
	}

	// A request signed with the wrong secret, and the clock moved from the page.
	send(t, s, "9970", "not-the-secret", "/g2g/payout_status2", "pg_order_id", "12345", "pg_payment_id", "7777777777")
	var explain, notifies string
	if err := chromedp.Run(ctx,
		chromedp.SetValue(`#advance-by`, "1m", chromedp.ByQuery),
		chromedp.Click(`#advance`, chromedp.ByQuery),
		chromedp.WaitVisible(`details.notify.state-delivered`, chromedp.ByQuery),
		chromedp.WaitVisible(`.explain`, chromedp.ByQuery),
		chromedp.Text(`.explain`, &explain, chromedp.ByQuery),
		chromedp.Text(`#h-notifies`, &notifies, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("advance and explanation: %v", err)
	}
	for _, want := range []string{"Why the signature was rejected", "payout_status2;9970;12345;7777777777;", "<secret:15 chars>"} {
		if !strings.Contains(explain, want) {
			t.Errorf("the explanation lacks %q:\n%s", want, explain)
		}
	}
	if strings.Contains(explain, "test_secret_key") {
		t.Error("the explanation shows the secret")
	}
	var page string
	if err := chromedp.Run(ctx, chromedp.Text(`#view`, &page, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page, "Problems") || !strings.Contains(page, "1 request(s) with a bad signature") {
		t.Errorf("the page has no problem summary naming the bad signature:\n%.1500s", page)
	}
	if !strings.Contains(page, "order 12345 → pg_status ok · delivered after 1 attempt(s)") {
		t.Errorf("the page shows no delivered notify for order 12345:\n%s", page)
	}
	if len(m.got()) == 0 {
		t.Error("the merchant got no notify after Advance")
	}

	// Force an error from the page: the view and the outcome line say it.
	var heading, status string
	if err := chromedp.Run(ctx,
		chromedp.SetValue(`#code-7777777777`, "10032", chromedp.ByQuery),
		chromedp.Click(`#force-error-7777777777`, chromedp.ByQuery),
		chromedp.WaitVisible(`#payout-7777777777 .st-error`, chromedp.ByQuery),
		chromedp.Text(`#payout-7777777777-h`, &heading, chromedp.ByQuery),
		chromedp.Text(`#status`, &status, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("force error from the page: %v", err)
	}
	if !strings.Contains(heading, "error 10032") || !strings.Contains(status, "Done: Payment 7777777777 forced to error 10032") {
		t.Errorf("after forcing an error, the payout says %q and the outcome line %q", heading, status)
	}

	dir := artifacts(t)
	shot := func(name string, w, h int64) {
		var png []byte
		if err := chromedp.Run(ctx, chromedp.EmulateViewport(w, h), chromedp.FullScreenshot(&png, 100)); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
	shot("dashboard-laptop.png", 1280, 900)
	shot("dashboard-phone.png", 390, 844)

	if strings.Contains(logs.String(), token) {
		t.Error("the admin token appears in the server's log")
	}
	for _, e := range mock.Journal(s, journal.Filter{}).Entries {
		if e.Path != "/g2g/payout_status2" {
			t.Errorf("the page made a gateway request: %s %s", e.Method, e.Path)
		}
	}
}

// Without the admin token the page is the sign-in form, with no data; the
// view needs the token; what requests carry is escaped.
func TestDashboardTokenAndEscaping(t *testing.T) {
	s := mock.RunT(t, mock.Options{AdminToken: "tok", ClockMode: "manual"})
	get := func(path, token string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/_mock/ui", ""); code != 401 || !strings.Contains(body, `<form id="token-form"`) || strings.Contains(body, "Merchant 9970") {
		t.Errorf("the page without a token: %d, want 401 with the sign-in form and no data:\n%s", code, body)
	}
	if code, body := get("/_mock/ui", "tok"); code != 200 || !strings.Contains(body, "<h3>Merchant 9970</h3>") {
		t.Errorf("the page with the token: %d, want 200 with the view:\n%.2000s", code, body)
	}
	if code, _ := get("/_mock/ui/view", ""); code != 401 {
		t.Errorf("the view without a token: %d, want 401", code)
	}
	send(t, s, "9970", "wrong", "/g2g/payout_status2", "pg_order_id", "<script>alert(1)</script>", "pg_payment_id", "1")
	code, body := get("/_mock/ui/view", "tok")
	if code != 200 || strings.Contains(body, "<script>alert") || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the view with the token: %d; a request's field is not escaped:\n%.2000s", code, body)
	}
	for _, m := range s.Scenario().Merchants { // those with no payout yet too
		if !strings.Contains(body, "<h3>Merchant "+string(m.ID)+"</h3>") {
			t.Errorf("the view does not list merchant %s", m.ID)
		}
	}
	if !strings.Contains(body, "No payouts yet.") {
		t.Errorf("no merchant of the default scenario is shown without payouts")
	}
	if _, err := s.Drain(); err != nil { // the scenario's payouts end and notify
		t.Fatal(err)
	}
	if _, body := get("/_mock/ui/view", "tok"); !strings.Contains(body, `Notifies: <a href="#notify-`) {
		t.Errorf("a payout card does not link to its notifies:\n%.3000s", body)
	}
}

// uiClient is a browser without scripts, as curl is: it keeps cookies and
// sends the headers a browser sends with a form of the page.
type uiClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newUIClient(t *testing.T, s *mock.Server) *uiClient {
	jar, _ := cookiejar.New(nil)
	return &uiClient{t: t, base: s.URL(), c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends a request; headers are name, value pairs.
func (c *uiClient) do(method, path, body string, headers ...string) (int, http.Header, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// submit posts a form of the page as a browser does (same origin) and
// follows the redirect; it returns the page it lands on.
func (c *uiClient) submit(path string, form url.Values) string {
	c.t.Helper()
	code, h, body := c.do("POST", path, form.Encode(), "Content-Type", "application/x-www-form-urlencoded",
		"Origin", c.base, "Sec-Fetch-Site", "same-origin")
	if code != http.StatusSeeOther {
		c.t.Fatalf("POST %s %s: HTTP %d, want 303\n%.2000s", path, form.Encode(), code, body)
	}
	code, _, page := c.do("GET", strings.SplitN(h.Get("Location"), "#", 2)[0], "")
	if code != 200 {
		c.t.Fatalf("GET %s after the form: HTTP %d", h.Get("Location"), code)
	}
	return page
}

var formTokenRE = regexp.MustCompile(`name="form_token" value="([^"]+)"`)

// formToken is the page's form token.
func formToken(t *testing.T, page string) string {
	t.Helper()
	m := formTokenRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the page has no form token:\n%.2000s", page)
	}
	return m[1]
}

// payoutHeading is a payout's heading on the page, tags removed.
func payoutHeading(t *testing.T, page string, id int64) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)<h4 id="payout-` + strconv.FormatInt(id, 10) + `-h">(.*?)</h4>`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the page has no payout %d:\n%.3000s", id, page)
	}
	return regexp.MustCompile(`<[^>]*>`).ReplaceAllString(m[1], "")
}

// Without a script, the page the server sends holds the scenario's
// payouts and notifies; its forms act and come back to the page, which
// shows what they did; a form from another site is refused, and a success
// is never given an error code.
func TestDashboardWithoutScript(t *testing.T) {
	m := newMerchant(t, "test_secret_key", ackOK)
	s := mock.RunT(t, mock.Options{Scenario: defaultWith(t, m.URL+"/notify"), ClockMode: "manual"})
	c := newUIClient(t, s)
	if _, err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	code, _, page := c.do("GET", "/_mock/ui", "")
	if code != 200 {
		t.Fatalf("GET /_mock/ui: HTTP %d", code)
	}
	for _, p := range mock.LedgerPayouts(s, "") {
		if !strings.Contains(page, `id="payout-`+strconv.FormatInt(p.PaymentID, 10)+`"`) {
			t.Errorf("the page lacks payout %d (order %s)", p.PaymentID, p.OrderID)
		}
	}
	ns, _ := mock.History(s, "")
	if len(ns) == 0 {
		t.Fatal("the scenario made no notify")
	}
	for _, n := range ns {
		if !strings.Contains(page, `id="notify-`+strconv.Itoa(n.ID)+`"`) {
			t.Errorf("the page lacks notify #%d", n.ID)
		}
	}
	if !strings.Contains(page, "order 12345 → pg_status ok · <strong>delivered</strong>") {
		t.Errorf("the page does not show order 12345's notify delivered:\n%.3000s", page)
	}
	if strings.Contains(page, "Loading…") || strings.Contains(page, "test_secret_key") {
		t.Error("the page waits for a script, or shows the secret")
	}
	tok := formToken(t, page)
	const id = 7777777777
	force := "/_mock/ui/payouts/7777777777/status"

	// A form from another site is refused, with or without the form token.
	for _, h := range [][]string{{"Origin", "http://evil.example"}, {"Sec-Fetch-Site", "cross-site"}, {"Origin", "null"}} {
		code, _, _ := c.do("POST", force, url.Values{"form_token": {tok}, "status": {"error"}, "error_code": {"10001"}}.Encode(),
			"Content-Type", "application/x-www-form-urlencoded", h[0], h[1])
		if code != http.StatusForbidden {
			t.Errorf("a form with %s: %s: HTTP %d, want 403", h[0], h[1], code)
		}
	}
	code, _, _ = c.do("POST", force, "status=error&error_code=10001", "Content-Type", "application/x-www-form-urlencoded")
	if code != http.StatusForbidden {
		t.Errorf("a form without the page's form token: HTTP %d, want 403", code)
	}
	if p, _ := s.Payout(id); p.Revision != 0 {
		t.Fatalf("a refused form changed the payout: %+v", p.Timeline)
	}

	page = c.submit(force, url.Values{"form_token": {tok}, "status": {"error"}, "error_code": {"10032"}})
	if h := payoutHeading(t, page, id); !strings.Contains(h, "error 10032") {
		t.Errorf("after forcing error 10032 the payout reads %q", h)
	}
	if !strings.Contains(page, "Done: Payment 7777777777 forced to error 10032; its notify #") {
		t.Errorf("the page does not say what the form did:\n%.1500s", page)
	}
	if !strings.Contains(page, "already success: FreedomPay never changes a final status") {
		t.Errorf("forcing a final payout again carries no warning:\n%.1500s", page)
	}

	// An error code sent with success is not applied.
	page = c.submit(force, url.Values{"form_token": {tok}, "status": {"success"}, "error_code": {"10032"}})
	p, _ := s.Payout(id)
	last := p.Timeline[len(p.Timeline)-1]
	if last.Status != "success" || last.ErrorCode != 0 {
		t.Errorf("forced success with error_code 10032: the payout ends %s %d, want success without a code", last.Status, last.ErrorCode)
	}
	if h := payoutHeading(t, page, id); !strings.Contains(h, "success") || strings.Contains(h, "10032") {
		t.Errorf("after forcing success the payout reads %q", h)
	}

	// The clock, the resend and the flash shown once.
	at := s.Clock().Now()
	page = c.submit("/_mock/ui/clock/advance", url.Values{"form_token": {tok}, "by": {"90s"}})
	if !s.Clock().Now().Equal(at.Add(90*time.Second)) || !strings.Contains(page, "Done: Clock moved by 1m30s to ") {
		t.Errorf("advance by 90s: the clock moved from %s to %s; the page says:\n%.800s", at, s.Clock().Now(), page)
	}
	sent := len(m.got())
	page = c.submit("/_mock/ui/payouts/7777777777/notify", url.Values{"form_token": {tok}})
	if len(m.got()) != sent+1 || !strings.Contains(page, "Done: Payment 7777777777: notify #") {
		t.Errorf("resend: the merchant got %d more notifies; the page says:\n%.800s", len(m.got())-sent, page)
	}
	if _, _, again := c.do("GET", "/_mock/ui", ""); strings.Contains(again, "Done:") {
		t.Error("the outcome is shown again on the next load of the page")
	}
}

// The failure of an attempt that got no answer is said in words; Go's own
// text stays on hover and under "as Go said it".
func TestDashboardSaysFailuresInWords(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	s := mock.RunT(t, mock.Options{Scenario: defaultWith(t, "http://"+addr+"/notify"), ClockMode: "manual"})
	if _, err := s.Advance(6 * time.Second); err != nil {
		t.Fatal(err)
	}
	_, _, page := newUIClient(t, s).do("GET", "/_mock/ui", "")
	want := "connection refused: nothing listens at " + addr
	if !strings.Contains(page, want) {
		t.Errorf("the page does not say %q:\n%.3000s", want, page)
	}
	if !strings.Contains(page, `title="dial tcp `+addr) && !strings.Contains(page, `title="Post &#34;`) {
		t.Errorf("Go's own text is not on hover:\n%.3000s", page)
	}
	// Outside the hover text and the details, no Go noise.
	shown := regexp.MustCompile(`(?s) title="[^"]*"|<details class="raw">.*?</details>`).ReplaceAllString(page, "")
	for _, noise := range []string{"dial tcp", "Post &#34;", "connect: connection refused"} {
		if strings.Contains(shown, noise) {
			i := strings.Index(shown, noise)
			t.Errorf("the page shows %q: …%s…", noise, shown[max(0, i-200):min(len(shown), i+200)])
		}
	}
}

// Headless Chromium with scripts off: the sign-in form, the page with the
// scenario's payout, "Advance" and "Force error" work as plain forms.
func TestDashboardWithoutScriptInABrowser(t *testing.T) {
	exe := chrome()
	if exe == "" {
		t.Skip("no Chromium installed (apt-get install chromium; .ci/run installs it): the dashboard's browser test is skipped")
	}
	m := newMerchant(t, "test_secret_key", ackOK)
	const token = "dashboard-s3cret"
	s := mock.RunT(t, mock.Options{Scenario: defaultWith(t, m.URL+"/notify"), ClockMode: "manual", AdminToken: token})
	ctx := browser(t, exe, false)

	var liveHidden bool
	var location, status, heading string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(s.URL()+"/_mock/ui"),
		chromedp.WaitVisible(`#token`, chromedp.ByQuery),
		chromedp.SendKeys(`#token`, token, chromedp.ByQuery),
		chromedp.Submit(`#token-form`, chromedp.ByQuery),
		chromedp.WaitVisible(`#payout-7777777777`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector("label.live").hidden`, &liveHidden),
	); err != nil {
		t.Fatalf("signing in without scripts: %v", err)
	}
	if !liveHidden {
		t.Error("the live refresh switch is shown: the page's script ran")
	}
	if err := chromedp.Run(ctx,
		chromedp.SetValue(`#advance-by`, "1m", chromedp.ByQuery),
		chromedp.Click(`#advance`, chromedp.ByQuery),
		chromedp.WaitVisible(`details.notify.state-delivered`, chromedp.ByQuery),
		chromedp.Text(`#status`, &status, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("advance without scripts: %v", err)
	}
	if !strings.Contains(status, "Done: Clock moved by 1m0s") || len(m.got()) == 0 {
		t.Errorf("after Advance the outcome line reads %q, the merchant got %d notifies", status, len(m.got()))
	}
	if err := chromedp.Run(ctx,
		chromedp.SetValue(`#code-7777777777`, "10001", chromedp.ByQuery),
		chromedp.Click(`#force-error-7777777777`, chromedp.ByQuery),
		chromedp.WaitVisible(`#payout-7777777777 .st-error`, chromedp.ByQuery),
		chromedp.Text(`#payout-7777777777-h`, &heading, chromedp.ByQuery),
		chromedp.Location(&location),
	); err != nil {
		t.Fatalf("force error without scripts: %v", err)
	}
	if !strings.Contains(heading, "error 10001") || !strings.HasSuffix(location, "/_mock/ui#payout-7777777777") {
		t.Errorf("after Force error the payout reads %q at %s", heading, location)
	}
	if p, _ := s.Payout(7777777777); p.Timeline[len(p.Timeline)-1].ErrorCode != 10001 {
		t.Errorf("the payout was not forced to error 10001: %+v", p.Timeline)
	}
}

// The view shows the newest 100 payouts under their merchants and counts
// every merchant's, without copying every payout (a scenario may hold
// 100 000, and the view refreshes every 2 s).
func TestDashboardNewestPayouts(t *testing.T) {
	var text strings.Builder
	for _, id := range []string{"1", "2"} {
		text.WriteString("[[merchants]]\nid = \"" + id + "\"\npayout_secret_key = \"k" + id + "\"\nbalance = 99999999\npost_link = \"http://127.0.0.1:9/hook\"\n")
	}
	for i := range 130 { // merchant 2's 30 last
		m := "1"
		if i >= 100 {
			m = "2"
		}
		text.WriteString("[[payouts]]\nmerchant_id = \"" + m + "\"\norder_id = \"o-" + strconv.Itoa(i) + "\"\namount = 1\ntimeline = [ { at = \"0s\", status = \"process\" } ]\n")
	}
	sc, err := scenario.Parse("130.toml", []byte(text.String()))
	if err != nil {
		t.Fatal(err)
	}
	s := mock.RunT(t, mock.Options{Scenario: sc, ClockMode: "manual", Addr: "127.0.0.1:0"})
	resp, err := http.Get(s.URL() + "/_mock/ui/view")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	for _, want := range []string{"Payouts: the newest 100 of 130", "Merchant 1 (30 more payout(s) not shown)", "Merchant 2</h3>", "o-129", "o-30"} {
		if !strings.Contains(page, want) {
			t.Errorf("the view lacks %q", want)
		}
	}
	for _, gone := range []string{">o-29<", ">o-0<"} {
		if strings.Contains(page, gone) {
			t.Errorf("the view shows %q, older than the newest 100", gone)
		}
	}
}
