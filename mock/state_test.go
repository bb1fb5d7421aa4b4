package mock_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// startState starts a sandbox on sc that saves its state in dir.
func startState(t *testing.T, sc *scenario.Scenario, dir string) *mock.Server {
	t.Helper()
	s, err := mock.Run(mock.Options{Scenario: sc, StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// flakyMerchant acknowledges notifies signed with "secret-a", or answers
// 503 while the flag it returns is set.
func flakyMerchant(t *testing.T) (*merchant, *atomic.Bool) {
	failing := new(atomic.Bool)
	return newMerchant(t, "secret-a", func(w http.ResponseWriter, r *http.Request, f sign.Fields) {
		if failing.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		ackOK(w, r, f)
	}), failing
}

// creator returns a func that makes a payout of 10.00 of merchant 9970
// (twoMerchants, "secret-a") with an order id, calling back at m, and
// returns its payment id.
func creator(t *testing.T, m *merchant) func(s *mock.Server, order string) string {
	return func(s *mock.Server, order string) string {
		t.Helper()
		r := send(t, s, "9970", "secret-a", "/g2g/p2p2nonreg", "pg_order_id", order, "pg_amount", "10", "pg_description", "d",
			"pg_payment_to", "4405645000006150", "pg_post_link", m.URL+"/a/post")
		if r.get("pg_status") != "ok" {
			t.Fatalf("create %s: %s", order, r.body)
		}
		return r.get("pg_payment_id")
	}
}

// TestStateSurvivesRestart stops a sandbox mid-schedule, with a notify
// waiting for its retry, a payout not yet final and a merchant's scenario
// replaced, and checks that a sandbox started on the same state directory
// goes on as one that never stopped would.
func TestStateSurvivesRestart(t *testing.T) {
	m, failing := flakyMerchant(t)
	sc := twoMerchants(t, m.URL, "")
	create := creator(t, m)
	// up to the restart, the same for both sandboxes
	before := func(s *mock.Server) {
		t.Helper()
		create(s, "A-1")
		if _, err := s.Advance(time.Hour); err != nil { // scenario payouts and A-1 delivered
			t.Fatal(err)
		}
		failing.Store(true)
		create(s, "A-2")
		if _, err := s.Advance(30 * time.Second); err != nil { // A-2 fails once; its retry is due in 1m
			t.Fatal(err)
		}
		create(s, "A-3") // not final yet
		ctl(t, s, "", "PUT", "/_mock/scenario?merchant_id=9971", `
[[merchants]]
id = 9971
payout_secret_key = "secret-c"
balance = 7
`, 200, nil)
		send(t, s, "9970", "wrong", "/g2g/payout_status2", "pg_order_id", "A-1")
	}

	// A sandbox that never stops.
	failing.Store(false)
	ref := mock.RunT(t, mock.Options{Scenario: sc})
	before(ref)
	failing.Store(false)
	if _, err := ref.Advance(time.Hour); err != nil {
		t.Fatal(err)
	}
	refNext := create(ref, "A-4")
	refSalt := send(t, ref, "9970", "secret-a", "/g2g/payout_status2", "pg_order_id", "A-1").get("pg_salt")

	// One that stops halfway and starts again on its saved state.
	failing.Store(false)
	m.mu.Lock()
	m.received = nil
	m.mu.Unlock()
	dir := t.TempDir()
	s1 := startState(t, sc, dir)
	before(s1)
	now, payouts := s1.Clock().Now(), asJSON(t, mock.LedgerPayouts(s1, ""))
	history, _ := mock.History(s1, "")
	requests := mock.Journal(s1, journal.Filter{})
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}

	s2 := startState(t, sc, dir)
	if !s2.Clock().Now().Equal(now) {
		t.Errorf("clock after restart %s, want %s", s2.Clock().Now(), now)
	}
	if got := asJSON(t, mock.LedgerPayouts(s2, "")); got != payouts {
		t.Errorf("payouts after restart:\n%s\nwant\n%s", got, payouts)
	}
	if got, _ := mock.History(s2, ""); asJSON(t, got) != asJSON(t, history) {
		t.Errorf("notifications after restart:\n%s\nwant\n%s", asJSON(t, got), asJSON(t, history))
	}
	if got := mock.Journal(s2, journal.Filter{}); asJSON(t, got) != asJSON(t, requests) {
		t.Errorf("journal after restart: %d entries, want %d", len(got.Entries), len(requests.Entries))
	}
	failing.Store(false)
	if _, err := s2.Advance(time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, n := range mock.AllNotifications(s2) {
		if n.State != notify.StateDelivered {
			t.Errorf("notify of %s is %s after the restart: %+v", n.OrderID, n.State, n.Attempts)
		}
	}
	perOrder := map[string]int{}
	for _, f := range m.got() {
		perOrder[f.Value("pg_order_id")]++
	}
	// the failed attempt before the restart and its retry after; the
	// rest once each.
	want := map[string]int{"12345": 1, "B-1": 1, "A-1": 1, "A-2": 2, "A-3": 1}
	if asJSON(t, perOrder) != asJSON(t, want) {
		t.Errorf("merchant got notifies per order %v, want %v", perOrder, want)
	}
	if got := create(s2, "A-4"); got != refNext {
		t.Errorf("payment id after restart %s; a sandbox that never stopped gives %s", got, refNext)
	}
	if got := send(t, s2, "9970", "secret-a", "/g2g/payout_status2", "pg_order_id", "A-1").get("pg_salt"); got != refSalt || got == "" {
		t.Errorf("reply's pg_salt after restart %q; a sandbox that never stopped gives %q", got, refSalt)
	}
	if r := send(t, s2, "9971", "secret-c", "/g2g/balance_status", "pg_currency", "KZT"); r.get("pg_balance") != "7.00" {
		t.Errorf("merchant 9971's replaced scenario did not survive: %s", r.body)
	}
}

func TestStateRefusesDamagedOrForeignFiles(t *testing.T) {
	m := newMerchant(t, "secret-a", ackOK)
	sc := twoMerchants(t, m.URL, "")
	dir := t.TempDir()
	s := startState(t, sc, dir)
	if r := send(t, s, "9970", "secret-a", "/g2g/p2p2nonreg", "pg_order_id", "A-1", "pg_amount", "10", "pg_description", "d",
		"pg_payment_to", "4405645000006150", "pg_post_link", m.URL); r.get("pg_status") != "ok" {
		t.Fatalf("create: %s", r.body)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, mock.StateFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	other, err := scenario.Parse("other.toml", append([]byte("# edited\n"), sc.Source...))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		data string
		sc   *scenario.Scenario
		want string
	}{
		{"garbage", "not json at all", sc, "not valid JSON"},
		{"cut short", string(good[:len(good)/2]), sc, "not valid JSON"},
		{"another program's", `{"format":"something else","version":1}`, sc, "not a freedompay-mock state file"},
		{"a newer format", `{"format":"freedompay-mock state","version":99}`, sc, "format version 99"},
		{"another scenario's", string(good), other, "saved by a sandbox started with scenario two.toml"},
		{"a payout of no merchant", strings.Replace(string(good), `"MerchantID":"9970"`, `"MerchantID":"4242"`, 1), sc,
			`payouts[0].MerchantID: "4242" is not a merchant of the scenario`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(c.data), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := mock.New(mock.Options{Scenario: c.sc, StateDir: dir})
			var se *mock.StateError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "start afresh") {
				t.Fatalf("start-up error %v, want a StateError saying %q and how to start afresh", err, c.want)
			}
			if after, _ := os.ReadFile(path); string(after) != c.data {
				t.Error("the refused file was changed")
			}
		})
	}
	// The good file still resumes.
	if err := os.WriteFile(path, good, 0o600); err != nil {
		t.Fatal(err)
	}
	s = startState(t, sc, dir)
	if _, ok := mock.PayoutByOrder(s, "9970", "A-1"); !ok {
		t.Error("the payout made before the restart is gone")
	}
}

func TestStateDirectoryMustBeWritable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: every directory is writable")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	_, err := mock.New(mock.Options{StateDir: dir})
	if err == nil || !strings.Contains(err.Error(), "not saved") {
		t.Fatalf("start-up on a read-only directory: %v, want an error", err)
	}
}

