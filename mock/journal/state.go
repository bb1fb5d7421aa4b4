package journal

import (
	"fmt"
	"maps"
	"slices"

	"github.com/freedompay-mock/freedompay-mock/mock/ring"
)

// State is what a journal holds, to be saved and restored.
type State struct {
	Seq   int64                `json:"seq"`
	Rings map[string]RingState `json:"rings"` // by merchant id; "" for requests of no known merchant
}

// RingState is one ring's entries, oldest first, and how many it let go.
type RingState struct {
	Dropped int64   `json:"dropped"`
	Entries []Entry `json:"entries"`
}

// State returns a copy of what the journal holds.
func (j *Journal) State() State {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.state()
}

// SaveState returns a copy of what the journal holds and starts the next
// delta afresh, at one moment: an entry recorded meanwhile is in one or
// the other, never both.
func (j *Journal) SaveState() State {
	j.mu.Lock()
	defer j.mu.Unlock()
	clear(j.unsaved)
	j.unsaved, j.unsavedBytes, j.whole = j.unsaved[:0], 0, false
	return j.state()
}

func (j *Journal) state() State {
	st := State{Seq: j.seq, Rings: make(map[string]RingState, len(j.rings))}
	for key, r := range j.rings {
		rs := RingState{Dropped: r.Dropped(), Entries: make([]Entry, 0, r.Len())}
		r.Each(func(p packed) bool { rs.Entries = append(rs.Entries, p.unpack()); return true })
		st.Rings[key] = rs
	}
	return st
}

// Restore replaces what the journal holds with st. Rings keep the journal's
// size: entries beyond it are let go, and counted.
func (j *Journal) Restore(st State) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq = st.Seq
	j.rings = make(map[string]*ring.Ring[packed], len(st.Rings))
	for key, rs := range st.Rings {
		ps := make([]packed, len(rs.Entries))
		for i := range rs.Entries {
			bound(&rs.Entries[i]) // a state file is input like any other
			ps[i] = pack(&rs.Entries[i])
		}
		j.rings[key] = ring.OfWeighted(j.size, MaxRingBytes, weight, ps, rs.Dropped)
	}
}

// Check reports, at once, what in a saved journal [Journal.Restore] would
// trust and must not: negative counts, entries numbered past seq or out of
// order. Each problem starts with the field, as in the file:
// `rings["9970"].entries[0].seq: ...`. A ring of a merchant the scenario
// lacks is not one: a request recorded while its merchant was being
// removed can leave one, and it is only read.
func Check(st State) []error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if st.Seq < 0 {
		add("seq", "%d is negative", st.Seq)
	}
	keys := slices.Sorted(maps.Keys(st.Rings))
	for _, key := range keys {
		rs := st.Rings[key]
		at := fmt.Sprintf("rings[%q]", key)
		if rs.Dropped < 0 {
			add(at+".dropped", "%d is negative", rs.Dropped)
		}
		for i, e := range rs.Entries {
			switch {
			case e.Seq <= 0 || e.Seq > st.Seq:
				add(fmt.Sprintf("%s.entries[%d].seq", at, i), "%d is out of range 1..seq (%d)", e.Seq, st.Seq)
			case i > 0 && e.Seq <= rs.Entries[i-1].Seq:
				add(fmt.Sprintf("%s.entries[%d].seq", at, i), "%d is not after the entry before (%d)", e.Seq, rs.Entries[i-1].Seq)
			}
		}
	}
	return errs
}

// Delta is what a journal recorded since the last [Journal.TakeDelta]:
// each entry with the ring it went to, oldest first. Whole is set when
// entries were forgotten since, or more were recorded than a delta keeps:
// the journal must then be saved whole.
type Delta struct {
	Seq     int64        `json:"seq"`
	Entries []KeyedEntry `json:"entries,omitempty"`
	Whole   bool         `json:"-"`
}

// KeyedEntry is an entry and its ring's key.
type KeyedEntry struct {
	Ring  string `json:"ring"`
	Entry Entry  `json:"entry"`
}

// TakeDelta returns what was recorded since the last call, and starts
// collecting afresh.
func (j *Journal) TakeDelta() Delta {
	j.mu.Lock()
	defer j.mu.Unlock()
	d := Delta{Seq: j.seq, Whole: j.whole, Entries: make([]KeyedEntry, len(j.unsaved))}
	for i, k := range j.unsaved {
		d.Entries[i] = KeyedEntry{Ring: k.ring, Entry: k.p.unpack()}
	}
	clear(j.unsaved)
	j.unsaved, j.unsavedBytes, j.whole = j.unsaved[:0], 0, false
	return d
}

// Apply adds a delta's entries to a saved state st, as recording them
// would have: rings keep at most size entries, counting those let go.
func (st *State) Apply(d Delta, size int) {
	if st.Rings == nil {
		st.Rings = map[string]RingState{}
	}
	for _, k := range d.Entries {
		rs := st.Rings[k.Ring]
		rs.Entries = append(rs.Entries, k.Entry)
		if size > 0 && len(rs.Entries) > 2*size { // trimmed as they come: Restore keeps the last size
			cut := len(rs.Entries) - size
			rs.Dropped += int64(cut)
			rs.Entries = append(rs.Entries[:0], rs.Entries[cut:]...)
		}
		st.Rings[k.Ring] = rs
	}
	st.Seq = max(st.Seq, d.Seq)
}
