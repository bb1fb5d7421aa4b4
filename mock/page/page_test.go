package page

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
)

// langs are the codes Lang gives.
var langs = []string{"ru", "en", "kz", "uz", "kg"}

func TestLang(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "ru"}, {"ru", "ru"}, {"RU", "ru"}, {"en", "en"}, {" en ", "en"}, {"en-US", "en"}, {"en_GB", "en"},
		{"kz", "kz"}, {"kk", "kz"}, {"KK", "kz"}, {"uz", "uz"}, {"kg", "kg"}, {"ky", "kg"},
		{"de", "ru"}, {"english", "ru"}, {"-", "ru"},
	} {
		if got := Lang(c.in); got != c.want {
			t.Errorf("Lang(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// Every language has every text, and each but English says something of
// its own: a text left in English is a text left untranslated.
func TestTextsComplete(t *testing.T) {
	if len(languages) != len(langs) {
		t.Fatalf("got %d languages, want %d (%v)", len(languages), len(langs), langs)
	}
	same := map[string]bool{"CVC": true} // the same in every language
	en := reflect.ValueOf(*languages["en"])
	for _, l := range langs {
		v := reflect.ValueOf(*languages[l])
		for i := range v.NumField() {
			name := v.Type().Field(i).Name
			s := v.Field(i).String()
			if s == "" {
				t.Errorf("%s: %s is empty", l, name)
			}
			if l != "en" && !same[name] && s == en.Field(i).String() {
				t.Errorf("%s: %s = %q, the English text", l, name, s)
			}
			if name == "RedirectIn" && strings.Count(s, "%d") != 1 {
				t.Errorf("%s: RedirectIn = %q, want one %%d", l, s)
			}
		}
	}
}

func TestNewPanicsOnATemplateError(t *testing.T) {
	New() // the embedded templates parse
	good := fstest.MapFS{}
	for _, n := range []string{"layout", "payment", "acs", "redirect", "notice", "card"} {
		b, err := templateFS.ReadFile("templates/" + n + ".html")
		if err != nil {
			t.Fatal(err)
		}
		good["templates/"+n+".html"] = &fstest.MapFile{Data: b}
	}
	parse(good)
	for name, broken := range map[string]string{
		"an unclosed action":  `{{define "body"}}<p>{{.V.Title</p>{{end}}`,
		"an unknown function": `{{define "body"}}{{nosuch .}}{{end}}`,
		"a missing page":      "",
	} {
		t.Run(name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for k, v := range good {
				fsys[k] = v
			}
			if broken == "" {
				delete(fsys, "templates/acs.html")
			} else {
				fsys["templates/notice.html"] = &fstest.MapFile{Data: []byte(broken)}
			}
			defer func() {
				if recover() == nil {
					t.Errorf("parse with %s did not panic", name)
				}
			}()
			parse(fsys)
		})
	}
}

// common checks what every page has: its language, the sandbox banner,
// noindex and no script.
func common(t *testing.T, page, lang string) {
	t.Helper()
	tx := languages[lang]
	if g := tags(page, "html"); len(g) != 1 || g[0].attrs["lang"] != tx.HTMLLang {
		t.Errorf("%s: <html> tags %v, want one with lang=%q", lang, g, tx.HTMLLang)
	}
	byAttr(t, page, "meta", "name", "robots")
	if m := byAttr(t, page, "meta", "name", "robots"); m.attrs["content"] != "noindex" {
		t.Errorf("%s: robots %q, want noindex", lang, m.attrs["content"])
	}
	if p := byAttr(t, page, "p", "class", "sandbox"); textAfter(page, p) != tx.Sandbox {
		t.Errorf("%s: banner %q, want %q", lang, textAfter(page, p), tx.Sandbox)
	}
	for _, bad := range []string{"<script", "src=", "http://", "https://", "@import"} {
		if strings.Contains(page, bad) {
			t.Errorf("%s: the page holds %q, want no script or outside resource:\n%s", lang, bad, page)
		}
	}
}

func samplePayment(lang string) Payment {
	return Payment{
		Lang: lang, Merchant: "Coffee Shop", OrderID: "order-17", PaymentID: "1234567", Description: "Two lattes",
		Amount: "1500.00", Currency: "KZT", Action: "/pay/abc?step=card", ExpiresAt: "2026-12-05 10:00:00",
		TestCards: []TestCard{{Number: "4716047261941981"}, {Number: "4916307416334310", ThreeDS: true}, {Number: "5335215945367703", Declined: 10001}},
	}
}

func TestPaymentEveryLanguage(t *testing.T) {
	tp := New()
	inputs := []struct{ name, autocomplete string }{
		{"card_number", "cc-number"}, {"card_holder", "cc-name"}, {"card_exp_month", "cc-exp-month"},
		{"card_exp_year", "cc-exp-year"}, {"card_cvc", "cc-csc"},
	}
	for _, lang := range langs {
		tx := languages[lang]
		page := write(t, func(b *bytes.Buffer) error { return tp.Payment(b, samplePayment(lang)) })
		common(t, page, lang)
		f := tags(page, "form")
		if len(f) != 1 || f[0].attrs["method"] != "post" || f[0].attrs["action"] != "/pay/abc?step=card" || f[0].attrs["target"] != "" {
			t.Fatalf("%s: forms %v, want one POSTing to /pay/abc?step=card in this window", lang, f)
		}
		for _, in := range inputs {
			g := byAttr(t, page, "input", "name", in.name)
			if g.attrs["autocomplete"] != in.autocomplete {
				t.Errorf("%s: %s autocomplete=%q, want %q", lang, in.name, g.attrs["autocomplete"], in.autocomplete)
			}
			if in.name != "card_holder" && g.attrs["inputmode"] != "numeric" {
				t.Errorf("%s: %s inputmode=%q, want numeric", lang, in.name, g.attrs["inputmode"])
			}
			if _, ok := g.attrs["value"]; ok {
				t.Errorf("%s: %s has a value, want none: card data is never echoed", lang, in.name)
			}
		}
		b := byAttr(t, page, "button", "name", "action")
		if b.attrs["value"] != "pay" || b.attrs["type"] != "submit" {
			t.Errorf("%s: pay button %v, want type=submit value=pay", lang, b.attrs)
		}
		if got, want := textAfter(page, b), tx.Pay+" 1500.00 KZT"; got != want {
			t.Errorf("%s: pay button says %q, want %q", lang, got, want)
		}
		for _, want := range []string{tx.PaymentTitle, tx.CardNumber, tx.CardHolder, tx.Month, tx.Year, tx.Merchant,
			tx.Order, tx.Description, tx.PayBefore, tx.TestCards, "Coffee Shop", "order-17", "Two lattes", "1234567",
			"2026-12-05 10:00:00", "4716047261941981", fmt.Sprintf(tx.OutcomeDeclined, 10001), tx.Outcome3DS, ">" + tx.OutcomeSuccess + "<"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s: the page does not show %q", lang, want)
			}
		}
		if strings.Contains(page, `id="error"`) {
			t.Errorf("%s: an error box without an error", lang)
		}
	}
}

// The card form shown again says what is wrong with the card in the
// page's language, every problem in every language, in the error box.
func TestCardProblemEveryLanguage(t *testing.T) {
	tp := New()
	for _, lang := range langs {
		seen := map[string]ledger.CardProblem{}
		for _, cp := range ledger.CardProblems() {
			want := languages[lang].problem(cp)
			if want == "" || want == cp.String() {
				t.Errorf("%s: problem %d (%s) has no words of the page's: %q", lang, cp, cp, want)
			}
			if other, ok := seen[want]; ok {
				t.Errorf("%s: problems %d and %d both say %q", lang, other, cp, want)
			}
			seen[want] = cp
			p := samplePayment(lang)
			p.Error, p.Problem = "ignored", cp
			page := write(t, func(b *bytes.Buffer) error { return tp.Payment(b, p) })
			if got := textAfter(page, byAttr(t, page, "p", "id", "error")); got != want {
				t.Errorf("%s: problem %d: the error box says %q, want %q", lang, cp, got, want)
			}
		}
	}
	if got := languages["en"].problem(ledger.CardOK); got != "" {
		t.Errorf("no problem says %q, want nothing", got)
	}
}

func TestPaymentErrorAndFrame(t *testing.T) {
	p := samplePayment("en")
	p.Error, p.Frame, p.TestCards, p.Action = "card 4716047261941981 fails the Luhn check", true, nil, ""
	page := write(t, func(b *bytes.Buffer) error { return New().Payment(b, p) })
	e := byAttr(t, page, "p", "id", "error")
	if got, want := textAfter(page, e), "card 471604-XX-XXXX-1981 fails the Luhn check"; got != want {
		t.Errorf("error box says %q, want %q (the card masked)", got, want)
	}
	if strings.Contains(page, "4716047261941981") || strings.Contains(page, "test-cards") {
		t.Errorf("a framed page without test cards shows a card number or the list:\n%s", page)
	}
	if g := tags(page, "body"); len(g) != 1 || g[0].attrs["class"] != "frame" {
		t.Errorf("body %v, want class=frame", g)
	}
	if strings.Contains(page, `class="foot"`) {
		t.Errorf("a framed page has the footer")
	}
	if f := tags(page, "form"); len(f) != 1 || f[0].attrs["action"] != "" {
		t.Errorf("forms %v, want one with an empty action (the page's own URL)", f)
	}
}

func TestACSEveryLanguage(t *testing.T) {
	tp := New()
	for _, lang := range langs {
		tx := languages[lang]
		v := ACS{Lang: lang, Action: "/acs/p-1", Merchant: "Coffee Shop", Amount: "1500.00", Currency: "KZT",
			CardPAN: "491630-XX-XXXX-4310", PaymentID: "1234567"}
		page := write(t, func(b *bytes.Buffer) error { return tp.ACS(b, v) })
		common(t, page, lang)
		if f := tags(page, "form"); len(f) != 1 || f[0].attrs["method"] != "post" || f[0].attrs["action"] != "/acs/p-1" {
			t.Fatalf("%s: forms %v, want one POSTing to /acs/p-1", lang, f)
		}
		buttons := tags(page, "button")
		if len(buttons) != 2 {
			t.Fatalf("%s: %d buttons, want 2", lang, len(buttons))
		}
		for i, want := range []struct{ value, label string }{{"confirm", tx.Confirm}, {"fail", tx.Fail}} {
			b := buttons[i]
			if b.attrs["name"] != "acs" || b.attrs["value"] != want.value || b.attrs["type"] != "submit" {
				t.Errorf("%s: button %d %v, want submit acs=%s", lang, i, b.attrs, want.value)
			}
			if got := textAfter(page, b); got != want.label {
				t.Errorf("%s: button %s says %q, want %q", lang, want.value, got, want.label)
			}
		}
		for _, want := range []string{tx.ACSTitle, "Coffee Shop", "1500.00 KZT", "491630-XX-XXXX-4310", "1234567"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s: the page does not show %q", lang, want)
			}
		}
	}
	// A full card number given by mistake is masked.
	page := write(t, func(b *bytes.Buffer) error { return tp.ACS(b, ACS{CardPAN: "4916307416334310"}) })
	if strings.Contains(page, "4916307416334310") || !strings.Contains(page, "491630-XX-XXXX-4310") {
		t.Errorf("the ACS page shows a full card number, want it masked")
	}
}

