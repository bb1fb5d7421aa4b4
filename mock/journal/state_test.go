package journal

import (
	"strings"
	"testing"
)

func TestCheckSavedJournal(t *testing.T) {
	good := func() State {
		return State{Seq: 3, Rings: map[string]RingState{
			"9970": {Entries: []Entry{{Seq: 1}, {Seq: 3}}},
			"":     {Dropped: 4, Entries: []Entry{{Seq: 2}}},
		}}
	}
	if errs := Check(good()); len(errs) != 0 {
		t.Fatalf("Check(a journal the sandbox writes) = %v, want no problem", errs)
	}
	cases := []struct {
		name   string
		change func(st *State)
		want   string
	}{
		{"negative seq", func(st *State) { st.Seq = -1; st.Rings = nil }, "seq: -1 is negative"},
		{"negative dropped", func(st *State) { r := st.Rings[""]; r.Dropped = -1; st.Rings[""] = r }, `rings[""].dropped: -1 is negative`},
		{"an entry past seq", func(st *State) { st.Seq = 2 }, `rings["9970"].entries[1].seq: 3 is out of range 1..seq (2)`},
		{"entries out of order", func(st *State) { st.Rings["9970"] = RingState{Entries: []Entry{{Seq: 3}, {Seq: 1}}} }, `rings["9970"].entries[1].seq: 1 is not after the entry before (3)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := good()
			c.change(&st)
			errs := Check(st)
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), c.want) {
				t.Errorf("Check = %v, want one problem saying %q", errs, c.want)
			}
		})
	}
}
