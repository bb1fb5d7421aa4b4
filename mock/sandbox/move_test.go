package sandbox

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// A move of the clock reports its attempts within MaxRunBytes however many
// it made, each heavy (8 KiB of the merchant's fields, 2 KiB of answer),
// and counts them all.
func TestMoveReportBounded(t *testing.T) {
	mv := &move{}
	big := strings.Repeat("x", 8<<10)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5000 {
		mv.add([]notify.Attempt{{Notification: i, At: t0.Add(time.Duration(i) * time.Second), Answer: strings.Repeat("a", 2<<10),
			Fields: sign.Fields{{Name: "cart", Value: big}}}})
	}
	r, err := (&Sandbox{clock: clock.NewManual(t0)}).run(mv, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(r)
	if r.AttemptedTotal != 5000 || len(r.Attempted) == 0 || len(r.Attempted) >= 5000 {
		t.Fatalf("%d attempts reported of %d", len(r.Attempted), r.AttemptedTotal)
	}
	if len(body) > MaxRunBytes+MaxRunBytes/4 {
		t.Errorf("the report is %d bytes, over MaxRunBytes %d", len(body), MaxRunBytes)
	}
	if r.Attempted[0].Notification != 0 || r.Attempted[len(r.Attempted)-1].Notification != len(r.Attempted)-1 {
		t.Errorf("the first attempts are not the ones kept")
	}
}

// A page of a heavy list ends within MaxPageBytes, one item at least, and
// its cursor leads on to the rest, in either order; without a weight the
// limit alone decides.
func TestPageBytesBounded(t *testing.T) {
	items := make([]int64, 100)
	for i := range items {
		items[i] = int64(i + 1)
	}
	key := func(k *int64) int64 { return *k }
	heavy := func(*int64) int { return MaxPageBytes / 10 } // 10 fit
	for _, order := range []string{"", OrderNewest, OrderOldest} {
		p, err := Page{Limit: 50, Order: order}.paging()
		if err != nil {
			t.Fatal(err)
		}
		var seen []int64
		for range 20 {
			out, next, ok := page(items, p, key, true, heavy)
			if !ok || len(out) == 0 || len(out) > 10 {
				t.Fatalf("order %q: a page of %d items", order, len(out))
			}
			seen = append(seen, out...)
			if next == "" {
				break
			}
			if p, err = (Page{Limit: 50, Order: order, Cursor: next}).paging(); err != nil {
				t.Fatal(err)
			}
		}
		if order == "" || order == OrderNewest {
			if len(seen) != 100 || !slicesHave(seen, 1) || !slicesHave(seen, 100) {
				t.Errorf("order %q: paged through %d items", order, len(seen))
			}
		} else if len(seen) != 100 || seen[0] != 1 || seen[99] != 100 {
			t.Errorf("order %q: paged through %v", order, seen)
		}
		if out, _, _ := page(items, p, key, true, func(*int64) int { return MaxPageBytes * 2 }); len(out) != 1 {
			t.Errorf("order %q: an item over the bound alone: a page of %d, want 1", order, len(out))
		}
	}
}

func slicesHave(s []int64, v int64) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
