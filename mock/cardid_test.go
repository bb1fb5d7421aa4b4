package mock_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// cardScenario has merchant 9970 calling back at post, with two saved
// cards: "tok-given" with the scenario's card_id 1234567 and "tok-bare"
// without one.
func cardScenario(t testing.TB, post, extra string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("cards.toml", []byte(`
seed = 11
`+extra+`
[[merchants]]
id = "9970"
payout_secret_key = "test_secret_key"
balance = 100000
post_link = "`+post+`"

[[cards]]
merchant_id = "9970"
token = "tok-given"
card_id = 1234567
card = "4671593866478252"

[[cards]]
merchant_id = "9970"
token = "tok-bare"
card = "4405645000006150"
`))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// reg2regFields is a reg2reg request to a saved card named by field
// (pg_card_token_to or pg_card_id_to), without merchant, salt and sig.
func reg2regFields(order, field, card, post string) []string {
	return []string{"pg_order_id", order, "pg_amount", "1000", "pg_description", "Payout",
		"pg_order_time_limit", "2030-01-01 00:00:00", "pg_user_id", "131", "pg_post_link", post, field, card}
}

// notifyOf returns the one notify the merchant got for order.
func notifyOf(t *testing.T, m *merchant, order string) sign.Fields {
	t.Helper()
	var found []sign.Fields
	for _, f := range m.got() {
		if f.Value("pg_order_id") == order {
			found = append(found, f)
		}
	}
	if len(found) != 1 {
		t.Fatalf("merchant got %d notifies of order %s, want 1", len(found), order)
	}
	return found[0]
}

// wantCardID checks that a notify carries pg_card_id want, just before
// pg_card_hash as in the official SDK's reg2reg example, and verifies.
func wantCardID(t *testing.T, n sign.Fields, want string) {
	t.Helper()
	names := make([]string, len(n))
	for i, f := range n {
		names[i] = f.Name
	}
	i := slices.Index(names, "pg_card_id")
	if got := n.Value("pg_card_id"); i < 0 || got != want {
		t.Errorf("order %s: got pg_card_id %q (fields %v), want %q", n.Value("pg_order_id"), got, names, want)
	} else if i+1 >= len(names) || names[i+1] != "pg_card_hash" {
		t.Errorf("order %s: got fields %v, want pg_card_id just before pg_card_hash", n.Value("pg_order_id"), names)
	}
	if !sign.Verify("post", n, "test_secret_key") {
		t.Errorf("order %s: got a pg_sig that does not verify with script post, want one that does", n.Value("pg_order_id"))
	}
}

// TestReg2RegNotifyCarriesCardID pays out to saved cards by token and by
// card id, on both reg2reg paths, and checks each notify's pg_card_id: the
// scenario's card_id, or for a card without one an id the sandbox gives it,
// the same on every start, not the scenario's, and accepted as
// pg_card_id_to.
func TestReg2RegNotifyCarriesCardID(t *testing.T) {
	m := newMerchant(t, "test_secret_key", ackOK)
	hook := m.URL + "/hooks/post"
	sc := cardScenario(t, hook, "")
	s := mock.RunT(t, mock.Options{Scenario: sc, Clock: clock.NewManual(t0)})

	pay := func(path, order, field, card string) {
		t.Helper()
		r := call(t, s, path, reg2regFields(order, field, card, hook)...)
		if r.get("pg_status") != "ok" {
			t.Fatalf("%s %s=%s: %s", path, field, card, r.body)
		}
	}
	pay("/g2g/reg2reg", "by-token", "pg_card_token_to", "tok-given")
	pay("/api/reg2reg", "by-id", "pg_card_id_to", "1234567")
	pay("/g2g/reg2reg", "bare-by-token", "pg_card_token_to", "tok-bare")
	if a, err := attempted(s.Advance(time.Hour)); err != nil || len(a) != 3 {
		t.Fatalf("Advance(1h): got %d attempts (%v), want 3", len(a), err)
	}
	wantCardID(t, notifyOf(t, m, "by-token"), "1234567")
	wantCardID(t, notifyOf(t, m, "by-id"), "1234567")

	given := notifyOf(t, m, "bare-by-token").Value("pg_card_id")
	if id, err := strconv.ParseInt(given, 10, 64); err != nil || id <= 0 || id == 1234567 {
		t.Fatalf("got pg_card_id %q for tok-bare, want a positive id other than the scenario's 1234567", given)
	}
	wantCardID(t, notifyOf(t, m, "bare-by-token"), given)
	for _, p := range mock.LedgerPayouts(s, "9970") {
		if p.OrderID == "bare-by-token" && strconv.FormatInt(p.CardID, 10) != given {
			t.Errorf("got payout CardID %d, want %s as notified", p.CardID, given)
		}
	}

	// The id given to tok-bare names it, as pg_card_id_to, and with its token.
	pay("/api/reg2reg", "bare-by-id", "pg_card_id_to", given)
	r := call(t, s, "/g2g/reg2reg", append(reg2regFields("bare-both", "pg_card_token_to", "tok-bare", hook), "pg_card_id_to", given)...)
	if r.get("pg_status") != "ok" {
		t.Fatalf("tok-bare with pg_card_id_to %s: %s", given, r.body)
	}
	if _, err := s.Advance(time.Hour); err != nil {
		t.Fatal(err)
	}
	wantCardID(t, notifyOf(t, m, "bare-by-id"), given)
	wantCardID(t, notifyOf(t, m, "bare-both"), given)

	// Another sandbox on the same scenario and seed gives tok-bare the same id.
	other := mock.RunT(t, mock.Options{Scenario: cardScenario(t, hook, ""), Clock: clock.NewManual(t0)})
	r = do(t, other.Handler(), newRequest(t, wire.EncForm, "/api/reg2reg",
		signed("reg2reg", payoutSecret, append([]string{"pg_merchant_id", "9970"}, reg2regFields("again", "pg_card_id_to", given, hook)...)...)))
	if r.get("pg_status") != "ok" {
		t.Errorf("a second sandbox refuses pg_card_id_to %s: %s", given, r.body)
	}
	m.mu.Lock()
	bad := m.badSig
	m.mu.Unlock()
	if bad != 0 {
		t.Errorf("got %d notifies with a bad signature, want 0", bad)
	}
}

// TestOnlyReg2RegNotifiesCarryCardID: payouts to a card number, on the
// payout page, to an IBAN and the scenario's own notify as before, with no
// pg_card_id.
func TestOnlyReg2RegNotifiesCarryCardID(t *testing.T) {
	m := newMerchant(t, "test_secret_key", ackOK)
	hook := m.URL + "/hooks/post"
	sc := cardScenario(t, hook, `
[[payouts]]
merchant_id = "9970"
order_id = "from-scenario"
amount = 10
timeline = [ { at = "0s", status = "process" }, { at = "5s", status = "success" } ]
`)
	s := mock.RunT(t, mock.Options{Scenario: sc, Clock: clock.NewManual(t0)})
	for _, req := range []struct {
		path string
		kv   []string
	}{
		{"/g2g/p2p2nonreg", []string{"pg_order_id", "p2p", "pg_amount", "10", "pg_description", "d",
			"pg_payment_to", "4671593866478252", "pg_post_link", hook}},
		{"/g2g/to_iban", append([]string{"pg_order_id", "iban", "pg_amount", "10", "pg_post_link", hook}, iban...)},
	} {
		if r := call(t, s, req.path, req.kv...); r.get("pg_status") != "ok" {
			t.Fatalf("%s: %s", req.path, r.body)
		}
	}
	r := call(t, s, "/api/reg2nonreg", "pg_order_id", "page", "pg_amount", "10", "pg_description", "d",
		"pg_order_time_limit", "2030-01-01 00:00:00", "pg_back_link", "http://shop.example/back", "pg_post_link", hook)
	if r.get("pg_status") != "ok" {
		t.Fatalf("reg2nonreg: %s", r.body)
	}
	enterCard(t, s, r.get("pg_redirect_url"), "4671593866478252", 200)
	if _, err := s.Advance(time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, order := range []string{"p2p", "iban", "page", "from-scenario"} {
		n := notifyOf(t, m, order)
		if v, ok := n.Get("pg_card_id"); ok {
			t.Errorf("order %s: got pg_card_id %q, want none", order, v)
		}
		if !sign.Verify("post", n, "test_secret_key") {
			t.Errorf("order %s: got a pg_sig that does not verify, want one that does", order)
		}
	}
	for _, p := range mock.LedgerPayouts(s, "9970") {
		if p.CardID != 0 {
			t.Errorf("payout %s: got CardID %d, want 0", p.OrderID, p.CardID)
		}
	}
}

// TestCardIDSurvivesRestart: a reg2reg payout saved before its notify is
// due keeps its card id through a restart on the state directory, and the
// state file check refuses a negative or non-numeric one.
func TestCardIDSurvivesRestart(t *testing.T) {
	m := newMerchant(t, "test_secret_key", ackOK)
	hook := m.URL + "/hooks/post"
	// The payout succeeds 10 s after it is made: its notify is still to
	// come when the sandbox stops.
	sc := cardScenario(t, hook, `
[clock]
mode = "manual"
[[rules]]
match = { card = "4671*" }
timeline = [ { at = "0s", status = "process" }, { at = "10s", status = "success" } ]
`)
	dir := t.TempDir()
	s1 := startState(t, sc, dir)
	if r := call(t, s1, "/g2g/reg2reg", reg2regFields("saved", "pg_card_token_to", "tok-given", hook)...); r.get("pg_status") != "ok" {
		t.Fatalf("reg2reg: %s", r.body)
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, mock.StateFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(good), `"CardID":1234567`) {
		t.Fatalf("state file:\n%s\nwant it to hold \"CardID\":1234567", good)
	}

	for _, c := range []struct {
		value any
		want  string
	}{
		{-1, "payouts[0].CardID: -1 is negative"},
		{"1234567", `payouts[0].CardID: "1234567" is not a whole number`},
	} {
		data := edit(t, good, func(st map[string]any) { obj(st, "payouts", 0)["CardID"] = c.value })
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := mock.New(mock.Options{Scenario: sc, StateDir: dir})
		var se *mock.StateError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CardID %v: got start-up error %v, want a StateError saying %q", c.value, err, c.want)
		}
	}
	if err := os.WriteFile(path, good, 0o600); err != nil {
		t.Fatal(err)
	}

	s2 := startState(t, sc, dir)
	if a, err := attempted(s2.Advance(time.Hour)); err != nil || len(a) != 1 {
		t.Fatalf("Advance(1h) after the restart: got %d attempts (%v), want 1", len(a), err)
	}
	wantCardID(t, notifyOf(t, m, "saved"), "1234567")
}
