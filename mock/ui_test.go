package mock_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
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
	text := strings.ReplaceAll(string(scenario.Default().Source), "http://127.0.0.1:9000/freedompay/payout", m.URL+"/notify")
	sc, err := scenario.Parse("default.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{mu: make(chan struct{}, 1)}
	const token = "dashboard-s3cret"
	s := mock.RunT(t, mock.Options{Scenario: sc, ClockMode: "manual", AdminToken: token,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

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
	for _, e := range s.Requests(journal.Filter{}).Entries {
		if e.Path != "/g2g/payout_status2" {
			t.Errorf("the page made a gateway request: %s %s", e.Method, e.Path)
		}
	}
}

// The page itself loads without the admin token (it holds no data); its
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
	if code, body := get("/_mock/ui", ""); code != 200 || !strings.Contains(body, "app.js") {
		t.Errorf("the page without a token: %d", code)
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
