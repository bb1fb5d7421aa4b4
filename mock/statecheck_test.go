package mock_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
)

// savedState runs a sandbox on a state directory until it holds payouts
// (the scenario's and one made through the gateway), notifications and
// journal entries, and returns the directory and the file it saved.
func savedState(t *testing.T) (dir string, good []byte, opts *mock.Options) {
	t.Helper()
	m := newMerchant(t, "secret-a", ackOK)
	sc := twoMerchants(t, m.URL, "")
	dir = t.TempDir()
	srv := startState(t, sc, dir)
	if r := send(t, srv, "9970", "secret-a", "/g2g/p2p2nonreg", "pg_order_id", "A-1", "pg_amount", "10", "pg_description", "d",
		"pg_payment_to", "4405645000006150", "pg_post_link", m.URL); r.get("pg_status") != "ok" {
		t.Fatalf("create: %s", r.body)
	}
	if _, err := srv.Advance(time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(dir, mock.StateFile))
	if err != nil {
		t.Fatal(err)
	}
	return dir, good, &mock.Options{Scenario: sc, StateDir: dir}
}

// edit returns the state file good changed by change, which gets it as
// decoded JSON.
func edit(t *testing.T, good []byte, change func(st map[string]any)) []byte {
	t.Helper()
	var st map[string]any
	if err := json.Unmarshal(good, &st); err != nil {
		t.Fatal(err)
	}
	change(st)
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// at walks decoded JSON: a string is a key, an int an index.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v
}

func obj(v any, path ...any) map[string]any { return at(v, path...).(map[string]any) }

