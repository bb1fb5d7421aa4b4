package mock_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// Refunds (payments.md §3.4), as a client written from the reference
// tries them: every reply's signature checked, get_status3's nested
// refund_payments by a flattening of its own.

// xmlNode is a reply's element, read by encoding/xml alone.
type xmlNode struct {
	XMLName  xml.Name
	Text     string    `xml:",chardata"`
	Children []xmlNode `xml:",any"`
}

// flatSigString is the signing string of an XML reply, flattened as the
// docs' helper does, written apart from mock/sign: a nested leaf is named
// by its parents' names and its own, each followed by its position among
// its siblings ("%03d"); top-level leaves keep their names; pg_sig is
// left out; values sorted by name, the script first and the secret last.
func flatSigString(t *testing.T, script, body, secret string) string {
	t.Helper()
	var root xmlNode
	if err := xml.Unmarshal([]byte(body), &root); err != nil {
		t.Fatalf("reply is not XML: %v\n%s", err, body)
	}
	flat := map[string]string{}
	var walk func(prefix string, nodes []xmlNode)
	walk = func(prefix string, nodes []xmlNode) {
		for i, n := range nodes {
			name := prefix + n.XMLName.Local + fmt.Sprintf("%03d", i+1)
			if len(n.Children) == 0 {
				flat[name] = n.Text
				continue
			}
			walk(name, n.Children)
		}
	}
	for _, n := range root.Children {
		switch {
		case n.XMLName.Local == "pg_sig":
		case len(n.Children) == 0:
			flat[n.XMLName.Local] = n.Text
		default:
			walk(n.XMLName.Local, n.Children)
		}
	}
	names := make([]string, 0, len(flat))
	for k := range flat {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := []string{script}
	for _, k := range names {
		parts = append(parts, flat[k])
	}
	return strings.Join(append(parts, secret), ";")
}

// md5Of is MD5 in hex, as pg_sig is.
func md5Of(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestRefundsPartialUntilExceeding(t *testing.T) {
	_, _, base := payServer(t)
	sh := newCarefulShop(t)
	id := paidPayment(t, base, sh, "ORD-RF1", "4716047261941981") // 1500.00, one-step

	r := payOp(t, base, "/g2g/refund", id, "pg_amount", "500")
	if got, want := r.names(), []string{"pg_payment_id", "pg_payment_refund_id", "pg_status", "pg_refund_status", "pg_salt", "pg_sig"}; !slices.Equal(got, want) {
		t.Errorf("/g2g/refund reply fields %v, want %v", got, want)
	}
	first := r.get("pg_payment_refund_id")
	if r.get("pg_payment_id") != id || first == "" || first == id || r.get("pg_status") != "ok" || r.get("pg_refund_status") != "success" {
		t.Fatalf("/g2g/refund of 500: %s", r.body)
	}
	r = payOp(t, base, "/revoke.php", id, "pg_refund_amount", "400.50")
	if got, want := r.names(), []string{"pg_status", "pg_transaction_status", "pg_salt", "pg_sig"}; !slices.Equal(got, want) {
		t.Errorf("revoke.php reply fields %v, want %v", got, want)
	}
	if r.get("pg_status") != "ok" || r.get("pg_transaction_status") != "ok" {
		t.Fatalf("revoke.php of 400.50: %s", r.body)
	}
	// 599.50 remains.
	r = payOp(t, base, "/g2g/refund", id, "pg_amount", "599.51")
	wantPayError(t, "a refund of more than remains", r, "10020")
	if r.get("pg_error_description") != "Сумма возврата превышает сумму оплаты. Обратитесь в магазин" {
		t.Errorf("10020's text: %s", r.body)
	}
	wantPayError(t, "revoke.php of more than remains", payOp(t, base, "/revoke.php", id, "pg_refund_amount", "1500"), "10020")

	st := status3(t, base, id)
	if st.get("pg_payment_status") != "success" || st.get("pg_refund_amount") != "-900.50" || st.get("pg_captured") != "1" {
		t.Fatalf("get_status3 after two refunds: %s", st.body)
	}
	if l := listed(t, base, "ORD-RF1"); l.RefundAmount != "-900.50" || len(l.Refunds) != 2 ||
		l.Refunds[0].Amount != "-500.00" || fmt.Sprint(l.Refunds[0].PaymentID) != first || l.Refunds[1].Amount != "-400.50" {
		t.Errorf("/_mock/payments after two refunds: %+v", l)
	}

	// The rest, revoke.php without an amount; then nothing remains.
	r = payOp(t, base, "/revoke.php", id)
	if r.get("pg_status") != "ok" || r.get("pg_transaction_status") != "revoked" {
		t.Fatalf("revoke.php of the remainder: %s", r.body)
	}
	r = payOp(t, base, "/g2g/refund", id, "pg_amount", "0.01")
	wantPayError(t, "a refund after a full refund", r, "11018")
	if r.get("pg_error_description") != "Платеж уже возвращен" {
		t.Errorf("11018's text: %s", r.body)
	}
	wantPayError(t, "revoke.php after a full refund", payOp(t, base, "/revoke.php", id, "pg_refund_amount", "0"), "11018")

	st = status3(t, base, id)
	if st.get("pg_payment_status") != "success" || st.get("pg_refund_amount") != "-1500.00" {
		t.Fatalf("get_status3 after a full refund: %s", st.body)
	}
	if got, want := md5Of(flatSigString(t, "get_status3.php", st.body, paymentSecret)), st.get("pg_sig"); got != want {
		t.Errorf("get_status3's pg_sig %s, want %s by an independent flattening of\n%s", want, got, st.body)
	}
	var entries []map[string]string
	var root xmlNode
	if err := xml.Unmarshal([]byte(st.body), &root); err != nil {
		t.Fatal(err)
	}
	for _, n := range root.Children {
		if n.XMLName.Local != "pg_refund_payments" {
			continue
		}
		for _, e := range n.Children {
			if e.XMLName.Local != "pg_refund_payment" {
				t.Errorf("an entry named %s, want pg_refund_payment", e.XMLName.Local)
			}
			m := map[string]string{}
			for _, f := range e.Children {
				m[f.XMLName.Local] = f.Text
			}
			entries = append(entries, m)
		}
	}
	if len(entries) != 3 {
		t.Fatalf("%d refund_payment entries, want 3: %s", len(entries), st.body)
	}
	ids := map[string]bool{id: true}
	for i, want := range []string{"-500.00", "-400.50", "-599.50"} {
		e := entries[i]
		if e["pg_amount"] != want || e["pg_payment_status"] != "success" || e["pg_payment_date"] == "" || e["pg_reference"] == "" || ids[e["pg_payment_id"]] {
			t.Errorf("refund_payment %d: %v, want amount %s, success, a date, a reference and an id of its own", i+1, e, want)
		}
		ids[e["pg_payment_id"]] = true
	}
	v2 := payPost(t, base+"/g2g/status_v2", signed("status_v2", paymentSecret, "pg_merchant_id", "9970", "pg_payment_id", id, "pg_order_id", "ORD-RF1"))
	if !sign.Verify("status_v2", v2.fields, paymentSecret) || v2.get("pg_refund_amount") != "-1500.00" ||
		md5Of(flatSigString(t, "status_v2", v2.body, paymentSecret)) != v2.get("pg_sig") {
		t.Errorf("status_v2 after a full refund: %s", v2.body)
	}
	g2 := payPost(t, base+"/get_status2.php", signed("get_status2.php", paymentSecret, "pg_merchant_id", "9970", "pg_order_id", "ORD-RF1"))
	if g2.get("pg_transaction_status") != "revoked" {
		t.Errorf("get_status2 after a full refund: %s", g2.body)
	}
}

func TestRefundRefusals(t *testing.T) {
	_, _, base := payServer(t)
	sh := newCarefulShop(t)
	held := heldPayment(t, base, sh, "ORD-RH")
	wantPayError(t, "a refund of a hold", payOp(t, base, "/revoke.php", held), "10034")
	wantPayError(t, "/g2g/refund of a hold", payOp(t, base, "/g2g/refund", held, "pg_amount", "10"), "10034")
	payOp(t, base, "/do_capture.php", held, "pg_clearing_amount", "1000")
	wantPayError(t, "a refund of more than was captured", payOp(t, base, "/g2g/refund", held, "pg_amount", "1000.01"), "10020")
	if r := payOp(t, base, "/revoke.php", held); r.get("pg_transaction_status") != "revoked" {
		t.Fatalf("revoke.php of a partial capture: %s", r.body)
	}
	if st := status3(t, base, held); st.get("pg_refund_amount") != "-1000.00" {
		t.Errorf("refunded in full after a partial capture: %s", st.body)
	}

	declined := paidPayment(t, base, sh, "ORD-RD", "4916109830832246")
	wantPayError(t, "a refund of a declined payment", payOp(t, base, "/revoke.php", declined), "9013")
	unpaid := initPayment(t, base, sh, "pg_order_id", "ORD-RU").Value("pg_payment_id")
	wantPayError(t, "a refund of an unpaid payment", payOp(t, base, "/g2g/refund", unpaid, "pg_amount", "1"), "9013")
	cancelled := heldPayment(t, base, sh, "ORD-RC")
	payOp(t, base, "/cancel.php", cancelled)
	wantPayError(t, "a refund of a cancelled hold", payOp(t, base, "/revoke.php", cancelled), "9013")

	paid := paidPayment(t, base, sh, "ORD-RV", "4716047261941981")
	wantPayError(t, "/g2g/refund without pg_amount", payOp(t, base, "/g2g/refund", paid), "9403")
	for _, amount := range []string{"0", "-1", "abc"} {
		wantPayError(t, "/g2g/refund pg_amount="+amount, payOp(t, base, "/g2g/refund", paid, "pg_amount", amount), "9403")
	}
	wantPayError(t, "/g2g/refund in another currency", payOp(t, base, "/g2g/refund", paid, "pg_amount", "1", "pg_currency", "USD"), "9403")
	if r := payOp(t, base, "/g2g/refund", paid, "pg_refund_amount", "1", "pg_currency", "KZT"); r.get("pg_refund_status") != "success" {
		t.Errorf("/g2g/refund with pg_refund_amount: %s", r.body)
	}
	if st := status3(t, base, paid); st.get("pg_refund_amount") != "-1.00" {
		t.Errorf("after the refused refunds and one of 1.00: %s", st.body)
	}
	r := payPost(t, base+"/revoke.php", signed("revoke.php", paymentSecret, "pg_merchant_id", "9970", "pg_payment_id", "1"))
	if r.get("pg_error_code") != "11068" || hasField(r, "pg_sig") {
		t.Errorf("a refund of an unknown payment: %s", r.body)
	}
}

// Vector M (payments.md §8): the sandbox's nested encoder and signer give
// the reference's signature, and the XML they write verifies both through
// the sandbox's decoder and through the test's own flattening.
func TestRefundVectorM(t *testing.T) {
	leaf := func(name, value string) sign.Node { return sign.Node{Name: name, Value: value} }
	nodes := []sign.Node{
		leaf("pg_status", "ok"), leaf("pg_payment_id", "1700000001"), leaf("pg_can_reject", "0"),
		leaf("pg_payment_method", "bankcard"), leaf("pg_amount", "1500.00"), leaf("pg_currency", "KZT"),
		leaf("pg_payment_status", "success"), leaf("pg_clearing_amount", "1500.00"), leaf("pg_reference", "501512345678"),
		leaf("pg_card_name", "TEST TESTOV"), leaf("pg_card_pan", "4716-04XX-XXXX-1981"),
		{Name: "pg_refund_payments", Children: []sign.Node{{Name: "pg_refund_payment", Children: []sign.Node{
			leaf("pg_payment_id", "1700000002"), leaf("pg_payment_status", "success"), leaf("pg_amount", "-500.00"),
			leaf("pg_payment_date", "2025-01-16 10:00:00"), leaf("pg_reference", "501612345679"),
		}}}},
		leaf("pg_refund_amount", "-500.00"), leaf("pg_captured", "1"), leaf("pg_create_date", "2025-01-15 12:29:10"),
		leaf("pg_salt", "Rz8Yq3Wp"),
	}
	const wantString = "get_status3.php;1500.00;0;1;TEST TESTOV;4716-04XX-XXXX-1981;1500.00;2025-01-15 12:29:10;KZT;1700000001;bankcard;success;501512345678;-500.00;-500.00;2025-01-16 10:00:00;1700000002;success;501612345679;Rz8Yq3Wp;ok;pay_secret_key"
	const wantSig = "c0eba30446b303a4d21d1d0a280a8dd4"
	flat := sign.FlattenNodes(nodes)
	if got := sign.SigningString("get_status3.php", flat, "pay_secret_key"); got != wantString {
		t.Errorf("signing string\n%s\nwant\n%s", got, wantString)
	}
	sig := sign.Sign("get_status3.php", flat, "pay_secret_key")
	if sig != wantSig {
		t.Fatalf("pg_sig %s, want %s", sig, wantSig)
	}
	body := wire.EncodeTree(append(nodes, leaf("pg_sig", sig)))
	fields, err := wire.DecodeXML(body)
	if err != nil {
		t.Fatal(err)
	}
	if !sign.Verify("get_status3.php", fields, "pay_secret_key") {
		t.Errorf("the encoded vector M does not verify through the decoder:\n%s", body)
	}
	if got := flatSigString(t, "get_status3.php", string(body), "pay_secret_key"); got != wantString {
		t.Errorf("the test's own flattening of the encoded vector M\n%s\nwant\n%s", got, wantString)
	}
	if !bytes.Contains(body, []byte("<pg_refund_payments><pg_refund_payment><pg_payment_id>1700000002</pg_payment_id>")) {
		t.Errorf("the refund is not nested:\n%s", body)
	}
}

// Refunds survive a restart (--state): the refunded total, the entries and
// their ids, which no later payment or refund is given.
func TestRefundsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	sh := newCarefulShop(t)
	start := func() (*mock.Server, string) {
		s := mock.RunT(t, mock.Options{ClockMode: "manual", Addr: "127.0.0.1:0", StateDir: dir})
		return s, s.URL()
	}
	s, base := start()
	id := paidPayment(t, base, sh, "ORD-RR", "4716047261941981")
	refundID := payOp(t, base, "/g2g/refund", id, "pg_amount", "1000").get("pg_payment_refund_id")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, base = start()
	st := status3(t, base, id)
	if st.get("pg_refund_amount") != "-1000.00" || !strings.Contains(st.body, "<pg_payment_id>"+refundID+"</pg_payment_id>") {
		t.Fatalf("the refund after a restart: %s", st.body)
	}
	wantPayError(t, "a refund of more than remains after a restart", payOp(t, base, "/g2g/refund", id, "pg_amount", "500.01"), "10020")
	second := payOp(t, base, "/revoke.php", id)
	if second.get("pg_transaction_status") != "revoked" {
		t.Fatalf("the remainder after a restart: %s", second.body)
	}
	wantPayError(t, "a refund after a full refund and a restart", payOp(t, base, "/revoke.php", id), "11018")
	if l := listed(t, base, "ORD-RR"); len(l.Refunds) != 2 || fmt.Sprint(l.Refunds[0].PaymentID) == fmt.Sprint(l.Refunds[1].PaymentID) {
		t.Errorf("/_mock/payments after a restart: %+v", l)
	}
}

// [payments] refund_status (open point 5): a payment refunded in full is
// refunded (or revoked) in the status replies; a partial refund leaves it
// success.
func TestRefundStatusSetting(t *testing.T) {
	for _, want := range []struct{ setting, status, tx string }{
		{"", "success", "revoked"}, {"refunded", "refunded", "refunded"}, {"revoked", "revoked", "revoked"},
	} {
		t.Run("refund_status="+want.setting, func(t *testing.T) {
			setting := ""
			if want.setting != "" {
				setting = "[payments]\nrefund_status = \"" + want.setting + "\"\n"
			}
			sc := shopScenario(t, setting, "")
			s := mock.RunT(t, mock.Options{Scenario: sc, Clock: clock.NewManual(t0), Addr: "127.0.0.1:0"})
			base := s.URL()
			sh := newCarefulShop(t)
			id := paidPayment(t, base, sh, "ORD-RS", "4111111111111111")
			payOp(t, base, "/g2g/refund", id, "pg_amount", "100")
			if st := status3(t, base, id); st.get("pg_payment_status") != "success" {
				t.Errorf("after a partial refund: %s", st.body)
			}
			if r := payOp(t, base, "/revoke.php", id); r.get("pg_transaction_status") != want.tx {
				t.Errorf("revoke.php of the rest: %s, want pg_transaction_status %s", r.body, want.tx)
			}
			if st := status3(t, base, id); st.get("pg_payment_status") != want.status || st.get("pg_refund_amount") != "-1500.00" {
				t.Errorf("get_status3 after a full refund: %s, want pg_payment_status %s", st.body, want.status)
			}
			v2 := payPost(t, base+"/g2g/status_v2", signed("status_v2", paymentSecret, "pg_merchant_id", "9970", "pg_payment_id", id, "pg_order_id", "ORD-RS"))
			if v2.get("pg_payment_status") != want.status {
				t.Errorf("status_v2 after a full refund: %s", v2.body)
			}
			st2 := payPost(t, base+"/get_status2.php", signed("get_status2.php", paymentSecret, "pg_merchant_id", "9970", "pg_order_id", "ORD-RS"))
			if st2.get("pg_transaction_status") != want.tx {
				t.Errorf("get_status2.php after a full refund: %s", st2.body)
			}
		})
	}
	if _, err := scenario.Parse("bad.toml", []byte("[payments]\nrefund_status = \"returned\"\n[[merchants]]\nid = \"1\"\nsecret_key = \"k\"\npayout_secret_key = \"p\"\n")); err == nil || !strings.Contains(err.Error(), `payments.refund_status is "returned"`) {
		t.Errorf("refund_status = \"returned\": %v", err)
	}
}

// A refund request sent again with its pg_idempotency_key replays the
// first refund (its id, nothing more refunded), however many are sent at
// once; the same key with other fields is 9403. A request naming the
// amount twice, differently, is refused.
func TestRefundIdempotencyAndTwoAmounts(t *testing.T) {
	_, _, base := payServer(t)
	sh := newCarefulShop(t)
	id := paidPayment(t, base, sh, "ORD-RI", "4111111111111111")

	first := payOp(t, base, "/g2g/refund", id, "pg_amount", "10", "pg_idempotency_key", "rf-1")
	again := payOp(t, base, "/g2g/refund", id, "pg_amount", "10", "pg_idempotency_key", "rf-1")
	if first.get("pg_payment_refund_id") == "" || again.get("pg_payment_refund_id") != first.get("pg_payment_refund_id") {
		t.Fatalf("a replay: %s, then %s; want the same refund", first.body, again.body)
	}
	r := payOp(t, base, "/g2g/refund", id, "pg_amount", "20", "pg_idempotency_key", "rf-1")
	wantPayError(t, "the key with another amount", r, "9403")
	if !strings.Contains(r.get("pg_error_description"), "rf-1") {
		t.Errorf("9403 does not name the key: %s", r.body)
	}
	var wg sync.WaitGroup
	ids := make([]string, 20)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			all := []string{"pg_merchant_id", "9970", "pg_payment_id", id, "pg_refund_amount", "5", "pg_idempotency_key", "rf-2"}
			rep := payPost(t, base+"/revoke.php", signed("revoke.php", paymentSecret, all...))
			ids[i] = rep.get("pg_status")
		}()
	}
	wg.Wait()
	for _, s := range ids {
		if s != "ok" {
			t.Errorf("a parallel replay answered %q, want ok", s)
		}
	}
	if st := status3(t, base, id); st.get("pg_refund_amount") != "-15.00" {
		t.Errorf("after a refund of 10 replayed and 20 parallel replays of 5: %s, want -15.00 refunded", st.body)
	}

	wantPayError(t, "two different amounts", payOp(t, base, "/revoke.php", id, "pg_refund_amount", "0", "pg_amount", "7"), "9403")
	wantPayError(t, "two different amounts on /g2g/refund", payOp(t, base, "/g2g/refund", id, "pg_amount", "5", "pg_refund_amount", "600"), "9403")
	if r := payOp(t, base, "/g2g/refund", id, "pg_amount", "5", "pg_refund_amount", "5.00"); r.get("pg_status") != "ok" {
		t.Errorf("the same amount under both names: %s", r.body)
	}
	if st := status3(t, base, id); st.get("pg_refund_amount") != "-20.00" {
		t.Errorf("refused requests refunded something: %s", st.body)
	}
}

