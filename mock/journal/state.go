package journal

import "github.com/freedompay-mock/freedompay-mock/mock/ring"

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
