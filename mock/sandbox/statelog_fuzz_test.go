package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// FuzzStateLog reads any state log after a good state.json: records come
// back in order, a last line cut short or failing its check is dropped and
// named, anything else damaged is an error naming its line; never a panic,
// records are numbered one after the other, and replaying what was read
// over the state never panics. What start-up then checks is FuzzStateFile's and TestStateLogTornTail's.
func FuzzStateLog(f *testing.F) {
	_, _, seedDir, s := fuzzSandbox(f)
	fields := sign.Fields{{Name: "pg_merchant_id", Value: "9970"}, {Name: "pg_order_id", Value: "L-1"},
		{Name: "pg_amount", Value: "1"}, {Name: "pg_description", Value: "d"}, {Name: "pg_payment_to", Value: "4405645000006150"},
		{Name: "pg_post_link", Value: "http://127.0.0.1:9/p"}, {Name: "pg_salt", Value: "s"}}
	fields = append(fields, sign.Field{Name: "pg_sig", Value: sign.Sign("p2p2nonreg", fields, "k")})
	r := httptest.NewRequest(http.MethodPost, "/g2g/p2p2nonreg", strings.NewReader(wire.EncodeForm(fields)))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	gatewayHandler(s).ServeHTTP(w, r)
	if !strings.Contains(w.Body.String(), "<pg_status>ok</pg_status>") {
		f.Fatal(w.Body.String())
	}
	if _, err := s.Advance(time.Hour); err != nil {
		f.Fatal(err)
	}
	if err := s.saver.flush(); err != nil {
		f.Fatal(err)
	}
	s.Crash() // as kill -9: no last save
	_ = s.Close(context.Background())
	state, err := os.ReadFile(filepath.Join(seedDir, StateFile))
	if err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(seedDir, LogFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)-7])
	f.Add([]byte(strings.Replace(string(good), `"L-1"`, `"L-2"`, 1)))
	f.Add([]byte(strings.Replace(string(good), "\n", "\r\n", 2)))
	f.Fuzz(func(t *testing.T, log []byte) {
		recs, _, torn, err := readLog(bytes.NewReader(log), state)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") && !strings.HasPrefix(err.Error(), "record ") && !strings.HasPrefix(err.Error(), "it ") {
				t.Fatalf("an error that names no line: %v", err)
			}
			return
		}
		if torn != "" && !strings.HasPrefix(torn, "record ") && !strings.HasPrefix(torn, "line 1 ") {
			t.Fatalf("a dropped last line named %q", torn)
		}
		for i := 1; i < len(recs); i++ {
			if recs[i].Seq != recs[i-1].Seq+1 {
				t.Fatalf("records %d and %d read with seq %d and %d", i-1, i, recs[i-1].Seq, recs[i].Seq)
			}
		}
		// What was read frames again into a log that reads the same.
		var again bytes.Buffer
		if len(recs) > 0 {
			head, _ := logLine(logHeader{Format: logFormat, Version: logVersion, Base: baseOf(state)})
			again.Write(head)
			for _, rec := range recs {
				line, err := logLine(rec)
				if err != nil {
					t.Fatal(err)
				}
				again.Write(line)
			}
			back, _, torn2, err := readLog(&again, state)
			if err != nil || torn2 != "" || len(back) != len(recs) {
				t.Fatalf("%d records read back as %d (%q, %v)", len(recs), len(back), torn2, err)
			}
		}
		var st savedState // afresh: replaying changes it in place
		if err := json.Unmarshal(state, &st); err != nil {
			t.Fatal(err)
		}
		st.replay(recs, 100)
	})
}
