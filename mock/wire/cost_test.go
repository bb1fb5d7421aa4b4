package wire

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// costBudget is what one request under 1 MiB may cost the gateway's path
// from the body to a signature verdict: decode, verify and, for a wrong
// pg_sig, the explanation.
const (
	costBudgetBytes = 50 << 20
	costBudgetCPU   = time.Second
)

// hostile is a request of a worst shape for one parser.
type hostile struct {
	name        string
	method, ct  string
	query, body string
}

// hostileShapes are the worst shapes known for each parser, each under
// 1 MiB: deep bracket nesting, long shared paths, many tiny fields.
func hostileShapes() []hostile {
	const mib = 1 << 20
	sig := "&pg_merchant_id=9970&pg_salt=s&pg_sig=00000000000000000000000000000000"
	deep := func(n int, seg string) string { return "pg_x" + strings.Repeat("["+seg+"]", n) }
	var shapes []hostile
	form := func(name, body string) {
		shapes = append(shapes, hostile{name: name, method: http.MethodPost, ct: formType, body: body})
	}
	// A name nesting [a] as deep as fits.
	form("urlencoded: [a] nested to 1 MiB", deep((mib-200)/3, "a")+"=1"+sig)
	// Nesting just within PHP's limit, with long keys: the flattened names
	// are as long as the input allows, and every level repeats them.
	form("urlencoded: 64 levels of 16 KiB keys", deep(64, strings.Repeat("k", (mib-400)/64-2))+"=1"+sig)
	// 1 000 fields under one group, each 64 levels deep.
	var b strings.Builder
	for i := range 990 {
		fmt.Fprintf(&b, "%s[%d]=1&", deep(63, "b"), i)
	}
	form("urlencoded: 990 fields 64 deep", b.String()+sig[1:])
	b.Reset()
	for i := range 990 {
		fmt.Fprintf(&b, "pg_x[]=%d&", i)
	}
	form("urlencoded: 990 appends to one list", b.String()+sig[1:])
	// A million-part query string: PHP's 1 000 must stop it early.
	shapes = append(shapes, hostile{name: "query: 300 000 parts", method: http.MethodGet,
		query: strings.Repeat("a=1&", 300_000)[:mib-100] + sig[1:]})
	shapes = append(shapes, hostile{name: "query: [a] nested to 1 MiB", method: http.MethodGet,
		query: deep((mib-200)/3, "a") + "=1" + sig})

	// XML: leaves sharing one long element path, and many tiny leaves.
	longPath := func(levels int, nameLen int, leaves int) string {
		var x strings.Builder
		x.WriteString("<request><pg_merchant_id>9970</pg_merchant_id><pg_salt>s</pg_salt><pg_sig>0</pg_sig>")
		names := make([]string, levels)
		for i := range names {
			names[i] = fmt.Sprintf("e%d%s", i, strings.Repeat("n", nameLen))
			x.WriteString("<" + names[i] + ">")
		}
		for range leaves {
			x.WriteString("<a/>")
		}
		for i := len(names) - 1; i >= 0; i-- {
			x.WriteString("</" + names[i] + ">")
		}
		x.WriteString("</request>")
		return x.String()
	}
	rawXML := func(name string, doc func(budget int) string) {
		shapes = append(shapes, hostile{name: "xml: " + name, method: http.MethodPost, ct: "application/xml", body: doc(mib - 100)})
		// pg_xml escapes "<", "/" and ">" to three bytes each: a quarter
		// of the budget leaves room for any document.
		shapes = append(shapes, hostile{name: "pg_xml: " + name, method: http.MethodPost, ct: formType,
			body: "pg_xml=" + url.QueryEscape(doc((mib-100)/4))})
	}
	fill := func(n int) int { return max(n, 0) }
	rawXML("29 levels of 1 KiB names over 999 leaves", func(int) string { return longPath(29, 1<<10, 990) })
	rawXML("29 levels of 8 KiB names, one leaf", func(budget int) string { return longPath(29, fill(budget/58-20), 1) })
	rawXML("tiny leaves", func(budget int) string { return longPath(1, 1, budget/5) })
	rawXML("one-leaf groups", func(budget int) string {
		var many strings.Builder
		many.WriteString("<request>")
		for many.Len() < budget-20 {
			many.WriteString("<g><a/></g>")
		}
		many.WriteString("</request>")
		return many.String()
	})
	rawXML("flattened names just under the limit", func(int) string { return longPath(8, 1<<10, 120) })

	// JSON: as XML, and arrays nested as deep as fits.
	jsonPath := func(levels, nameLen, leaves int) string {
		var j strings.Builder
		j.WriteString(`{"pg_merchant_id":9970,"pg_salt":"s","pg_sig":"0"`)
		sep := "," // after the root's first members; the first member of a group has none
		for i := range levels {
			fmt.Fprintf(&j, `%s"e%d%s":{`, sep, i, strings.Repeat("n", nameLen))
			sep = ""
		}
		for i := range leaves {
			fmt.Fprintf(&j, `%s"a%d":1`, sep, i)
			sep = ","
		}
		j.WriteString(strings.Repeat("}", levels+1))
		return j.String()
	}
	jsonBody := func(name, body string) {
		shapes = append(shapes, hostile{name: "json: " + name, method: http.MethodPost, ct: "application/json", body: body})
	}
	jsonBody("29 levels of 1 KiB names over 990 leaves", jsonPath(29, 1<<10, 990))
	jsonBody("flattened names just under the limit", jsonPath(8, 1<<10, 120))
	jsonBody("tiny members", jsonPath(1, 1, (mib-100)/12))
	jsonBody("arrays nested to 1 MiB", `{"pg_sig":"0","pg_x":`+strings.Repeat("[", mib-100))

	// Multipart: many empty parts, and one part with a name nesting deep.
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	for mp.Len() < mib-4096 {
		_ = mw.WriteField("a", "")
	}
	_ = mw.WriteField("pg_merchant_id", "9970")
	_ = mw.Close()
	shapes = append(shapes, hostile{name: "multipart: 10 000 parts", method: http.MethodPost, ct: mw.FormDataContentType(), body: mp.String()})
	mp.Reset()
	mw = multipart.NewWriter(&mp)
	_ = mw.WriteField(deep((mib-1000)/3, "a"), "1")
	_ = mw.WriteField("pg_merchant_id", "9970")
	_ = mw.WriteField("pg_sig", "0")
	_ = mw.Close()
	shapes = append(shapes, hostile{name: "multipart: [a] nested to 1 MiB", method: http.MethodPost, ct: mw.FormDataContentType(), body: mp.String()})
	return shapes
}

