package persist

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// counter is the least world a saver saves: a number, changed under the
// gate's read side, copied under its write side.
type counter struct {
	gate sync.RWMutex
	n    int64
	sent int64 // what the last record or snapshot held
	p    *Saver
}

func newCounter(t *testing.T, dir string) *counter {
	t.Helper()
	c := &counter{}
	p, err := NewSaver(Config{Dir: dir, Gate: &c.gate, Snapshot: c.snapshot, Delta: c.delta})
	if err != nil {
		t.Fatal(err)
	}
	c.p = p
	if err := p.Save(); err != nil {
		t.Fatal(err)
	}
	p.Run()
	return c
}

func (c *counter) snapshot() (*State, uint64) {
	c.gate.Lock()
	defer c.gate.Unlock()
	c.sent = c.n
	return &State{Seed: c.n}, c.p.Changed()
}

func (c *counter) delta() (Record, uint64, bool) {
	c.gate.Lock()
	defer c.gate.Unlock()
	rec := Record{Draws: uint64(c.n - c.sent)}
	c.sent = c.n
	return rec, c.p.Changed(), false
}

// add makes a change a reply confirms, and returns what waiting for it
// gives.
func (c *counter) add() error {
	c.gate.RLock()
	c.n++
	w := c.p.Register(func() { c.n-- })
	c.gate.RUnlock()
	return c.p.Wait(w)
}

// files reads state.json's number and the log's records.
func files(t *testing.T, dir string) (seed int64, recs []Record) {
	t.Helper()
	state, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	var st State
	if err := json.Unmarshal(state, &st); err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile(filepath.Join(dir, LogFile))
	if err != nil {
		t.Fatal(err)
	}
	recs, stale, torn, err := readLog(bytes.NewReader(log), state)
	if err != nil || stale || torn != "" {
		t.Fatalf("the log: stale %v, torn %q, %v", stale, torn, err)
	}
	return st.Seed, recs
}

// TestSaverConfirmsOnlyWhatIsSaved: a change waited on is a record synced
// before the wait returns; one whose save fails is answered ErrNotSaved
// with the cause and taken back before any later save, which then writes
// the whole state; a stop leaves state.json holding everything.
func TestSaverConfirmsOnlyWhatIsSaved(t *testing.T) {
	dir := t.TempDir()
	c := newCounter(t, dir)
	if err := c.add(); err != nil {
		t.Fatal(err)
	}
	if seed, recs := files(t, dir); seed != 0 || len(recs) != 1 || recs[0].Draws != 1 || recs[0].Seq != 1 {
		t.Fatalf("after one change: state.json %d, records %+v; want 0 and one record of 1", seed, recs)
	}
	c.p.Fail(errors.New("write state.log: no space left on device"))
	err := c.add()
	if !errors.Is(err, ErrNotSaved) || !strings.Contains(err.Error(), "no space left") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("a change whose save failed: %v, want ErrNotSaved naming the cause and %s", err, dir)
	}
	c.gate.RLock()
	n := c.n
	c.gate.RUnlock()
	if n != 1 {
		t.Fatalf("after a change not saved the count is %d, want it taken back to 1", n)
	}
	c.p.Fail(nil)
	if err := c.add(); err != nil {
		t.Fatal(err)
	}
	if seed, recs := files(t, dir); seed != 2 || len(recs) != 0 {
		t.Fatalf("the save after a failed one: state.json %d, %d records; want the whole state, 2, and an empty log", seed, len(recs))
	}
	if err := c.add(); err != nil {
		t.Fatal(err)
	}
	if err := c.p.Stop(); err != nil {
		t.Fatal(err)
	}
	if seed, recs := files(t, dir); seed != 3 || len(recs) != 0 {
		t.Fatalf("after a stop: state.json %d, %d records; want 3 and an empty log", seed, len(recs))
	}
	if err := c.p.Flush(); !errors.Is(err, ErrNotSaved) {
		t.Errorf("a flush after the stop: %v, want ErrNotSaved", err)
	}
}

// TestSaverCompactsTheLog: once the log outgrows state.json (and the size
// set by CompactAt), the next save writes the whole state and begins the
// log anew.
func TestSaverCompactsTheLog(t *testing.T) {
	dir := t.TempDir()
	c := newCounter(t, dir)
	c.p.CompactAt(1)
	size := func(name string) int64 {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	compacted := false
	for i := range 20 {
		before := size(LogFile)
		if err := c.add(); err != nil {
			t.Fatal(err)
		}
		if size(LogFile) < before {
			compacted = true
			if seed, recs := files(t, dir); seed != int64(i+1) || len(recs) != 0 {
				t.Fatalf("compaction after change %d: state.json %d, %d records; want %d and an empty log", i+1, seed, len(recs), i+1)
			}
			break
		}
	}
	if !compacted {
		t.Fatalf("the log grew to %d bytes, past state.json's %d, and was not compacted", size(LogFile), size(StateFile))
	}
	_ = c.p.Stop()
}