// With refund_status = "refunded", the control API, await and verify say
// what get_status3.php says of a payment refunded in full.
func TestRefundStatusShownEverywhere(t *testing.T) {
	sc := shopScenario(t, `[payments]
refund_status = "refunded"
`, `[[expect]]
payment = { order_id = "RS-2", status = "refunded" }
`)
	s := mock.RunT(t, mock.Options{Scenario: sc, Clock: clock.NewManual(t0), Addr: "127.0.0.1:0"})
	base := s.URL()
	sh := newCarefulShop(t)
	id := paidPayment(t, base, sh, "RS-2", "4111111111111111")
	payOp(t, base, "/revoke.php", id)
	var list struct {
		Payments []struct {
			Status string `json:"status"`
		} `json:"payments"`
	}
	getJSON(t, base+"/_mock/payments?status=refunded", &list)
	if len(list.Payments) != 1 || list.Payments[0].Status != "refunded" {
		t.Errorf("/_mock/payments?status=refunded: %+v", list)
	}
	res, err := http.Get(base + "/_mock/await?order_id=RS-2&payment_status=refunded&timeout=1s")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("await payment_status=refunded: HTTP %d", res.StatusCode)
	}
	if rep, _ := s.Verify(""); !rep.OK {
		t.Errorf("verify: %+v", rep.Results)
	}
}

