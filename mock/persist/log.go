package persist

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
)

// The state log: the changes made since state.json was last written, one
// record per save, appended and synced. A save writes the whole state
// again (a compaction) when the log has grown past the state itself, so
// a save costs what changed, however many payouts there are.
const (
	LogFile    = "state.log"
	logFormat  = "freedompay-mock state log"
	logVersion = 1
	// minCompact is the least size of the log before it is compacted.
	minCompact = 1 << 20
	// MaxLogRecord bounds one record of the log when it is read back.
	MaxLogRecord = 256 << 20
)

// logHeader is the log's first line: it names the state.json it follows,
// by the sha256 of its bytes. A log that names another (the compaction
// that replaced state.json was cut before it replaced the log) is stale:
// state.json already holds all of it.
type logHeader struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Base    string `json:"base"`
}

// Record is one save's changes, a line of the log.
type Record struct {
	Seq       int64           `json:"seq"`      // numbered by the saver, one after another since start-up
	SavedAt   time.Time       `json:"saved_at"` // wall clock
	Clock     Clock           `json:"clock"`
	Draws     uint64          `json:"draws"`
	Salts     uint64          `json:"salts,omitempty"`
	Payouts   []ledger.Payout `json:"payouts,omitempty"`   // made or changed: as they are now
	Discarded []int64         `json:"discarded,omitempty"` // taken back
	// Payments made or changed: as they are now.
	Payments []ledger.Payment `json:"payments,omitempty"`
	// Card-storage records made or changed: as they are now.
	Cards   []ledger.StoredCard `json:"cards,omitempty"`
	Notify  notify.Delta        `json:"notify"`
	Journal journal.Delta       `json:"journal"`
}

func baseOf(state []byte) string {
	sum := sha256.Sum256(state)
	return hex.EncodeToString(sum[:])
}

// logLine frames a record: its CRC-32 (IEEE) in hex, a space, the JSON, a
// newline. A line cut short or changed fails its check.
func logLine(v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	line := make([]byte, 0, len(data)+10)
	line = fmt.Appendf(line, "%08x ", crc32.ChecksumIEEE(data))
	line = append(line, data...)
	return append(line, '\n'), nil
}

// readLog reads the log that follows state (the bytes of state.json): its
// records in order, numbered one after the other. stale reports a log
// whose header names another state.json. A last line cut short or failing
// its check is dropped, and torn says which; a damaged line before the
// last, a gap in the numbers, or an empty file is an error.
func readLog(r io.Reader, state []byte) (recs []Record, stale bool, torn string, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var offset int64
	for n := 1; ; n++ {
		line, rerr := readLine(br, MaxLogRecord)
		if len(line) == 0 && rerr == io.EOF {
			if n == 1 {
				return nil, false, "", errors.New("it is empty: a state log always begins with its header line")
			}
			return recs, stale, "", nil
		}
		at := offset
		offset += int64(len(line))
		if rerr != nil && rerr != io.EOF {
			return nil, false, "", fmt.Errorf("line %d (at byte %d): %v", n, at, rerr)
		}
		data, perr := checkLine(line)
		if perr == nil && rerr == io.EOF {
			perr = errors.New("no newline at its end")
		}
		if perr != nil {
			if _, err := br.Peek(1); rerr == io.EOF || err == io.EOF { // the last line: an append cut short
				if n == 1 {
					return nil, false, fmt.Sprintf("line 1 (the header, %d bytes): %v", len(line), perr), nil
				}
				return recs, stale, fmt.Sprintf("record %d (line %d, at byte %d, %d bytes): %v", n-1, n, at, len(line), perr), nil
			}
			return nil, false, "", fmt.Errorf("line %d (at byte %d) is damaged: %v; the lines after it cannot be trusted", n, at, perr)
		}
		if n == 1 {
			var h logHeader
			if err := json.Unmarshal(data, &h); err != nil || h.Format != logFormat {
				return nil, false, "", errors.New("line 1 is not a state log's header")
			}
			if h.Version != logVersion {
				return nil, false, "", fmt.Errorf("it has format version %d; this sandbox reads version %d", h.Version, logVersion)
			}
			stale = h.Base != baseOf(state)
			continue
		}
		var rec Record
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			return nil, false, "", fmt.Errorf("record %d (line %d, at byte %d): %v", n-1, n, at, err)
		}
		if len(recs) > 0 && rec.Seq != recs[len(recs)-1].Seq+1 {
			return nil, false, "", fmt.Errorf("record %d (line %d, at byte %d) has seq %d after %d: a record is missing or out of place",
				n-1, n, at, rec.Seq, recs[len(recs)-1].Seq)
		}
		recs = append(recs, rec)
	}
}