func TestNoticeEveryLanguage(t *testing.T) {
	tp := New()
	for _, lang := range langs {
		for _, n := range []Notice{NotFound(lang), Expired(lang), AlreadyPaid(lang), {Lang: lang, Title: "T", Message: "M"}} {
			if n.Lang != lang || n.Title == "" || n.Message == "" {
				t.Errorf("%s: notice %+v, want a language, a title and a message", lang, n)
			}
			page := write(t, func(b *bytes.Buffer) error { return tp.Notice(b, n) })
			common(t, page, lang)
			if got := textAfter(page, byAttr(t, page, "h1", "id", "title")); got != n.Title {
				t.Errorf("%s: heading %q, want %q", lang, got, n.Title)
			}
			if got := textAfter(page, byAttr(t, page, "p", "id", "message")); got != n.Message {
				t.Errorf("%s: message %q, want %q", lang, got, n.Message)
			}
			if !strings.Contains(page, "<title>"+n.Title+" ·") {
				t.Errorf("%s: <title> is not %q", lang, n.Title)
			}
		}
	}
}

// What the merchant or the payer wrote is escaped everywhere it shows.
func TestEscaping(t *testing.T) {
	const evil = `"><script>alert('x')</script>&`
	tp := New()
	pages := map[string]string{
		"payment": write(t, func(b *bytes.Buffer) error {
			return tp.Payment(b, Payment{Merchant: evil, OrderID: evil, PaymentID: evil, Description: evil, Amount: evil,
				Currency: evil, Error: evil, ExpiresAt: evil, TestCards: []TestCard{{Number: evil}}})
		}),
		"acs": write(t, func(b *bytes.Buffer) error {
			return tp.ACS(b, ACS{Merchant: evil, Amount: evil, Currency: evil, CardPAN: evil, PaymentID: evil})
		}),
		"redirect": write(t, func(b *bytes.Buffer) error {
			return tp.Redirect(b, Redirect{Message: evil, URL: "https://shop.example/ok", Method: MethodPost,
				Fields: []Field{{evil, evil}}})
		}),
		"notice": write(t, func(b *bytes.Buffer) error { return tp.Notice(b, Notice{Title: evil, Message: evil}) }),
	}
	for name, page := range pages {
		if strings.Contains(page, "<script>alert") {
			t.Errorf("%s: the value is not escaped:\n%s", name, page)
		}
		if !strings.Contains(page, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;") {
			t.Errorf("%s: the escaped value is not shown:\n%s", name, page)
		}
	}
	in := byAttr(t, pages["redirect"], "input", "type", "hidden")
	if in.attrs["name"] != evil || in.attrs["value"] != evil {
		t.Errorf("hidden input %v, want name and value %q", in.attrs, evil)
	}
}
