package mock_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// payoutScenario has merchant 9970 with 100 000 KZT, a commission of 2% +
// 10, two saved cards, a rule, and notifies going to post.
func payoutScenario(t testing.TB, post string) *scenario.Scenario {
	t.Helper()
	var cards strings.Builder
	for _, c := range ledger.TestCards() { // saved: token "tc-" + number
		fmt.Fprintf(&cards, "[[cards]]\nmerchant_id = \"9970\"\ntoken = \"tc-%s\"\ncard = \"%s\"\n", c.Number, c.Number)
	}
	sc, err := scenario.Parse("payouts.toml", []byte(`
seed = 7
[clock]
mode = "manual"
[notify]
retries = ["1m"]

[[merchants]]
id = "9970"
payout_secret_key = "test_secret_key"
secret_key = "payment_secret_key"
balance = 100000
commission_percent = 2
commission_fixed = 10
post_link = "`+post+`"

[[cards]]
merchant_id = "9970"
user_id = "131"
token = "tok-ok"
card_id = 1
card = "4405645000006150"

[[cards]]
merchant_id = "9970"
token = "tok-slow"
card = "5507841999732294"

[[rules]]
match = { card = "4405*", amount_min = 100.0, amount_max = 5000.0, order_id = "fail-*" }
timeline = [ { at = "0s", status = "process" }, { at = "2m", status = "error", error_code = 10000 } ]

[[rules]]
match = { iban = "KZ99*" }
timeline = [ { at = "10s", status = "error", error_code = 10029 } ]

[payouts]
default_delay = "30s"
`+cards.String()))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// endpoint describes a payout-making route for the table tests.
type endpoint struct {
	path     string
	script   string
	fields   func(order string) []string // a valid request, without merchant, salt, sig
	required []string                    // in the order they are checked
	reply    []string                    // reply field names, in order
}

const post = "http://127.0.0.1:9/hooks/post"

var iban = []string{"pg_recipient_iban", "KZ86125KZT5004100100", "pg_recipient_iin", "860101300123",
	"pg_recipient_name", "Aliya Seitova", "pg_recipient_kbe", "19", "pg_knp", "311", "pg_bank_bik", "KCJBKZKX"}

var endpoints = []endpoint{
	{
		path: "/g2g/p2p2nonreg", script: "p2p2nonreg",
		fields: func(o string) []string {
			return []string{"pg_order_id", o, "pg_amount", "1000", "pg_description", "Payout", "pg_payment_to", "4111111111111111",
				"pg_post_link", post, "pg_currency", "KZT"}
		},
		required: []string{"pg_order_id", "pg_amount", "pg_description", "pg_payment_to", "pg_post_link"},
		reply: []string{"pg_payment_id", "pg_merchant_id", "pg_order_id", "pg_status", "pg_balance", "pg_payment_amount",
			"pg_payment_date", "pg_reference", "pg_datetime", "pg_salt", "pg_sig"},
	},
	{
		path: "/g2g/to_iban", script: "to_iban",
		fields: func(o string) []string {
			return append([]string{"pg_order_id", o, "pg_amount", "1000", "pg_post_link", post}, iban...)
		},
		required: []string{"pg_order_id", "pg_amount", "pg_recipient_iban", "pg_recipient_iin", "pg_recipient_name",
			"pg_recipient_kbe", "pg_knp", "pg_bank_bik", "pg_post_link"},
		reply: []string{"pg_payment_id", "pg_merchant_id", "pg_status", "pg_order_id", "pg_payment_amount", "pg_payment_date",
			"pg_datetime", "pg_salt", "pg_sig"},
	},
	{
		path: "/api/to_iban", script: "to_iban",
		fields: func(o string) []string {
			return append([]string{"pg_order_id", o, "pg_amount", "1000", "pg_post_link", post}, iban...)
		},
		required: []string{"pg_order_id", "pg_amount", "pg_recipient_iban", "pg_post_link"},
		reply: []string{"pg_payment_id", "pg_merchant_id", "pg_status", "pg_order_id", "pg_payment_amount", "pg_payment_date",
			"pg_datetime", "pg_salt", "pg_sig"},
	},
	{
		path: "/g2g/reg2reg", script: "reg2reg",
		fields: func(o string) []string {
			return []string{"pg_order_id", o, "pg_amount", "1000", "pg_description", "Payout", "pg_order_time_limit", "2030-01-01 00:00:00",
				"pg_user_id", "131", "pg_post_link", post, "pg_card_token_to", "tok-ok"}
		},
		required: []string{"pg_order_id", "pg_amount", "pg_description", "pg_order_time_limit", "pg_user_id", "pg_post_link", "pg_card_token_to"},
		reply: []string{"pg_payment_id", "pg_merchant_id", "pg_status", "pg_order_id", "pg_balance", "pg_card_hash", "pg_card_token",
			"pg_payment_amount", "pg_payment_date", "pg_error_code", "pg_salt", "pg_sig"},
	},
	{
		path: "/api/reg2reg", script: "reg2reg",
		fields: func(o string) []string { // as the PHP SDK sends it: card id, back link
			return []string{"pg_order_id", o, "pg_amount", "1000", "pg_description", "Payout", "pg_order_time_limit", "2019-11-25 00:00:00",
				"pg_user_id", "131", "pg_post_link", post, "pg_back_link", "http://site.kz/", "pg_card_id_to", "1"}
		},
		required: []string{"pg_order_id", "pg_amount", "pg_card_id_to"},
		reply: []string{"pg_payment_id", "pg_merchant_id", "pg_status", "pg_order_id", "pg_balance", "pg_card_hash", "pg_card_token",
			"pg_payment_amount", "pg_payment_date", "pg_error_code", "pg_salt", "pg_sig"},
	},
	{
		path: "/api/reg2nonreg", script: "reg2nonreg",
		fields: func(o string) []string {
			return []string{"pg_order_id", o, "pg_amount", "1000", "pg_description", "Payout", "pg_order_time_limit", "2030-01-01 00:00:00",
				"pg_back_link", "http://shop.example/back", "pg_post_link", post}
		},
		required: []string{"pg_order_id", "pg_amount", "pg_description", "pg_order_time_limit", "pg_back_link", "pg_post_link"},
		reply:    []string{"pg_status", "pg_payment_id", "pg_merchant_id", "pg_redirect_url", "pg_salt", "pg_sig"},
	},
	{
		path: "/api/iban_payout", script: "iban_payout",
		fields: func(o string) []string { // as the PHP SDK sends it
			return []string{"pg_order_id", o, "pg_amount", "1000", "pg_description", "Payout", "pg_user_id", "131",
				"pg_recipient_bank_bic", "KCJBKZKX", "pg_recipient_iban", "KZ86125KZT5004100100",
				"pg_recipient_iin_bin", "860101300123", "pg_recipient_name", "Aliya Seitova"}
		},
		required: []string{"pg_order_id", "pg_amount", "pg_description", "pg_recipient_bank_bic", "pg_recipient_iban",
			"pg_recipient_iin_bin", "pg_recipient_name"},
		reply: []string{"pg_status", "pg_payment_id", "pg_merchant_id", "pg_order_id", "pg_payment_amount", "pg_payment_date",
			"pg_redirect_url", "pg_salt", "pg_sig"},
	},
}

// call signs kv for merchant 9970 and sends it to path.
func call(t testing.TB, s *mock.Server, path string, kv ...string) reply {
	t.Helper()
	return do(t, s.Handler(), newRequest(t, wire.EncForm, path, signed(sign.ScriptName(path), payoutSecret, append([]string{"pg_merchant_id", "9970"}, kv...)...)))
}

// without drops a field from name, value pairs.
func without(kv []string, name string) []string {
	var out []string
	for i := 0; i < len(kv); i += 2 {
		if kv[i] != name {
			out = append(out, kv[i], kv[i+1])
		}
	}
	return out
}

// with sets a field in name, value pairs.
func with(kv []string, name, value string) []string {
	return append(without(kv, name), name, value)
}

func wantError(t testing.TB, r reply, code string) {
	t.Helper()
	if r.get("pg_status") != "error" || r.get("pg_error_code") != code {
		t.Errorf("got pg_status=%s pg_error_code=%s (%s), want error %s", r.get("pg_status"), r.get("pg_error_code"), r.get("pg_error_description"), code)
	}
}

func wantSigned(t testing.TB, r reply, script string) {
	t.Helper()
	if !sign.Verify(script, r.fields, payoutSecret) {
		t.Errorf("reply signature does not verify with script %q: %s", script, r.body)
	}
}

func TestCreateEndpoints(t *testing.T) {
	for _, ep := range endpoints {
		t.Run(ep.path, func(t *testing.T) {
			s, _ := newServer(t, payoutScenario(t, post))
			for _, enc := range encodings {
				kv := append([]string{"pg_merchant_id", "9970"}, ep.fields("ok-"+enc)...)
				r := do(t, s.Handler(), newRequest(t, enc, ep.path, signed(ep.script, payoutSecret, kv...)))
				if r.get("pg_status") != "ok" {
					t.Fatalf("%s: valid request refused: %s", enc, r.body)
				}
				if got, want := strings.Join(r.names(), ","), strings.Join(ep.reply, ","); got != want {
					t.Errorf("%s: reply fields %s, want %s", enc, got, want)
				}
				wantSigned(t, r, ep.script)
				if _, ok := mock.PayoutByOrder(s, "9970", "ok-"+enc); !ok {
					t.Errorf("%s: no payout recorded for order ok-%s", enc, enc)
				}
			}

			valid := ep.fields("v-1")
			for _, name := range ep.required {
				code := "9403"
				if name == "pg_post_link" {
					code = "9993"
				}
				r := call(t, s, ep.path, without(valid, name)...)
				wantError(t, r, code)
				if !strings.Contains(r.get("pg_error_description"), name) {
					t.Errorf("without %s: description %q does not name the field", name, r.get("pg_error_description"))
				}
				wantSigned(t, r, ep.script)
			}

			bad := signed(ep.script, "wrong", append([]string{"pg_merchant_id", "9970"}, valid...)...)
			r := do(t, s.Handler(), newRequest(t, wire.EncForm, ep.path, bad))
			wantError(t, r, "9998")
			if r.get("pg_sig") != "" {
				t.Errorf("bad signature reply is signed: %s", r.body)
			}

			for _, tc := range []struct{ name, value, code string }{
				{"pg_amount", "abc", "9403"}, {"pg_amount", "0", "9403"}, {"pg_amount", "-5", "9403"},
				{"pg_amount", "10.123", "9403"}, {"pg_amount", "100000000", "9403"},
				{"pg_order_id", strings.Repeat("x", 51), "9403"},
			} {
				wantError(t, call(t, s, ep.path, with(valid, tc.name, tc.value)...), tc.code)
			}
			if r := call(t, s, ep.path, valid...); r.get("pg_status") != "ok" {
				t.Fatalf("valid request after refusals refused: %s", r.body)
			}
			wantError(t, call(t, s, ep.path, valid...), "9991")
			if _, ok := mock.PayoutByOrder(s, "9970", "v-1"); !ok {
				t.Error("the first payout of order v-1 is gone after the duplicate")
			}
		})
	}
}

func TestFieldRules(t *testing.T) {
	s, _ := newServer(t, payoutScenario(t, post))
	card := endpoints[0].fields("c")
	for _, pan := range []string{"4671593866478253", "467159386647", "467159386647825212345", "4671 5938 6647 8252", "abcd"} {
		wantError(t, call(t, s, "/g2g/p2p2nonreg", with(card, "pg_payment_to", pan)...), "10032")
	}
	wantError(t, call(t, s, "/g2g/p2p2nonreg", with(card, "pg_currency", "USD")...), "9403")
	wantError(t, call(t, s, "/g2g/p2p2nonreg", with(card, "pg_post_link", "not a url")...), "9403")
	ib := endpoints[1].fields("i")
	for _, v := range []string{"12345678910111213141", "KZ86125KZT500410010", "KZ86125KZT50041001000", "DE89370400440532013000", "kz86125kzt5004100100"} {
		wantError(t, call(t, s, "/g2g/to_iban", with(ib, "pg_recipient_iban", v)...), "9403")
	}
	wantError(t, call(t, s, "/api/iban_payout", with(endpoints[6].fields("i2"), "pg_recipient_iban", "12345678910111213141")...), "9403")
	tok := endpoints[3].fields("t")
	wantError(t, call(t, s, "/g2g/reg2reg", with(tok, "pg_card_token_to", "tok-nope")...), "9403")
	wantError(t, call(t, s, "/g2g/reg2reg", with(tok, "pg_user_id", "999")...), "9403") // tok-ok belongs to user 131
	wantError(t, call(t, s, "/api/reg2reg", with(endpoints[4].fields("t2"), "pg_card_id_to", "77")...), "9403")
	wantError(t, call(t, s, "/api/reg2reg", with(tok, "pg_card_id_to", "77")...), "9403") // tok-ok is card 1: which one to pay?
	wantError(t, call(t, s, "/g2g/reg2reg", with(tok, "pg_order_time_limit", "tomorrow")...), "9403")
	for i, e := range endpoints[:7] { // every route that makes a payout
		wantError(t, call(t, s, e.path, with(e.fields(fmt.Sprintf("cur-%d", i)), "pg_currency", "USD")...), "9403")
		wantError(t, call(t, s, e.path, with(e.fields(fmt.Sprintf("desc-%d", i)), "pg_description", strings.Repeat("d", 256))...), "9403")
	}
	if n := len(mock.LedgerPayouts(s, "")); n != 0 {
		t.Errorf("%d payouts made by refused requests, want 0", n)
	}
}

// TestTestCards pays each documented test card by card number, on the
// payout page and by saved token, and follows the payout to its end.
func TestTestCards(t *testing.T) {
	for _, tc := range ledger.TestCards() {
		for _, path := range []string{"/g2g/p2p2nonreg", "/api/reg2nonreg", "/g2g/reg2reg"} {
			t.Run(tc.Number+path, func(t *testing.T) { testCard(t, tc, path) })
		}
	}
}

func testCard(t *testing.T, tc ledger.TestCard, path string) {
	m := newMerchant(t, payoutSecret, ackOK)
	hook := m.URL + "/hooks/post"
	s, _ := newServer(t, payoutScenario(t, hook))
	var r reply
	switch path {
	case "/g2g/p2p2nonreg":
		r = call(t, s, path, with(with(endpoints[0].fields("tc"), "pg_post_link", hook), "pg_payment_to", tc.Number)...)
	case "/api/reg2nonreg":
		r = call(t, s, path, with(endpoints[5].fields("tc"), "pg_post_link", hook)...)
		if r.get("pg_status") != "ok" {
			t.Fatalf("reg2nonreg: %s", r.body)
		}
		enterCard(t, s, r.get("pg_redirect_url"), tc.Number, http.StatusOK)
		r = reply{fields: kvs("pg_status", "ok")}
		if tc.Status == "error" && !tc.Process {
			r.fields = kvs("pg_status", "error", "pg_error_code", strconv.Itoa(tc.ErrorCode))
		}
	case "/g2g/reg2reg":
		r = call(t, s, path, with(with(endpoints[3].fields("tc"), "pg_card_token_to", "tc-"+tc.Number), "pg_post_link", hook)...)
	}
	if r.body != "" {
		wantSigned(t, r, sign.ScriptName(path))
	}
	if tc.ErrorCode == 8888 && path != "/api/reg2nonreg" {
		// A refusal like a real shortfall: nothing made, the order id free.
		wantError(t, r, "8888")
		if _, ok := mock.PayoutByOrder(s, "9970", "tc"); ok {
			t.Error("the 8888 test card made a payout")
		}
		return
	}
	p, ok := mock.PayoutByOrder(s, "9970", "tc")
	if !ok {
		t.Fatalf("no payout made: %s", r.body)
	}
	switch {
	case tc.Process:
		if r.get("pg_status") != "ok" || statusOf(t, s, p) != "process" {
			t.Errorf("reply %s / status %s, want ok and process first", r.get("pg_status"), statusOf(t, s, p))
		}
	case tc.Status == "error":
		wantError(t, r, strconv.Itoa(tc.ErrorCode))
	default:
		if r.get("pg_status") != "ok" {
			t.Errorf("reply %s, want ok", r.body)
		}
	}
	if _, err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	if got := statusOf(t, s, p); got != tc.Status {
		t.Errorf("final status %s, want %s", got, tc.Status)
	}
	got := m.got()
	want := map[string]string{"success": "ok", "error": "error"}[tc.Status]
	if len(got) != 1 || got[0].Value("pg_status") != want || got[0].Value("pg_card_hash") != tc.Number[:6]+"-XX-XXXX-"+tc.Number[12:] {
		t.Errorf("notifies %v, want one with pg_status=%s and the masked card", got, want)
	}
}

// statusOf asks payout_status2 for a payout's status now.
func statusOf(t testing.TB, s *mock.Server, p ledger.Payout) string {
	t.Helper()
	r := call(t, s, "/g2g/payout_status2", "pg_order_id", p.OrderID, "pg_payment_id", strconv.FormatInt(p.PaymentID, 10))
	wantSigned(t, r, "payout_status2")
	return r.get("pg_payment_status")
}

// story is one end-to-end run of an endpoint: create, see process, move the
// clock, receive and verify the notify, see the final status and balance.
type story struct {
	name   string
	path   string
	kv     []string
	page   string // reg2nonreg: the card entered on the payout page
	status string // final
	code   string // pg_error_code of a failed payout
	after  time.Duration
	toPay  string
	// balance after the payout ends: 100000 less to_pay on success
	balance string
}

func TestPayoutStories(t *testing.T) {
	for _, st := range []story{
		{name: "card success", path: "/g2g/p2p2nonreg", kv: endpoints[0].fields("s1"), status: "success", after: 30 * time.Second, toPay: "1030", balance: "98970.00"},
		{name: "card rule error", path: "/g2g/p2p2nonreg", kv: with(with(endpoints[0].fields("fail-1"), "pg_payment_to", "4405645000006150"), "pg_amount", "150"),
			status: "error", code: "10000", after: 2 * time.Minute, toPay: "163", balance: "100000.00"},
		{name: "iban", path: "/g2g/to_iban", kv: endpoints[1].fields("s2"), status: "success", after: 30 * time.Second, toPay: "1030", balance: "98970.00"},
		{name: "iban rule", path: "/api/to_iban", kv: with(endpoints[2].fields("s3"), "pg_recipient_iban", "KZ99125KZT5004100100"),
			status: "error", code: "10029", after: 10 * time.Second, toPay: "1030", balance: "100000.00"},
		{name: "token", path: "/g2g/reg2reg", kv: endpoints[3].fields("s4"), status: "success", after: 30 * time.Second, toPay: "1030", balance: "98970.00"},
		{name: "token by card id", path: "/api/reg2reg", kv: endpoints[4].fields("s5"), status: "success", after: 30 * time.Second, toPay: "1030", balance: "98970.00"},
		{name: "token test card", path: "/g2g/reg2reg", kv: without(with(endpoints[3].fields("s6"), "pg_card_token_to", "tok-slow"), "pg_user_id_x"),
			status: "success", after: 30 * time.Second, toPay: "1030", balance: "98970.00"},
		{name: "payout page", path: "/api/reg2nonreg", kv: endpoints[5].fields("s7"), page: "4532676596620704",
			status: "error", code: "10001", after: 30 * time.Second, toPay: "1030", balance: "100000.00"},
		{name: "sdk iban", path: "/api/iban_payout", kv: endpoints[6].fields("s8"), status: "success", after: 30 * time.Second, toPay: "1030", balance: "98970.00"},
	} {
		t.Run(st.name, func(t *testing.T) {
			m := newMerchant(t, payoutSecret, ackOK)
			hook := m.URL + "/hooks/payout-result"
			s, _ := newServer(t, payoutScenario(t, hook))
			kv := st.kv
			if st.path != "/api/iban_payout" {
				kv = with(kv, "pg_post_link", hook)
			}
			order := ""
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == "pg_order_id" {
					order = kv[i+1]
				}
			}
			r := call(t, s, st.path, kv...)
			if r.get("pg_status") != "ok" {
				t.Fatalf("create: %s", r.body)
			}
			wantSigned(t, r, sign.ScriptName(st.path))
			p, _ := mock.PayoutByOrder(s, "9970", order)
			if got := statusOf(t, s, p); got != "process" {
				t.Errorf("status right after create %q, want process", got)
			}
			if st.page != "" {
				enterCard(t, s, r.get("pg_redirect_url"), st.page, http.StatusOK)
			}
			if a, _ := attempted(s.Advance(st.after - time.Second)); len(a) != 0 {
				t.Errorf("notified %d times before the payout ended", len(a))
			}
			if got := statusOf(t, s, p); got != "process" {
				t.Errorf("status a second before the end %q, want process", got)
			}
			if _, err := s.Advance(time.Second); err != nil {
				t.Fatal(err)
			}
			if got := statusOf(t, s, p); got != st.status {
				t.Errorf("final status %q, want %q", got, st.status)
			}
			got := m.got()
			if len(got) != 1 {
				t.Fatalf("%d notifies, want 1", len(got))
			}
			n := got[0]
			if !sign.Verify("payout-result", n, payoutSecret) {
				t.Errorf("notify signature does not verify: %v", n)
			}
			want := map[string]string{"success": "ok", "error": "error"}[st.status]
			if n.Value("pg_status") != want || n.Value("pg_order_id") != order || n.Value("pg_to_pay") != st.toPay || n.Value("pg_balance") != st.balance {
				t.Errorf("notify status %s order %s to_pay %s balance %s, want %s %s %s %s", n.Value("pg_status"), n.Value("pg_order_id"),
					n.Value("pg_to_pay"), n.Value("pg_balance"), want, order, st.toPay, st.balance)
			}
			if h, ok := n.Get("pg_card_hash"); strings.Contains(st.path, "iban") == ok || regexp.MustCompile(`\d{7}`).MatchString(h) {
				t.Errorf("pg_card_hash %q: want a masked card for card payouts, none for IBAN ones", h)
			}
			b := call(t, s, "/g2g/balance_status", "pg_currency", "KZT")
			if b.get("pg_balance") != st.balance {
				t.Errorf("balance_status %s, want %s", b.get("pg_balance"), st.balance)
			}
			for _, path := range []string{"/api/payment_status", "/api/iban_payout/payment_status", "/api/payment_status2"} {
				r := call(t, s, path, "pg_order_id", order)
				if r.get("pg_payment_status") != st.status || r.get("pg_payment_id") != strconv.FormatInt(p.PaymentID, 10) {
					t.Errorf("%s: %s", path, r.body)
				}
				wantSigned(t, r, sign.ScriptName(path))
			}
		})
	}
}