// A refund and a cancel are found by their own payment ids (payments.md
// §3.3: by payment id any payment type, refunds too); status_v2 lists a
// cancel as a revoked payment, nested and signed flattened, and writes
// pg_datetime after pg_sig as its schema orders it.
func TestRefundByItsIDAndRevokedPayments(t *testing.T) {
	_, _, base := payServer(t)
	sh := newCarefulShop(t)
	id := paidPayment(t, base, sh, "ORD-RID", "4111111111111111")
	refund := payOp(t, base, "/g2g/refund", id, "pg_amount", "300").get("pg_payment_refund_id")
	st := payOp(t, base, "/get_status3.php", refund)
	if st.get("pg_payment_id") != refund || st.get("pg_amount") != "-300.00" || st.get("pg_payment_status") != "success" || st.get("pg_reference") == "" {
		t.Errorf("get_status3 of a refund's id: %s", st.body)
	}
	if r := payPost(t, base+"/get_status3.php", signed("get_status3.php", paymentSecret, "pg_merchant_id", "9970", "pg_payment_id", refund, "pg_order_id", "OTHER")); r.get("pg_error_code") != "11068" {
		t.Errorf("a refund's id with another order id: %s", r.body)
	}

	held := heldPayment(t, base, sh, "ORD-RV2")
	revoke := payOp(t, base, "/g2g/cancel", held).get("pg_payment_revoke_id")
	v2 := payPost(t, base+"/g2g/status_v2", signed("status_v2", paymentSecret, "pg_merchant_id", "9970", "pg_payment_id", held, "pg_order_id", "ORD-RV2"))
	if md5Of(flatSigString(t, "status_v2", v2.body, paymentSecret)) != v2.get("pg_sig") {
		t.Errorf("status_v2's pg_sig does not verify by an independent flattening:\n%s", v2.body)
	}
	if !strings.Contains(v2.body, "<pg_revoked_payments><pg_revoked_payment><pg_payment_id>"+revoke+"</pg_payment_id><pg_payment_status>success</pg_payment_status></pg_revoked_payment></pg_revoked_payments>") {
		t.Errorf("status_v2 after a cancel lacks the revoked payment %s:\n%s", revoke, v2.body)
	}
	if names := v2.names(); len(names) < 3 || names[len(names)-3] != "pg_salt" || names[len(names)-2] != "pg_sig" || names[len(names)-1] != "pg_datetime" {
		t.Errorf("status_v2 ends %v, want pg_salt, pg_sig, pg_datetime", names)
	}
	// The cancel's own id, as a refund's: found, signed, nothing captured.
	st = payOp(t, base, "/get_status3.php", revoke)
	if st.get("pg_payment_id") != revoke || st.get("pg_amount") != "-1500.00" || st.get("pg_payment_status") != "success" ||
		st.get("pg_captured") != "0" || st.get("pg_create_date") == "" || !sign.Verify("get_status3.php", st.fields, paymentSecret) {
		t.Errorf("get_status3 of a cancel's id: %s", st.body)
	}
	if r := payPost(t, base+"/get_status3.php", signed("get_status3.php", paymentSecret, "pg_merchant_id", "9970", "pg_payment_id", revoke, "pg_order_id", "OTHER")); r.get("pg_error_code") != "11068" {
		t.Errorf("a cancel's id with another order id: %s", r.body)
	}
}