// TestStateFileCheckedWhole breaks a saved state file in each way a hand,
// a tool or a disk can, and checks that start-up stops with a StateError
// whose every problem names the file and the field, all problems at once.
func TestStateFileCheckedWhole(t *testing.T) {
	dir, good, opts := savedState(t)
	path := filepath.Join(dir, mock.StateFile)
	cases := []struct {
		name   string
		change func(st map[string]any)
		data   []byte // instead of change
		want   []string
		wantN  int // problems listed, 0 for a refusal of the whole file
	}{
		{name: "payouts section removed", change: func(st map[string]any) { delete(st, "payouts") },
			want: []string{"payouts: is missing"}, wantN: 1},
		{name: "notify section removed", change: func(st map[string]any) { delete(st, "notify") },
			want: []string{"notify: is missing"}, wantN: 1},
		{name: "a key of started_with removed", change: func(st map[string]any) { delete(obj(st, "started_with"), "clock") },
			want: []string{"started_with.clock: is missing"}, wantN: 1},
		{name: "negative amount", change: func(st map[string]any) { obj(st, "payouts", 1)["Amount"] = -500 },
			want: []string{"payouts[1].Amount: -500 (-5.00) is negative"}, wantN: 1},
		{name: "amount over the wire's range", change: func(st map[string]any) { obj(st, "payouts", 1)["Amount"] = 100000000_00 },
			want: []string{"payouts[1].Amount: 10000000000 (100000000.00) is out of the wire's range"}},
		{name: "negative amount to pay", change: func(st map[string]any) { obj(st, "payouts", 0)["ToPay"] = -1 },
			want: []string{"payouts[0].ToPay: -1 (-0.01) is negative"}},
		{name: "unknown status", change: func(st map[string]any) { obj(st, "payouts", 0, "Timeline", 0)["Status"] = "paid" },
			want: []string{`payouts[0].Timeline[0].Status: "paid" is not a status`}, wantN: 1},
		{name: "unknown error code", change: func(st map[string]any) {
			tl := at(st, "payouts", 0, "Timeline").([]any)
			last := tl[len(tl)-1].(map[string]any)
			last["Status"], last["ErrorCode"] = "error", 4242
		}, want: []string{"payouts[0].Timeline[", "].ErrorCode: 4242 is not a payout error code"}},
		{name: "unknown notify state", change: func(st map[string]any) { obj(st, "notify", "notifications", 0)["state"] = "lost" },
			want: []string{`notify.notifications[0].state: "lost" is not a notify state`}, wantN: 1},
		{name: "emptied clock", change: func(st map[string]any) { st["clock"] = map[string]any{} },
			want: []string{"clock.mode: is missing", "clock.now: is missing", "clock.wall: is missing", "clock.origin: is missing"}, wantN: 4},
		{name: "clock set to nothing", change: func(st map[string]any) { obj(st, "clock")["now"] = "" },
			want: []string{`clock.now: "": parsing time`}, wantN: 1},
		{name: "clock at the zero time", change: func(st map[string]any) { obj(st, "clock")["now"] = "0001-01-01T00:00:00Z" },
			want: []string{"clock.now: is empty"}},
		{name: "unknown merchant", change: func(st map[string]any) { obj(st, "payouts", 1)["MerchantID"] = "4242" },
			want: []string{`payouts[1].MerchantID: "4242" is not a merchant of the scenario`}},
		{name: "duplicate payment id", change: func(st map[string]any) {
			obj(st, "payouts", 2)["PaymentID"] = at(st, "payouts", 0, "PaymentID")
		}, want: []string{"payouts[2].PaymentID: ", "is also payouts[0]'s"}},
		{name: "notification of no payout", change: func(st map[string]any) { obj(st, "notify", "notifications", 0)["payment_id"] = 1 },
			want: []string{"notify.notifications[0].payment_id: 1 is not a payout of the state"}, wantN: 1},
		{name: "value of the wrong type", change: func(st map[string]any) { obj(st, "payouts", 0)["Amount"] = "12" },
			want: []string{`payouts[0].Amount: "12" is not a whole number`}, wantN: 1},
		{name: "unknown key", change: func(st map[string]any) { obj(st, "clock")["timezone"] = "UTC" },
			want: []string{"clock.timezone: is not a key of a state file"}, wantN: 1},
		{name: "several at once", change: func(st map[string]any) {
			delete(st, "journal")
			obj(st, "payouts", 0)["Amount"] = -1
			obj(st, "payouts", 1, "Timeline", 0)["Status"] = "done"
		}, want: []string{"journal: is missing", "payouts[0].Amount: -1 (-0.01) is negative", `payouts[1].Timeline[0].Status: "done" is not a status`}, wantN: 3},
		{name: "truncated JSON", data: good[:len(good)*2/3],
			want: []string{"it is not valid JSON (unexpected end of JSON input, at byte"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := c.data
			if data == nil {
				data = edit(t, good, c.change)
			}
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := mock.New(*opts)
			var se *mock.StateError
			if !errors.As(err, &se) {
				t.Fatalf("start-up error %v, want a StateError", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "state "+path+": ") || !strings.Contains(msg, "start afresh") {
				t.Errorf("message %q: want it to start with the file and say how to start afresh", msg)
			}
			var lines []string
			if se.Problems != nil {
				lines = strings.Split(se.Problems.Error(), "\n")
			}
			if c.wantN != 0 && len(lines) != c.wantN {
				t.Errorf("got %d problems, want %d:\n%s", len(lines), c.wantN, msg)
			}
			for _, l := range lines {
				if !strings.HasPrefix(l, path+": ") {
					t.Errorf("problem %q does not name the file %s", l, path)
				}
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message:\n%s\nwant it to say %q", msg, w)
				}
			}
			if after, _ := os.ReadFile(path); string(after) != string(data) {
				t.Error("the refused file was changed")
			}
		})
	}
	// The file as saved still resumes.
	if err := os.WriteFile(path, good, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := mock.New(*opts)
	if err != nil {
		t.Fatalf("the file as saved: %v", err)
	}
	_ = s.Close()
}

// TestStateProblemsAreBounded: a file damaged throughout is refused with
// its first problems and a count of the rest, not a message per payout.
func TestStateProblemsAreBounded(t *testing.T) {
	dir, good, opts := savedState(t)
	data := edit(t, good, func(st map[string]any) {
		ps := at(st, "payouts").([]any)
		for len(ps) < 200 {
			ps = append(ps, ps[0])
		}
		st["payouts"] = ps
	})
	if err := os.WriteFile(filepath.Join(dir, mock.StateFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := mock.New(*opts)
	var se *mock.StateError
	if !errors.As(err, &se) || se.Problems == nil {
		t.Fatalf("start-up error %v, want a StateError with problems", err)
	}
	lines := strings.Split(se.Problems.Error(), "\n")
	if len(lines) > 51 || !strings.Contains(lines[len(lines)-1], "more problems") {
		t.Errorf("got %d lines ending %q, want at most 50 problems and a count of the rest", len(lines), lines[len(lines)-1])
	}
}

// TestStateCheckPassesWhatTheSandboxSaves: states saved mid-schedule, with
// drills under way, a status forced over a timeline's later steps and a
// merchant reset, resume: the checks refuse only what the sandbox never
// writes.
func TestStateCheckPassesWhatTheSandboxSaves(t *testing.T) {
	for _, drills := range [][]string{nil, {"duplicate", "out_of_order"}, {"forged", "replayed"}, {"late", "tampered", "unsigned"}, {"lost"}} {
		t.Run(strings.Join(append([]string{"drills"}, drills...), " "), func(t *testing.T) {
			m := newMerchant(t, "secret-a", ackOK)
			extra := `
[[rules]]
match = { order_id = "A-1" }
timeline = [ { at = "0s", status = "process" }, { at = "10s", status = "process", notify = true },
             { at = "20s", status = "success" } ]
`
			if drills != nil {
				extra += `[drills]
every = ["` + strings.Join(drills, `", "`) + `"]
`
			}
			sc := twoMerchants(t, m.URL, extra)
			dir := t.TempDir()
			s := startState(t, sc, dir)
			var ids []string
			for _, order := range []string{"A-1", "A-2", "fail-3"} {
				r := send(t, s, "9970", "secret-a", "/g2g/p2p2nonreg", "pg_order_id", order, "pg_amount", "10", "pg_description", "d",
					"pg_payment_to", "4405645000006150", "pg_post_link", m.URL+"/a/post")
				if r.get("pg_status") != "ok" {
					t.Fatalf("create %s: %s", order, r.body)
				}
				ids = append(ids, r.get("pg_payment_id"))
			}
			if _, err := s.Advance(2 * time.Second); err != nil {
				t.Fatal(err)
			}
			// A-1's steps 1 and 2 stay queued, of the timeline before; the
			// forced one has two.
			ctl(t, s, "", "POST", "/_mock/payouts/"+ids[0]+"/status", `{"status":"error","error_code":10026}`, 200, nil)
			ctl(t, s, "", "POST", "/_mock/reset?merchant_id=9971", "", 200, nil)
			if _, err := s.Advance(3 * time.Second); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s2, err := mock.New(mock.Options{Scenario: sc, StateDir: dir})
			if err != nil {
				t.Fatalf("a state the sandbox saved is refused: %v", err)
			}
			defer s2.Close()
			if _, err := s2.Advance(time.Hour); err != nil {
				t.Fatal(err)
			}
		})
	}
}