// enterCard submits the payout page's form as a browser would.
func enterCard(t testing.TB, s *mock.Server, pageURL, pan string, want int) string {
	t.Helper()
	u, err := url.Parse(pageURL)
	if err != nil || u.Host != "example.com" || !strings.HasPrefix(u.Path, "/payout/") {
		t.Fatalf("pg_redirect_url %q: want a page of the sandbox", pageURL)
	}
	get := httptest.NewRecorder()
	s.Handler().ServeHTTP(get, httptest.NewRequest(http.MethodGet, u.Path, nil))
	if form := strings.Contains(get.Body.String(), `name="card_number"`); get.Code != 200 || form != (want != http.StatusConflict) {
		t.Fatalf("GET page: %d, want 200 with the card form only while the payout awaits a card:\n%s", get.Code, get.Body)
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, u.Path, strings.NewReader(url.Values{"card_number": {pan}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	s.Handler().ServeHTTP(w, r)
	if w.Code != want {
		t.Fatalf("POST card: HTTP %d, want %d:\n%s", w.Code, want, w.Body)
	}
	if strings.Contains(w.Body.String(), pan) {
		t.Errorf("the page shows the full card number")
	}
	return w.Body.String()
}

func TestPayoutPage(t *testing.T) {
	m := newMerchant(t, payoutSecret, ackOK)
	s, _ := newServer(t, payoutScenario(t, m.URL+"/hook"))
	r := call(t, s, "/api/reg2nonreg", with(endpoints[5].fields("pg-1"), "pg_post_link", m.URL+"/hook")...)
	page := r.get("pg_redirect_url")
	p, _ := mock.PayoutByOrder(s, "9970", "pg-1")
	if _, err := s.Advance(time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := statusOf(t, s, p); got != "process" || len(m.got()) != 0 {
		t.Errorf("an hour without a card: status %s, %d notifies; want process and none", got, len(m.got()))
	}
	if body := enterCard(t, s, page, "4671593866478253", http.StatusUnprocessableEntity); !strings.Contains(body, "Luhn") {
		t.Errorf("bad card page does not say why:\n%s", body)
	}
	twice := httptest.NewRecorder()
	u, _ := url.Parse(page)
	post := httptest.NewRequest(http.MethodPost, u.Path, strings.NewReader("card_number=5325349472901311&card_number=4671593866478252"))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	s.Handler().ServeHTTP(twice, post)
	if twice.Code != http.StatusUnprocessableEntity || !strings.Contains(twice.Body.String(), "twice") {
		t.Errorf("two different card numbers: HTTP %d, want 422 saying so:\n%s", twice.Code, twice.Body)
	}
	body := enterCard(t, s, page, "4671593866478252", http.StatusOK)
	if !strings.Contains(body, "467159-XX-XXXX-8252") || !strings.Contains(body, `href="http://shop.example/back"`) {
		t.Errorf("page after the card: want the masked card and the back link:\n%s", body)
	}
	enterCard(t, s, page, "4671593866478252", http.StatusConflict)
	if _, err := s.Advance(0); err != nil {
		t.Fatal(err)
	}
	if got := statusOf(t, s, p); got != "success" || len(m.got()) != 1 {
		t.Errorf("test card 4671…: status %s, %d notifies; want success and one", got, len(m.got()))
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/payout/nope", nil))
	if w.Code != http.StatusNotFound {
		t.Errorf("unknown page: HTTP %d, want 404", w.Code)
	}
}

func TestBalanceAndCommission(t *testing.T) {
	m := newMerchant(t, payoutSecret, ackOK)
	s, _ := newServer(t, payoutScenario(t, m.URL+"/hook"))
	bal := func() string { return call(t, s, "/g2g/balance_status", "pg_currency", "KZT").get("pg_balance") }
	if got := bal(); got != "100000.00" {
		t.Fatalf("opening balance %s, want 100000.00", got)
	}
	card := endpoints[0].fields("")
	// 50000 costs 51010: reserved at once.
	r := call(t, s, "/g2g/p2p2nonreg", with(with(card, "pg_order_id", "big"), "pg_amount", "50000")...)
	if r.get("pg_balance") != "48990.00" || bal() != "48990.00" {
		t.Errorf("after reserving 51010: reply balance %s, balance_status %s, want 48990.00", r.get("pg_balance"), bal())
	}
	// 48000 costs 48970: fits exactly... plus 10 fixed = 48970 <= 48990.
	r = call(t, s, "/g2g/p2p2nonreg", with(with(card, "pg_order_id", "second"), "pg_amount", "48000")...)
	if r.get("pg_status") != "ok" {
		t.Fatalf("48000 (to pay 48970) of 48990 refused: %s", r.body)
	}
	// Nothing left for another 100.
	r = call(t, s, "/g2g/p2p2nonreg", with(with(card, "pg_order_id", "third"), "pg_amount", "100")...)
	wantError(t, r, "8888")
	wantSigned(t, r, "p2p2nonreg")
	if _, ok := mock.PayoutByOrder(s, "9970", "third"); ok {
		t.Error("a payout refused for its balance was made anyway")
	}
	// A failed payout gives its reservation back: the declined test card.
	r = call(t, s, "/g2g/p2p2nonreg", with(with(with(card, "pg_order_id", "third"), "pg_amount", "9"), "pg_payment_to", "5325349472901311")...)
	wantError(t, r, "10000")
	if got := bal(); got != "20.00" {
		t.Errorf("balance after a declined payout %s, want 20.00", got)
	}
	if _, err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	if got := bal(); got != "20.00" {
		t.Errorf("balance after both succeeded %s, want 20.00", got)
	}
	for _, n := range m.got() {
		if !sign.Verify("hook", n, payoutSecret) {
			t.Errorf("notify does not verify: %v", n)
		}
	}
	if r := call(t, s, "/api/balance_status"); r.get("pg_balance") != "20.00" || r.get("pg_currency") != "KZT" {
		t.Errorf("/api/balance_status: %s", r.body)
	}
	wantError(t, call(t, s, "/g2g/balance_status"), "9403")
	wantError(t, call(t, s, "/g2g/balance_status", "pg_currency", "USD"), "9403")
}

// FuzzPayoutRequest sends correctly signed payout requests with arbitrary
// values: every reply must be a gateway reply, and an ok one must have made
// the payout it names.
func FuzzPayoutRequest(f *testing.F) {
	s, _ := newServer(f, payoutScenario(f, post))
	f.Add(uint8(0), "o-1", "1000", "4671593866478252", "KZ86125KZT5004100100", "tok-ok")
	f.Add(uint8(1), "o-2", "0.01", "5325349472901311", "KZ99125KZT5004100100", "1")
	f.Add(uint8(3), "fail-3", "150", "4405645000006150", "", "tok-slow")
	f.Fuzz(func(t *testing.T, which uint8, order, amount, card, ibanNo, token string) {
		ep := endpoints[int(which)%len(endpoints)]
		kv := ep.fields(order)
		kv = with(kv, "pg_amount", amount)
		for _, name := range []string{"pg_payment_to", "pg_recipient_iban", "pg_card_token_to", "pg_card_id_to"} {
			if v, ok := kvs(kv...).Get(name); ok && v != "" {
				kv = with(kv, name, map[string]string{"pg_payment_to": card, "pg_recipient_iban": ibanNo}[name]+map[string]string{"pg_card_token_to": token, "pg_card_id_to": token}[name])
			}
		}
		r := call(t, s, ep.path, kv...)
		switch r.get("pg_status") {
		case "ok":
			id := r.get("pg_payment_id")
			if p, ok := mock.PayoutByOrder(s, "9970", order); !ok || strconv.FormatInt(p.PaymentID, 10) != id {
				t.Fatalf("ok reply for order %q names payment %s, which the ledger does not have", order, id)
			}
		case "error":
			if r.get("pg_error_code") == "" {
				t.Fatalf("error reply without a code: %s", r.body)
			}
		default:
			t.Fatalf("not a gateway reply: %s", r.body)
		}
	})
}

// TestZeroDefaultDelay: default_delay = "0s" makes a payout that no rule
// or test card decides succeed as it is made, not after the default 5s.
func TestZeroDefaultDelay(t *testing.T) {
	sc, err := scenario.Parse("zero.toml", []byte(`
[clock]
mode = "manual"
[[merchants]]
id = 9970
payout_secret_key = "k"
balance = 1000
[payouts]
default_delay = "0s"
`))
	if err != nil {
		t.Fatal(err)
	}
	s := mock.RunT(t, mock.Options{Scenario: sc})
	made := send(t, s, "9970", "k", "/g2g/p2p2nonreg", "pg_order_id", "z-1", "pg_amount", "10", "pg_description", "d",
		"pg_payment_to", "4405645000006150", "pg_post_link", post)
	if made.get("pg_status") != "ok" {
		t.Fatalf("create: %s", made.body)
	}
	if r := send(t, s, "9970", "k", "/g2g/payout_status2", "pg_order_id", "z-1", "pg_payment_id", made.get("pg_payment_id")); r.get("pg_payment_status") != "success" {
		t.Errorf("status as the payout is made: %s, want success at once", r.body)
	}
}
