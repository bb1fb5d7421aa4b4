package sandbox

import (
	"net/url"
	"slices"
	"strconv"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
)

// Pages of the lists (/_mock/notifications, /_mock/payouts,
// /_mock/requests).
const (
	DefaultPage = 100  // items a list answers without limit=
	MaxPage     = 1000 // the most limit= may ask for
	// MaxPageBytes bounds a page of every list by about what its items
	// weigh as JSON: a page ends early past it (one item at least), its
	// next_cursor leading on.
	MaxPageBytes = 4 << 20
)

// Orders of a list: without order=, a page is the newest items listed
// oldest first, as the lists were before they had pages, and its cursor
// leads to older ones.
const (
	OrderNewest = "newest" // newest first; the cursor leads to older items
	OrderOldest = "oldest" // oldest first from the oldest kept; the cursor leads to newer items
)

// PageKeys are a list route's query parameters: its filters and paging.
func PageKeys(filters ...string) []string {
	return append(filters, "limit", "order", "cursor")
}

// paging is a list query's paging: how many items, in which order, and
// from where.
type paging struct {
	limit int
	order string // "", OrderNewest or OrderOldest
	// A cursor: the items after key (oldest first), or before it.
	after, before int64
	hasCursor     bool
}

// Page asks for one page of a list: at most Limit items (0: DefaultPage),
// in Order ("": the newest page, oldest first; OrderNewest; OrderOldest),
// from Cursor (a reply's NextCursor; "": the first page).
type Page struct {
	Limit  int
	Order  string
	Cursor string
}

// ReadPage reads a list query's limit=, order= and cursor=.
func ReadPage(q url.Values) (Page, error) {
	p := Page{Order: q.Get("order"), Cursor: q.Get("cursor")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return p, errorf(BadRequest, "limit=%.40q: want a count from 1 to %d", s, MaxPage)
		}
		if n < 1 || n > MaxPage {
			return p, errorf(BadRequest, "limit=%d: want a count from 1 to %d", n, MaxPage)
		}
		p.Limit = n
	}
	return p, nil
}

// paging checks p. A cursor is what a reply's next_cursor said: "a" and
// the key of the last item shown, for a list oldest first, else "b" and
// the key of the oldest item shown.
func (pg Page) paging() (paging, error) {
	p := paging{limit: DefaultPage, order: pg.Order}
	if pg.Limit != 0 {
		if pg.Limit < 1 || pg.Limit > MaxPage {
			return p, errorf(BadRequest, "limit=%d: want a count from 1 to %d", pg.Limit, MaxPage)
		}
		p.limit = pg.Limit
	}
	switch p.order {
	case "", OrderNewest, OrderOldest:
	default:
		return p, errorf(BadRequest, "order=%q: want newest or oldest (without it: the newest page, oldest first)", p.order)
	}
	c := pg.Cursor
	if c == "" {
		return p, nil
	}
	key, err := strconv.ParseInt(c[1:], 10, 64)
	if err != nil || key <= 0 || (c[0] != 'a' && c[0] != 'b') {
		return p, errorf(BadRequest, "cursor=%q is not a next_cursor of this list", c)
	}
	p.hasCursor = true
	if c[0] == 'a' {
		p.after = key
	} else {
		p.before = key
	}
	if (p.after != 0) != (p.order == OrderOldest) {
		return p, errorf(BadRequest, "cursor=%q goes the other way: give it with the order= of the reply it came from", c)
	}
	return p, nil
}

// cursorAfter and cursorBefore are the next_cursor of a page.
func cursorAfter(key int64) string  { return "a" + strconv.FormatInt(key, 10) }
func cursorBefore(key int64) string { return "b" + strconv.FormatInt(key, 10) }

