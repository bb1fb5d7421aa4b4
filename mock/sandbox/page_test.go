package sandbox

import (
	"errors"
	"net/url"
	"slices"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// walk pages through items with query q, following next_cursor, and
// returns every key seen, oldest first.
func walk(t *testing.T, items []int64, q string, sorted bool) []int64 {
	t.Helper()
	var got []int64
	cursor := ""
	for pages := 0; ; pages++ {
		v, _ := url.ParseQuery(q + cursor)
		p, err := parsePaging(v)
		if err != nil {
			t.Fatalf("%s%s: %v", q, cursor, err)
		}
		out, next, ok := page(items, p, func(k *int64) int64 { return *k }, sorted)
		if !ok || len(out) > p.limit {
			t.Fatalf("%s%s: %v, ok %v", q, cursor, out, ok)
		}
		switch p.order {
		case OrderOldest:
			got = append(got, out...)
		case OrderNewest:
			slices.Reverse(out)
			got = append(out, got...)
		default:
			got = append(out, got...)
		}
		if next == "" {
			return got
		}
		if pages > len(items) {
			t.Fatalf("%s: the cursor never ends", q)
		}
		cursor = "&cursor=" + next
	}
}

func TestPagesListEveryItemOnce(t *testing.T) {
	sorted := []int64{3, 5, 8, 13, 21, 34, 55}
	unsorted := []int64{55, 3, 34, 8, 21, 5, 13}
	for _, q := range []string{"limit=1", "limit=2", "limit=3&order=oldest", "limit=3&order=newest", "limit=7", "limit=1000&order=newest", "order=oldest"} {
		if got := walk(t, sorted, q, true); !slices.Equal(got, sorted) {
			t.Errorf("%s: got %v, want %v", q, got, sorted)
		}
		if got := walk(t, unsorted, q, false); !slices.Equal(got, unsorted) {
			t.Errorf("%s (keys in no order): got %v, want %v", q, got, unsorted)
		}
	}
	// A cursor whose item was let go still places the page, by key.
	p, _ := parsePaging(url.Values{"cursor": {"b20"}, "limit": {"2"}})
	if out, next, _ := page(sorted, p, func(k *int64) int64 { return *k }, true); !slices.Equal(out, []int64{8, 13}) || next != "b8" {
		t.Errorf("before 20: %v next %q, want [8 13] next b8", out, next)
	}
	// Without order=, the default page is the newest, oldest first.
	p, _ = parsePaging(url.Values{"limit": {"2"}})
	if out, next, _ := page(sorted, p, func(k *int64) int64 { return *k }, true); !slices.Equal(out, []int64{34, 55}) || next != "b34" {
		t.Errorf("default page: %v next %q, want [34 55] next b34", out, next)
	}
	p, _ = parsePaging(url.Values{"cursor": {"b99"}})
	if _, _, ok := page(unsorted, p, func(k *int64) int64 { return *k }, false); ok {
		t.Errorf("a cursor naming no item kept was taken")
	}
}

// FuzzPaging: any query gives a page no longer than its limit, of items
// of the list, whose next cursor reads back.
func FuzzPaging(f *testing.F) {
	for _, s := range []string{"limit=2&order=oldest&cursor=a5", "cursor=b8", "cursor=", "cursor=a", "cursor=a-1", "order=newest&limit=1", "cursor=%00", "limit=1001"} {
		f.Add(s)
	}
	items := []int64{3, 5, 8, 13, 21}
	f.Fuzz(func(t *testing.T, query string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		p, err := parsePaging(q)
		if err != nil {
			return
		}
		if p.limit < 1 || p.limit > MaxPage {
			t.Fatalf("%q: limit %d taken", query, p.limit)
		}
		for _, sorted := range []bool{true, false} {
			out, next, ok := page(items, p, func(k *int64) int64 { return *k }, sorted)
			if !ok {
				continue
			}
			if len(out) > p.limit {
				t.Fatalf("%q: %d items, limit %d", query, len(out), p.limit)
			}
			for _, k := range out {
				if !slices.Contains(items, k) {
					t.Fatalf("%q: %d is not an item", query, k)
				}
			}
			if next != "" {
				v := url.Values{"cursor": {next}}
				if p.order != "" {
					v.Set("order", p.order)
				}
				if _, err := parsePaging(v); err != nil {
					t.Fatalf("%q: next_cursor %q does not read back: %v", query, next, err)
				}
			}
		}
	})
}

// The awaits a change wakes are those it concerns.
func TestAwaitsWakeWhatAChangeConcerns(t *testing.T) {
	a := newAwaits(10)
	a.history = func(string) ([]notify.Notification, int64) { return nil, 0 }
	one, min := 1, 2
	req, _ := a.enter(scenario.Expect{Requests: &scenario.ExpectRequests{Path: "/g2g/payout_status2", OrderID: "7", Min: &min}})
	status, _ := a.enter(scenario.Expect{Status: &scenario.ExpectStatus{OrderID: "7", Status: "success"}})
	other, _ := a.enter(scenario.Expect{Requests: &scenario.ExpectRequests{Path: "/g2g/payout_status2", OrderID: "8", Min: &one}})
	a.counting(req)
	a.counted(req, 2)
	a.counting(other)
	a.counted(other, 1)
	woken := func(w *awaiter) bool {
		select {
		case <-w.wake:
			return true
		default:
			return false
		}
	}
	a.Request(&journal.Entry{Path: "/g2g/payout_status2", OrderID: "7"})
	if woken(req) || !woken(status) || woken(other) {
		t.Errorf("the first request for order 7 woke request await %v (want no: 1 of 2), status await %v (want yes), order 8's %v (want no)", woken(req), woken(status), woken(other))
	}
	a.Request(&journal.Entry{Path: "/g2g/payout_status2", OrderID: "7"})
	if !woken(req) {
		t.Errorf("the second request for order 7 did not wake the await of 2")
	}
	a.Changed()
	if woken(req) || woken(other) || !woken(status) {
		t.Errorf("a change of the schedule woke a request await, or not the status await")
	}
	for range 7 {
		if _, err := a.enter(scenario.Expect{Status: &scenario.ExpectStatus{OrderID: "9", Status: "success"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.enter(scenario.Expect{Status: &scenario.ExpectStatus{OrderID: "9", Status: "success"}}); !errors.Is(err, ErrTooManyAwaits) {
		t.Errorf("the 11th await: %v, want ErrTooManyAwaits", err)
	}
	a.leave(other)
	if st := a.Stats(); st.Open != 9 {
		t.Errorf("%d open, want 9", st.Open)
	}
}

// parsePaging reads limit=, order= and cursor= (tests).
func parsePaging(q url.Values) (paging, error) {
	p, err := ReadPage(q)
	if err != nil {
		return paging{}, err
	}
	return p.paging()
}
