package mock_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/control"
	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// openAwaits starts an await for each query and returns, once all are
// open, the channel their HTTP statuses arrive on and a cancel.
func openAwaits(tb testing.TB, s *mock.Server, queries []string) (<-chan int, context.CancelFunc) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan int, len(queries))
	before := mock.Sandbox(s).AwaitStats()
	for _, q := range queries {
		go func() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/_mock/await?"+q, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				out <- 0
				return
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 && testing.Verbose() {
				tb.Logf("await %s: %s", q, data)
			}
			out <- resp.StatusCode
		}()
	}
	// Each await takes one look when it opens.
	for st := mock.Sandbox(s).AwaitStats(); st.Open < before.Open+len(queries) || st.Checks < before.Checks+int64(len(queries)); st = mock.Sandbox(s).AwaitStats() {
		runtime.Gosched() // the awaits are being opened; nothing to wait on but them
	}
	return out, cancel
}

// A change costs only the awaits it concerns. 1 000 open awaits, 500 on
// notifies of 500 orders and 500 counting requests for 500 other orders:
// 1 000 requests, one per order, wake none of them (a count is short of
// its min, a request makes no notify); the second request for each of the
// other orders wakes its request await once; and the 500 deliveries of
// one Advance are read for all notify awaits at once, each await then
// looking once, not at every delivery.
func TestAwaitWakesOnlyTheAwaitsAChangeConcerns(t *testing.T) {
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("<pg_status>ok</pg_status>"))
	}))
	defer recv.Close()
	s := mock.RunT(t, mock.Options{Scenario: manyPayouts(500, recv.URL+"/hooks/post"), Clock: clock.NewManual(t0), MaxAwaits: 1000})
	var qs []string
	for i := range 500 {
		qs = append(qs, fmt.Sprintf("order_id=%d&state=delivered&timeout=10m", i))
		qs = append(qs, fmt.Sprintf("path=/g2g/payout_status2&order_id=%d&min=2&timeout=10m", 500+i))
	}
	done, cancel := openAwaits(t, s, qs)
	defer cancel()
	start := mock.Sandbox(s).AwaitStats()
	for i := range 1000 {
		send(t, s, "1", "k", "/g2g/payout_status2", "pg_order_id", strconv.Itoa(i))
	}
	st := mock.Sandbox(s).AwaitStats()
	if looks := st.Checks - start.Checks; looks != 0 {
		t.Errorf("1 000 requests took %d looks by 1 000 awaits, want 0", looks)
	}
	if st.Open != 1000 {
		t.Fatalf("%d awaits open, want 1000 (none holds yet)", st.Open)
	}
	for i := 500; i < 1000; i++ {
		send(t, s, "1", "k", "/g2g/payout_status2", "pg_order_id", strconv.Itoa(i))
	}
	for range 500 {
		if code := <-done; code != http.StatusOK {
			t.Fatalf("a request await answered HTTP %d, want 200", code)
		}
	}
	mid := mock.Sandbox(s).AwaitStats()
	// A look to count, a look for the verdict: 2 per request await.
	if looks := mid.Checks - st.Checks; looks > 2*500 {
		t.Errorf("500 request awaits brought to min took %d looks, want at most 1 000", looks)
	}
	if _, err := s.Advance(0); err != nil {
		t.Fatal(err)
	}
	for range 500 {
		if code := <-done; code != http.StatusOK {
			t.Fatalf("a notify await answered HTTP %d, want 200", code)
		}
	}
	end := mock.Sandbox(s).AwaitStats()
	// Each notify await is woken when its notify holds and looks once;
	// one woken again before it left may look once more.
	if looks := end.Checks - mid.Checks; looks > 2*500 {
		t.Errorf("500 deliveries took %d looks by 500 notify awaits, want at most 1 000", looks)
	}
	t.Logf("500 deliveries: %d reads of the history for all notify awaits, %d looks", end.Evaluations-mid.Evaluations, end.Checks-mid.Checks)
}

