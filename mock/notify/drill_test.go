package notify

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// sdkAck is the official PHP SDK's ack, signed with secret under the
// script name "post".
func sdkAck(status, secret string) string {
	fs := sign.Fields{{Name: "pg_status", Value: status}, {Name: "pg_description", Value: "Success message"},
		{Name: "pg_salt", Value: "d35c2d6142891f3cf1119c115af837b0"}}
	fs = append(fs, sign.Field{Name: sign.FieldSig, Value: sign.Sign("post", fs, secret)})
	return string(wire.Encode(fs))
}

func TestClassifyAnswer(t *testing.T) {
	const docsOK = `<?xml version="1.0" encoding="utf-8"?>` + "\n<pg_status>ok</pg_status>\n"
	for _, c := range []struct {
		name    string
		status  int
		body    string
		accepts bool
		rule    string
	}{
		{"400 rejected", 400, `<response><pg_status>rejected</pg_status></response>`, false, ruleStatus},
		{"500 ok", 500, "ok", false, ruleStatus},
		{"302", 302, "", false, ruleStatus},
		{"sig invalid", 200, "sig invalid", false, ruleOther},
		{"error", 200, "error", false, ruleOther},
		{"rejected", 200, "rejected", false, ruleOther},
		{"OK", 200, "OK", true, ruleBareOK},
		{"ok with white space", 200, " ok\n", true, ruleBareOK},
		{"okay", 200, "okay", false, ruleOther},
		{"ok and more", 200, "ok sig invalid", false, ruleOther},
		{"empty", 200, "", true, ruleEmpty},
		{"white space", 200, " \r\n\t", true, ruleEmpty},
		{"204 empty", 204, "", true, ruleEmpty},
		{"docs ok", 200, docsOK, true, ruleAck},
		{"docs OK", 200, "<pg_status> OK </pg_status>", true, ruleAck},
		{"docs error", 200, "<pg_status>error</pg_status>", false, ruleAckNotOK},
		{"docs rejected", 200, "<pg_status>rejected</pg_status>", false, ruleAckNotOK},
		{"docs empty", 200, "<pg_status/>", false, ruleAckNotOK},
		{"sdk ok", 200, sdkAck("ok", "test_secret_key"), true, ruleAck},
		{"sdk ok signed wrong", 200, sdkAck("ok", "another"), true, ruleAck},
		{"sdk ok unsigned", 200, "<response><pg_status>ok</pg_status></response>", true, ruleAck},
		{"sdk error", 200, sdkAck("error", "test_secret_key"), false, ruleAckNotOK},
		{"sdk rejected", 200, "<response><pg_status>rejected</pg_status><pg_description>bad signature</pg_description></response>", false, ruleAckNotOK},
		{"response without pg_status", 200, "<response><pg_description>ok</pg_description></response>", false, ruleOther},
		{"response malformed", 200, "<response><pg_status>ok</pg_status>", false, ruleOther},
		{"json ok", 200, `{"status":"ok"}`, false, ruleOther},
		{"json array", 200, `["ok"]`, false, ruleOther},
		{"html", 200, "<!DOCTYPE html><html><body>ok</body></html>", false, ruleOther},
		{"other xml root", 200, "<result>ok</result>", false, ruleOther},
		{"not xml", 200, "<ok", false, ruleOther},
	} {
		t.Run(c.name, func(t *testing.T) {
			accepts, rule := classifyAnswer(c.status, c.body)
			if accepts != c.accepts || rule != c.rule {
				t.Errorf("classifyAnswer(%d, %q) = %v, %q; want %v, %q", c.status, c.body, accepts, rule, c.accepts, c.rule)
			}
		})
	}
}

func TestReadAnswer(t *testing.T) {
	long := "<response><pg_status>ok</pg_status><pg_description>" + strings.Repeat("x", 3000) + "</pg_description></response>"
	kept := func(body string) string { return wire.Shorten(body, maxShownAnswer) }
	for _, c := range []struct {
		name string
		a    Attempt
		want string
	}{
		{"no answer", Attempt{Error: "timeout: no answer within 5s"}, `no answer (timeout: no answer within 5s) — ` + ruleNoAnswer},
		{"sig invalid", Attempt{HTTPStatus: 200, Answer: "sig invalid"}, `HTTP 200, body "sig invalid" — ` + ruleOther},
		{"empty", Attempt{HTTPStatus: 200, Answer: "\n"}, `HTTP 200, empty body — ` + ruleEmpty},
		{"white space folded", Attempt{HTTPStatus: 200, Answer: "<pg_status>\n  ok\n</pg_status>\n"},
			`HTTP 200, body "<pg_status> ok </pg_status>" — ` + ruleAck},
		{"quotes escaped", Attempt{HTTPStatus: 400, Answer: `<?xml version="1.0"?><pg_status>rejected</pg_status>`},
			`HTTP 400, body "<?xml version=\"1.0\"?><pg_status>rejected</pg_status>" — ` + ruleStatus},
		{"long quote shortened", Attempt{HTTPStatus: 200, Answer: strings.Repeat("y", 200)},
			`HTTP 200, body "` + strings.Repeat("y", maxQuoted) + `…" — ` + ruleOther},
		{"cut, conforming", Attempt{HTTPStatus: 200, Answer: kept(long), Conforming: true},
			`HTTP 200, body "` + long[:maxQuoted] + `…" — ` + ruleCutAck},
		{"cut, not conforming", Attempt{HTTPStatus: 200, Answer: kept(long)},
			`HTTP 200, body "` + long[:maxQuoted] + `…" — ` + ruleCut},
		{"cut, not 2xx", Attempt{HTTPStatus: 503, Answer: kept(long)},
			`HTTP 503, body "` + long[:maxQuoted] + `…" — ` + ruleStatus},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := readAnswer(c.a).String(); got != c.want {
				t.Errorf("got %s\nwant %s", got, c.want)
			}
		})
	}
}

