package journal

import (
	"sync"
	"testing"
)

// Requests recorded from many goroutines at once are all kept, numbered
// 1..n without a gap, each ring oldest first, and a query made after a
// request's Record returns sees it.
func TestConcurrentRecordsAllKeptInOrder(t *testing.T) {
	const writers, each = 8, 500
	j := New(writers*each, func(id string) bool { return id != "" }, nil)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := []string{"9970", "9971"}[w%2]
			for range each {
				e := j.Record(Entry{MerchantID: id, Path: "/g2g/payout_status2"})
				if w == 0 && e.Seq%97 == 0 { // seen at once, whatever is pending
					p := j.Query(Filter{After: e.Seq - 1, Before: e.Seq + 1})
					if len(p.Entries) != 1 || p.Entries[0].Seq != e.Seq {
						t.Errorf("query for entry %d right after it was recorded: %d entries", e.Seq, len(p.Entries))
					}
				}
			}
		}()
	}
	wg.Wait()
	p := j.Query(Filter{})
	if len(p.Entries) != writers*each {
		t.Fatalf("%d entries kept, want %d", len(p.Entries), writers*each)
	}
	for i, e := range p.Entries {
		if e.Seq != int64(i+1) {
			t.Fatalf("entry %d numbered %d: want 1..%d without a gap", i, e.Seq, writers*each)
		}
	}
	for _, id := range []string{"9970", "9971"} {
		var last int64
		for _, e := range j.State().Rings[id].Entries {
			if e.Seq <= last {
				t.Fatalf("ring %s: entry %d after %d", id, e.Seq, last)
			}
			last = e.Seq
		}
	}
	if st := j.State(); st.Seq != writers*each {
		t.Errorf("state seq %d, want %d", st.Seq, writers*each)
	}
}

// A restored journal numbers on from the state's seq, and entries recorded
// before it do not come back.
func TestRestoreNumbersOnFromTheState(t *testing.T) {
	j := New(DefaultSize, func(string) bool { return true }, nil)
	for range 5 {
		j.Record(Entry{MerchantID: "9970"})
	}
	j.Restore(State{Seq: 100, Rings: map[string]RingState{"9970": {Entries: []Entry{{Seq: 100, MerchantID: "9970"}}}}})
	if e := j.Record(Entry{MerchantID: "9970"}); e.Seq != 101 {
		t.Errorf("first entry after the restore numbered %d, want 101", e.Seq)
	}
	p := j.Query(Filter{})
	if len(p.Entries) != 2 || p.Entries[0].Seq != 100 || p.Entries[1].Seq != 101 {
		t.Errorf("after the restore: %+v", p.Entries)
	}
}