// Beyond --max-awaits, an await is a 503 with Retry-After and a code.
func TestAwaitsAreCapped(t *testing.T) {
	s := mock.RunT(t, mock.Options{ClockMode: "manual", MaxAwaits: 2})
	done, cancel := openAwaits(t, s, []string{"order_id=1&state=delivered&timeout=1m", "path=/g2g/reg2reg&timeout=1m"})
	resp, err := http.Get(s.URL() + "/_mock/await?order_id=2&status=success&timeout=1m")
	if err != nil {
		t.Fatal(err)
	}
	var e control.ErrorReply
	_ = json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || e.Code != control.CodeTooManyAwaits || !strings.Contains(e.Error, "--max-awaits") {
		t.Errorf("a third await: HTTP %d, Retry-After %q, %+v; want 503 with Retry-After and code %s", resp.StatusCode, resp.Header.Get("Retry-After"), e, control.CodeTooManyAwaits)
	}
	cancel()
	<-done
	<-done
	for mock.Sandbox(s).AwaitStats().Open > 0 {
		runtime.Gosched() // the handlers see their clients go
	}
	ctl(t, s, "", "GET", "/_mock/await?order_id=2&status=success&timeout=1ms", "", http.StatusRequestTimeout, nil)
}

// Every list comes a page at a time: the default page is the newest 100,
// oldest first, and next_cursor walks back to the oldest; order=oldest and
// order=newest walk the other ways. Every item is listed once.
func TestListsComeInPages(t *testing.T) {
	s := mock.RunT(t, mock.Options{Scenario: manyPayouts(250, ""), Clock: clock.NewManual(t0)})
	if _, err := s.Advance(0); err != nil {
		t.Fatal(err)
	}
	for i := range 250 {
		send(t, s, "1", "k", "/g2g/payout_status2", "pg_order_id", strconv.Itoa(i))
	}
	type list struct {
		Entries       []journal.Entry       `json:"entries"`
		Notifications []notify.Notification `json:"notifications"`
		Payouts       []struct {
			PaymentID int64 `json:"payment_id"`
		} `json:"payouts"`
		Matched    int    `json:"matched"`
		NextCursor string `json:"next_cursor"`
	}
	keys := func(l list) []int64 {
		var out []int64
		for _, e := range l.Entries {
			out = append(out, e.Seq)
		}
		for _, n := range l.Notifications {
			out = append(out, int64(n.ID))
		}
		for _, p := range l.Payouts {
			out = append(out, p.PaymentID)
		}
		return out
	}
	for _, route := range []string{"/_mock/requests", "/_mock/notifications", "/_mock/payouts"} {
		var all []int64 // oldest first
		for _, order := range []string{"", "oldest", "newest"} {
			q := route + "?limit=30"
			if order != "" {
				q += "&order=" + order
			}
			var got []int64
			var first list
			for cursor, pages := "", 0; ; pages++ {
				var l list
				ctl(t, s, "", "GET", q+cursor, "", 200, &l)
				if pages == 0 {
					first = l
				}
				k := keys(l)
				if len(k) > 30 || l.Matched != 250 {
					t.Fatalf("GET %s%s: %d items of %d matched, want at most 30 of 250", q, cursor, len(k), l.Matched)
				}
				switch order {
				case "": // pages of oldest-first items, newest page first
					got = append(k, got...)
				case "newest":
					for _, key := range k {
						got = append([]int64{key}, got...)
					}
				default:
					got = append(got, k...)
				}
				if l.NextCursor == "" {
					break
				}
				cursor = "&cursor=" + l.NextCursor
				if pages > 20 {
					t.Fatalf("GET %s: next_cursor never ends", q)
				}
			}
			if len(got) != 250 {
				t.Fatalf("GET %s page by page: %d items, want 250", q, len(got))
			}
			if all == nil {
				all = got
			} else if fmt.Sprint(got) != fmt.Sprint(all) {
				t.Errorf("GET %s page by page lists another set or order than without order=", q)
			}
			if fk := keys(first); order == "" && fk[len(fk)-1] != all[249] || order == "newest" && fk[0] != all[249] || order == "oldest" && fk[0] != all[0] {
				t.Errorf("GET %s: the first page starts with %d, the newest is %d and the oldest %d", q, fk[0], all[249], all[0])
			}
		}
		var def list
		ctl(t, s, "", "GET", route, "", 200, &def)
		if n := len(keys(def)); n != sandbox.DefaultPage || def.NextCursor == "" {
			t.Errorf("GET %s: %d items and next_cursor %q, want the default page of %d and a cursor", route, n, def.NextCursor, sandbox.DefaultPage)
		}
		for _, bad := range []string{"limit=0", "limit=1001", "limit=x", "order=up", "cursor=x", "cursor=a12", "order=oldest&cursor=b12", "cursor=b-1"} {
			var e control.ErrorReply
			ctl(t, s, "", "GET", route+"?"+bad, "", 400, &e)
			if e.Code == "" {
				t.Errorf("GET %s?%s: no code in %+v", route, bad, e)
			}
		}
	}
}

