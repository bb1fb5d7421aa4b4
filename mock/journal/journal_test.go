package journal

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/redact"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

func sample() Entry {
	return Entry{Seq: 7, At: time.Date(2024, 11, 28, 11, 10, 3, 0, time.UTC), Method: "POST", Path: "/g2g/payout_status2",
		MerchantID: "9970", OrderID: "12345", PaymentID: "7777777777", Encoding: "form",
		Fields:     sign.Fields{{Name: "pg_merchant_id", Value: "9970"}, {Name: "pg_note", Value: ""}, {Name: "", Value: strings.Repeat("é", 100)}},
		HTTPStatus: 200, Outcome: OutcomeError, Code: 9403, Description: "Field pg_amount is required",
		Signature: &sign.Explanation{Script: "payout_status2"}, TookMS: 0.25, Fault: "slow", Made: true, Cut: 2}
}

// A journal keeps entries packed; what comes out is what went in.
func TestPackedEntriesComeBackWhole(t *testing.T) {
	j := New(3, func(id string) bool { return id == "9970" }, nil)
	in := sample()
	got := j.Record(in)
	in.Seq = got.Seq
	page := j.Query(Filter{MerchantID: "9970", Path: "/g2g/payout_status2", OrderID: "12345", PaymentID: "7777777777", Outcome: OutcomeError})
	if len(page.Entries) != 1 || !reflect.DeepEqual(page.Entries[0], in) {
		t.Fatalf("query: %+v\nwant %+v", page.Entries, in)
	}
	for _, f := range []Filter{{OrderID: "1234"}, {Path: "/g2g/payout_status"}, {Outcome: OutcomeOK}, {PaymentID: "7"}} {
		if n := len(j.Query(f).Entries); n != 0 {
			t.Errorf("filter %+v matched %d entries", f, n)
		}
	}
	empty := Entry{Fields: sign.Fields{}}
	j.Record(empty)
	st := j.State()
	back := New(3, nil, nil)
	back.Restore(st)
	if !reflect.DeepEqual(back.State(), st) {
		t.Errorf("restored state differs:\n%+v\nwant %+v", back.State(), st)
	}
}

// pack sizes an entry's text exactly (every byte of it is kept for as long
// as the entry): stringLen is what appendString writes, at every length of
// the length's varint.
func TestStringLenIsWhatAppendStringWrites(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 300, 16383, 16384, 1 << 21} {
		s := strings.Repeat("x", n)
		if got, want := stringLen(s), len(appendString(nil, s)); got != want {
			t.Errorf("stringLen of %d bytes: got %d, want %d", n, got, want)
		}
	}
}

func FuzzPack(f *testing.F) {
	f.Add("POST", "/g2g/payout_status2", "9970", "pg_amount", strings.Repeat("x", 300), 3)
	f.Add("", "", "", "", "", 0)
	f.Fuzz(func(t *testing.T, method, path, merchant, name, value string, nfields int) {
		e := Entry{Method: method, Path: path, MerchantID: merchant, OrderID: value, Description: name + value, Fields: sign.Fields{}}
		for i := range nfields % 70 {
			e.Fields = append(e.Fields, sign.Field{Name: name + string(rune('a'+i%26)), Value: value})
		}
		p := pack(&e)
		if got := p.unpack(); !reflect.DeepEqual(got, e) {
			t.Fatalf("unpack(pack(e)) = %+v\nwant %+v", got, e)
		}
		if !(Filter{MerchantID: merchant, Path: path, OrderID: value}).matches(&p) {
			t.Fatal("an entry does not match its own filter")
		}
	})
}

// A query's page is bounded by After, Before and Limit, from either end;
// Matched counts every match and More says a page left some out.
func TestQueryPages(t *testing.T) {
	j := New(100, func(id string) bool { return id != "" }, nil)
	for i := range 10 {
		j.Record(Entry{MerchantID: []string{"a", "b"}[i%2], Path: "/p"})
	}
	seqs := func(p Page) (out []int64) {
		for _, e := range p.Entries {
			out = append(out, e.Seq)
		}
		return out
	}
	for _, tc := range []struct {
		f    Filter
		want []int64
		more bool
	}{
		{Filter{Limit: 3}, []int64{8, 9, 10}, true},
		{Filter{Limit: 3, Oldest: true}, []int64{1, 2, 3}, true},
		{Filter{Limit: 3, Before: 8}, []int64{5, 6, 7}, true},
		{Filter{Limit: 3, After: 8, Oldest: true}, []int64{9, 10}, false},
		{Filter{MerchantID: "a", Limit: 2, Before: 9}, []int64{5, 7}, true},
		{Filter{Limit: 20}, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, false},
	} {
		p := j.Query(tc.f)
		if fmt.Sprint(seqs(p)) != fmt.Sprint(tc.want) || p.More != tc.more {
			t.Errorf("%+v: %v more %v, want %v more %v", tc.f, seqs(p), p.More, tc.want, tc.more)
		}
		if want := map[string]int{"": 10, "a": 5}[tc.f.MerchantID]; p.Matched != want {
			t.Errorf("%+v: matched %d, want %d", tc.f, p.Matched, want)
		}
	}
}

