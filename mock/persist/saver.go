package persist

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// Saver writes the state after changes: at once when a request waits for
// it, else at most every interval. A save appends the changes to the log,
// or replaces state.json whole (see the package's doc).
type Saver struct {
	path     string
	interval time.Duration
	snapshot func() (*State, uint64)       // the whole state, and the changes it holds
	delta    func() (Record, uint64, bool) // the changes since the last save, how many, or whole
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
	waiters []*Waiter
	written bool // a save has succeeded
	stopped bool

	wake, urgent chan struct{}
	quit         chan struct{}
	exited       chan struct{}
}

// Config is what a [Saver] saves, where, and how often.
type Config struct {
	// Dir holds state.json and state.log; it is made if missing.
	Dir string
	// Interval is the least time between two saves that no request waits
	// on; default [DefaultInterval].
	Interval time.Duration
	// Gate is held, exclusively, while the changes a failed save covered
	// are taken back. Snapshot and Delta hold it too as they copy, and a
	// change that must be saved whole holds its read side.
	Gate sync.Locker
	// Snapshot returns the whole state and how many changes it holds
	// ([Saver.Changed], read with the gate held).
	Snapshot func() (*State, uint64)
	// Delta returns the changes since the last save as one record, how
	// many changes it holds, or whole when they cannot be told that way
	// (the state was made afresh, more changed than a record keeps).
	Delta func() (rec Record, changes uint64, whole bool)
	// Log receives the saves that fail; nil discards.
	Log *slog.Logger
}

// NewSaver prepares saving to cfg.Dir: it makes the directory and removes
// the temporary files a crash left mid-write. Nothing is written before
// [Saver.Save] or [Saver.Run].
func NewSaver(cfg Config) (*Saver, error) {
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, err
	}
	removeTemps(cfg.Dir)
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	p := &Saver{path: filepath.Join(cfg.Dir, StateFile), interval: cfg.Interval, gate: cfg.Gate, snapshot: cfg.Snapshot, delta: cfg.Delta, log: cfg.Log,
		logPath: filepath.Join(cfg.Dir, LogFile), needWhole: true,
		wake: make(chan struct{}, 1), urgent: make(chan struct{}, 1), quit: make(chan struct{}), exited: make(chan struct{})}
	p.saved = sync.NewCond(&p.mu)
	p.compactAt.Store(minCompact)
	return p, nil
}

// Fail makes every save fail with err from now on, as a full or broken
// disk would, or saves work again when err is nil. It is for tests.
func (p *Saver) Fail(err error) {
	if err == nil {
		p.fault.Store(nil)
		return
	}
	p.fault.Store(&err)
}

// CompactAt makes the saver compact the log once it passes n bytes (and the
// size of state.json), instead of 1 MiB. It is for tests; call it before
// any change.
func (p *Saver) CompactAt(n int64) { p.compactAt.Store(n) }

// Touch records a change to be saved: soon, or at once when urgent.
func (p *Saver) Touch(urgent bool) {
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

// Flush returns once every change made before it is saved, or with an
// error wrapping [ErrNotSaved] and the cause when the save that covered
// them failed (or the saver stopped first).
func (p *Saver) Flush() error { return p.Wait(p.Register(nil)) }

// Register counts a change that a reply will confirm, and returns its
// waiter for [Saver.Wait]. A caller that holds the gate's read side over
// the change and this call is covered by exactly the saves that hold the
// change. undo, when not nil, takes the change back if the save that
// covers it fails: the saver runs it, with the gate held, before it tries
// the next save, so no later save can write a change the caller is about
// to say was not made.
func (p *Saver) Register(undo func()) *Waiter {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.changes++
	w := &Waiter{want: p.changes, undo: undo}
	p.waiters = append(p.waiters, w)
	return w
}

// Wait returns once the save that covers w has been tried: nil when it
// succeeded, else an error wrapping [ErrNotSaved] and its cause.
func (p *Saver) Wait(w *Waiter) error {
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

// Changed is how many changes were counted so far: read with the gate held
// by a save, it is how many of them the save holds.
func (p *Saver) Changed() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.changes
}

// Waiter is a reply waiting for the save that covers its change.
type Waiter struct {
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

// Run starts the loop that saves after changes, until [Saver.Stop].
func (p *Saver) Run() {
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
			_ = p.Save()
		}
	}()
}

// Save writes the state now, if anything changed since the last save (or
// nothing was ever saved). Start-up calls it once before [Saver.Run], so a
// directory that cannot be written to stops it.
func (p *Saver) Save() error {
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
	var covered []*Waiter
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
func (p *Saver) write() (uint64, error) {
	if err := p.fault.Load(); err != nil {
		p.needWhole = true
		return p.Changed(), *err
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
func (p *Saver) appendLog(line []byte) error {
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
func (p *Saver) compact() (uint64, error) {
	st, want := p.snapshot()
	data, err := Encode(st)
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

// Stop ends the loop and saves a last time, the whole state: after a
// graceful stop, state.json holds it all and the log nothing. Waits not yet
// settled then fail with [ErrNotSaved].
func (p *Saver) Stop() error {
	close(p.quit)
	<-p.exited
	p.mu.Lock()
	p.changes++
	p.mu.Unlock()
	p.needWhole = true
	err := p.Save()
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