// gatewayPath is what the gateway does with a request before any handler:
// decode it, verify pg_sig and, when it does not match, explain why.
func gatewayPath(h hostile) error {
	target := "/g2g/payout_status2"
	if h.query != "" {
		target += "?" + h.query
	}
	r := httptest.NewRequest(h.method, target, strings.NewReader(h.body))
	if h.ct != "" {
		r.Header.Set("Content-Type", h.ct)
	}
	req, err := Decode(r, 1<<20)
	if err != nil {
		return err
	}
	if !sign.Verify("payout_status2", req.Fields, "secret") {
		_ = sign.Explain("payout_status2", req.Fields, "secret")
	}
	return nil
}

// measure returns the bytes allocated and the CPU time (of the whole
// process: any other goroutine counts too) that f costs.
func measure(f func()) (bytes uint64, cpu time.Duration) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c0 := cpuTime()
	f()
	c1 := cpuTime()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, c1 - c0
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestHostileShapesStayCheap: no request of a worst shape under 1 MiB
// allocates more than 50 MB or takes more than 1 s of CPU on its way from
// the body to a signature verdict (the CPU bound is not checked under the
// race detector, which slows everything several times).
func TestHostileShapesStayCheap(t *testing.T) {
	for _, h := range hostileShapes() {
		t.Run(h.name, func(t *testing.T) {
			if n := len(h.body) + len(h.query); n > 1<<20 {
				t.Fatalf("shape is %d bytes, over 1 MiB", n)
			}
			var err error
			bytes, cpu := measure(func() { err = gatewayPath(h) })
			t.Logf("%d KiB in: %.1f MB allocated, %s CPU; %v", (len(h.body)+len(h.query))>>10, float64(bytes)/1e6, cpu, err)
			if bytes > costBudgetBytes {
				t.Errorf("allocated %.1f MB, want at most %d MB", float64(bytes)/1e6, costBudgetBytes>>20)
			}
			if !raceEnabled && cpu > costBudgetCPU {
				t.Errorf("took %s of CPU, want at most %s", cpu, costBudgetCPU)
			}
		})
	}
}

