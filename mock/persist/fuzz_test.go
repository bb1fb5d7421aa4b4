package persist

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad reads any state.json: it is refused with a StateError naming
// the file, each of its problems too, or loaded, never a panic; a state
// loaded encodes again into a file that decodes without a problem.
func FuzzLoad(f *testing.F) {
	good, _ := golden(f)
	start := goldenStart(f, good)
	f.Add(good)
	for _, broken := range []struct{ from, to string }{
		{`"payouts":[`, `"gone":[`},               // a section removed (renamed)
		{`"Amount":1000,`, `"Amount":-1000,`},     // a negative amount
		{`"Status":"success"`, `"Status":"paid"`}, // an unknown status
		{`"MerchantID":"9970"`, `"MerchantID":"1"`},
		{`"state":"`, `"state":"x`},
		{`"merchant_id":"9971"`, `"merchant_id":""`},
	} {
		f.Add([]byte(strings.Replace(string(good), broken.from, broken.to, 1)))
	}
	f.Add([]byte(`{"format":"freedompay-mock state","version":1}`))
	f.Add([]byte(`{"format":"freedompay-mock state","version":1,"scenario":[{"file":"x","source":""}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, StateFile)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		st, sc, err := Load(dir, LoadOptions{Start: start})
		if err != nil {
			var se *StateError
			if !errors.As(err, &se) || se.Path != path {
				t.Fatalf("refused with %v, want a StateError naming %s", err, path)
			}
			if se.Problems != nil {
				for _, l := range strings.Split(se.Problems.Error(), "\n") {
					if !strings.HasPrefix(l, path+": ") {
						t.Fatalf("problem %q does not name the file", l)
					}
				}
			}
			return
		}
		if st == nil || sc == nil {
			t.Fatalf("loaded a state %v with a scenario %v, want both", st != nil, sc != nil)
		}
		again, err := Encode(st)
		if err != nil {
			t.Fatal(err)
		}
		probs := &problems{file: StateFile}
		if back, err := decode(again, probs); back == nil || err != nil || probs.err() != nil {
			t.Fatalf("a state loaded encodes as a file that does not decode: %v %v", err, probs.err())
		}
	})
}

// FuzzStateLog reads any state log after a good state.json: records come
// back in order, a last line cut short or failing its check is dropped and
// named, anything else damaged is an error naming its line; never a panic,
// records are numbered one after the other, and replaying what was read
// over the state never panics. What start-up then checks is mock's
// FuzzStateFile's and TestStateLogTornTail's.
func FuzzStateLog(f *testing.F) {
	state, good := golden(f)
	f.Add(good)
	f.Add(good[:len(good)-7])
	f.Add([]byte(strings.Replace(string(good), `"L-2"`, `"L-3"`, 1)))
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
		var st State // afresh: replaying changes it in place
		if err := json.Unmarshal(state, &st); err != nil {
			t.Fatal(err)
		}
		st.replay(recs, 100)
	})
}