// A page opened from another site cannot drive the control API; the
// sandbox's own page and programs can, and bodies must say their type.
func TestCrossOriginBrowsersAreRefused(t *testing.T) {
	s := mock.RunT(t, mock.Options{ClockMode: "manual"})
	host := strings.TrimPrefix(s.URL(), "http://")
	do := func(method, path, body string, headers ...string) (int, control.ErrorReply) {
		t.Helper()
		req, _ := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
		for i := 0; i < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e control.ErrorReply
		data, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(data, &e)
		return resp.StatusCode, e
	}
	toml := "name = \"small\"\n[[merchants]]\nid = 1\npayout_secret_key = \"k\"\n"
	for _, tc := range []struct {
		name, method, path, body string
		headers                  []string
		status                   int
		code                     string
	}{
		{"scenario from another site", "POST", "/_mock/scenario", toml, []string{"Origin", "http://evil.example", "Content-Type", "text/plain"}, 403, control.CodeCrossOrigin},
		{"clock from another site", "POST", "/_mock/clock/advance?by=1h", "", []string{"Origin", "http://evil.example"}, 403, control.CodeCrossOrigin},
		{"same host, other port", "POST", "/_mock/clock/advance?by=1h", "", []string{"Origin", "http://localhost:1"}, 403, control.CodeCrossOrigin},
		{"an opaque origin", "POST", "/_mock/reset", "", []string{"Origin", "null"}, 403, control.CodeCrossOrigin},
		{"a cross-site fetch", "GET", "/_mock/payouts", "", []string{"Sec-Fetch-Site", "cross-site"}, 403, control.CodeCrossOrigin},
		{"a cross-site await", "GET", "/_mock/await?order_id=1&state=delivered&timeout=1ms", "", []string{"Sec-Fetch-Site", "cross-site"}, 403, control.CodeCrossOrigin},
		{"scenario as text/plain", "PUT", "/_mock/scenario", toml, []string{"Content-Type", "text/plain"}, 415, control.CodeMediaType},
		{"scenario as a form (curl --data-binary)", "PUT", "/_mock/scenario", toml, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, control.CodeMediaType},
		{"advance as a form", "POST", "/_mock/clock/advance", `{"by":"1m"}`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, control.CodeMediaType},
		{"force as text/plain", "POST", "/_mock/payouts/7777777777/status", `{"status":"success"}`, []string{"Content-Type", "text/plain;charset=UTF-8"}, 415, control.CodeMediaType},
		{"scenario as application/toml, same origin", "PUT", "/_mock/scenario", toml, []string{"Content-Type", "application/toml", "Origin", "http://" + host, "Sec-Fetch-Site", "same-origin"}, 200, ""},
		{"scenario as text/x-toml", "PUT", "/_mock/scenario", toml, []string{"Content-Type", "text/x-toml"}, 200, ""},
		{"scenario with no type, from a program", "PUT", "/_mock/scenario", toml, nil, 200, ""},
		{"advance as JSON", "POST", "/_mock/clock/advance", `{"by":"1m"}`, []string{"Content-Type", "application/json; charset=utf-8"}, 200, ""},
		{"same-site read", "GET", "/_mock/clock", "", []string{"Sec-Fetch-Site", "same-site"}, 200, ""},
		{"address bar", "GET", "/_mock/clock", "", []string{"Sec-Fetch-Site", "none"}, 200, ""},
		{"the dashboard's page from a link", "GET", "/_mock/ui", "", []string{"Sec-Fetch-Site", "cross-site"}, 200, ""},
	} {
		sc, now := s.Scenario(), s.Clock().Now()
		status, e := do(tc.method, tc.path, tc.body, tc.headers...)
		if status != tc.status || e.Code != tc.code {
			t.Errorf("%s: HTTP %d %+v, want %d with code %q", tc.name, status, e, tc.status, tc.code)
		}
		if status >= 400 && (s.Scenario() != sc || !s.Clock().Now().Equal(now)) {
			t.Errorf("%s: refused, but the scenario or the clock changed", tc.name)
		}
	}
}

