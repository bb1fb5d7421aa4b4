package mock_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// inProcess is a scenario (with its TOML text, as --state needs) of merchant 9970 with n payouts in process,
// each a success between 1 and 1 000 hours on.
func inProcess(b *testing.B, n int) *scenario.Scenario {
	var text strings.Builder
	text.WriteString("[[merchants]]\nid = 9970\npayout_secret_key = \"test_secret_key\"\nbalance = 99999999\npost_link = \"http://127.0.0.1:9/hook\"\n")
	for i := range n {
		fmt.Fprintf(&text, "[[payouts]]\nmerchant_id = 9970\norder_id = \"s-%d\"\namount = 1\ntimeline = [ { at = \"0s\", status = \"process\" }, { at = \"%dh\", status = \"success\" } ]\n", i, 1+i%1000)
	}
	sc, err := scenario.Parse("many.toml", []byte(text.String()))
	if err != nil {
		b.Fatal(err)
	}
	return sc
}

// BenchmarkCreateWithState makes one payout per request with --state, on a
// sandbox that already holds n payouts: each create is on disk (appended
// to the log and synced) before its reply. What it costs should not grow
// with n; the log's compactions, when it outgrows the state, are counted
// in.
func BenchmarkCreateWithState(b *testing.B) {
	for _, n := range []int{10, 100_000} {
		b.Run("payouts="+strconv.Itoa(n), func(b *testing.B) {
			sc := inProcess(b, n)
			s, err := mock.Run(mock.Options{Scenario: sc, Clock: clock.NewManual(t0), StateDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			h := s.Handler()
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				i++
				makePayout(b, h, "b-"+strconv.Itoa(i))
			}
		})
	}
}

// BenchmarkResumeWithLog starts a sandbox on a state of 100 000 scenario
// payouts whose log holds 5 000 payouts made since: read state.json,
// replay the log, check the whole, rebuild the world. It reports the
// log's records.
func BenchmarkResumeWithLog(b *testing.B) {
	const n, made = 100_000, 5_000
	sc := inProcess(b, n)
	dir := b.TempDir()
	s, err := mock.Run(mock.Options{Scenario: sc, Clock: clock.NewManual(t0), StateDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	for i := range made {
		makePayout(b, s.Handler(), "r-"+strconv.Itoa(i))
	}
	mock.Crash(s)
	files := map[string][]byte{}
	for _, name := range []string{mock.StateFile, mock.LogFile} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		files[name] = data
	}
	for b.Loop() {
		b.StopTimer()
		run := b.TempDir()
		for name, data := range files {
			if err := os.WriteFile(filepath.Join(run, name), data, 0o600); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		s, err := mock.New(mock.Options{Scenario: sc, Clock: clock.NewManual(t0), StateDir: run})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if got := len(mock.LedgerPayouts(s, "")); got != n+made {
			b.Fatalf("%d payouts resumed, want %d", got, n+made)
		}
		mock.Crash(s)
		b.StartTimer()
	}
	b.ReportMetric(float64(bytes.Count(files[mock.LogFile], []byte("\n"))-1), "records")
}
