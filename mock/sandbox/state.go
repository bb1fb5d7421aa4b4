package sandbox

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// The state file: one JSON document, replaced whole on every save.
const (
	StateFile    = "state.json"
	stateFormat  = "freedompay-mock state"
	stateVersion = 1
	// DefaultStateInterval is the least time between two saves that no
	// request waits on.
	DefaultStateInterval = 100 * time.Millisecond
)

// savedState is what the state file holds.
type savedState struct {
	Format  string    `json:"format"`
	Version int       `json:"version"`
	SavedAt time.Time `json:"saved_at"` // wall clock
	// Start is what the sandbox that saved it was started with; a sandbox
	// started otherwise refuses the file.
	Start startPrint `json:"started_with"`
	// Scenario is the scenario in force: the whole one last loaded, then
	// every merchant's part replaced since, in order.
	Scenario []scenarioEdit  `json:"scenario"`
	Seed     int64           `json:"seed"`
	Draws    uint64          `json:"draws"` // values the seeded generator has made
	Clock    savedClock      `json:"clock"`
	Payouts  []ledger.Payout `json:"payouts"`
	Notify   notify.State    `json:"notify"`
	Journal  journal.State   `json:"journal"`
}

// startPrint identifies how a sandbox was started.
type startPrint struct {
	Scenario string `json:"scenario"` // its file, for messages
	SHA256   string `json:"sha256"`   // of its text
	Seed     int64  `json:"seed"`     // --seed; 0 when not given
	Clock    string `json:"clock"`    // real or manual
}

func (p startPrint) String() string {
	seed := fmt.Sprintf("--seed %d", p.Seed)
	if p.Seed == 0 {
		seed = "the scenario's seed"
	}
	return fmt.Sprintf("scenario %s (sha256 %.12s), %s, %s clock", p.Scenario, p.SHA256, seed, p.Clock)
}

// scenarioEdit is a scenario loaded: whole (MerchantID "") or one
// merchant's part of it.
type scenarioEdit struct {
	MerchantID string `json:"merchant_id,omitempty"`
	File       string `json:"file"`
	Source     string `json:"source"`
}

type savedClock struct {
	Mode   string    `json:"mode"`
	Now    time.Time `json:"now"`    // the sandbox's time when saved
	Wall   time.Time `json:"wall"`   // the wall clock's then
	Origin time.Time `json:"origin"` // where a reset takes the clock back to
}

// StateError is a state file that cannot be resumed from: the sandbox
// stops rather than start empty. Problems, when there are any, lists every
// problem found (joined with [errors.Join]), each naming the file and the
// field.
type StateError struct {
	Path     string
	Why      string
	Problems error
}

func (e *StateError) Error() string {
	msg := "state " + e.Path + ": " + e.Why
	if e.Problems != nil {
		msg += ":\n" + e.Problems.Error() + "\n"
	} else {
		msg += "; "
	}
	return msg + "the sandbox does not start empty over it: move the file away (or point --state at an empty directory) to start afresh"
}

// Unwrap returns the problems found.
func (e *StateError) Unwrap() error { return e.Problems }

