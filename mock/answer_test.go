package mock_test

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// hostileAnswers are merchants' answers to a notify shaped to cost the
// sandbox memory, each with the reason its attempt must give.
func hostileAnswers() map[string]struct {
	answer func(w http.ResponseWriter)
	reason string // wanted in the attempt's reason or error
} {
	// 63 KiB of XML whose leaves share one long path: each flattened
	// name repeats 15 names of 1000 bytes.
	var nested strings.Builder
	nested.WriteString(`<response><pg_status>ok</pg_status><pg_sig>0</pg_sig>`)
	long := strings.Repeat("n", 1000)
	for range 15 {
		nested.WriteString("<" + long + ">")
	}
	for nested.Len() < 63<<10-16*1003 {
		nested.WriteString("<b/>")
	}
	for range 15 {
		nested.WriteString("</" + long + ">")
	}
	nested.WriteString("</response>")
	deep := strings.Repeat("<a>", 21000)                                     // 63 KiB, never closed
	many := "<response>" + strings.Repeat("<x>1</x>", 8000) + "</response>"  // 62.5 KiB, 8000 fields
	body := []byte("<pg_status>ok</pg_status>" + strings.Repeat(" ", 1<<20)) // 1 MiB
	header := strings.Repeat("h", 9<<20)                                     // 9 MiB
	xml := func(s string) func(http.ResponseWriter) {
		return func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/xml")
			_, _ = w.Write([]byte(s))
		}
	}
	return map[string]struct {
		answer func(w http.ResponseWriter)
		reason string
	}{
		"nested names":  {xml(nested.String()), "not an ack"},
		"deep":          {xml(deep), "more than 16 deep: not an ack"},
		"many elements": {xml(many), "more than 1000 elements under its root: not an ack"},
		"big body": {func(w http.ResponseWriter) {
			_, _ = w.Write(body)
		}, fmt.Sprintf("answer body over %d KiB", notify.MaxAnswerBody>>10)},
		"big headers": {func(w http.ResponseWriter) {
			w.Header().Set("X-Padding", header)
			_, _ = w.Write([]byte("<pg_status>ok</pg_status>"))
		}, fmt.Sprintf("answer headers over %d KiB", notify.MaxAnswerHeader>>10)},
	}
}

// TestHostileAnswersAreFailedAttempts: a merchant's answer over the bounds
// of an ack (headers, body, nesting, elements, names) is a failed attempt
// with a reason, and costs the sandbox a bounded amount of memory, measured
// as bytes allocated over the whole retry ladder.
func TestHostileAnswersAreFailedAttempts(t *testing.T) {
	for name, c := range hostileAnswers() {
		t.Run(name, func(t *testing.T) {
			m := newMerchant(t, "asflerjgsdfv", func(w http.ResponseWriter, _ *http.Request, _ sign.Fields) { c.answer(w) })
			// A strict ack, so that the ladder runs (a lenient one takes
			// any 200 but one over the size bounds).
			s := mock.RunT(t, mock.Options{Scenario: notifyScenario(t, m.URL+"/hooks/post", "[notify]\nack = \"strict\"\n")})
			before := allocated()
			attempts, err := attempted(s.Drain())
			if err != nil {
				t.Fatal(err)
			}
			cost := allocated() - before
			if len(attempts) != 5 {
				t.Fatalf("%d attempts, want 5 (first + 4 retries): an answer over the bounds is a failed attempt", len(attempts))
			}
			for i, a := range attempts {
				if a.Delivered || a.Conforming || !strings.Contains(a.Reason+a.Error, c.reason) {
					t.Errorf("attempt %d: delivered %v, reason %q, error %q; want failed with %q", i+1, a.Delivered, a.Reason, a.Error, c.reason)
				}
			}
			// Each attempt reads at most 64 KiB of headers and 64 KiB of
			// body; 2 MiB cover the notify, the HTTP exchange on both
			// sides (the merchant is in this process too) and the
			// journal: about 200 to 450 KiB when measured. Unbounded,
			// these cost 4 MiB to 190 MiB an attempt.
			perAttempt := cost / uint64(len(attempts))
			t.Logf("%s: %d KiB allocated per attempt", name, perAttempt>>10)
			if perAttempt > 2<<20 {
				t.Errorf("%d KiB allocated per attempt, want at most 2 MiB", perAttempt>>10)
			}
		})
	}
}

// allocated is the bytes this process allocated so far.
func allocated() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}
