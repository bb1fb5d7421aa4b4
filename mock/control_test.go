package mock_test

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/expect"
	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// ctl calls the control API of s and decodes the JSON answer into out (if
// not nil), failing the test unless the status is want.
func ctl(t testing.TB, s *mock.Server, token, method, path, body string, want int, out any) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: HTTP %d %s, want %d", method, path, resp.StatusCode, data, want)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q, want application/json", method, path, ct)
	}
	var e struct{ Code, Kind string } // an await's 408 is a verdict, with a kind
	if want >= 400 && (json.Unmarshal(data, &e) != nil || e.Code == "" && e.Kind == "") {
		t.Errorf("%s %s: HTTP %d without a code: %s", method, path, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: not JSON: %v\n%s", method, path, err, data)
		}
	}
}

// send sends a signed gateway request for merchant id with secret to s.
func send(t testing.TB, s *mock.Server, id, secret, path string, kv ...string) reply {
	t.Helper()
	fields := signed(sign.ScriptName(path), secret, append([]string{"pg_merchant_id", id}, kv...)...)
	return postFields(t, s, path, fields)
}

func postFields(t testing.TB, s *mock.Server, path string, fields sign.Fields) reply {
	t.Helper()
	resp, err := http.Post(s.URL()+path, "application/x-www-form-urlencoded", strings.NewReader(wire.EncodeForm(fields)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	got, err := wire.DecodeXML(body)
	if err != nil {
		t.Fatalf("%s: reply is not XML: %v\n%s", path, err, body)
	}
	return reply{status: resp.StatusCode, body: string(body), fields: got}
}

// twoMerchants has merchants 9970 and 9971 calling back at url, one payout
// each, and expectations on the first.
func twoMerchants(t testing.TB, url, extra string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("two.toml", []byte(`
name = "two"
seed = 11
[clock]
mode = "manual"
start = 2026-01-01T00:00:00Z
[notify]
retries = ["1m", "1m"]
`+extra+`
[[merchants]]
id = 9970
payout_secret_key = "secret-a"
balance = 100000
post_link = "`+url+`/a/post"

[[merchants]]
id = 9971
payout_secret_key = "secret-b"
balance = 50000
post_link = "`+url+`/b/post"

[[payouts]]
merchant_id = 9970
order_id = "12345"
amount = 100
timeline = [ { at = "0s", status = "process" }, { at = "1m", status = "success" } ]

[[payouts]]
merchant_id = 9971
order_id = "B-1"
amount = 200
timeline = [ { at = "0s", status = "process" }, { at = "1m", status = "success" } ]

[[expect]]
name = "merchant acknowledged the payout notify"
notify = { order_id = "12345", state = "delivered" }
[[expect]]
name = "every request was signed correctly"
no_bad_signatures = true
[[expect]]
name = "merchant polled the status at least once"
requests = { path = "/g2g/payout_status2", order_id = "12345", min = 1 }
[[expect]]
merchant_id = 9971
status = { order_id = "B-1", status = "success" }
`))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

type payoutJSON struct {
	PaymentID     int64                 `json:"payment_id"`
	OrderID       string                `json:"order_id"`
	MerchantID    string                `json:"merchant_id"`
	Status        string                `json:"status"`
	ErrorCode     int                   `json:"error_code"`
	CardHash      string                `json:"card_hash"`
	Timeline      []map[string]any      `json:"timeline"`
	Notifications []notify.Notification `json:"notifications"`
}

func TestJournalExplainsBadSignatures(t *testing.T) {
	m := newMerchant(t, "secret-a", ackOK)
	s := mock.RunT(t, mock.Options{Scenario: twoMerchants(t, m.URL, "")})
	send(t, s, "9970", "secret-a", "/g2g/p2p2nonreg", "pg_order_id", "A-1", "pg_amount", "10", "pg_description", "d",
		"pg_payment_to", "4405645000006150", "pg_post_link", m.URL+"/a/post")
	// The common mistakes: a wrong script name, the card number signed but a
	// field changed, and the other merchant's secret.
	wrongScript := signed("/g2g/payout_status2", "secret-a", "pg_merchant_id", "9970", "pg_order_id", "12345")
	postFields(t, s, "/g2g/payout_status2", wrongScript)
	card := signed("p2p2nonreg", "secret-a", "pg_merchant_id", "9970", "pg_order_id", "A-2", "pg_amount", "10",
		"pg_description", "d", "pg_payment_to", "4405645000006150", "pg_post_link", m.URL)
	postFields(t, s, "/g2g/p2p2nonreg", append(card, sign.Field{Name: "pg_user_id", Value: "7"}))
	send(t, s, "9971", "secret-a", "/g2g/payout_status2", "pg_order_id", "B-1")

	var page journal.Page
	ctl(t, s, "", "GET", "/_mock/requests?outcome=bad_signature", "", 200, &page)
	if page.Matched != 3 || len(page.Entries) != 3 {
		t.Fatalf("bad signatures: %d entries, want 3: %+v", page.Matched, page.Entries)
	}
	e := page.Entries[0]
	if e.Path != "/g2g/payout_status2" || e.MerchantID != "9970" || e.OrderID != "12345" || e.Code != 9998 || e.Signature == nil {
		t.Fatalf("entry %+v", e)
	}
	if e.Signature.SigningString != "payout_status2;9970;12345;"+wrongScript.Value("pg_salt")+";<secret:8 chars>" {
		t.Errorf("signing string %q: want the expected string with the secret masked", e.Signature.SigningString)
	}
	if len(e.Signature.Hints) == 0 || !strings.Contains(e.Signature.Hints[0], `script name "/g2g/payout_status2"`) {
		t.Errorf("hints %q: want the wrong script name named", e.Signature.Hints)
	}
	c := page.Entries[1]
	if c.Fields.Value("pg_payment_to") != "440564-XX-XXXX-6150" || strings.Contains(c.Signature.SigningString, "4405645000006150") {
		t.Errorf("card number not masked: %v / %s", c.Fields, c.Signature.SigningString)
	}
	if page.Entries[2].MerchantID != "9971" {
		t.Errorf("third bad signature is merchant %s's, want 9971's", page.Entries[2].MerchantID)
	}
	if h := page.Entries[2].Signature.Hints; len(h) == 0 || h[0] != "signed with the secret of merchant 9970, but pg_merchant_id is 9971" {
		t.Errorf("hints %q: want the merchant whose secret signed it named", h)
	}
	// A client that signs with the whole URL it sends to, and one with a
	// secret the sandbox does not know.
	byURL := signed(s.URL()+"/g2g/payout_status2", "secret-a", "pg_merchant_id", "9970", "pg_order_id", "12345")
	postFields(t, s, "/g2g/payout_status2", byURL)
	send(t, s, "9970", "not-the-secret", "/g2g/payout_status2", "pg_order_id", "12345")
	send(t, s, "9970", "secret-a\n", "/g2g/payout_status2", "pg_order_id", "12345")
	var more journal.Page
	ctl(t, s, "", "GET", "/_mock/requests?outcome=bad_signature&limit=3", "", 200, &more)
	if h := more.Entries[2].Signature.Hints; len(h) != 1 || !strings.Contains(h[0], `a space or line end around it ("…\n"): trim the secret`) {
		t.Errorf("hints %q: want the line end after the secret named", h)
	}
	if h := more.Entries[0].Signature.Hints; len(h) != 1 || !strings.Contains(h[0], `signed with the URL "`+s.URL()+`/g2g/payout_status2" as the script name`) {
		t.Errorf("hints %q: want the URL named as the script name signed with", h)
	}
	if h := more.Entries[1].Signature.Hints; len(h) != 1 || !strings.Contains(h[0], "another secret than merchant 9970's in this scenario (<secret:8 chars>)") {
		t.Errorf("hints %q: want the secret named as the likely cause", h)
	}

	// Filters: merchant, path, order, limit.
	var only journal.Page
	ctl(t, s, "", "GET", "/_mock/requests?merchant_id=9971", "", 200, &only)
	if only.Matched != 1 || only.Entries[0].OrderID != "B-1" {
		t.Errorf("merchant 9971's requests: %+v", only.Entries)
	}
	ctl(t, s, "", "GET", "/_mock/requests?path=/g2g/p2p2nonreg&outcome=ok", "", 200, &only)
	if only.Matched != 1 || only.Entries[0].OrderID != "A-1" || only.Entries[0].PaymentID == "" {
		t.Errorf("created payouts: %+v, want A-1 with the payment id of its reply", only.Entries)
	}
	ctl(t, s, "", "GET", "/_mock/requests?limit=1", "", 200, &only)
	if only.Matched != 7 || len(only.Entries) != 1 || only.Entries[0].Fields.Value("pg_sig") != sign.Sign("payout_status2", only.Entries[0].Fields.Without("pg_sig"), "secret-a\n") {
		t.Errorf("limit=1: %d matched, entries %+v; want the newest of 7", only.Matched, only.Entries)
	}
	ctl(t, s, "", "GET", "/_mock/requests?outcome=nope", "", 400, nil)
	raw := fmt.Sprint(page)
	for _, secret := range []string{"secret-a", "secret-b"} {
		if strings.Contains(raw, secret) {
			t.Errorf("the journal shows secret %q", secret)
		}
	}
}

func TestPayoutsForceAndResend(t *testing.T) {
	m := newMerchant(t, "secret-a", ackOK)
	s := mock.RunT(t, mock.Options{Scenario: twoMerchants(t, m.URL, "")})
	var list struct {
		Payouts []payoutJSON `json:"payouts"`
	}
	ctl(t, s, "", "GET", "/_mock/payouts?merchant_id=9970", "", 200, &list)
	if len(list.Payouts) != 1 || list.Payouts[0].OrderID != "12345" || list.Payouts[0].Status != "process" {
		t.Fatalf("payouts of 9970: %+v", list.Payouts)
	}
	p := list.Payouts[0]
	if len(p.Timeline) != 2 || p.Timeline[0]["when"] != "current" || p.Timeline[1]["when"] != "future" {
		t.Errorf("timeline %v: want process current, success future", p.Timeline)
	}
	id := fmt.Sprint(p.PaymentID)

	var forced struct {
		Payout       payoutJSON           `json:"payout"`
		Notification *notify.Notification `json:"notification"`
		Warning      string               `json:"warning"`
	}
	ctl(t, s, "", "POST", "/_mock/payouts/"+id+"/status", `{"status":"error","error_code":10001}`, 200, &forced)
	if forced.Payout.Status != "error" || forced.Payout.ErrorCode != 10001 || forced.Warning != "" {
		t.Errorf("forced payout %+v (warning %q)", forced.Payout, forced.Warning)
	}
	n := forced.Notification
	if n == nil || n.Status != "error" || len(n.Attempts) != 1 || !n.Attempts[0].Delivered {
		t.Fatalf("forced notify %+v: want an error notify delivered at once", n)
	}
	got := m.got()
	if len(got) != 1 || got[0].Value("pg_status") != "error" || got[0].Value("pg_balance") != "100000.00" {
		t.Errorf("merchant got %v: want one error notify with the reservation given back", got)
	}
	// The scheduled success never comes: the timeline was replaced.
	a, _ := attempted(s.Advance(time.Hour))
	for _, at := range a {
		if at.PaymentID == p.PaymentID {
			t.Errorf("after force, the old timeline still notified: %+v", at)
		}
	}
	r := send(t, s, "9970", "secret-a", "/g2g/payout_status2", "pg_order_id", "12345", "pg_payment_id", id)
	if r.get("pg_payment_status") != "error" {
		t.Errorf("payout_status2 after force: %s", r.body)
	}

	var resent struct {
		Notification notify.Notification `json:"notification"`
	}
	ctl(t, s, "", "POST", "/_mock/payouts/"+id+"/notify", "", 200, &resent)
	if !resent.Notification.Resent || resent.Notification.State != notify.StateDelivered || resent.Notification.Status != "error" {
		t.Errorf("resent %+v", resent.Notification)
	}
	var mine []sign.Fields
	for _, f := range m.got() {
		if f.Value("pg_payment_id") == id {
			mine = append(mine, f)
		}
	}
	if len(mine) != 2 || mine[1].Value("pg_salt") == mine[0].Value("pg_salt") || !sign.Verify("post", mine[1], "secret-a") {
		t.Errorf("resend: merchant has %d notifies of the payout; want a second one, freshly salted and signed", len(mine))
	}
	var detail payoutJSON
	ctl(t, s, "", "GET", "/_mock/payouts/"+id, "", 200, &detail)
	if len(detail.Notifications) != 2 {
		t.Errorf("payout detail has %d notifications, want 2", len(detail.Notifications))
	}

	ctl(t, s, "", "POST", "/_mock/payouts/"+id+"/status", `{"status":"success"}`, 200, &forced)
	if !strings.Contains(forced.Warning, "already error") {
		t.Errorf("forcing a final payout: warning %q", forced.Warning)
	}
	ctl(t, s, "", "POST", "/_mock/payouts/"+id+"/status", `{"status":"error","error_code":1}`, 400, nil)
	ctl(t, s, "", "POST", "/_mock/payouts/"+id+"/status", `{"status":"done"}`, 400, nil)
	ctl(t, s, "", "POST", "/_mock/payouts/"+id+"/status", `{`, 400, nil)
	ctl(t, s, "", "POST", "/_mock/payouts/42/status", `{"status":"success"}`, 404, nil)
	ctl(t, s, "", "GET", "/_mock/payouts/x", "", 400, nil)
}

func TestAwait(t *testing.T) {
	m := newMerchant(t, "secret-a", ackOK)
	s := mock.RunT(t, mock.Options{Scenario: twoMerchants(t, m.URL, "")})
	type result struct {
		status int
		body   map[string]any
	}
	await := func(q string) <-chan result {
		ch := make(chan result, 1)
		go func() {
			resp, err := http.Get(s.URL() + "/_mock/await?" + q)
			if err != nil {
				ch <- result{}
				return
			}
			defer resp.Body.Close()
			var body map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&body)
			ch <- result{resp.StatusCode, body}
		}()
		return ch
	}
	delivered := await("order_id=12345&state=delivered&timeout=30s")
	success := await("order_id=B-1&merchant_id=9971&status=success&timeout=30s")
	polled := await("path=/g2g/payout_status2&order_id=12345&timeout=30s")
	// Whether the awaits are already waiting or not, each holds after this.
	if _, err := s.Advance(time.Minute); err != nil {
		t.Fatal(err)
	}
	send(t, s, "9970", "secret-a", "/g2g/payout_status2", "pg_order_id", "12345", "pg_payment_id", "1")
	for name, ch := range map[string]<-chan result{"delivered": delivered, "success": success, "polled": polled} {
		r := <-ch
		if r.status != 200 || r.body["ok"] != true {
			t.Errorf("await %s: HTTP %d %v, want 200", name, r.status, r.body)
		}
	}
	r := <-await("order_id=12345&state=failed&timeout=20ms")
	if r.status != http.StatusRequestTimeout || !strings.Contains(fmt.Sprint(r.body["message"]), "delivered") {
		t.Errorf("await a failed notify: HTTP %d %v, want 408 saying it was delivered", r.status, r.body)
	}
	for _, q := range []string{"", "order_id=1&state=gone", "state=delivered", "order_id=1&status=success&timeout=1y", "path=g2g"} {
		ctl(t, s, "", "GET", "/_mock/await?"+q, "", 400, nil)
	}
}

func TestVerifyExpectations(t *testing.T) {
	m := newMerchant(t, "secret-a", ackOK)
	s := mock.RunT(t, mock.Options{Scenario: twoMerchants(t, m.URL, "")})
	var rep expect.Report
	ctl(t, s, "", "GET", "/_mock/verify", "", 200, &rep)
	if rep.OK || rep.Passed != 1 || rep.Failed != 3 {
		t.Fatalf("verify before the run: %+v, want 1 passed (no bad signatures), 3 failed", rep)
	}
	if msg := rep.Results[0].Message; !strings.Contains(msg, "no notify has been made") || !strings.Contains(msg, "next step success") {
		t.Errorf("notify failure says %q; want why", msg)
	}
	if _, err := s.Advance(time.Minute); err != nil {
		t.Fatal(err)
	}
	send(t, s, "9970", "secret-a", "/g2g/payout_status2", "pg_order_id", "12345", "pg_payment_id", "1")
	ctl(t, s, "", "GET", "/_mock/verify", "", 200, &rep)
	if !rep.OK || rep.Passed != 4 {
		t.Fatalf("verify after the run: %+v", rep)
	}
	send(t, s, "9971", "wrong", "/g2g/payout_status2", "pg_order_id", "B-1")
	ctl(t, s, "", "GET", "/_mock/verify", "", 200, &rep)
	if rep.OK || rep.Failed != 1 || !strings.Contains(rep.Results[1].Message, "signing string payout_status2;9971;B-1;") {
		t.Fatalf("verify after a bad signature: %+v", rep)
	}
	// Scoped to merchant 9971: only the expectation that names it.
	var scoped expect.Report
	ctl(t, s, "", "GET", "/_mock/verify?merchant_id=9971", "", 200, &scoped)
	if !scoped.OK || len(scoped.Results) != 1 {
		t.Errorf("verify for 9971: %+v, want its one expectation holding", scoped)
	}

	var b strings.Builder
	if err := rep.JUnit(&b); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []struct {
			Tests int `xml:"tests,attr"`
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(b.String()), &doc); err != nil || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 4 || doc.Suites[0].Cases[1].Failure == nil || doc.Suites[0].Cases[0].Failure != nil {
		t.Fatalf("JUnit %v: %s", err, b.String())
	}
}

func TestScenarioReplaceAndReset(t *testing.T) {
	m := newMerchant(t, "secret-a", ackOK)
	sc := twoMerchants(t, m.URL, "")
	s := mock.RunT(t, mock.Options{Scenario: sc})
	create := func(id, secret, order string) string {
		t.Helper()
		r := send(t, s, id, secret, "/g2g/p2p2nonreg", "pg_order_id", order, "pg_amount", "10", "pg_description", "d",
			"pg_payment_to", "4405645000006150", "pg_post_link", m.URL+"/post")
		if r.get("pg_status") != "ok" {
			t.Fatalf("create %s: %s", order, r.body)
		}
		return r.get("pg_payment_id")
	}
	first := create("9970", "secret-a", "A-1")
	create("9971", "secret-b", "B-2")
	if _, err := s.Advance(time.Hour); err != nil {
		t.Fatal(err)
	}

	// A merchant's reset leaves the other merchant alone.
	ctl(t, s, "", "POST", "/_mock/reset?merchant_id=9970", "", 200, nil)
	if _, ok := mock.PayoutByOrder(s, "9970", "A-1"); ok {
		t.Error("merchant 9970's gateway payout survived its reset")
	}
	if _, ok := mock.PayoutByOrder(s, "9971", "B-2"); !ok {
		t.Error("merchant 9971's payout was lost in 9970's reset")
	}
	var page journal.Page
	ctl(t, s, "", "GET", "/_mock/requests", "", 200, &page)
	if page.Matched != 1 || page.Entries[0].MerchantID != "9971" {
		t.Errorf("journal after 9970's reset: %+v, want 9971's request only", page.Entries)
	}
	if ns, _ := mock.History(s, "9971"); len(ns) != 2 {
		t.Errorf("9971 has %d notifications after 9970's reset, want 2", len(ns))
	}
	if ns, _ := mock.History(s, "9970"); len(ns) != 0 {
		t.Errorf("9970 has %d notifications after its reset, want 0", len(ns))
	}
	ctl(t, s, "", "POST", "/_mock/reset?merchant_id=1", "", 404, nil)

	// A full reset is a fresh start: clock, payment ids, journal.
	ctl(t, s, "", "POST", "/_mock/reset", "", 200, nil)
	if now := s.Clock().Now(); !now.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("clock after reset: %s, want the scenario's start", now)
	}
	if again := create("9970", "secret-a", "A-1"); again != first {
		t.Errorf("after a reset the first payout got id %s, want %s as on the first run", again, first)
	}

	// A bad scenario changes nothing and says why.
	var bad struct {
		Problems []string `json:"problems"`
	}
	ctl(t, s, "", "PUT", "/_mock/scenario", "[[merchants]]\nid = \"x\"\n", 422, &bad)
	if len(bad.Problems) < 2 || !strings.Contains(bad.Problems[0], "PUT /_mock/scenario:") {
		t.Errorf("problems %q", bad.Problems)
	}
	if s.Scenario().Name != "two" {
		t.Errorf("scenario %q after a rejected PUT, want two", s.Scenario().Name)
	}

	// One merchant's scenario swapped in, the other's untouched.
	one := `[[merchants]]
id = 9971
payout_secret_key = "secret-c"
balance = 7
[[merchants]]
id = 5
payout_secret_key = "other"
[[expect]]
status = { order_id = "C-1", status = "success" }
`
	var change sandbox.ScenarioChange
	ctl(t, s, "", "PUT", "/_mock/scenario?merchant_id=9971", one, 200, &change)
	if len(change.Ignored) != 1 || change.Ignored[0] != "5" {
		t.Errorf("scoped change %+v, want merchant 5 ignored", change)
	}
	if r := send(t, s, "9971", "secret-c", "/g2g/balance_status", "pg_currency", "KZT"); r.get("pg_balance") != "7.00" {
		t.Errorf("9971's balance after its scenario changed: %s", r.body)
	}
	if _, ok := mock.PayoutByOrder(s, "9970", "A-1"); !ok {
		t.Error("merchant 9970's payout was lost when 9971's scenario changed")
	}
	var rep expect.Report
	ctl(t, s, "", "GET", "/_mock/verify?merchant_id=9971", "", 200, &rep)
	if len(rep.Results) != 1 || rep.Results[0].MerchantID != "9971" || rep.OK {
		t.Errorf("9971's expectations %+v: want its new one, failing", rep)
	}

	// The whole scenario swapped.
	ctl(t, s, "", "PUT", "/_mock/scenario", "name = \"small\"\n[[merchants]]\nid = 1\npayout_secret_key = \"k\"\n", 200, &change)
	if s.Scenario().Name != "small" || len(mock.LedgerPayouts(s, "")) != 0 {
		t.Errorf("after PUT: scenario %q with %d payouts", s.Scenario().Name, len(mock.LedgerPayouts(s, "")))
	}
}

func TestAdminToken(t *testing.T) {
	s := mock.RunT(t, mock.Options{AdminToken: "tok"})
	for _, path := range []string{"/_mock/payouts", "/_mock/ready", "/_mock/verify"} {
		ctl(t, s, "", "GET", path, "", 401, nil)
		ctl(t, s, "wrong", "GET", path, "", 401, nil)
		ctl(t, s, "tok", "GET", path, "", 200, nil)
	}
	// The gateway itself does not need it.
	if r := call(t, s, "/g2g/balance_status", "pg_currency", "KZT"); r.get("pg_status") != "ok" {
		t.Errorf("gateway with an admin token set: %s", r.body)
	}
}

func TestCallbackAllowList(t *testing.T) {
	m := newMerchant(t, "secret-a", ackOK) // on 127.0.0.1
	if _, err := mock.New(mock.Options{CallbackAllow: "bad host!"}); err == nil {
		t.Error("a bad allow list was accepted")
	}
	for _, tc := range []struct {
		allow string
		sent  bool
	}{
		{"127.0.0.0/8", true},
		{"*.shop.test, 127.0.0.1", true},
		{"10.0.0.0/8", false},
		{"merchant", false},
	} {
		s := mock.RunT(t, mock.Options{Scenario: twoMerchants(t, m.URL, ""), CallbackAllow: tc.allow})
		a, err := attempted(s.Advance(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		ns := mock.AllNotifications(s)
		if tc.sent {
			if len(a) != 2 || !a[0].Delivered {
				t.Errorf("allow %q: attempts %+v, want both delivered", tc.allow, a)
			}
			continue
		}
		// Refused at once, recorded with the reason, never retried.
		if len(a) != 2 || a[0].Delivered || !strings.Contains(a[0].Error, "refused by --callback-allow") || ns[0].State != notify.StateFailed {
			t.Errorf("allow %q: attempts %+v, notifications %+v; want refusals", tc.allow, a, ns)
		}
	}
}

func TestJournalSizeDropsOldest(t *testing.T) {
	s := mock.RunT(t, mock.Options{JournalSize: 3})
	for i := 0; i < 5; i++ {
		call(t, s, "/g2g/balance_status", "pg_currency", "KZT")
	}
	var page journal.Page
	ctl(t, s, "", "GET", "/_mock/requests", "", 200, &page)
	if page.Matched != 3 || page.Dropped != 2 || page.Entries[0].Seq != 3 {
		t.Errorf("journal of size 3 after 5 requests: %d kept (first #%d), %d dropped; want 3, #3, 2", page.Matched, page.Entries[0].Seq, page.Dropped)
	}
}

// Parallel shards on one sandbox: each merchant creates and polls its own
// payouts concurrently and sees only its own requests and notifies.
func TestMerchantsAreIsolatedUnderLoad(t *testing.T) {
	m := newMerchant(t, "secret-a", ackOK)
	s := mock.RunT(t, mock.Options{Scenario: twoMerchants(t, m.URL, "")})
	const perMerchant = 40
	var wg sync.WaitGroup
	for _, mc := range []struct{ id, secret string }{{"9970", "secret-a"}, {"9971", "secret-b"}} {
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < perMerchant; i += 4 {
					order := fmt.Sprintf("%s-%d", mc.id, i)
					r := send(t, s, mc.id, mc.secret, "/g2g/p2p2nonreg", "pg_order_id", order, "pg_amount", "1",
						"pg_description", "d", "pg_payment_to", "4405645000006150", "pg_post_link", m.URL+"/post")
					if r.get("pg_status") != "ok" {
						t.Errorf("%s: %s", order, r.body)
						return
					}
					send(t, s, mc.id, mc.secret, "/g2g/payout_status2", "pg_order_id", order)
				}
			}()
		}
	}
	wg.Add(1)
	go func() { // time moves while they work
		defer wg.Done()
		for i := 0; i < 10; i++ {
			if _, err := s.Advance(time.Second); err != nil {
				t.Error(err)
			}
		}
	}()
	done := make(chan struct{})
	var readers sync.WaitGroup
	readers.Add(1)
	go func() { // and the dashboard and a test's checks read meanwhile
		defer readers.Done()
		for {
			for _, path := range []string{"/_mock/payouts", "/_mock/notifications", "/_mock/requests?limit=5", "/_mock/ui/view", "/_mock/verify", "/_mock/await?path=/g2g/payout_status2&timeout=1ms"} {
				resp, err := http.Get(s.URL() + path)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 && (resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(path, "await")) {
					t.Errorf("GET %s under load: HTTP %d", path, resp.StatusCode)
				}
			}
			select {
			case <-done:
				return
			default:
			}
		}
	}()
	wg.Wait()
	close(done)
	readers.Wait()
	if _, err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"9970", "9971"} {
		var page journal.Page
		ctl(t, s, "", "GET", "/_mock/requests?merchant_id="+id, "", 200, &page)
		if page.Matched != 2*perMerchant {
			t.Errorf("merchant %s: %d requests in its journal, want %d", id, page.Matched, 2*perMerchant)
		}
		for _, e := range page.Entries {
			if e.MerchantID != id {
				t.Fatalf("merchant %s's journal holds %+v", id, e)
			}
		}
		ns, _ := mock.History(s, id)
		if len(ns) != perMerchant+1 {
			t.Errorf("merchant %s: %d notifications, want %d", id, len(ns), perMerchant+1)
		}
		for _, n := range ns {
			if n.MerchantID != id || n.State != notify.StateDelivered {
				t.Fatalf("merchant %s's history holds %+v", id, n)
			}
		}
	}
}