// openState prepares saving to opts.StateDir and returns the world saved
// there, or nil when there is none yet. start is the scenario the sandbox
// was started with.
func (s *Sandbox) openState(start *scenario.Scenario) (*world, error) {
	dir := s.opts.StateDir
	if start.Source == nil {
		return nil, errors.New("--state: the scenario has no TOML text to save; load it with scenario.Parse or ScenarioPath")
	}
	sum := sha256.Sum256(start.Source)
	s.start = startPrint{Scenario: start.File, SHA256: hex.EncodeToString(sum[:]), Seed: s.opts.Seed, Clock: s.ClockMode()}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("--state: %w", err)
	}
	removeTemps(dir)
	interval := s.opts.StateInterval
	if interval <= 0 {
		interval = DefaultStateInterval
	}
	path := filepath.Join(dir, StateFile)
	s.saver = newSaver(path, interval, &s.gate, s.snapshot, s.delta, s.log)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if _, lerr := os.Stat(filepath.Join(dir, LogFile)); lerr == nil {
			return nil, &StateError{Path: filepath.Join(dir, LogFile), Why: "there is a state log but no " + StateFile + " for it to follow: the state it held cannot be rebuilt"}
		}
		s.log.Info("state: none saved yet; starting the scenario afresh", "dir", dir)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("--state: %w", err)
	}
	probs := &stateProblems{file: path}
	st, err := decodeState(data, probs)
	if err != nil {
		return nil, &StateError{Path: path, Why: err.Error()}
	}
	if st == nil {
		return nil, probs.stateError(path)
	}
	replayed, err := s.replayLog(st, data)
	if err != nil {
		return nil, err
	}
	if replayed > 0 { // what the checks below find may be in either file
		probs.file = fmt.Sprintf("%s (with the %d records of %s replayed over it)", path, replayed, LogFile)
	}
	intact := !probs.missing["started_with"] && !probs.missing["started_with.sha256"] && !probs.missing["started_with.seed"] && !probs.missing["started_with.clock"]
	if was := st.Start; intact && was.SHA256 != "" && (was.SHA256 != s.start.SHA256 || was.Seed != s.start.Seed || was.Clock != s.start.Clock) {
		return nil, &StateError{Path: path, Why: "it was saved by a sandbox started with " + st.Start.String() +
			"; this one starts with " + s.start.String()}
	}
	if st.Start.SHA256 == "" {
		probs.add("started_with.sha256", "is empty; want the sha256 of the scenario the sandbox was started with")
	}
	if st.Draws > fixtures.MaxDraws {
		probs.add("draws", "%d is more than the %d values a state may hold", st.Draws, uint64(fixtures.MaxDraws))
	}
	sc, err := scenarioOf(st)
	if err != nil {
		probs.put(err.Error())
	}
	s.checkState(st, sc, probs)
	if err := probs.stateError(path); err != nil {
		return nil, err
	}
	s.resumeClock(st.Clock)
	w, err := s.restoreWorld(st, sc)
	if err != nil { // what the checks above let through
		return nil, &StateError{Path: path, Why: "it cannot be resumed: " + err.Error()}
	}
	ns, _ := w.notify.History("")
	pending := 0
	for _, n := range ns {
		if n.State == notify.StatePending {
			pending++
		}
	}
	s.log.Info("state: resumed", "dir", dir, "saved_at", st.SavedAt.Format(time.RFC3339), "payouts", len(st.Payouts),
		"notifications", len(ns), "pending", pending, "now", s.clock.Now().Format(time.RFC3339))
	return w, nil
}

// decodeState reads a state file, refusing one that is not JSON or not
// ours with an error. A value that does not fit its field, a key the state
// has none for, or a key the sandbox always writes that is missing, goes
// to probs, each with its path; the state is nil when it could not be
// decoded.
func decodeState(data []byte, probs *stateProblems) (*savedState, error) {
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("it is not valid JSON (%v, at byte %d of %d): damaged or cut short, or not a state file", err, syn.Offset, len(data))
		}
		return nil, fmt.Errorf("it is not valid JSON (%v): damaged, or not a state file", err)
	}
	if head.Format != stateFormat {
		return nil, fmt.Errorf("it is not a freedompay-mock state file (format %q, want %q)", head.Format, stateFormat)
	}
	if head.Version != stateVersion {
		return nil, fmt.Errorf("it has format version %d; this sandbox reads version %d", head.Version, stateVersion)
	}
	var st savedState
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		checkKeys(data, probs, true)
		if len(probs.errs) == len(probs.missing) { // the decoder saw what the walk did not
			probs.put("it is damaged: " + err.Error())
		}
		return nil, nil
	}
	checkKeys(data, probs, false)
	return &st, nil
}

// resumeClock puts the clock where the saved one stood: a manual clock at
// its reading; a sped-up clock (or one started at a set date) as if it had
// run on while the sandbox was down. The real clock reads the wall clock.
func (s *Sandbox) resumeClock(c savedClock) {
	s.origin = c.Origin
	switch ck := s.clock.(type) {
	case *clock.Manual:
		ck.Reset(c.Now)
	case *clock.Scaled:
		down := time.Since(c.Wall)
		ck.Reset(c.Now.Add(time.Duration(float64(down) * ck.Speed())))
	}
}

// scenarioOf rebuilds the scenario in force when the state was saved: the
// whole one loaded, then each merchant's part replaced since. An error
// names the field of the edit that fails.
func scenarioOf(st *savedState) (*scenario.Scenario, error) {
	if len(st.Scenario) == 0 || st.Scenario[0].MerchantID != "" {
		return nil, errors.New("scenario: it holds no scenario; scenario[0] is the whole one the sandbox served")
	}
	base := st.Scenario[0]
	sc, err := scenario.Parse(base.File, []byte(base.Source))
	if err != nil {
		return nil, fmt.Errorf("scenario[0].source: %v", err)
	}
	for i, e := range st.Scenario[1:] {
		part, err := scenario.Parse(e.File, []byte(e.Source))
		if err == nil {
			sc, _, err = sc.WithMerchant(part, scenario.Text(e.MerchantID))
		}
		if err != nil {
			return nil, fmt.Errorf("scenario[%d].source: merchant %s: %v", i+1, e.MerchantID, err)
		}
		sc.File = e.File
	}
	return sc, nil
}