// TestFloodOfLargestEntriesStaysWithinBudget: entries as large as a
// request can make them are cut to the journal's bounds, names and hints
// included, and a ring lets the oldest go past MaxRingBytes, counting
// them.
func TestFloodOfLargestEntriesStaysWithinBudget(t *testing.T) {
	j := New(DefaultSize, func(string) bool { return true }, nil)
	big := strings.Repeat("n", 1<<20)
	fields := make(sign.Fields, 100)
	for i := range fields {
		fields[i] = sign.Field{Name: big + strconv.Itoa(i), Value: big}
	}
	hints := make([]string, 40)
	for i := range hints {
		hints[i] = "field " + big + " is not in the signature"
	}
	const n = 1500
	for range n {
		j.Record(Entry{Method: "POST", Path: "/g2g/" + big, MerchantID: "9970", OrderID: big, Description: big, Fields: fields,
			Signature: &sign.Explanation{Script: big, SigningString: big, Got: big, Hints: hints}})
	}
	r := j.rings["9970"]
	if r.Weight() > MaxRingBytes {
		t.Errorf("the ring keeps %d bytes, want at most %d", r.Weight(), MaxRingBytes)
	}
	p := j.Query(Filter{MerchantID: "9970"})
	if got := int64(len(p.Entries)) + p.Dropped; got != n || p.Dropped == 0 {
		t.Errorf("%d kept + %d dropped, want %d in all, some dropped", len(p.Entries), p.Dropped, n)
	}
	e := p.Entries[len(p.Entries)-1]
	if len(e.Fields[0].Name) > MaxValue+32 || len(e.Path) > MaxSigning+32 || len(e.Signature.Hints) != MaxHints || len(e.Signature.Hints[0]) > 2*MaxValue+32 {
		t.Errorf("kept entry not cut: name %d bytes, path %d, %d hints of %d bytes", len(e.Fields[0].Name), len(e.Path), len(e.Signature.Hints), len(e.Signature.Hints[0]))
	}
	if e.Cut == 0 {
		t.Errorf("cut = 0, want what was shortened counted")
	}
}

// RecordMasking masks a request's path and description at once and its
// fields whenever they are read, or at once when the journal is saved: a
// query, the state and a delta show the card number and the merchant's
// secret masked, never as sent; the path filter matches the path as shown,
// before a restart as after. A value the journal cuts is masked before the
// cut, so no part of a card number outlives it.
func TestRecordMaskingMasksOnEveryRead(t *testing.T) {
	const secret, pan = "merchant-secret-1", "4111111111111111"
	m := redact.New(secret)
	long := strings.Repeat("x", MaxValue-10) + pan // the cut falls inside the card number
	record := func(j *Journal) {
		j.RecordMasking(Entry{Method: "POST", Path: "/g2g/" + secret, MerchantID: "9970", Description: "card " + pan,
			Fields: sign.Fields{{Name: "pg_card_number", Value: pan}, {Name: "pg_note", Value: "key " + secret}}}, m)
		j.RecordMasking(Entry{Method: "POST", Path: "/p", MerchantID: "9970", Fields: sign.Fields{{Name: "pg_note", Value: long}}}, m)
	}
	seen := func(where string, entries []Entry) {
		t.Helper()
		if len(entries) != 2 {
			t.Fatalf("%s: %d entries, want 2", where, len(entries))
		}
		for _, e := range entries {
			text := fmt.Sprintf("%+v", e)
			for _, leak := range []string{pan, secret, pan[:10], pan[len(pan)-10:]} {
				if strings.Contains(text, leak) {
					t.Errorf("%s shows %q: %s", where, leak, text)
				}
			}
		}
		if e := entries[0]; e.Fields.Value("pg_card_number") != redact.PAN(pan) || !strings.Contains(e.Path, redact.Secret(secret)) {
			t.Errorf("%s: fields %v, path %q; want the card and the secret masked", where, e.Fields, e.Path)
		}
	}
	known := func(id string) bool { return id == "9970" }
	byPath := func(where string, j *Journal) {
		t.Helper()
		shown := "/g2g/" + redact.Secret(secret)
		if a, b := len(j.Query(Filter{Path: shown}).Entries), len(j.Query(Filter{Path: "/g2g/" + secret}).Entries); a != 1 || b != 0 {
			t.Errorf("%s: the path as shown finds %d entries, as sent %d; want 1 and 0", where, a, b)
		}
	}

	lazy := New(10, known, nil) // fields masked when read
	record(lazy)
	seen("query", lazy.Query(Filter{}).Entries)
	seen("state", lazy.State().Rings["9970"].Entries)
	byPath("query", lazy)
	restarted := New(10, known, nil)
	restarted.Restore(lazy.State())
	byPath("after a restart", restarted)

	saved := New(10, known, nil) // fields masked at once
	saved.TrackDeltas()
	record(saved)
	var delta []Entry
	for _, k := range saved.TakeDelta().Entries {
		delta = append(delta, k.Entry)
	}
	seen("delta", delta)
	seen("saved query", saved.Query(Filter{}).Entries)
}
