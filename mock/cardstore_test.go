package mock_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// Card storage (payments.md §3.6), from the merchant's side: add, the card
// page, the card-storage notify, list, remove, and a payout to the card.

const cardUser = "u-77"

// cardPath is merchant id's card-storage route.
func cardPath(base, id, script string) string {
	return base + "/v1/merchant/" + id + "/cardstorage/" + script
}

// addCard opens a card page for cardUser, its notify to sh's /hooks/card,
// and returns the reply, whose signature it checks.
func addCard(t *testing.T, base string, sh *shop) sign.Fields {
	t.Helper()
	r := payPost(t, cardPath(base, "9970", "add"), signed("add", paymentSecret, "pg_merchant_id", "9970",
		"pg_user_id", cardUser, "pg_post_link", sh.srv.URL+"/hooks/card", "pg_back_link", "http://shop.example/cards", "pg_language", "en"))
	if r.get("pg_status") != "ok" || !sign.Verify("add", r.fields, paymentSecret) {
		t.Fatalf("cardstorage/add: %s", r.body)
	}
	return r.fields
}

// listCards asks for cardUser's cards and checks the nested reply's
// signature through the test's own decoder.
func listCards(t *testing.T, base string, extend bool) reply {
	t.Helper()
	kv := []string{"pg_merchant_id", "9970", "pg_user_id", cardUser}
	if extend {
		kv = append(kv, "pg_extend_data", "1")
	}
	r := payPost(t, cardPath(base, "9970", "list"), signed("list", paymentSecret, kv...))
	if !sign.Verify("list", r.fields, paymentSecret) {
		t.Fatalf("cardstorage/list reply's signature does not verify: %s", r.body)
	}
	return r
}

// firstToken is the pg_card_token of a list's first <card>.
func firstToken(r reply) string {
	_, rest, _ := strings.Cut(r.body, "<pg_card_token>")
	token, _, _ := strings.Cut(rest, "</pg_card_token>")
	return token
}