// restoreWorld rebuilds a saved world on its scenario sc: the ledger from
// the payouts, the schedule, the journal and the generator.
func (s *Sandbox) restoreWorld(st *savedState, sc *scenario.Scenario) (*world, error) {
	gen := fixtures.NewGenAt(st.Seed, st.Draws)
	l, err := ledger.Restore(sc, gen, st.Payouts)
	if err != nil {
		return nil, err
	}
	w := s.assemble(sc, st.Seed, gen, l)
	w.edits = st.Scenario
	w.journal.Restore(st.Journal)
	secret := func(id string) (string, bool) {
		m, ok := l.Merchant(id)
		return m.PayoutSecretKey, ok
	}
	if err := w.notify.Restore(st.Notify, secret); err != nil {
		return nil, err
	}
	return w, nil
}

// replayLog brings st, read from state.json (data), up to date with the
// records of the log after it, and returns how many it replayed.
func (s *Sandbox) replayLog(st *savedState, data []byte) (int, error) {
	path := filepath.Join(s.opts.StateDir, LogFile)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("--state: %w", err)
	}
	defer f.Close()
	recs, stale, torn, err := readLog(f, data)
	if err != nil {
		return 0, &StateError{Path: path, Why: err.Error()}
	}
	if stale {
		// A compaction cut short between its two renames leaves the log
		// it replaces, every record of which is older than state.json.
		for _, rec := range recs {
			if rec.SavedAt.After(st.SavedAt) {
				return 0, &StateError{Path: path, Why: fmt.Sprintf("it names another state.json than the one beside it, yet its record %d was saved at %s, after state.json (%s): "+
					"it is not the log of this state.json", rec.Seq, rec.SavedAt.Format(time.RFC3339Nano), st.SavedAt.Format(time.RFC3339Nano))}
			}
		}
		s.log.Info("state: the log names an older state.json (a compaction was cut short); state.json holds all of it", "path", path)
		return 0, nil
	}
	if torn != "" {
		s.log.Warn("state: the log's last record is cut short or damaged and is dropped; a crash in the middle of its write leaves it so, and no reply waits on a record before it is written whole",
			"path", path, "record", torn)
	}
	size := s.opts.JournalSize
	if size <= 0 {
		size = journal.DefaultSize
	}
	st.replay(recs, size)
	return len(recs), nil
}

// delta takes the changes made since the last save, for one record of the
// log; whole reports that they cannot be told that way (the world served
// was made afresh, a merchant reset, more changed than a delta keeps).
func (s *Sandbox) delta() (rec logRecord, want uint64, whole bool) {
	s.gate.Lock()
	defer s.gate.Unlock()
	want = s.saver.changed()
	w := s.world.Load()
	if w.fresh.Load() {
		return rec, want, true
	}
	ld, nd, jd := w.ledger.TakeDelta(), w.notify.TakeDelta(), w.journal.TakeDelta()
	rec = logRecord{SavedAt: time.Now(), Draws: w.gen.Draws(),
		Clock:   savedClock{Mode: s.ClockMode(), Now: s.clock.Now(), Wall: time.Now(), Origin: s.origin},
		Payouts: ld.Payouts, Discarded: ld.Discarded, Notify: nd, Journal: jd}
	return rec, want, ld.Whole || nd.Whole || jd.Whole
}

// snapshot encodes the state of the world served, and starts the changes
// the log records afresh. Changes that must be saved whole wait while it
// copies.
func (s *Sandbox) snapshot() ([]byte, uint64, error) {
	s.gate.Lock()
	var want uint64
	if s.saver != nil {
		want = s.saver.changed()
	}
	w := s.world.Load()
	w.fresh.Store(false)
	st := savedState{
		Format: stateFormat, Version: stateVersion, SavedAt: time.Now(), Start: s.start,
		Scenario: w.edits, Seed: w.seed, Draws: w.gen.Draws(),
		Clock:   savedClock{Mode: s.ClockMode(), Now: s.clock.Now(), Wall: time.Now(), Origin: s.origin},
		Payouts: w.ledger.SavePayouts(), Notify: w.notify.SaveState(), Journal: w.journal.SaveState(),
	}
	s.gate.Unlock()
	data, err := json.Marshal(st)
	return data, want, err
}