// readLine reads one line with its newline; past max bytes it is an error.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > max {
			return line, fmt.Errorf("longer than %d bytes", max)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return line, err
	}
}

// checkLine returns a framed line's JSON if its check holds.
func checkLine(line []byte) ([]byte, error) {
	line = bytes.TrimSuffix(line, []byte("\n"))
	if len(line) < 10 || line[8] != ' ' {
		return nil, errors.New("not a framed record")
	}
	var sum uint32
	if _, err := fmt.Sscanf(string(line[:8]), "%08x", &sum); err != nil {
		return nil, errors.New("not a framed record")
	}
	data := line[9:]
	if crc32.ChecksumIEEE(data) != sum {
		return nil, errors.New("its checksum does not match")
	}
	return data, nil
}

// replay brings a saved state up to date with the records of its log, in
// one pass whatever their number: each payout and notification takes its
// last version, the schedule's steps are added and taken away once.
func (st *State) replay(recs []Record, journalSize int) {
	if len(recs) == 0 {
		return
	}
	at := make(map[int64]int, len(st.Payouts))
	for i, p := range st.Payouts {
		at[p.PaymentID] = i
	}
	payAt := make(map[int64]int, len(st.Payments))
	for i, p := range st.Payments {
		payAt[p.PaymentID] = i
	}
	cardAt := make(map[int64]int, len(st.Cards))
	for i, c := range st.Cards {
		cardAt[c.PaymentID] = i
	}
	gone := map[int64]bool{}
	var nd notify.Delta
	notes := map[int]int{} // id → index in nd.Notifications
	for _, rec := range recs {
		st.SavedAt, st.Clock, st.Draws, st.Salts = rec.SavedAt, rec.Clock, rec.Draws, rec.Salts
		for _, p := range rec.Payouts {
			delete(gone, p.PaymentID)
			if i, ok := at[p.PaymentID]; ok {
				st.Payouts[i] = p
			} else {
				at[p.PaymentID] = len(st.Payouts)
				st.Payouts = append(st.Payouts, p)
			}
		}
		for _, id := range rec.Discarded {
			gone[id] = true
		}
		for _, p := range rec.Payments {
			if i, ok := payAt[p.PaymentID]; ok {
				st.Payments[i] = p
			} else {
				payAt[p.PaymentID] = len(st.Payments)
				st.Payments = append(st.Payments, p)
			}
		}
		for _, c := range rec.Cards {
			if i, ok := cardAt[c.PaymentID]; ok {
				st.Cards[i] = c
			} else {
				cardAt[c.PaymentID] = len(st.Cards)
				st.Cards = append(st.Cards, c)
			}
		}
		nd.LastID = max(nd.LastID, rec.Notify.LastID)
		nd.StepsAdded = append(nd.StepsAdded, rec.Notify.StepsAdded...)
		nd.StepsDone = append(nd.StepsDone, rec.Notify.StepsDone...)
		for _, n := range rec.Notify.Notifications {
			if i, ok := notes[n.ID]; ok {
				nd.Notifications[i] = n
			} else {
				notes[n.ID] = len(nd.Notifications)
				nd.Notifications = append(nd.Notifications, n)
			}
		}
		st.Journal.Apply(rec.Journal, journalSize)
	}
	if len(gone) > 0 {
		kept := st.Payouts[:0]
		for _, p := range st.Payouts {
			if !gone[p.PaymentID] {
				kept = append(kept, p)
			}
		}
		st.Payouts = kept
	}
	st.Notify.Apply(nd)
}