// payoutTo pays 1000 out to user's saved card by reg2reg (payout secret).
func payoutTo(t *testing.T, base, path, order, token, user string) reply {
	t.Helper()
	kv := reg2regFields(order, "pg_card_token_to", token, base+"/_mock/demo/merchant")
	for i := 0; i < len(kv); i += 2 {
		if kv[i] == "pg_user_id" {
			kv[i+1] = user
		}
	}
	return payPost(t, base+path, signed("reg2reg", payoutSecret, append([]string{"pg_merchant_id", "9970"}, kv...)...))
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func postForm(t *testing.T, target string, form url.Values) (int, string, string) {
	t.Helper()
	res, err := noRedirect.PostForm(target, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Location"), string(body)
}

func TestCardStorageEndToEnd(t *testing.T) {
	_, _, base := payServer(t)
	sh := newCarefulShop(t)
	added := addCard(t, base, sh)
	if got, want := strings.Join(reply{fields: added}.names(), " "),
		"pg_payment_id pg_merchant_id pg_order_id pg_redirect_url pg_status pg_type pg_salt pg_sig"; got != want {
		t.Errorf("add reply fields %s, want %s", got, want)
	}
	pageURL := added.Value("pg_redirect_url")
	if !strings.HasPrefix(pageURL, base+"/v1/merchant/9970/cardstorage/view?pg_payment_id=") || added.Value("pg_type") != "init" {
		t.Fatalf("add reply %v", added)
	}
	res, err := http.Get(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	form, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(form), `name="card_number"`) || !strings.Contains(string(form), "Save the card") {
		t.Fatalf("the card page: HTTP %d\n%s", res.StatusCode, form)
	}

	code, loc, body := payCard(t, pageURL, "4716047261941981")
	if code != http.StatusSeeOther || loc != "http://shop.example/cards" {
		t.Fatalf("card sent: HTTP %d to %q, want 303 to the back_link\n%s", code, loc, body)
	}
	_, got := sh.got()
	if len(got) != 1 {
		t.Fatalf("the shop got %d card-storage notifies, want 1", len(got))
	}
	n := got[0]
	token := n.Get("pg_card_token")
	for name, want := range map[string]string{"pg_merchant_id": "9970", "pg_user_id": cardUser, "pg_status": "success",
		"pg_card_hash": "471604-XX-XXXX-1981"} {
		if v := n.Get(name); v != want {
			t.Errorf("notify %s = %q, want %q", name, v, want)
		}
	}
	if len(token) != 32 || n.Get("pg_card_id") == "" {
		t.Errorf("notify token %q, card id %q", token, n.Get("pg_card_id"))
	}

	// The page takes no second card.
	if code, _, _ := payCard(t, pageURL, "4939770956154989"); code != http.StatusConflict {
		t.Errorf("a second card on a used page: HTTP %d, want 409", code)
	}
	// The dashboard lists the saved card, masked, with its token.
	if res, err := http.Get(base + "/_mock/ui"); err == nil {
		ui, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(ui), "471604-XX-XXXX-1981") || !strings.Contains(string(ui), token) || strings.Contains(string(ui), "4716047261941981") {
			t.Errorf("the dashboard's saved cards lack the card (masked) or its token, or show the whole number")
		}
	} else {
		t.Fatal(err)
	}

	l := listCards(t, base, false)
	if strings.Count(l.body, "<card>") != 1 || firstToken(l) != token || !strings.Contains(l.body, "<pg_status>approved</pg_status>") ||
		strings.Contains(l.body, "pg_expiry_year") {
		t.Fatalf("list: %s", l.body)
	}
	if l := listCards(t, base, true); !strings.Contains(l.body, "<pg_expiry_year>2030</pg_expiry_year><pg_expiry_month>12</pg_expiry_month>") ||
		!strings.Contains(l.body, "<pg_brand_alias>visa</pg_brand_alias>") {
		t.Fatalf("list with extend_data: %s", l.body)
	}

	for _, path := range []string{"/g2g/reg2reg", "/api/reg2reg"} {
		p := payoutTo(t, base, path, "card-"+path[1:4], token, cardUser)
		if p.get("pg_status") != "ok" || p.get("pg_card_hash") != "471604-XX-XXXX-1981" || p.get("pg_card_token") != token {
			t.Fatalf("%s to the saved card: %s", path, p.body)
		}
	}

	wantPayError(t, "reg2reg to the card as another user", payoutTo(t, base, "/g2g/reg2reg", "card-other", token, "131"), "9403")

	// Another user's removal is refused; the user's own goes through.
	other := payPost(t, cardPath(base, "9970", "remove"), signed("remove", paymentSecret, "pg_merchant_id", "9970",
		"pg_user_id", "someone-else", "pg_card_token", token))
	wantPayError(t, "another user's remove", other, "9403")
	rm := payPost(t, cardPath(base, "9970", "remove"), signed("remove", paymentSecret, "pg_merchant_id", "9970",
		"pg_user_id", cardUser, "pg_card_token", token))
	if rm.get("pg_status") != "ok" || rm.get("pg_card_hash") != "471604-XX-XXXX-1981" || rm.get("pg_deleted_at") == "" ||
		!sign.Verify("remove", rm.fields, paymentSecret) {
		t.Fatalf("remove: %s", rm.body)
	}
	if l := listCards(t, base, false); strings.Contains(l.body, "<card>") {
		t.Fatalf("list after remove: %s", l.body)
	}
	wantPayError(t, "reg2reg to a removed card", payoutTo(t, base, "/g2g/reg2reg", "card-gone", token, cardUser), "9403")
	again := payPost(t, cardPath(base, "9970", "remove"), signed("remove", paymentSecret, "pg_merchant_id", "9970",
		"pg_user_id", cardUser, "pg_card_token", token))
	wantPayError(t, "a second remove", again, "9403")

	// The card number is nowhere the sandbox shows.
	for _, path := range []string{"/_mock/cards", "/_mock/requests", "/_mock/notifications"} {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if strings.Contains(string(b), "4716047261941981") || strings.Contains(string(b), "4716 0472") {
			t.Errorf("%s shows the card number:\n%s", path, b)
		}
		if path == "/_mock/cards" && !strings.Contains(string(b), `"card_hash": "471604-XX-XXXX-1981"`) {
			t.Errorf("%s does not list the card masked:\n%s", path, b)
		}
	}
}

func TestCardStorage3DS(t *testing.T) {
	_, _, base := payServer(t)
	sh := newCarefulShop(t)
	pageURL := addCard(t, base, sh).Value("pg_redirect_url")
	key := pageURL[strings.LastIndexByte(pageURL, '=')+1:]

	code, loc, _ := payCard(t, pageURL, "4916307416334310")
	if code != http.StatusSeeOther || loc != "/v2/user/3ds-page/"+key {
		t.Fatalf("a 3-D Secure card: HTTP %d to %q", code, loc)
	}
	code, _, body := postForm(t, base+loc, url.Values{"acs": {"fail"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "10004") || !strings.Contains(body, `name="card_number"`) {
		t.Fatalf("Fail on the issuer's page: HTTP %d\n%s", code, body)
	}
	if _, got := sh.got(); len(got) != 0 {
		t.Fatalf("%d notifies after Fail, want none", len(got))
	}
	if l := listCards(t, base, false); strings.Contains(l.body, "<card>") {
		t.Fatalf("list after Fail: %s", l.body)
	}

	code, loc, _ = payCard(t, pageURL, "5367654276102126")
	if code != http.StatusSeeOther {
		t.Fatalf("the card again: HTTP %d", code)
	}
	code, loc, _ = postForm(t, base+loc, url.Values{"acs": {"confirm"}})
	if code != http.StatusSeeOther || loc != "http://shop.example/cards" {
		t.Fatalf("Confirm: HTTP %d to %q, want 303 to the back_link", code, loc)
	}
	_, got := sh.got()
	if len(got) != 1 || got[0].Get("pg_card_hash") != "536765-XX-XXXX-2126" {
		t.Fatalf("notifies after Confirm: %v", got)
	}
	if l := listCards(t, base, false); firstToken(l) != got[0].Get("pg_card_token") {
		t.Fatalf("list after Confirm: %s", l.body)
	}
}

func TestCardStorageDeclined(t *testing.T) {
	_, _, base := payServer(t)
	sh := newCarefulShop(t)
	pageURL := addCard(t, base, sh).Value("pg_redirect_url")
	code, _, body := payCard(t, pageURL, "5335215945367703")
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "10001") || !strings.Contains(body, `name="card_number"`) {
		t.Fatalf("a declined card: HTTP %d\n%s", code, body)
	}
	if _, got := sh.got(); len(got) != 0 {
		t.Fatalf("%d notifies after a decline, want none", len(got))
	}
	// The page waits for another card.
	if code, loc, _ := payCard(t, pageURL, "4939770956154989"); code != http.StatusSeeOther || loc != "http://shop.example/cards" {
		t.Fatalf("a card after the decline: HTTP %d to %q", code, loc)
	}
}

func TestCardStorageChecksItsFields(t *testing.T) {
	_, _, base := payServer(t)
	sh := newCarefulShop(t)
	for name, tc := range map[string]struct {
		path string
		kv   []string
		want string
	}{
		"another merchant's path": {cardPath(base, "9971", "add"), []string{"pg_user_id", cardUser,
			"pg_post_link", sh.srv.URL + "/hooks/card", "pg_back_link", "http://shop.example/cards"}, "pg_merchant_id"},
		"no user": {cardPath(base, "9970", "add"), []string{"pg_post_link", sh.srv.URL + "/hooks/card",
			"pg_back_link", "http://shop.example/cards"}, "pg_user_id"},
		"a javascript back_link": {cardPath(base, "9970", "add"), []string{"pg_user_id", cardUser,
			"pg_post_link", sh.srv.URL + "/hooks/card", "pg_back_link", "javascript:alert(1)"}, "pg_back_link"},
		"a post_link with CRLF": {cardPath(base, "9970", "add"), []string{"pg_user_id", cardUser,
			"pg_post_link", sh.srv.URL + "/hooks/card\r\nX: y", "pg_back_link", "http://shop.example/cards"}, "pg_post_link"},
		"a user of other characters": {cardPath(base, "9970", "list"), []string{"pg_user_id", "a b"}, "pg_user_id"},
		"no token":                   {cardPath(base, "9970", "remove"), []string{"pg_user_id", cardUser}, "pg_card_token"},
	} {
		script := tc.path[strings.LastIndexByte(tc.path, '/')+1:]
		r := payPost(t, tc.path, signed(script, paymentSecret, append([]string{"pg_merchant_id", "9970"}, tc.kv...)...))
		if r.get("pg_error_code") != "9403" || !strings.Contains(r.get("pg_error_description"), tc.want) {
			t.Errorf("%s: %s, want 9403 naming %s", name, r.body, tc.want)
		}
	}
	bad := payPost(t, cardPath(base, "9970", "add"), signed("add", "not_the_secret", "pg_merchant_id", "9970", "pg_user_id", cardUser,
		"pg_post_link", sh.srv.URL+"/hooks/card", "pg_back_link", "http://shop.example/cards"))
	if bad.get("pg_error_code") != "9998" {
		t.Errorf("a wrong signature: %s, want 9998", bad.body)
	}
	res, err := http.Get(base + "/v1/merchant/9970/cardstorage/view?pg_payment_id=00000000000000000000000000000000")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown card page: HTTP %d, want 404", res.StatusCode)
	}
}

func TestSavedCardsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	sh := newCarefulShop(t)
	start := func() (*mock.Server, string) {
		s := mock.RunT(t, mock.Options{ClockMode: "manual", Addr: "127.0.0.1:0", StateDir: dir})
		return s, s.URL()
	}
	s, base := start()
	if code, _, _ := payCard(t, addCard(t, base, sh).Value("pg_redirect_url"), "4716047261941981"); code != http.StatusSeeOther {
		t.Fatalf("card sent: HTTP %d", code)
	}
	open := addCard(t, base, sh).Value("pg_redirect_url") // a page still waiting
	_, got := sh.got()
	token := got[0].Get("pg_card_token")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, base = start()
	if l := listCards(t, base, false); firstToken(l) != token {
		t.Fatalf("list after a restart: %s", l.body)
	}
	if p := payoutTo(t, base, "/g2g/reg2reg", "after-restart", token, cardUser); p.get("pg_status") != "ok" {
		t.Fatalf("reg2reg after a restart: %s", p.body)
	}
	open = strings.Replace(open, open[:strings.Index(open, "/v1/")], base, 1)
	if code, _, _ := payCard(t, open, "4939770956154989"); code != http.StatusSeeOther {
		t.Errorf("the page opened before the restart: HTTP %d, want 303", code)
	}
	if l := listCards(t, base, false); strings.Count(l.body, "<card>") != 2 {
		t.Errorf("two cards after a restart: %s", l.body)
	}
}