// saver writes the state after changes: at once when a request waits for
// it, else at most every interval. Each save replaces the file whole.
type saver struct {
	path     string
	interval time.Duration
	snapshot func() ([]byte, uint64, error)   // the whole state, and the changes it holds
	delta    func() (logRecord, uint64, bool) // the changes since the last save, how many, or whole
	log      *slog.Logger

	// Written by the one goroutine that saves (or start-up and stop).
	logPath   string
	logFile   *os.File
	logSize   int64
	baseSize  int64
	needWhole bool                  // the next save writes the whole state
	seq       int64                 // records appended since start-up
	fault     atomic.Pointer[error] // tests: every save fails with it
	compactAt atomic.Int64          // the least size of the log before it is compacted (minCompact)

	// gate is held, exclusively, while the changes a failed save covered
	// are taken back, so no save sees them half undone.
	gate sync.Locker

	mu      sync.Mutex
	saved   *sync.Cond
	changes uint64 // changes so far
	done    uint64 // changes covered by the last save tried
	waiters []*waiter
	written bool // a save has succeeded
	stopped bool

	wake, urgent chan struct{}
	quit         chan struct{}
	exited       chan struct{}
}

func newSaver(path string, interval time.Duration, gate sync.Locker, snapshot func() ([]byte, uint64, error), delta func() (logRecord, uint64, bool), log *slog.Logger) *saver {
	p := &saver{path: path, interval: interval, gate: gate, snapshot: snapshot, delta: delta, log: log,
		logPath: filepath.Join(filepath.Dir(path), LogFile), needWhole: true,
		wake: make(chan struct{}, 1), urgent: make(chan struct{}, 1), quit: make(chan struct{}), exited: make(chan struct{})}
	p.saved = sync.NewCond(&p.mu)
	p.compactAt.Store(minCompact)
	return p
}

// touch records a change to be saved: soon, or at once when urgent.
func (p *saver) touch(urgent bool) {
	p.mu.Lock()
	p.changes++
	p.mu.Unlock()
	if urgent {
		poke(p.urgent)
	} else {
		poke(p.wake)
	}
}

// ErrNotSaved is a change that a reply would confirm but the state file
// does not hold: the save that should have covered it failed, or the
// sandbox stopped first.
var ErrNotSaved = errors.New("state not saved")

// flush returns once every change made before it is saved, or with an
// error wrapping [ErrNotSaved] and the cause when the save that covered
// them failed (or the saver stopped first).
func (p *saver) flush() error { return p.wait(p.register(nil)) }

// register counts a change that a reply will confirm, and returns its
// waiter for [saver.wait]. A caller that holds the gate's read side over
// the change and this call is covered by exactly the saves that hold the
// change. undo, when not nil, takes the change back if the save that
// covers it fails: the saver runs it, with the gate held, before it tries
// the next save, so no later save can write a change the caller is about
// to say was not made.
func (p *saver) register(undo func()) *waiter {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.changes++
	w := &waiter{want: p.changes, undo: undo}
	p.waiters = append(p.waiters, w)
	return w
}

// wait returns once the save that covers w has been tried: nil when it
// succeeded, else an error wrapping [ErrNotSaved] and its cause.
func (p *saver) wait(w *waiter) error {
	poke(p.urgent)
	p.mu.Lock()
	defer p.mu.Unlock()
	for !w.settled && !p.stopped {
		p.saved.Wait()
	}
	if !w.settled {
		return notSaved{fmt.Errorf("state in %s not saved: the sandbox is stopping", filepath.Dir(p.path))}
	}
	if w.err != nil {
		return notSaved{w.err}
	}
	return nil
}

// changed is how many changes were counted so far: read with the gate held
// by a save, it is how many of them the save holds.
func (p *saver) changed() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.changes
}

// waiter is a flush waiting for the save that covers its change.
type waiter struct {
	want    uint64
	undo    func()
	settled bool
	err     error
}

// notSaved is a save's error that is also [ErrNotSaved].
type notSaved struct{ error }

func (e notSaved) Is(target error) bool { return target == ErrNotSaved }
func (e notSaved) Unwrap() error        { return e.error }

func poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// run starts the loop that saves after changes.
func (p *saver) run() {
	go func() {
		defer close(p.exited)
		for {
			select {
			case <-p.quit:
				return
			case <-p.urgent:
			case <-p.wake:
				select { // let more changes gather, unless someone waits
				case <-p.quit:
					return
				case <-p.urgent:
				case <-time.After(p.interval):
				}
			}
			_ = p.save()
		}
	}()
}

