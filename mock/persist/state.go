package persist

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
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// The state file: one JSON document, replaced whole on every compaction.
const (
	StateFile    = "state.json"
	stateFormat  = "freedompay-mock state"
	stateVersion = 1
	// DefaultInterval is the least time between two saves that no
	// request waits on.
	DefaultInterval = 100 * time.Millisecond
)

// State is what the state file holds.
type State struct {
	Format  string    `json:"format"`   // set by [Encode]
	Version int       `json:"version"`  // set by [Encode]
	SavedAt time.Time `json:"saved_at"` // wall clock
	// Start is what the sandbox that saved it was started with; a sandbox
	// started otherwise refuses the file.
	Start StartPrint `json:"started_with"`
	// Scenario is the scenario in force: the whole one last loaded, then
	// every merchant's part replaced since, in order.
	Scenario []ScenarioEdit  `json:"scenario"`
	Seed     int64           `json:"seed"`
	Draws    uint64          `json:"draws"`           // values the seeded generator has made
	Salts    uint64          `json:"salts,omitempty"` // salts it has made (a file without them starts again at 0)
	Clock    Clock           `json:"clock"`
	Payouts  []ledger.Payout `json:"payouts"`
	// Payments, as the ledger saves them; absent from a file with none.
	Payments []ledger.Payment `json:"payments,omitempty"`
	// Cards are the card-storage records (saved cards, removed ones,
	// pages waiting for a card); absent from a file with none.
	Cards   []ledger.StoredCard `json:"cards,omitempty"`
	Notify  notify.State        `json:"notify"`
	Journal journal.State       `json:"journal"`
}

// StartPrint identifies how a sandbox was started.
type StartPrint struct {
	Scenario string `json:"scenario"` // its file, for messages
	SHA256   string `json:"sha256"`   // of its text
	Seed     int64  `json:"seed"`     // --seed; 0 when not given
	Clock    string `json:"clock"`    // real or manual
}

// Started is the print of a sandbox started on sc (which must have its
// TOML text) with seed (--seed, 0 when not given) and a clock of mode.
func Started(sc *scenario.Scenario, seed int64, mode string) StartPrint {
	sum := sha256.Sum256(sc.Source)
	return StartPrint{Scenario: sc.File, SHA256: hex.EncodeToString(sum[:]), Seed: seed, Clock: mode}
}

func (p StartPrint) String() string {
	seed := fmt.Sprintf("--seed %d", p.Seed)
	if p.Seed == 0 {
		seed = "the scenario's seed"
	}
	return fmt.Sprintf("scenario %s (sha256 %.12s), %s, %s clock", p.Scenario, p.SHA256, seed, p.Clock)
}

// ScenarioEdit is a scenario loaded: whole (MerchantID "") or one
// merchant's part of it.
type ScenarioEdit struct {
	MerchantID string `json:"merchant_id,omitempty"`
	File       string `json:"file"`
	Source     string `json:"source"`
}

// Clock is the sandbox's clock when the state was saved.
type Clock struct {
	Mode   string    `json:"mode"`
	Now    time.Time `json:"now"`    // the sandbox's time when saved
	Wall   time.Time `json:"wall"`   // the wall clock's then
	Origin time.Time `json:"origin"` // where a reset takes the clock back to
}

// Encode is the state file holding st, stamped with this format and
// version.
func Encode(st *State) ([]byte, error) {
	st.Format, st.Version = stateFormat, stateVersion
	return json.Marshal(st)
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

// LoadOptions is what [Load] judges a saved state by.
type LoadOptions struct {
	// Start is how this sandbox was started: a state saved by one started
	// otherwise is refused.
	Start StartPrint
	// JournalSize is how many entries the journal keeps per merchant, as
	// the log's records are replayed.
	JournalSize int
	// Log receives what start-up should know of the files (a log left by a
	// compaction cut short, a last record cut short).
	Log *slog.Logger
}

// Load reads the state saved in dir: state.json with the records of
// state.log replayed over it, checked whole, and the scenario in force it
// holds. It returns nil, and no error, when none is saved yet. A state that
// cannot be resumed is a [*StateError]; an error reading the directory is
// another.
func Load(dir string, opts LoadOptions) (*State, *scenario.Scenario, error) {
	path := filepath.Join(dir, StateFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if _, lerr := os.Stat(filepath.Join(dir, LogFile)); lerr == nil {
			return nil, nil, &StateError{Path: filepath.Join(dir, LogFile), Why: "there is a state log but no " + StateFile + " for it to follow: the state it held cannot be rebuilt"}
		}
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("--state: %w", err)
	}
	probs := &problems{file: path}
	st, err := decode(data, probs)
	if err != nil {
		return nil, nil, &StateError{Path: path, Why: err.Error()}
	}
	if st == nil {
		return nil, nil, probs.stateError(path)
	}
	replayed, err := replayLog(dir, st, data, opts)
	if err != nil {
		return nil, nil, err
	}
	if replayed > 0 { // what the checks find may be in either file
		probs.file = fmt.Sprintf("%s (with the %d records of %s replayed over it)", path, replayed, LogFile)
	}
	sc, err := check(st, opts.Start, probs, path)
	if err != nil {
		return nil, nil, err
	}
	return st, sc, nil
}

// decode reads a state file, refusing one that is not JSON or not ours
// with an error. A value that does not fit its field, a key the state has
// none for, or a key the sandbox always writes that is missing, goes to
// probs, each with its path; the state is nil when it could not be
// decoded.
func decode(data []byte, probs *problems) (*State, error) {
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
	var st State
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

// InForce rebuilds the scenario in force when the state was saved: the
// whole one loaded, then each merchant's part replaced since. An error
// names the field of the edit that fails on each of its lines (a scenario
// that does not parse has a problem a line).
func (st *State) InForce() (*scenario.Scenario, error) {
	if len(st.Scenario) == 0 || st.Scenario[0].MerchantID != "" {
		return nil, errors.New("scenario: it holds no scenario; scenario[0] is the whole one the sandbox served")
	}
	base := st.Scenario[0]
	sc, err := scenario.Parse(base.File, []byte(base.Source))
	if err != nil {
		return nil, inField("scenario[0].source", err)
	}
	for i, e := range st.Scenario[1:] {
		part, err := scenario.Parse(e.File, []byte(e.Source))
		if err == nil {
			sc, _, err = sc.WithMerchant(part, scenario.Text(e.MerchantID))
		}
		if err != nil {
			return nil, inField(fmt.Sprintf("scenario[%d].source: merchant %s", i+1, e.MerchantID), err)
		}
		sc.File = e.File
	}
	return sc, nil
}

// inField is err with field before each of its lines.
func inField(field string, err error) error {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = field + ": " + l
	}
	return errors.New(strings.Join(lines, "\n"))
}

// replayLog brings st, read from state.json (data) in dir, up to date
// with the records of the log after it, and returns how many it replayed.
func replayLog(dir string, st *State, data []byte, opts LoadOptions) (int, error) {
	path := filepath.Join(dir, LogFile)
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
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
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
		log.Info("state: the log names an older state.json (a compaction was cut short); state.json holds all of it", "path", path)
		return 0, nil
	}
	if torn != "" {
		log.Warn("state: the log's last record is cut short or damaged and is dropped; a crash in the middle of its write leaves it so, and no reply waits on a record before it is written whole",
			"path", path, "record", torn)
	}
	size := opts.JournalSize
	if size <= 0 {
		size = journal.DefaultSize
	}
	st.replay(recs, size)
	return len(recs), nil
}