func FuzzParseAwait(f *testing.F) {
	f.Add("order_id=12345&state=delivered&timeout=10s")
	f.Add("payment_id=1&status=error&error_code=10001")
	f.Add("path=/g2g/payout_status2&order_id=1&min=3&outcome=ok")
	f.Add("state=&status=&path=&timeout=-1s&min=x")
	f.Fuzz(func(t *testing.T, query string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		e, timeout, err := sandbox.ParseAwait(q)
		if err != nil {
			return
		}
		if timeout <= 0 || timeout > sandbox.MaxAwait {
			t.Errorf("%q: timeout %s accepted", query, timeout)
		}
		if probs := scenario.CheckExpect(e, nil); len(probs) > 0 || e.Kind() == "" || e.Name == "" {
			t.Errorf("%q: accepted an expectation with problems %q (kind %q)", query, probs, e.Kind())
		}
	})
}

// FuzzControlAPI: any method, path, query and body on /_mock/ gets a JSON
// answer below 500 and leaves the sandbox serving.
func FuzzControlAPI(f *testing.F) {
	s := mock.RunT(f, mock.Options{ClockMode: "manual"})
	for _, seed := range [][3]string{
		{"POST", "/_mock/clock/advance?by=1m", ""}, {"POST", "/_mock/payouts/7777777777/status", `{"status":"error","error_code":10001}`},
		{"PUT", "/_mock/scenario", "name = 1"}, {"GET", "/_mock/await?state=delivered&order_id=1&timeout=1ms", ""},
		{"GET", "/_mock/requests?limit=-1", ""}, {"POST", "/_mock/reset?merchant_id=x", ""}, {"GET", "/_mock/payouts/abc", ""},
		{"GET", "/_mock/requests?order=newest&limit=2&cursor=b9", ""}, {"GET", "/_mock/payouts?order=oldest&cursor=a7777777777", ""},
		{"GET", "/_mock/notifications?cursor=b&limit=1000", ""},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if !strings.HasPrefix(path, "/_mock/") || strings.ContainsAny(path, " \r\n#") || len(method) == 0 || strings.ContainsAny(method, " \r\n/:") {
			return
		}
		if strings.Contains(path, "await") || strings.Contains(path, "drain") || strings.Contains(path, "advance") {
			return // they move or wait on the clock; seeded above with bounded values
		}
		req, err := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
		if err != nil {
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s %q: HTTP %d %s", method, path, body, resp.StatusCode, data)
		}
	})
}