// save writes the state now, if anything changed since the last save (or
// nothing was ever saved).
func (p *saver) save() error {
	p.mu.Lock()
	skip := p.written && p.done >= p.changes
	p.mu.Unlock()
	if skip {
		return nil
	}
	want, err := p.write()
	if errors.Is(err, os.ErrPermission) {
		err = fmt.Errorf("%w (the sandbox runs as user %d: make the directory writable for it; a named Docker volume at /state is)", err, os.Geteuid())
	}
	if err != nil {
		err = fmt.Errorf("state in %s not saved: %w", filepath.Dir(p.path), err)
		p.log.Error("state not saved", "path", p.path, "err", err)
	}
	p.mu.Lock()
	var covered []*waiter
	kept := p.waiters[:0]
	for _, w := range p.waiters {
		if w.want <= want {
			covered = append(covered, w)
		} else {
			kept = append(kept, w)
		}
	}
	clear(p.waiters[len(kept):])
	p.waiters = kept
	p.mu.Unlock()
	if err != nil { // take back what this save was to make durable, before any other save
		p.gate.Lock()
		for _, w := range covered {
			if w.undo != nil {
				w.undo()
			}
		}
		p.gate.Unlock()
	}
	p.mu.Lock()
	for _, w := range covered {
		w.settled, w.err = true, err
	}
	p.written = p.written || err == nil
	p.done = max(p.done, want)
	p.saved.Broadcast()
	p.mu.Unlock()
	return err
}

// write saves the changes since the last save: appended to the log as one
// record, or, when the log has grown past the state (or the world was
// made afresh, or an earlier save failed in a way a record cannot mend),
// the whole state written again and the log begun anew.
func (p *saver) write() (uint64, error) {
	if err := p.fault.Load(); err != nil {
		p.needWhole = true
		return p.changed(), *err
	}
	if !p.needWhole && p.logFile != nil && p.logSize <= max(p.compactAt.Load(), p.baseSize) {
		rec, want, whole := p.delta()
		if !whole {
			p.seq++
			rec.Seq = p.seq
			line, err := logLine(rec)
			if err == nil {
				err = p.appendLog(line)
			}
			if err != nil {
				// What the record held is still in memory, some of it
				// taken back by now: the next save writes the whole state.
				p.needWhole = true
			}
			return want, err
		}
	}
	return p.compact()
}

// appendLog appends a record and syncs it. On a failure the log is cut
// back to where it was, so no torn record stays in it.
func (p *saver) appendLog(line []byte) error {
	_, err := p.logFile.Write(line)
	if err == nil {
		err = p.logFile.Sync()
	}
	if err != nil {
		_ = p.logFile.Truncate(p.logSize)
		return err
	}
	p.logSize += int64(len(line))
	return nil
}

// compact writes the whole state over state.json, then begins a new log
// after it. Once state.json is written the save has succeeded: a log that
// could not be begun anew names the old state.json and is ignored.
func (p *saver) compact() (uint64, error) {
	data, want, err := p.snapshot()
	if err == nil {
		err = writeAtomic(p.path, data)
	}
	if err != nil {
		p.needWhole = true
		return want, err
	}
	p.baseSize = int64(len(data))
	if p.logFile != nil {
		p.logFile.Close()
		p.logFile = nil
	}
	f, size, err := openLog(p.logPath, baseOf(data), true)
	if err != nil {
		p.needWhole = true
		p.log.Warn("state log not begun; the next save writes the whole state again", "path", p.logPath, "err", err)
		return want, nil
	}
	p.logFile, p.logSize, p.needWhole = f, size, false
	return want, nil
}

// stop ends the loop and saves a last time, the whole state: after a
// graceful stop, state.json holds it all and the log nothing.
func (p *saver) stop() error {
	close(p.quit)
	<-p.exited
	p.mu.Lock()
	p.changes++
	p.mu.Unlock()
	p.needWhole = true
	err := p.save()
	if p.logFile != nil {
		p.logFile.Close()
		p.logFile = nil
	}
	p.mu.Lock()
	p.stopped = true
	p.saved.Broadcast()
	p.mu.Unlock()
	return err
}

// writeAtomic replaces path with data: written to a temporary file in the
// same directory, synced, and renamed over it, so a crash leaves either
// the old file or the new one, never a torn one.
func writeAtomic(path string, data []byte) error {
	dir, name := filepath.Split(path)
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil { // make the rename itself durable
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// removeTemps deletes temporary files a crash left mid-write.
func removeTemps(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "."+StateFile+".tmp-") || strings.HasPrefix(e.Name(), "."+LogFile+".tmp-") {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