// The list's nested reply is signed flattened (payments.md §3.3, vector M):
// the test flattens the XML itself.
func TestCardListSignedNested(t *testing.T) {
	_, _, base := payServer(t)
	sh := newCarefulShop(t)
	for range 2 {
		payCard(t, addCard(t, base, sh).Value("pg_redirect_url"), "4716047261941981")
	}
	l := listCards(t, base, true)
	if strings.Count(l.body, "<card>") != 2 {
		t.Fatalf("list: %s", l.body)
	}
	fields, err := wire.DecodeXML([]byte(l.body))
	if err != nil {
		t.Fatal(err)
	}
	var values []string
	for _, f := range fields {
		if f.Name != "pg_sig" {
			values = append(values, f.Value)
		}
	}
	if len(values) != 2*12+1 {
		t.Errorf("%d values signed, want 25 (12 per card and the salt): %v", len(values), values)
	}
}

// A card number in a card page's links is masked in /_mock/cards, as in
// the journal and the dashboard.
func TestCardLinksMasked(t *testing.T) {
	_, _, base := payServer(t)
	r := payPost(t, cardPath(base, "9970", "add"), signed("add", paymentSecret, "pg_merchant_id", "9970",
		"pg_user_id", cardUser, "pg_post_link", "http://shop.example/p/4539148803436467", "pg_back_link", "http://shop.example/b/4539148803436467"))
	if r.get("pg_status") != "ok" {
		t.Fatalf("add: %s", r.body)
	}
	res, err := http.Get(base + "/_mock/cards")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(body), "4539148803436467") || !strings.Contains(string(body), "453914-XX-XXXX-6467") {
		t.Errorf("/_mock/cards shows the card number in a link:\n%s", body)
	}
}