var updateState = flag.Bool("update-state", false, "rewrite persist/testdata/state.json and state.log from the sandbox")

// goldenScenario is the sandbox whose files persist/testdata holds.
const goldenScenario = `
name = "golden"
seed = 7
[clock]
mode = "manual"
start = 2026-01-01T00:00:00Z
[[merchants]]
id = "9970"
payout_secret_key = "k"
balance = 1000
post_link = "http://127.0.0.1:9/hook"
[[merchants]]
id = "9971"
payout_secret_key = "k2"
balance = 50
[[payouts]]
merchant_id = "9970"
order_id = "1"
amount = 10
timeline = [ { at = "0s", status = "process" }, { at = "5s", status = "success" } ]
`

// TestStateFileBytes runs a fixed story on a sandbox with --state and
// compares state.json and state.log byte for byte with persist/testdata,
// the wall clock's readings set to one instant and the checksums made
// again: what a sandbox writes does not change unnoticed, and the files
// there are ones a sandbox wrote (persist's tests and fuzz targets read
// them). The first sandbox makes a payout, tries notifies that fail, is
// refused a request, has a merchant's scenario replaced and its clock
// moved, and stops: state.json holds it all. The second resumes it, makes
// a payout and is refused a request, each saved before the next, and
// crashes: the log holds those two changes.
func TestStateFileBytes(t *testing.T) {
	sc, err := scenario.Parse("golden.toml", []byte(goldenScenario))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	opts := mock.Options{Scenario: sc, StateDir: dir, CallbackAllow: "127.0.0.1/32", StateInterval: time.Hour}
	s, err := mock.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	serve := func(script, secret string, kv ...string) string {
		t.Helper()
		fields := signed(script, secret, kv...)
		r := httptest.NewRequest(http.MethodPost, "/g2g/"+script, strings.NewReader(wire.EncodeForm(fields)))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, r)
		if _, err := mock.StateJSON(s); err != nil { // saved before the next
			t.Fatal(err)
		}
		return w.Body.String()
	}
	create := func(order string) {
		t.Helper()
		if body := serve("p2p2nonreg", "k", "pg_merchant_id", "9970", "pg_order_id", order, "pg_amount", "1", "pg_description", "d",
			"pg_payment_to", "4405645000006150", "pg_post_link", "http://127.0.0.1:9/p"); !strings.Contains(body, "<pg_status>ok</pg_status>") {
			t.Fatal(body)
		}
	}
	if _, err := s.Advance(time.Second); err != nil {
		t.Fatal(err)
	}
	create("L-1")
	serve("payout_status2", "wrong", "pg_merchant_id", "9970", "pg_order_id", "L-1")
	if _, err := s.ReplaceScenario([]byte("[[merchants]]\nid = \"9971\"\npayout_secret_key = \"k3\"\nbalance = 7\n"), "9971"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Advance(time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = mock.New(opts); err != nil {
		t.Fatal(err)
	}
	create("L-2")
	serve("payout_status2", "wrong", "pg_merchant_id", "9970", "pg_order_id", "L-2")
	mock.Crash(s)
	state, log := goldenFiles(t, dir)
	for name, got := range map[string][]byte{mock.StateFile: state, mock.LogFile: log} {
		path := filepath.Join("persist", "testdata", name)
		if *updateState {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			out := filepath.Join(os.TempDir(), "golden-"+name)
			_ = os.WriteFile(out, got, 0o600)
			t.Errorf("%s differs from %s (diff %s %s; -update-state rewrites it)", name, path, path, out)
		}
	}
}

var (
	wallReadings = regexp.MustCompile(`"(saved_at|wall)":"[^"]*"`)
	timings      = regexp.MustCompile(`"(latency_ms|took_ms)":[-+.e0-9]+`)
)

// goldenFiles reads state.json and state.log from dir with the wall
// clock's readings set to one instant and the times measured to 1 ms, the log's base and checksums made
// again to match.
func goldenFiles(t *testing.T, dir string) (state, log []byte) {
	t.Helper()
	fixed := func(b []byte) []byte {
		b = wallReadings.ReplaceAll(b, []byte(`"$1":"2026-01-01T00:00:00Z"`))
		return timings.ReplaceAll(b, []byte(`"$1":1`))
	}
	state, err := os.ReadFile(filepath.Join(dir, mock.StateFile))
	if err != nil {
		t.Fatal(err)
	}
	state = fixed(state)
	raw, err := os.ReadFile(filepath.Join(dir, mock.LogFile))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(state)
	base := regexp.MustCompile(`"base":"[0-9a-f]*"`)
	for i, line := range bytes.SplitAfter(raw, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		data := fixed(bytes.TrimSuffix(line[9:], []byte("\n")))
		if i == 0 {
			data = base.ReplaceAll(data, []byte(`"base":"`+hex.EncodeToString(sum[:])+`"`))
		}
		log = fmt.Appendf(log, "%08x %s\n", crc32.ChecksumIEEE(data), data)
	}
	return state, log
}
