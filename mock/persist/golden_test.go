package persist

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// golden reads the files a sandbox wrote (mock's TestStateFileBytes keeps
// them in step): state.json, and the log of three saves after it.
func golden(t testing.TB) (state, log []byte) {
	t.Helper()
	state, err := os.ReadFile(filepath.Join("testdata", StateFile))
	if err != nil {
		t.Fatal(err)
	}
	log, err = os.ReadFile(filepath.Join("testdata", LogFile))
	if err != nil {
		t.Fatal(err)
	}
	return state, log
}

// goldenStart is how the sandbox that wrote the golden files was started.
func goldenStart(t testing.TB, state []byte) StartPrint {
	t.Helper()
	var st State
	if err := json.Unmarshal(state, &st); err != nil {
		t.Fatal(err)
	}
	return st.Start
}

// TestFormatRoundTrips: the files a sandbox wrote decode and encode again
// to the same bytes, so reading a state and writing it changes nothing.
func TestFormatRoundTrips(t *testing.T) {
	state, log := golden(t)
	probs := &problems{file: StateFile}
	st, err := decode(state, probs)
	if err != nil || st == nil || probs.err() != nil {
		t.Fatalf("decode: state %v, error %v, problems %v", st != nil, err, probs.err())
	}
	again, err := Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, state) {
		t.Errorf("state.json encodes again as\n%s\nwant\n%s", again, state)
	}
	recs, stale, torn, err := readLog(bytes.NewReader(log), state)
	if err != nil || stale || torn != "" || len(recs) != 3 {
		t.Fatalf("readLog: %d records, stale %v, torn %q, error %v; want 3 records", len(recs), stale, torn, err)
	}
	framed, err := logLine(logHeader{Format: logFormat, Version: logVersion, Base: baseOf(state)})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		line, err := logLine(rec)
		if err != nil {
			t.Fatal(err)
		}
		framed = append(framed, line...)
	}
	if !bytes.Equal(framed, log) {
		t.Errorf("state.log frames again as\n%s\nwant\n%s", framed, log)
	}
}

// TestLoadReplaysTheLog: Load gives state.json with the log's records over
// it (the payout and the refused requests made after it), and refuses it
// to a sandbox started otherwise.
func TestLoadReplaysTheLog(t *testing.T) {
	state, log := golden(t)
	dir := t.TempDir()
	for name, data := range map[string][]byte{StateFile: state, LogFile: log} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	start := goldenStart(t, state)
	st, sc, err := Load(dir, LoadOptions{Start: start})
	if err != nil {
		t.Fatal(err)
	}
	var orders []string
	for _, p := range st.Payouts {
		orders = append(orders, p.OrderID)
	}
	if got, want := asJSON(t, orders), `["1","L-1","L-2"]`; got != want {
		t.Errorf("payouts %s, want %s", got, want)
	}
	key := ""
	for _, m := range sc.Merchants {
		if m.ID == "9971" {
			key = m.PayoutSecretKey
		}
	}
	if len(st.Scenario) != 2 || key != "k3" {
		t.Errorf("scenario in force: %d edits, merchant 9971's key %q; want the scenario and 9971's part replaced, key \"k3\"", len(st.Scenario), key)
	}
	start.Seed = 42
	_, _, err = Load(dir, LoadOptions{Start: start})
	if se, ok := err.(*StateError); !ok || se.Path != filepath.Join(dir, StateFile) {
		t.Errorf("Load by a sandbox started with --seed 42: %v, want a StateError naming state.json", err)
	}
	if st, _, err := Load(t.TempDir(), LoadOptions{Start: start}); st != nil || err != nil {
		t.Errorf("Load of an empty directory: %v, %v; want nothing and no error", st != nil, err)
	}
}

func asJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
