package mock_test

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// TestStateLogReplays makes changes of every kind after the last whole save
// (payouts made, notifies delivered, failed and due again, a status forced,
// requests journalled, the clock moved), crashes the sandbox so that only
// the log holds them, and checks that a sandbox started on the directory
// holds exactly the state the crashed one had.
func TestStateLogReplays(t *testing.T) {
	m, failing := flakyMerchant(t)
	sc := twoMerchants(t, m.URL, "")
	create := creator(t, m)
	dir := t.TempDir()
	s1 := startState(t, sc, dir)
	a1 := create(s1, "A-1")
	if _, err := s1.Advance(time.Hour); err != nil {
		t.Fatal(err)
	}
	failing.Store(true)
	create(s1, "A-2")
	if _, err := s1.Advance(30 * time.Second); err != nil { // A-2 fails once; its retry is due
		t.Fatal(err)
	}
	create(s1, "A-3")
	ctl(t, s1, "", "POST", "/_mock/payouts/"+a1+"/status", `{"status":"error","error_code":10000}`, 200, nil)
	send(t, s1, "9970", "wrong", "/g2g/payout_status2", "pg_order_id", "A-1")
	// What is due now is reached now, as a resumed sandbox does at once.
	if _, err := s1.Advance(0); err != nil {
		t.Fatal(err)
	}
	want, err := mock.StateJSON(s1)
	if err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile(filepath.Join(dir, mock.LogFile))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(log, []byte("\n")); n < 5 {
		t.Fatalf("the log has %d lines: the changes were not saved as records", n)
	}
	s2 := crashAndResume(t, s1, sc, dir, want, "statelog")
	failing.Store(false)
	if _, err := s2.Advance(time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := len(mock.LedgerPayouts(s2, "")); n == 0 {
		t.Fatal("no payouts after the restart")
	}
}

// TestStateLogTornTail: a record cut short by a crash mid-append is dropped
// with a warning naming it, and the sandbox resumes what the records before
// it hold; a damaged record before the last stops start-up.
func TestStateLogTornTail(t *testing.T) {
	m := newMerchant(t, "secret-a", ackOK)
	sc := twoMerchants(t, m.URL, "")
	dir := t.TempDir()
	s1 := startState(t, sc, dir)
	create := creator(t, m)
	create(s1, "T-1")
	mock.Crash(s1)
	path := filepath.Join(dir, mock.LogFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	torn := append(bytes.Clone(good), `1234abcd {"seq":99,"payouts":[{"MerchantID":"9970","OrderID":"T-2"`...)
	if err := os.WriteFile(path, torn, 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	s2, err := mock.Run(mock.Options{Scenario: sc, StateDir: dir, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("a torn last record stops start-up: %v", err)
	}
	if _, ok := mock.PayoutByOrder(s2, "9970", "T-1"); !ok {
		t.Error("T-1, in the record before the torn one, is gone")
	}
	if _, ok := mock.PayoutByOrder(s2, "9970", "T-2"); ok {
		t.Error("T-2, in the torn record, was resumed")
	}
	create(s2, "T-3")
	create(s2, "T-4")
	mock.Crash(s2)
	if !strings.Contains(logs.String(), "cut short") || !strings.Contains(logs.String(), "record=\"record ") {
		t.Errorf("no warning naming the torn record:\n%s", logs.String())
	}

	// A damaged line with a good one after it is not a torn tail.
	good, err = os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(good, []byte("\n"))
	at := slices.IndexFunc(lines, func(l []byte) bool { return bytes.Contains(l, []byte(`"OrderID":"T-3"`)) })
	if at < 1 || at+2 >= len(lines) {
		t.Fatalf("the log is %q, want a record of T-3 with another after it", good)
	}
	lines[at] = bytes.Replace(lines[at], []byte("T-3"), []byte("T-9"), 1)
	if err := os.WriteFile(path, bytes.Join(lines, nil), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = mock.New(mock.Options{Scenario: sc, StateDir: dir})
	var se *mock.StateError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("a damaged record before the last: %v, want a StateError naming the checksum", err)
	}
}

// TestStateLogRecordsAreChecked: a record that frames well but holds what
// no sandbox saves (a negative amount) stops start-up like a bad state.json,
// the problem naming both files.
func TestStateLogRecordsAreChecked(t *testing.T) {
	m := newMerchant(t, "secret-a", ackOK)
	sc := twoMerchants(t, m.URL, "")
	dir := t.TempDir()
	s1 := startState(t, sc, dir)
	creator(t, m)(s1, "C-1")
	mock.Crash(s1)
	path := filepath.Join(dir, mock.LogFile)
	log, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(log, []byte("\n"))
	at := slices.IndexFunc(lines, func(l []byte) bool { return bytes.Contains(l, []byte(`"OrderID":"C-1"`)) })
	if at < 1 {
		t.Fatalf("no record of C-1 in %q", log)
	}
	data := bytes.Replace(bytes.TrimSuffix(lines[at][9:], []byte("\n")), []byte(`"Amount":1000`), []byte(`"Amount":-1000`), 1)
	lines[at] = fmt.Appendf(nil, "%08x %s\n", crc32.ChecksumIEEE(data), data)
	if err := os.WriteFile(path, bytes.Join(lines, nil), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = mock.New(mock.Options{Scenario: sc, StateDir: dir})
	if err == nil || !strings.Contains(err.Error(), "is negative") || !strings.Contains(err.Error(), "records of state.log replayed") {
		t.Fatalf("a record with a negative amount: %v, want start-up refused naming the log", err)
	}
}

// TestStateLogUnderLoad makes payouts, requests that are only journalled
// and clock moves side by side while the log is compacted over and over,
// then crashes the sandbox: the state on disk must start again, and hold
// what the crashed sandbox held — no entry saved twice, none lost.
func TestStateLogUnderLoad(t *testing.T) {
	m := newMerchant(t, "secret-a", ackOK)
	sc := twoMerchants(t, m.URL, "")
	dir := t.TempDir()
	s1, err := mock.Run(mock.Options{Scenario: sc, StateDir: dir, StateInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	mock.CompactAt(s1, 1) // at every save past the size of state.json
	create := creator(t, m)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				create(s1, fmt.Sprintf("U-%d-%d", g, i))
			}
		}()
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 80 { // journalled, outside the gate a save takes
				send(t, s1, "9970", "wrong", "/g2g/payout_status2", "pg_order_id", "U-0-0")
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 40 {
			if _, err := s1.Advance(time.Second); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	wg.Wait()
	if _, err := s1.Advance(0); err != nil {
		t.Fatal(err)
	}
	want, err := mock.StateJSON(s1)
	if err != nil {
		t.Fatal(err)
	}
	crashAndResume(t, s1, sc, dir, want, "statelog-load")
}

// crashAndResume crashes s (nothing more saved), starts a sandbox on its
// state directory and wants the state want back; on a difference both
// states are written to the temporary directory as name-want.json and
// name-got.json.
func crashAndResume(t *testing.T, s *mock.Server, sc *scenario.Scenario, dir string, want []byte, name string) *mock.Server {
	t.Helper()
	mock.Crash(s)
	s2 := startState(t, sc, dir)
	got, err := mock.StateJSON(s2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		w, g := filepath.Join(os.TempDir(), name+"-want.json"), filepath.Join(os.TempDir(), name+"-got.json")
		_ = os.WriteFile(w, want, 0o600)
		_ = os.WriteFile(g, got, 0o600)
		t.Errorf("the state after the crash differs from the one before (diff %s %s)", w, g)
	}
	return s2
}

// TestStateLogMustFollowItsState: start-up refuses a log it cannot trust to
// hold all that was confirmed — a log without its state.json, an empty
// log, a log naming another state.json whose records are newer than the
// one beside it, a record missing from the middle — instead of starting
// with less than was confirmed.
func TestStateLogMustFollowItsState(t *testing.T) {
	m := newMerchant(t, "secret-a", ackOK)
	sc := twoMerchants(t, m.URL, "")
	dir := t.TempDir()
	s1 := startState(t, sc, dir)
	create := creator(t, m)
	for _, order := range []string{"M-1", "M-2", "M-3"} {
		create(s1, order)
	}
	mock.Crash(s1)
	statePath, logPath := filepath.Join(dir, mock.StateFile), filepath.Join(dir, mock.LogFile)
	state, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(log, []byte("\n"))
	var records [][]byte
	for _, l := range lines[1:] {
		if len(l) > 0 {
			records = append(records, l)
		}
	}
	if len(records) < 3 {
		t.Fatalf("%d records, want 3 or more", len(records))
	}
	head := bytes.TrimSuffix(lines[0][9:], []byte("\n"))
	otherHead := bytes.Replace(head, []byte(`"base":"`), []byte(`"base":"0`), 1)
	otherHead = append(fmt.Appendf(nil, "%08x ", crc32.ChecksumIEEE(otherHead)), append(otherHead, '\n')...)
	for _, c := range []struct {
		name       string
		state, log []byte // nil: no such file
		want       string
	}{
		{"log without state.json", nil, log, "no state.json"},
		{"empty log", state, []byte{}, "it is empty"},
		{"newer log naming another state.json", state, append(bytes.Clone(otherHead), bytes.Join(records, nil)...), "not the log of this state.json"},
		{"a record missing", state, append(bytes.Clone(lines[0]), bytes.Join(append([][]byte{records[0]}, records[2:]...), nil)...), "a record is missing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for path, data := range map[string][]byte{statePath: c.state, logPath: c.log} {
				_ = os.Remove(path)
				if data != nil {
					if err := os.WriteFile(path, data, 0o600); err != nil {
						t.Fatal(err)
					}
				}
			}
			_, err := mock.New(mock.Options{Scenario: sc, StateDir: dir})
			var se *mock.StateError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("start-up: %v, want a StateError saying %q", err, c.want)
			}
		})
	}
}