// Refunds are bounded: MaxRefunds of one payment, and each counts towards
// the merchant's --max-payments.
func TestRefundsBounded(t *testing.T) {
	s := mock.RunT(t, mock.Options{Clock: clock.NewManual(t0), Addr: "127.0.0.1:0", MaxPayments: 103})
	base := s.URL()
	sh := newCarefulShop(t)
	id := paidPayment(t, base, sh, "ORD-RB", "4111111111111111")
	for i := 0; i < 100; i++ {
		if r := payOp(t, base, "/g2g/refund", id, "pg_amount", "0.01"); r.get("pg_status") != "ok" {
			t.Fatalf("refund %d: %s", i+1, r.body)
		}
	}
	r := payOp(t, base, "/g2g/refund", id, "pg_amount", "0.01")
	wantPayError(t, "the 101st refund", r, "9999")
	if !strings.Contains(r.get("pg_error_description"), "100 refunds") {
		t.Errorf("the 101st refund: %s", r.body)
	}
	other := paidPayment(t, base, sh, "ORD-RB2", "4111111111111111") // 102 payments and refunds
	payOp(t, base, "/g2g/refund", other, "pg_amount", "1")           // 103
	r = payOp(t, base, "/g2g/refund", other, "pg_amount", "1")
	wantPayError(t, "a refund past --max-payments", r, "9999")
	if !strings.Contains(r.get("pg_error_description"), "--max-payments") {
		t.Errorf("a refund past --max-payments: %s", r.body)
	}
	r = payOp(t, base, "/revoke.php", other, "pg_refund_amount", "abc", "pg_amount", "1")
	if r.get("pg_error_code") != "9403" || !strings.Contains(r.get("pg_error_description"), "pg_refund_amount") {
		t.Errorf("an amount that does not parse beside another: %s", r.body)
	}
}