// TestAckedNeedsDelivery: an answer that accepts still fails a drill that
// wants an ack when the attempt is not delivered, and says why.
func TestAckedNeedsDelivery(t *testing.T) {
	a := Attempt{HTTPStatus: 204, Reason: "HTTP 204"}
	ok, why := acked(a, readAnswer(a))
	if want := "HTTP 204, empty body — an empty body accepts, but the attempt is not delivered: a notify is delivered by HTTP 200 only"; ok || why != want {
		t.Errorf("got %v %q, want false %q", ok, why, want)
	}
	a = Attempt{HTTPStatus: 200, Answer: "ok", Delivered: true}
	if ok, why := acked(a, readAnswer(a)); !ok || why != `HTTP 200, body "ok" — `+ruleBareOK {
		t.Errorf("got %v %q, want true", ok, why)
	}
	a = Attempt{HTTPStatus: 200, Answer: "ok", Reason: `HTTP 200 but the body is not XML: "ok"`} // notify.ack = "strict"
	ok, why = acked(a, readAnswer(a))
	if want := `HTTP 200, body "ok" — a bare ok accepts, but the attempt is not delivered: HTTP 200 but the body is not XML: "ok"`; ok || why != want {
		t.Errorf("got %v %q, want false %q", ok, why, want)
	}
}

func FuzzClassifyAnswer(f *testing.F) {
	f.Add(200, []byte("sig invalid"))
	f.Add(200, []byte(" OK\n"))
	f.Add(200, []byte(""))
	f.Add(204, []byte(""))
	f.Add(400, []byte("<pg_status>ok</pg_status>"))
	f.Add(200, []byte(`<?xml version="1.0" encoding="utf-8"?><pg_status>ok</pg_status>`))
	f.Add(200, []byte("<pg_status>rejected</pg_status>"))
	f.Add(200, []byte(sdkAck("ok", "test_secret_key")))
	f.Add(200, []byte(`<response><pg_status>ok</pg_status><pg_salt>test_secret_key</pg_salt></response>`))
	f.Add(200, []byte(`{"status":"ok"}`))
	f.Add(200, []byte("<html><body>ok</body></html>"))
	f.Add(200, []byte("test_\xe2secret_key"))
	f.Add(200, []byte(strings.Repeat("<a>", 17)+strings.Repeat("</a>", 17)))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		const secret = "test_secret_key"
		answer := wire.Shorten(string(body), maxShownAnswer) // as an attempt keeps it
		accepts, rule := classifyAnswer(status, answer)
		if strings.HasSuffix(rule, " accepts") != accepts {
			t.Fatalf("classifyAnswer(%d, %q) = %v under rule %q: the rule says otherwise", status, answer, accepts, rule)
		}
		if accepts && (status < 200 || status > 299) {
			t.Fatalf("HTTP %d accepts", status)
		}
		if b := strings.TrimSpace(answer); accepts && b != "" && !strings.EqualFold(b, "ok") && !strings.Contains(b, "<pg_status") {
			t.Fatalf("a body that is neither empty, ok nor a pg_status element accepts: %q", b)
		}
		// A conforming ack (CheckAck read whole) always accepts.
		if conforming, _ := CheckAck(body, "post", secret); conforming && status == 200 {
			if r := readAnswer(Attempt{HTTPStatus: 200, Answer: answer, Conforming: true}); !r.accepts {
				t.Fatalf("a conforming ack refuses: %s", r)
			}
		}
		// The verdict quotes the body, shortened, and shows the secret
		// only where the merchant's body does.
		r := readAnswer(Attempt{HTTPStatus: status, Answer: answer, Error: "x"})
		if r.accepts != accepts && !strings.HasPrefix(r.rule, "a body over 2 KiB") && status != 0 {
			t.Fatalf("readAnswer and classifyAnswer differ: %s, %v %q", r, accepts, rule)
		}
		if s := r.String(); len(s) > 4*maxQuoted+200 || !utf8.ValidString(s) {
			t.Fatalf("verdict text of %d bytes, valid UTF-8 %v: %q", len(s), utf8.ValidString(s), s)
		}
		if showsSecret(r.String(), body, secret) {
			t.Fatalf("the verdict shows the secret: %s", r)
		}
	})
}