// manySteps is a scenario of n payouts whose success falls due one second
// apart, with nowhere to call back: a drain of n moves.
func manySteps(n int) *scenario.Scenario {
	sc := manyPayouts(n, "")
	for i := range sc.Payouts {
		sc.Payouts[i].Timeline = []scenario.Step{{Status: scenario.StatusProcess}, {At: scenario.Duration{Duration: time.Duration(i+1) * time.Second}, Status: scenario.StatusSuccess}}
	}
	return sc
}

// A drain takes the lock one move at a time: advancing the clock, or a
// reset, is served while a long drain runs, not after it.
func TestDrainLetsOthersIn(t *testing.T) {
	const n = 3000
	s := mock.RunT(t, mock.Options{Scenario: manySteps(n), Clock: clock.NewManual(t0)})
	drained := make(chan error, 1)
	go func() { _, err := s.Drain(); drained <- err }()
	for !s.Clock().Now().After(t0) {
		runtime.Gosched() // the drain's first moves
	}
	if _, err := s.Advance(0); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-drained:
		t.Fatalf("Advance was served only after the drain of %d moves ended (%v)", n, err)
	default:
	}
	if err := <-drained; err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(n * time.Second); !s.Clock().Now().Equal(want) {
		t.Errorf("after the drain the clock reads %s, want %s", s.Clock().Now(), want)
	}
}

// Close ends a drain at its next move.
func TestDrainStopsWhenCloseBegins(t *testing.T) {
	s, err := mock.Run(mock.Options{Scenario: manySteps(20_000), Clock: clock.NewManual(t0)})
	if err != nil {
		t.Fatal(err)
	}
	drained := make(chan error, 1)
	go func() { _, err := s.Drain(); drained <- err }()
	for !s.Clock().Now().After(t0) {
		runtime.Gosched()
	}
	_ = s.Close()
	if err := <-drained; !errors.Is(err, sandbox.ErrStopping) {
		t.Errorf("a drain during Close ended with %v, want ErrStopping", err)
	}
	if s.Clock().Now().Equal(t0.Add(20_000 * time.Second)) {
		t.Errorf("the drain ran to its end during Close")
	}
}

// The dashboard's view stays small whatever the run holds: 10 000 payouts
// and notifies show as the newest 100 of each, with the count.
func TestDashboardViewIsBounded(t *testing.T) {
	s := mock.RunT(t, mock.Options{Scenario: manyPayouts(10_000, ""), Clock: clock.NewManual(t0)})
	if _, err := s.Advance(0); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(s.URL() + "/_mock/ui/view")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(body) > 1<<20 {
		t.Fatalf("view: HTTP %d, %d bytes; want 200 and at most 1 MiB", resp.StatusCode, len(body))
	}
	t.Logf("view of 10 000 payouts and notifies: %d bytes", len(body))
	for _, want := range []string{"the newest 100 of 10000", "Notifies, the newest 100 of 10000", "(9900 more payout(s) not shown)"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("view does not say %q", want)
		}
	}
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAwaits: 1 000 gateway requests with 0 or 1 000 awaits open:
// 500 counting every request to the path (min never reached) and 500 on
// a notify of the order each request names (woken, never holding). It
// reports the process's CPU time per 1 000 requests and the looks taken.
func BenchmarkAwaits(b *testing.B) {
	for _, open := range []int{0, 1000} {
		b.Run(fmt.Sprintf("open=%d", open), func(b *testing.B) {
			s := mock.RunT(b, mock.Options{Scenario: manyPayouts(500, ""), Clock: clock.NewManual(t0), MaxAwaits: 1000})
			var qs []string
			for i := range open / 2 {
				qs = append(qs, "path=/g2g/payout_status2&min=1000000000&timeout=10m")
				qs = append(qs, fmt.Sprintf("order_id=%d&state=failed&timeout=10m", i))
			}
			done, cancel := openAwaits(b, s, qs)
			start, looks := cpuTime(), mock.Sandbox(s).AwaitStats().Checks
			var wg sync.WaitGroup
			for b.Loop() {
				for c := range 4 { // 4 clients, 250 requests each
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := c; i < 1000; i += 4 {
							send(b, s, "1", "k", "/g2g/payout_status2", "pg_order_id", strconv.Itoa(i%500))
						}
					}()
				}
				wg.Wait()
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/1000req")
			b.ReportMetric(float64(mock.Sandbox(s).AwaitStats().Checks-looks)/float64(b.N), "looks/1000req")
			cancel()
			for range qs {
				<-done
			}
		})
	}
}