// BenchmarkHostileShapes reports bytes and allocations per worst-case
// request of each shape.
func BenchmarkHostileShapes(b *testing.B) {
	for _, h := range hostileShapes() {
		b.Run(strings.ReplaceAll(h.name, " ", "_"), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(h.body) + len(h.query)))
			for b.Loop() {
				_ = gatewayPath(h)
			}
		})
	}
}

// TestNestingAndFieldLimitsAsPHP: 64 levels of brackets are read, 65 are
// a 9403 naming the field; the 1 001st field of any encoding is refused
// as it is read.
func TestNestingAndFieldLimitsAsPHP(t *testing.T) {
	decode := func(ct, body string) error {
		r := httptest.NewRequest(http.MethodPost, "/g2g/payout_status2", strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		_, err := Decode(r, 1<<20)
		return err
	}
	ok := "pg_receipt" + strings.Repeat("[a]", MaxNesting) + "=1&pg_merchant_id=9970"
	if err := decode(formType, ok); err != nil {
		t.Errorf("%d levels: %v, want read", MaxNesting, err)
	}
	err := decode(formType, "pg_merchant_id=9970&pg_receipt"+strings.Repeat("[a]", MaxNesting+1)+"=1")
	if err == nil || !strings.Contains(err.Error(), "9403") || !strings.Contains(err.Error(), "Field pg_receipt[a]") || !strings.Contains(err.Error(), "65 levels") {
		t.Errorf("%d levels: got %v, want a 9403 naming pg_receipt and its 65 levels", MaxNesting+1, err)
	}
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	for i := range MaxFields + 1 {
		_ = mw.WriteField(fmt.Sprintf("f%d", i), "1")
	}
	_ = mw.Close()
	if err := decode(mw.FormDataContentType(), mp.String()); err == nil || !strings.Contains(err.Error(), "more than 1000 fields") {
		t.Errorf("1 001 multipart fields: got %v, want more than 1000 refused", err)
	}
	var x strings.Builder
	x.WriteString("<request>")
	for range MaxFields + 1 {
		x.WriteString("<g><a>1</a></g>")
	}
	x.WriteString("</request>")
	if err := decode("application/xml", x.String()); err == nil || !strings.Contains(err.Error(), "more than 1000 fields") {
		t.Errorf("1 001 nested XML leaves: got %v, want more than 1000 refused", err)
	}
	var j strings.Builder
	j.WriteString(`{"g":[`)
	for i := range MaxFields + 1 {
		fmt.Fprintf(&j, `{"a%d":1},`, i)
	}
	if err := decode("application/json", strings.TrimSuffix(j.String(), ",")+"]}"); err == nil || !strings.Contains(err.Error(), "more than 1000 fields") {
		t.Errorf("1 001 nested JSON leaves: got %v, want more than 1000 refused", err)
	}
	r := httptest.NewRequest(http.MethodGet, "/g2g/payout_status2?"+strings.Repeat("a=1&", MaxFields+1), nil)
	if _, err := Decode(r, 1<<20); err == nil || !strings.Contains(err.Error(), "more than 1000 fields") {
		t.Errorf("1 001 query fields: got %v, want more than 1000 refused", err)
	}
}

// TestMessagesQuoteInputShort: an unreadable multipart body says why in
// words, not in bufio's.
func TestMessagesQuoteInputShort(t *testing.T) {
	body := strings.Repeat("p", 1<<20-200) + "\r\n--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b--\r\n"
	r := httptest.NewRequest(http.MethodPost, "/g2g/payout_status2", strings.NewReader(body))
	r.Header.Set("Content-Type", "multipart/form-data; boundary=b")
	_, err := Decode(r, 1<<20)
	if err == nil || !strings.Contains(err.Error(), "too long") || len(err.Error()) > 300 {
		t.Errorf("a 1 MiB preamble: %v, want a short 9403 saying a line is too long", err)
	}
}
