package mock_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// worstRequests are the shapes that took the gateway down: a form whose
// field name nests [a] 19 500 times with a wrong pg_sig (the explanation
// flattened it again per hypothesis), and XML, raw and in pg_xml, whose
// leaves share one long element path (flattened per leaf before the
// merchant was known).
func worstRequests() map[string]*http.Request {
	form := func(body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/g2g/payout_status2", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	var x strings.Builder
	x.WriteString("<request><pg_merchant_id>9970</pg_merchant_id><pg_salt>s</pg_salt><pg_sig>0</pg_sig>")
	for i := range 29 {
		fmt.Fprintf(&x, "<e%d%s>", i, strings.Repeat("n", 1<<10))
	}
	x.WriteString(strings.Repeat("<a/>", 900))
	for i := 28; i >= 0; i-- {
		fmt.Fprintf(&x, "</e%d%s>", i, strings.Repeat("n", 1<<10))
	}
	x.WriteString("</request>")
	raw := httptest.NewRequest(http.MethodPost, "/g2g/payout_status2", strings.NewReader(x.String()))
	raw.Header.Set("Content-Type", "application/xml")
	return map[string]*http.Request{
		"form nesting [a] 19 500 times": form("pg_merchant_id=9970&pg_salt=s&pg_sig=0&pg_x" + strings.Repeat("[a]", 19500) + "=1"),
		"form nesting 64 levels, wrong pg_sig": form("pg_merchant_id=9970&pg_salt=s&pg_sig=0&pg_order_id=1&pg_x" +
			strings.Repeat("["+strings.Repeat("k", 15000)+"]", 64) + "=1"),
		"raw XML leaves under a 29 KiB path": raw,
		"pg_xml leaves under a 29 KiB path":  form("pg_xml=" + url.QueryEscape(x.String())),
	}
}

// TestWorstRequestsAreCheapAndAnswered: each worst shape gets FreedomPay's
// error at a cost of a few megabytes, and the gateway serves the next
// request.
func TestWorstRequestsAreCheapAndAnswered(t *testing.T) {
	s, err := mock.New(mock.Options{ClockMode: "manual"})
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range worstRequests() {
		t.Run(name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			s.Handler().ServeHTTP(rec, r)
			runtime.ReadMemStats(&after)
			allocated := after.TotalAlloc - before.TotalAlloc
			body := rec.Body.String()
			t.Logf("%.1f MB allocated; %s", float64(allocated)/1e6, body)
			if !strings.Contains(body, "<pg_error_code>") {
				t.Errorf("answer %q, want FreedomPay's error", body)
			}
			if allocated > 50<<20 {
				t.Errorf("allocated %.1f MB, want at most 50 MB", float64(allocated)/1e6)
			}
		})
	}
	body := wire.EncodeForm(signed("payout_status2", "test_secret_key", "pg_merchant_id", "9970", "pg_order_id", "none"))
	r := httptest.NewRequest(http.MethodPost, "/g2g/payout_status2", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, r)
	if !strings.Contains(rec.Body.String(), "<pg_sig>") {
		t.Errorf("a good request after them: %s, want a signed answer", rec.Body)
	}
}

// BenchmarkWorstRequests reports bytes and allocations per worst-case
// request through the whole handler, journal included.
func BenchmarkWorstRequests(b *testing.B) {
	s, err := mock.New(mock.Options{ClockMode: "manual"})
	if err != nil {
		b.Fatal(err)
	}
	for name, r := range worstRequests() {
		body := readAll(b, r)
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				req := httptest.NewRequest(r.Method, r.URL.String(), strings.NewReader(body))
				req.Header = r.Header
				s.Handler().ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}

func readAll(b *testing.B, r *http.Request) string {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		b.Fatal(err)
	}
	return string(data)
}