// BenchmarkAwaitsDeliveries: one Advance delivering 1 000 notifies to a
// local receiver with 0 or 1 000 notify awaits open (on "failed", so they
// stay open). It reports the process's CPU time per Advance and the reads
// of the notifications and looks the awaits took.
func BenchmarkAwaitsDeliveries(b *testing.B) {
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("<pg_status>ok</pg_status>"))
	}))
	defer recv.Close()
	sc := manyPayouts(1000, recv.URL+"/hooks/post")
	for _, open := range []int{0, 1000} {
		b.Run(fmt.Sprintf("open=%d", open), func(b *testing.B) {
			var cpu time.Duration
			var reads, looks int64
			for b.Loop() {
				b.StopTimer()
				s := mock.RunT(b, mock.Options{Scenario: sc, Clock: clock.NewManual(t0), MaxAwaits: 1000})
				var qs []string
				for i := range open {
					qs = append(qs, fmt.Sprintf("order_id=%d&state=failed&timeout=10m", i))
				}
				done, cancel := openAwaits(b, s, qs)
				st := mock.Sandbox(s).AwaitStats()
				start := cpuTime()
				b.StartTimer()
				if a, err := attempted(s.Advance(0)); err != nil || len(a) != 1000 {
					b.Fatalf("%d attempts, %v", len(a), err)
				}
				b.StopTimer()
				cpu += cpuTime() - start
				end := mock.Sandbox(s).AwaitStats()
				reads, looks = reads+end.Evaluations-st.Evaluations, looks+end.Checks-st.Checks
				cancel()
				for range qs {
					<-done
				}
				_ = s.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/advance")
			b.ReportMetric(float64(reads)/float64(b.N), "reads/advance")
			b.ReportMetric(float64(looks)/float64(b.N), "looks/advance")
		})
	}
}

// A page of /_mock/requests ends at about sandbox.MaxPageBytes of entries
// (one at least), its next_cursor leading on: 400 requests of 64 fields,
// 62 of them 256 bytes (about 6.6 MB in the journal), come in more than
// one page even with limit=1000, each under 5 MB, every entry once.
func TestRequestPagesBoundedInBytes(t *testing.T) {
	s := mock.RunT(t, mock.Options{Scenario: scenario.Default()})
	big := strings.Repeat("a", 256)
	kv := []string{}
	for i := range 62 {
		kv = append(kv, fmt.Sprintf("x%02d", i), big)
	}
	for i := range 400 {
		send(t, s, "9970", payoutSecret, "/g2g/payout_status2", append([]string{"pg_order_id", strconv.Itoa(i)}, kv...)...)
	}
	pages, seen := walkPages(t, s.URL()+"/_mock/requests?limit=1000&merchant_id=9970", "entries", "seq")
	if pages < 2 || len(seen) != 400 {
		t.Errorf("%d pages, %d entries: want 400 entries in more than one page", pages, len(seen))
	}
}

