package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/persist"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

const fuzzStateScenario = `
name = "fuzz"
[[merchants]]
id = "9970"
payout_secret_key = "k"
balance = 1000
[[payouts]]
merchant_id = "9970"
order_id = "1"
amount = 10
timeline = [ { at = "0s", status = "process" }, { at = "5s", status = "success" } ]
`

// fuzzSandbox starts the fuzz scenario on a manual clock at start, saving
// its state in seedDir, and moves the clock a second on.
func fuzzSandbox(f *testing.F) (sc *scenario.Scenario, start time.Time, seedDir string, s *Sandbox) {
	sc, err := scenario.Parse("fuzz.toml", []byte(fuzzStateScenario))
	if err != nil {
		f.Fatal(err)
	}
	start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	seedDir = f.TempDir()
	s, err = New(Config{Scenario: sc, Clock: clock.NewManual(start), StateDir: seedDir, Allow: loopbackOnly()})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := s.Advance(time.Second); err != nil {
		f.Fatal(err)
	}
	return sc, start, seedDir, s
}

// FuzzStateFile feeds start-up any state file: it is refused with a
// StateError naming the file, each of its problems too, or resumed, never
// a panic, and a resumed schedule runs.
func FuzzStateFile(f *testing.F) {
	sc, start, seedDir, s := fuzzSandbox(f)
	_ = s.Close(context.Background())
	good, err := os.ReadFile(filepath.Join(seedDir, persist.StateFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	for _, broken := range []struct{ from, to string }{
		{`"payouts":[`, `"gone":[`},               // a section removed (renamed)
		{`"Amount":1000,`, `"Amount":-1000,`},     // a negative amount
		{`"Status":"success"`, `"Status":"paid"`}, // an unknown status
		{`"MerchantID":"9970"`, `"MerchantID":"1"`},
		{`"state":"`, `"state":"x`},
	} {
		f.Add([]byte(strings.Replace(string(good), broken.from, broken.to, 1)))
	}
	f.Add([]byte(`{"format":"freedompay-mock state","version":1}`))
	f.Add([]byte(`{"format":"freedompay-mock state","version":1,"scenario":[{"file":"x","source":""}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var head struct{ Draws uint64 }
		if json.Unmarshal(data, &head) == nil && head.Draws > 1<<20 {
			return // resuming replays the draws: time, not a fault
		}
		dir := t.TempDir()
		path := filepath.Join(dir, persist.StateFile)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		// Notifies go nowhere but loopback, refused at once.
		s, err := New(Config{Scenario: sc, Clock: clock.NewManual(start), StateDir: dir, Allow: loopbackOnly()})
		if err != nil {
			var se *StateError
			if !errors.As(err, &se) || se.Path != path {
				t.Fatalf("refused with %v, want a StateError naming %s", err, path)
			}
			if se.Problems != nil {
				for _, l := range strings.Split(se.Problems.Error(), "\n") {
					if !strings.HasPrefix(l, path+": ") {
						t.Fatalf("problem %q does not name the file", l)
					}
				}
			}
			return // what the messages say is checked by TestStateFileCheckedWhole
		}
		defer s.Close(context.Background())
		if _, err := s.Advance(time.Hour); err != nil {
			t.Fatal(err)
		}
	})
}