// window picks the page of n items listed oldest first whose keys keyOf
// gives: the items from lo to hi, where find places a cursor's key (its
// index, or false when it names no item kept). It returns the page's
// bounds, the next cursor ("" on the last page), and whether the cursor
// was found.
func (p paging) window(n int, keyOf func(i int) int64, find func(key int64) (int, bool), weight func(i int) int) (from, to int, next string, ok bool) {
	lo, hi := 0, n
	if p.after != 0 {
		i, found := find(p.after)
		if !found {
			return 0, 0, "", false
		}
		lo = i + 1
	}
	if p.before != 0 {
		i, found := find(p.before)
		if !found {
			return 0, 0, "", false
		}
		hi = i
	}
	if p.order == OrderOldest {
		to = min(lo+p.limit, hi)
		if weight != nil { // within MaxPageBytes, one item at least
			for i, w := lo, 0; i < to; i++ {
				if w += weight(i); w > MaxPageBytes && i > lo {
					to = i
				}
			}
		}
		if to < hi {
			next = cursorAfter(keyOf(to - 1))
		}
		return lo, to, next, true
	}
	from = max(lo, hi-p.limit)
	if weight != nil {
		for i, w := hi-1, 0; i >= from; i-- {
			if w += weight(i); w > MaxPageBytes && i < hi-1 {
				from = i + 1
			}
		}
	}
	if from > lo {
		next = cursorBefore(keyOf(from))
	}
	return from, hi, next, true
}

// page returns the page of items (oldest first) that p asks for, listed
// in its order, and the next cursor. Keys are increasing when sorted is
// true (a cursor's item may then be gone: the page starts where it was);
// else a cursor must name an item still listed, or ok is false.
func page[T any](items []T, p paging, key func(*T) int64, sorted bool, weight ...func(*T) int) (out []T, next string, ok bool) {
	keyOf := func(i int) int64 { return key(&items[i]) }
	find := func(k int64) (int, bool) {
		if sorted {
			i, _ := slices.BinarySearchFunc(items, k, func(it T, k int64) int {
				switch kk := key(&it); {
				case kk < k:
					return -1
				case kk > k:
					return 1
				}
				return 0
			})
			if p.after != 0 {
				// the first item after the cursor's key: its index minus one
				for i < len(items) && keyOf(i) <= k {
					i++
				}
				return i - 1, true
			}
			return i, true
		}
		for i := range items {
			if keyOf(i) == k {
				return i, true
			}
		}
		return 0, false
	}
	var weightOf func(i int) int
	if len(weight) > 0 {
		weightOf = func(i int) int { return weight[0](&items[i]) }
	}
	from, to, next, ok := p.window(len(items), keyOf, find, weightOf)
	if !ok {
		return nil, "", false
	}
	out = slices.Clone(items[from:to])
	if p.order == OrderNewest {
		slices.Reverse(out)
	}
	if out == nil {
		out = []T{}
	}
	return out, next, true
}

// payoutWeight, paymentWeight and cardWeight are about what an item of
// their list weighs as JSON, for MaxPageBytes: its texts, and a fixed
// weight for its names, numbers and punctuation.
func payoutWeight(p *ledger.Payout) int {
	return 1024 + len(p.OrderID) + len(p.UserID) + len(p.PostLink) + len(p.BackLink) + len(p.CardToken) +
		128*len(p.Timeline) + 32*len(p.Drills)
}

func paymentWeight(p *ledger.Payment) int {
	w := 2048 + len(p.OrderID) + len(p.Description) + len(p.Refusal) + len(p.CheckURL) + len(p.ResultURL) +
		len(p.SuccessURL) + len(p.FailureURL) + len(p.RefundURL) + len(p.CaptureURL) + 128*len(p.Timeline) + 32*len(p.Drills) + 32*len(p.Operations)
	for _, r := range p.Refunds {
		w += 192 + len(r.Reference)
	}
	return w
}

func cardWeight(c *ledger.StoredCard) int {
	return 512 + len(c.UserID) + len(c.PostLink) + len(c.BackLink) + len(c.Token)
}

// listed is the page p asks for of the items keep selects, selected and
// paged where read gives them (the ledger, under its lock), so that only
// the page's items are copied (by view), not every item kept; matched
// counts the items selected, and ok is false for a cursor naming none.
func listed[T, V any](read func(func([]*T)), p paging, keep func(*T) bool, key func(*T) int64, weight func(*T) int, view func(*T) V) (out []V, matched int, next string, ok bool) {
	read(func(all []*T) {
		var match []*T
		for _, it := range all {
			if keep(it) {
				match = append(match, it)
			}
		}
		var shown []*T
		shown, next, ok = page(match, p, func(it **T) int64 { return key(*it) }, false, func(it **T) int { return weight(*it) })
		matched = len(match)
		out = make([]V, len(shown))
		for i, it := range shown {
			out[i] = view(it)
		}
	})
	return out, matched, next, ok
}