// A page of /_mock/payments ends at about sandbox.MaxPageBytes too:
// payments whose texts are as long as init_payment takes weigh about 4.5 KB
// each as JSON, so 1000 of them would be one page of 4.5 MB.
func TestPaymentPagesBoundedInBytes(t *testing.T) {
	_, _, base := payServer(t)
	sh := newShop(t)
	url := sh.srv.URL + "/" + strings.Repeat("u", 255-len(sh.srv.URL)-1)
	desc := strings.Repeat("ж", 1024) // 2 bytes each
	const n = 1000
	for i := range n {
		initPayment(t, base, sh, "pg_order_id", "ORD-"+strconv.Itoa(i), "pg_description", desc,
			"pg_result_url", url, "pg_check_url", url, "pg_success_url", url, "pg_failure_url", url)
	}
	pages, seen := walkPages(t, base+"/_mock/payments?limit=1000&merchant_id=9970", "payments", "payment_id")
	if pages < 2 || len(seen) != n {
		t.Errorf("%d pages, %d payments: want %d payments in more than one page", pages, len(seen), n)
	}
}

// A page of a list copies the items it shows, not every item the sandbox
// keeps: over 20 000 payouts a page of 100 allocated 35.6 MB when every
// payout was copied first, 0.8 MB now (the list of those that match).
func TestListCopiesOnlyItsPage(t *testing.T) {
	const n = 20_000
	var text strings.Builder
	text.WriteString("[[merchants]]\nid = 1\npayout_secret_key = \"k\"\nbalance = 99999999\npost_link = \"http://127.0.0.1:9/hook\"\n")
	for i := range n {
		fmt.Fprintf(&text, "[[payouts]]\nmerchant_id = 1\norder_id = \"%d\"\namount = 1\ntimeline = [ { at = \"0s\", status = \"process\" }, { at = \"1h\", status = \"success\" } ]\n", i)
	}
	sc, err := scenario.Parse("20k.toml", []byte(text.String()))
	if err != nil {
		t.Fatal(err)
	}
	s, err := mock.New(mock.Options{Scenario: sc, Clock: clock.NewManual(t0)})
	if err != nil {
		t.Fatal(err)
	}
	q := sandbox.PayoutQuery{MerchantID: "1", Status: "process", Page: sandbox.Page{Limit: 100}}
	if _, err := s.Payouts(q); err != nil { // warm
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	l, err := s.Payouts(q)
	runtime.ReadMemStats(&after)
	if err != nil || len(l.Payouts) != 100 || l.Matched != n {
		t.Fatalf("%d payouts shown, %d matched, %v", len(l.Payouts), l.Matched, err)
	}
	if b := after.TotalAlloc - before.TotalAlloc; b > 2<<20 {
		t.Errorf("a page of 100 of %d payouts allocated %d bytes: want under 2 MiB", n, b)
	} else {
		t.Logf("a page of 100 of %d payouts allocated %d bytes", n, b)
	}
}

// walkPages follows a list's next_cursor from url to its last page: every
// page within about sandbox.MaxPageBytes and holding one item at least,
// no item (named by its id field) listed twice. It returns the pages and
// the items' ids.
func walkPages(t *testing.T, url, items, id string) (int, map[int64]bool) {
	t.Helper()
	seen := map[int64]bool{}
	pages := 0
	for cursor := ""; ; {
		resp, err := http.Get(url + cursor)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var l map[string]json.RawMessage
		var list []map[string]any
		var next string
		if err := json.Unmarshal(body, &l); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(l[items], &list); err != nil {
			t.Fatal(err)
		}
		if c, ok := l["next_cursor"]; ok {
			_ = json.Unmarshal(c, &next)
		}
		if pages++; len(body) > sandbox.MaxPageBytes+1<<20 || len(list) == 0 {
			t.Fatalf("page %d: %d bytes, %d %s", pages, len(body), len(list), items)
		}
		t.Logf("page %d: %d bytes, %d %s", pages, len(body), len(list), items)
		for _, it := range list {
			k := int64(it[id].(float64))
			if seen[k] {
				t.Fatalf("%s %d listed twice", id, k)
			}
			seen[k] = true
		}
		if next == "" {
			return pages, seen
		}
		cursor = "&cursor=" + next
	}
}