// TestLargeRequestsLeaveNothingBehind: what the sandbox keeps of a request
// (a journal entry, a payout) holds no part of its body but what it shows:
// 60 requests of 1 MiB through a real connection, half with a wrong
// pg_sig, half making payouts with a large extra field, leave the live
// heap within a few megabytes. Before, each kept its whole body alive
// through a short field sliced from it.
func TestLargeRequestsLeaveNothingBehind(t *testing.T) {
	s := mock.RunT(t, mock.Options{ClockMode: "manual", Scenario: payoutScenario(t, post)})
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	send := func(body string) string {
		resp, err := http.Post(s.URL()+"/g2g/p2p2nonreg", "application/x-www-form-urlencoded", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		answer, _ := io.ReadAll(resp.Body)
		return string(answer)
	}
	big := strings.Repeat("x", 1<<20-1000)
	before := heap()
	for i := range 30 {
		send(fmt.Sprintf("pg_merchant_id=9970&pg_order_id=bad-%d&pg_salt=s&pg_sig=00000000000000000000000000000000&junk=%s", i, big))
		kv := []string{"pg_merchant_id", "9970", "pg_order_id", fmt.Sprintf("big-%d", i), "pg_amount", "10", "pg_description", "Payout",
			"pg_payment_to", "4111111111111111", "pg_post_link", post, "junk", big}
		if answer := send(wire.EncodeForm(signed("p2p2nonreg", payoutSecret, kv...))); !strings.Contains(answer, "<pg_status>ok</pg_status>") {
			t.Fatalf("making payout big-%d: %s", i, answer)
		}
	}
	for i := range 30 {
		if _, ok := mock.PayoutByOrder(s, "9970", fmt.Sprintf("big-%d", i)); !ok {
			t.Fatalf("payout big-%d was not made", i)
		}
	}
	grew := int64(heap()) - int64(before)
	t.Logf("live heap grew by %.1f MB for 60 MiB of requests", float64(grew)/1e6)
	if grew > 8<<20 {
		t.Errorf("live heap grew by %.1f MB, want at most 8 MB: requests are kept whole", float64(grew)/1e6)
	}
}

// TestPayoutKeepsNoLongTexts: a payout keeps its links and user id, and
// every notify repeats the link, so their lengths are bounded (FreedomPay
// documents none): 2 048 characters of link and 255 of user id are taken,
// one more is a 9403 naming the field.
func TestPayoutKeepsNoLongTexts(t *testing.T) {
	s := mock.RunT(t, mock.Options{ClockMode: "manual", Scenario: payoutScenario(t, post)})
	link := func(n int) string { return post + "?" + strings.Repeat("a", n-len(post)-1) }
	for _, c := range []struct {
		name, value, want string
	}{
		{"pg_post_link", link(2048), "ok"},
		{"pg_post_link", link(2049), "pg_post_link"},
		{"pg_user_id", strings.Repeat("u", 255), "ok"},
		{"pg_user_id", strings.Repeat("u", 256), "pg_user_id"},
	} {
		kv := []string{"pg_order_id", fmt.Sprintf("long-%s-%d", c.name, len(c.value)), "pg_amount", "10", "pg_description", "Payout",
			"pg_payment_to", "4111111111111111", "pg_post_link", post}
		kv = with(kv, c.name, c.value)
		if c.name == "pg_user_id" {
			kv = append(kv, c.name, c.value)
		}
		r := call(t, s, "/g2g/p2p2nonreg", kv...)
		if c.want == "ok" {
			wantSigned(t, r, "p2p2nonreg")
			continue
		}
		wantError(t, r, "9403")
		if !strings.Contains(r.fields.Value("pg_error_description"), c.want) {
			t.Errorf("%s of %d characters: %q, want the field named", c.name, len(c.value), r.fields.Value("pg_error_description"))
		}
	}
}

// hotPathAllocs is what one signed payout_status2 request costs the
// sandbox in allocations, from its handler in to its reply out (net/http's
// own, the request's and the writer's not counted): the body and its
// fields, the call (which has room for the reply's fields), the reply's
// payment id, amounts, salt and signature, and the journal's entry. It was
// 35 while the router matched the request by regular expression and put
// the match in its context, the log line's attributes were made at a level
// not written, the signature check made a string, the journal copied its
// text twice, pg_datetime was formatted for every reply and each entry
// made a redactor of its merchant's secrets; 13 while the status copied the
// payout and its timeline, the reply's fields had their own slice and its
// XML was not written into a pooled buffer.
const hotPathAllocs = 9

// TestPayoutStatus2Allocations pins hotPathAllocs: an allocation added to
// the hot path fails here, so that it is a choice.
func TestPayoutStatus2Allocations(t *testing.T) {
	s, _ := newServer(t, nil)
	body := signed("payout_status2", payoutSecret, "pg_merchant_id", "9970", "pg_order_id", "12345", "pg_payment_id", "7777777777").Values().Encode()
	rd := strings.NewReader(body)
	r := httptest.NewRequest(http.MethodPost, "/g2g/payout_status2", rd)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := &reusedWriter{header: http.Header{}}
	h := s.Handler()
	serve := func() {
		rd.Reset(body)
		clear(w.header)
		w.body = w.body[:0]
		h.ServeHTTP(w, r)
	}
	serve()
	if !strings.Contains(string(w.body), "<pg_status>ok</pg_status>") {
		t.Fatalf("answer %s, want ok", w.body)
	}
	if n := testing.AllocsPerRun(200, serve); n > hotPathAllocs {
		t.Errorf("a payout_status2 request makes %.0f allocations, want at most %d", n, hotPathAllocs)
	} else if n < hotPathAllocs {
		t.Logf("a payout_status2 request makes %.0f allocations: lower hotPathAllocs to it", n)
	}
}

// reusedWriter is a ResponseWriter that keeps its header map and body
// buffer from one request to the next, so that it allocates nothing.
type reusedWriter struct {
	header http.Header
	code   int
	body   []byte
}

func (w *reusedWriter) Header() http.Header  { return w.header }
func (w *reusedWriter) WriteHeader(code int) { w.code = code }
func (w *reusedWriter) Write(b []byte) (int, error) {
	w.body = append(w.body, b...)
	return len(b), nil
}
