// Package journal keeps the gateway requests the sandbox answered, with their
// outcome and, for a signature that did not check out, the explanation. Each
// merchant's requests are kept in a ring of their own, so a busy test shard
// never pushes another shard's requests out; requests that name no known
// merchant share one more ring.
package journal

import (
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/redact"
	"github.com/freedompay-mock/freedompay-mock/mock/ring"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// Outcomes of a request.
const (
	OutcomeOK           = "ok"
	OutcomeError        = "error"         // a FreedomPay error reply other than a bad signature
	OutcomeBadSignature = "bad_signature" // pg_sig did not check out
	OutcomeFault        = "fault"         // carried out, but a drill fault replaced the reply
)

// DefaultSize is how many entries each ring keeps unless told otherwise.
const DefaultSize = 10000

// Entry is one gateway request and its answer.
type Entry struct {
	Seq         int64       `json:"seq"` // 1 for the first request recorded
	At          time.Time   `json:"at"`  // sandbox time
	Method      string      `json:"method"`
	Path        string      `json:"path"`
	MerchantID  string      `json:"merchant_id"` // as sent, "" when absent
	OrderID     string      `json:"order_id,omitempty"`
	PaymentID   string      `json:"payment_id,omitempty"` // as sent, or the one the reply gave
	Encoding    string      `json:"encoding,omitempty"`
	Fields      sign.Fields `json:"fields"` // as received; card numbers and secrets masked
	HTTPStatus  int         `json:"http_status"`
	Outcome     string      `json:"outcome"`
	Code        int         `json:"code,omitempty"` // pg_error_code of an error reply
	Description string      `json:"description,omitempty"`
	// Signature explains a bad pg_sig: the signing string expected (secret
	// masked), the pg_sig received and the likely causes.
	Signature *sign.Explanation `json:"signature,omitempty"`
	TookMS    float64           `json:"took_ms"` // wall time
	// Fault is the drill fault that replaced the reply: system_error, slow,
	// reset or http_502 (scenario.Faults).
	Fault string `json:"fault,omitempty"`
	// Made is true for a faulted request that made a payout all the same.
	Made bool `json:"payout_made,omitempty"`
	// Cut counts the fields left out and the values shortened to keep the
	// journal's memory bounded (MaxFields fields, MaxValue bytes each).
	Cut int `json:"cut,omitempty"`
}

// Bounds of what an entry keeps of a request, whatever its size: the
// journal holds --journal-size entries per merchant, each at most about
// MaxFields × 2 × MaxValue bytes of fields (names are cut as values are),
// MaxSigning of signing string and MaxHints × MaxValue of hints; and each
// ring at most MaxRingBytes, the oldest entries let go (and counted) past
// it, so a flood of the largest requests cannot fill memory.
const (
	MaxFields    = 64
	MaxValue     = 256
	MaxSigning   = 4096
	MaxHints     = 8
	MaxRingBytes = 16 << 20
)

// bound shortens e's strings, fields and explanation to the journal's
// bounds; e.Cut counts what was shortened or left out.
func bound(e *Entry) {
	if len(e.Fields) > MaxFields {
		e.Cut += len(e.Fields) - MaxFields
		e.Fields = e.Fields[:MaxFields:MaxFields]
	}
	copied := false
	for i, f := range e.Fields {
		if len(f.Value) > MaxValue || len(f.Name) > MaxValue {
			if !copied { // never change the caller's fields
				e.Fields, copied = append(sign.Fields(nil), e.Fields...), true
			}
			if len(f.Value) > MaxValue {
				e.Fields[i].Value = cut(f.Value, MaxValue)
				e.Cut++
			}
			if len(f.Name) > MaxValue {
				e.Fields[i].Name = cut(f.Name, MaxValue)
				e.Cut++
			}
		}
	}
	for _, s := range []*string{&e.Path, &e.MerchantID, &e.OrderID, &e.PaymentID, &e.Encoding, &e.Description} {
		if len(*s) > MaxSigning {
			*s = cut(*s, MaxSigning)
			e.Cut++
		}
	}
	if x := e.Signature; x != nil && (len(x.SigningString) > MaxSigning || len(x.Script) > MaxValue || len(x.Got) > MaxValue || len(x.Hints) > MaxHints || longHint(x.Hints)) {
		c := *x
		if len(c.SigningString) > MaxSigning {
			c.SigningString = cut(c.SigningString, MaxSigning)
			e.Cut++
		}
		if len(c.Script) > MaxValue {
			c.Script = cut(c.Script, MaxValue)
			e.Cut++
		}
		if len(c.Got) > MaxValue {
			c.Got = cut(c.Got, MaxValue)
			e.Cut++
		}
		if len(c.Hints) > MaxHints {
			e.Cut += len(c.Hints) - MaxHints
			c.Hints = c.Hints[:MaxHints]
		}
		c.Hints = append([]string(nil), c.Hints...)
		for i, h := range c.Hints {
			if len(h) > 2*MaxValue {
				c.Hints[i] = cut(h, 2*MaxValue)
				e.Cut++
			}
		}
		e.Signature = &c
	}
}

func longHint(hints []string) bool {
	for _, h := range hints {
		if len(h) > 2*MaxValue {
			return true
		}
	}
	return false
}

// weight is what a kept entry costs in memory, about.
func weight(p packed) int {
	n := len(p.text) + 128
	if x := p.signature; x != nil {
		n += len(x.Script) + len(x.SigningString) + len(x.Expected) + len(x.Got) + 64
		for _, h := range x.Hints {
			n += len(h) + 16
		}
	}
	return n
}

func newRing(size int) *ring.Ring[packed] { return ring.NewWeighted(size, MaxRingBytes, weight) }

func cut(s string, n int) string {
	return s[:n] + "…(" + strconv.Itoa(len(s)) + " bytes)"
}

// Filter selects entries; empty fields match everything.
type Filter struct {
	MerchantID string
	Path       string
	OrderID    string
	PaymentID  string
	Outcome    string
	// After and Before, when not 0, keep the entries numbered above After
	// and below Before: a page's bounds.
	After, Before int64
	// Limit keeps the last Limit entries that match (the first, with
	// Oldest); 0 keeps all.
	Limit  int
	Oldest bool
	// MaxBytes, when not 0, ends the entries kept past about that many
	// bytes (as the control API's JSON shows them), one entry at least,
	// from the same end as Limit: a page of a list whose entries may be
	// large.
	MaxBytes int
}

// Page is the answer to a query.
type Page struct {
	Entries []Entry `json:"entries"` // oldest first
	Matched int     `json:"matched"` // entries kept that match, before After, Before and Limit
	// Dropped counts the entries let go from the rings the query looked at:
	// a verdict over the journal covers only what is kept.
	Dropped int64 `json:"dropped"`
	Size    int   `json:"size"` // entries each ring keeps (--journal-size)
	// More is true when Limit left out entries within After and Before.
	More bool `json:"-"`
}

// Match reports whether e is one f selects, After and Before aside.
func (f Filter) Match(e *Entry) bool {
	return (f.MerchantID == "" || e.MerchantID == f.MerchantID) &&
		(f.Path == "" || e.Path == f.Path) &&
		(f.OrderID == "" || e.OrderID == f.OrderID) &&
		(f.PaymentID == "" || e.PaymentID == f.PaymentID) &&
		(f.Outcome == "" || e.Outcome == f.Outcome)
}

// Journal is safe for concurrent use.
type Journal struct {
	size     int
	known    func(merchantID string) bool
	onChange func(e Entry)

	mu    sync.Mutex
	seq   int64
	rings map[string]*ring.Ring[packed]
	// unsaved are the entries recorded since the last TakeDelta; whole
	// is set when they are not all there is to save (see Delta).
	unsaved      []unsavedEntry
	unsavedBytes int
	whole        bool
	// tracking is set once TrackDeltas is called; RecordMasking reads it
	// without the lock.
	tracking atomic.Bool
}

type unsavedEntry struct {
	ring string
	p    packed
}

// Bounds of what a delta keeps; past them, the journal is saved whole.
const (
	maxUnsaved      = 4096
	maxUnsavedBytes = 4 << 20
)

// TrackDeltas makes the journal keep what it records for [Journal.TakeDelta]
// (when its state is saved).
func (j *Journal) TrackDeltas() {
	j.mu.Lock()
	j.tracking.Store(true)
	j.mu.Unlock()
}

// New returns a journal whose rings keep size entries each (DefaultSize when
// size ≤ 0). Requests of merchants known says exist get their own ring; the
// rest share one. onChange, if not nil, runs after each change: with the
// entry recorded (as it came, not masked), or with an entry numbered 0 when
// entries were forgotten. It takes the entry by value, which keeps a
// request's entry off the heap.
func New(size int, known func(merchantID string) bool, onChange func(e Entry)) *Journal {
	if size <= 0 {
		size = DefaultSize
	}
	if known == nil {
		known = func(string) bool { return false }
	}
	return &Journal{size: size, known: known, onChange: onChange, rings: map[string]*ring.Ring[packed]{}}
}

// Record adds e, numbering it, and returns it as recorded. e is shown as
// it is: what it shows of a request is masked already.
func (j *Journal) Record(e Entry) Entry { return j.record(e, nil, false) }

// RecordMasked adds e, whose fields, path and description are as the
// request came, masked at once by m (sign.Fields.Redacted,
// redact.Redactor.String; m may be nil, which masks card numbers and
// security codes): for what a card page sends.
func (j *Journal) RecordMasked(e Entry, m *redact.Redactor) Entry {
	e.Fields = e.Fields.Redacted(m)
	e.Path, e.Description = m.String(e.Path), m.String(e.Description)
	return j.record(e, nil, false)
}

// RecordMasking is RecordMasked for a gateway request, on the hot path:
// its fields are masked whenever the entry is read (a query, outside the
// journal's lock), not on the request's way, unless the journal's state is
// saved (TrackDeltas): a save then writes them as they are kept, without
// masking a journal under the lock requests wait on. The path and the
// description are masked at once, so that a query's path filter matches
// what the journal shows, before a restart as after; so are fields longer
// than the journal keeps, before they are cut, so that a cut never leaves
// part of a card number unmasked.
func (j *Journal) RecordMasking(e Entry, m *redact.Redactor) Entry {
	if j.tracking.Load() || long(e.Fields) {
		return j.RecordMasked(e, m)
	}
	e.Path, e.Description = m.String(e.Path), m.String(e.Description)
	return j.record(e, m, true)
}

// long reports whether bound would cut fields.
func long(fields sign.Fields) bool {
	if len(fields) > MaxFields {
		return true
	}
	for _, f := range fields {
		if len(f.Value) > MaxValue || len(f.Name) > MaxValue {
			return true
		}
	}
	return false
}

func (j *Journal) record(e Entry, m *redact.Redactor, raw bool) Entry {
	bound(&e)
	key := e.MerchantID
	if !j.known(key) {
		key = ""
	}
	p := pack(&e) // outside the lock: only the numbering needs it
	p.mask, p.raw = m, raw
	j.mu.Lock()
	j.seq++
	e.Seq, p.seq = j.seq, j.seq
	r := j.rings[key]
	if r == nil {
		r = newRing(j.size)
		j.rings[key] = r
	}
	r.Push(p)
	if j.tracking.Load() && !j.whole {
		j.unsaved = append(j.unsaved, unsavedEntry{key, p})
		j.unsavedBytes += weight(p)
		if len(j.unsaved) > maxUnsaved || j.unsavedBytes > maxUnsavedBytes {
			j.whole = true
			clear(j.unsaved)
			j.unsaved, j.unsavedBytes = j.unsaved[:0], 0
		}
	}
	j.mu.Unlock()
	if j.onChange != nil {
		j.onChange(e)
	}
	return e
}

// Query returns the entries f selects, oldest first. Only the entries of
// the page are unpacked.
func (j *Journal) Query(f Filter) Page {
	j.mu.Lock()
	p := Page{Entries: []Entry{}, Size: j.size}
	var found []packed
	for key, r := range j.rings {
		if f.MerchantID != "" && key != f.MerchantID && key != "" {
			continue
		}
		if f.MerchantID == "" || key == f.MerchantID {
			p.Dropped += r.Dropped()
		}
		r.Each(func(e packed) bool {
			if f.matches(&e) {
				p.Matched++
				if (f.After == 0 || e.seq > f.After) && (f.Before == 0 || e.seq < f.Before) {
					found = append(found, e)
				}
			}
			return true
		})
	}
	several := len(j.rings) > 1
	j.mu.Unlock()
	// Sorted and unpacked outside the lock, which recording takes: an entry
	// kept as the request came is masked now.
	if several {
		sort.Slice(found, func(a, b int) bool { return found[a].seq < found[b].seq })
	}
	if f.Limit > 0 && len(found) > f.Limit {
		p.More = true
		if f.Oldest {
			found = found[:f.Limit]
		} else {
			found = found[len(found)-f.Limit:]
		}
	}
	if f.MaxBytes > 0 {
		n, w := 0, 0
		for ; n < len(found); n++ {
			i := n
			if !f.Oldest {
				i = len(found) - 1 - n
			}
			if w += found[i].shownWeight(); n > 0 && w > f.MaxBytes {
				break
			}
		}
		if n < len(found) {
			p.More = true
			if f.Oldest {
				found = found[:n]
			} else {
				found = found[len(found)-n:]
			}
		}
	}
	p.Entries = make([]Entry, len(found))
	for i := range found {
		p.Entries[i] = found[i].unpack()
	}
	return p
}

// Forget drops every entry of a merchant, as when its state is reset.
func (j *Journal) Forget(merchantID string) {
	j.mu.Lock()
	delete(j.rings, merchantID)
	j.whole = true
	j.mu.Unlock()
	if j.onChange != nil {
		j.onChange(Entry{})
	}
}
