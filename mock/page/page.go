// Package page renders the hosted pages of card payments: the card form
// (Payment), the simulated issuer's 3-D Secure page (ACS), the page that
// sends the payer back to the merchant (Redirect) and pages that only say
// something (Notice).
//
// The pages work without JavaScript: every step is a plain HTML form or
// link, so a test can drive them with net/http alone. The only script is
// the one line that submits an AUTOPOST form, whose button stays visible.
// Every text a payer reads is translated for the languages of pg_language
// (see Lang); values are escaped by html/template, and a card number that
// finds its way into a message is masked (redact.Cards).
//
// What the merchant and the payer wrote (description, messages, outcomes
// of test cards) is shown as it is, untranslated.
package page

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/redact"
)

//go:embed templates/*.html
var templateFS embed.FS

// Field is one field carried back to the merchant, name and value.
type Field struct{ Name, Value string }

// TestCard is a test card listed on the sandbox's card form, with what
// paying with it does: success, after 3-D Secure or not, or a decline with
// its code. Outcome is the page's, in the payer's language.
type TestCard struct {
	Number   string
	ThreeDS  bool
	Declined int // the error code; 0: success
	Outcome  string
}

// Payment is the card form of a payment.
type Payment struct {
	Lang        string // pg_language, normalised by Lang
	Merchant    string // merchant id or name shown
	OrderID     string
	PaymentID   string
	Description string
	Amount      string // "1500.00"
	Currency    string
	Action      string // URL the form POSTs to; "" posts to the page's own URL
	// Frame is pg_payment_route=frame: a compact page without the outer
	// chrome. The card form stays in the frame, as every step does (spec
	// §3.2); only the Redirect page leaves it (target="_top").
	Frame bool
	// Error is shown above the form when not "". The form never echoes
	// card data back: its inputs are always empty, and a card number in
	// Error is masked (redact.Cards: one that passes the Luhn check;
	// better not to quote the number typed at all).
	Error string
	// Problem, when not ledger.CardOK, is what is wrong with the card the
	// payer typed, said in the page's language in place of Error.
	Problem   ledger.CardProblem
	TestCards []TestCard
	ExpiresAt string // "" or a text such as "2026-12-05 10:00:00"
}

// ACS is the simulated issuer's 3-D Secure page: it posts acs=confirm (the
// right code) or acs=fail (a wrong one) to Action.
type ACS struct {
	Lang, Action, Merchant, Amount, Currency string
	CardPAN                                  string // masked; a full card number is masked here too
	PaymentID                                string
}

// CardForm is the card-storage page: the card form of a card to save for
// a user of a merchant (cardstorage/add).
type CardForm struct {
	Lang      string
	Merchant  string
	UserID    string
	PaymentID string
	Action    string // URL the form POSTs to
	// Error and Problem are as Payment's: Error a decline or a problem
	// of the form, Problem what is wrong with the card as typed.
	Error     string
	Problem   ledger.CardProblem
	TestCards []TestCard
}

// Notice is a page that only says something: payment not found, lifetime
// over, already paid (NotFound, Expired and AlreadyPaid give those).
type Notice struct{ Lang, Title, Message string }

// Templates are the parsed pages. They are safe for concurrent use.
type Templates struct {
	payment, acs, redirect, notice, card *template.Template
}

// New parses the embedded templates. It panics on a template error: they
// are part of the program, and a test parses them.
func New() *Templates { return parse(templateFS) }

// parse parses the templates of fsys: templates/layout.html with each page.
func parse(fsys fs.FS) *Templates {
	one := func(name string) *template.Template {
		return template.Must(template.New(name).ParseFS(fsys, "templates/layout.html", "templates/"+name+".html"))
	}
	return &Templates{payment: one("payment"), acs: one("acs"), redirect: one("redirect"), notice: one("notice"), card: one("card")}
}

// view is what the layout reads: the texts of the page's language, its
// title, whether it is framed, its meta refresh, and the page's own data.
type view struct {
	T       *texts
	Title   string
	Frame   bool
	Refresh string // the content of a meta refresh, or ""
	V       any
}

// Payment writes the card form.
func (t *Templates) Payment(w io.Writer, v Payment) error {
	tx := textsOf(v.Lang)
	if v.Problem != ledger.CardOK {
		v.Error = tx.problem(v.Problem)
	}
	v.Error = redact.Cards(v.Error)
	v.TestCards = tx.testCards(v.TestCards)
	return render(w, t.payment, view{T: tx, Title: tx.PaymentTitle, Frame: v.Frame, V: v})
}

// Card writes the card-storage page's card form.
func (t *Templates) Card(w io.Writer, v CardForm) error {
	tx := textsOf(v.Lang)
	if v.Problem != ledger.CardOK {
		v.Error = tx.problem(v.Problem)
	}
	v.Error = redact.Cards(v.Error)
	v.TestCards = tx.testCards(v.TestCards)
	return render(w, t.card, view{T: tx, Title: tx.CardTitle, V: v})
}

// testCards are cards with their outcomes in these texts' language.
func (tx *texts) testCards(in []TestCard) []TestCard {
	cards := make([]TestCard, len(in))
	for i, c := range in {
		c.Outcome = tx.OutcomeSuccess
		switch {
		case c.Declined != 0:
			c.Outcome = fmt.Sprintf(tx.OutcomeDeclined, c.Declined)
		case c.ThreeDS:
			c.Outcome = tx.Outcome3DS
		}
		cards[i] = c
	}
	return cards
}

// ACS writes the simulated issuer's 3-D Secure page.
func (t *Templates) ACS(w io.Writer, v ACS) error {
	tx := textsOf(v.Lang)
	v.CardPAN = redact.Cards(v.CardPAN)
	return render(w, t.acs, view{T: tx, Title: tx.ACSTitle, V: v})
}

// Redirect writes the page that sends the payer back to the merchant (see
// Redirect for each Method).
func (t *Templates) Redirect(w io.Writer, v Redirect) error {
	tx := textsOf(v.Lang)
	v.Message = redact.Cards(v.Message)
	d := prepare(v)
	title := tx.FailureTitle
	if v.Success {
		title = tx.SuccessTitle
	}
	return render(w, t.redirect, view{T: tx, Title: title, Frame: v.Frame, Refresh: d.refresh, V: d})
}

// Notice writes a page that only says something.
func (t *Templates) Notice(w io.Writer, v Notice) error {
	return render(w, t.notice, view{T: textsOf(v.Lang), Title: v.Title, V: v})
}

// NotFound is the notice of a payment page that does not exist.
func NotFound(lang string) Notice {
	tx := textsOf(lang)
	return Notice{Lang: Lang(lang), Title: tx.NotFoundTitle, Message: tx.NotFoundMessage}
}

// Expired is the notice of a payment whose lifetime (pg_lifetime) is over.
func Expired(lang string) Notice {
	tx := textsOf(lang)
	return Notice{Lang: Lang(lang), Title: tx.ExpiredTitle, Message: tx.ExpiredMessage}
}

// CardNotFound is the notice of a card page that does not exist.
func CardNotFound(lang string) Notice {
	tx := textsOf(lang)
	return Notice{Lang: Lang(lang), Title: tx.CardNotFoundTitle, Message: tx.CardNotFoundMessage}
}

// CardUsed is the notice of a card page that has taken its card.
func CardUsed(lang string) Notice {
	tx := textsOf(lang)
	return Notice{Lang: Lang(lang), Title: tx.CardUsedTitle, Message: tx.CardUsedMessage}
}

// AlreadyPaid is the notice of a payment page opened again after paying.
func AlreadyPaid(lang string) Notice {
	tx := textsOf(lang)
	return Notice{Lang: Lang(lang), Title: tx.PaidTitle, Message: tx.PaidMessage}
}

// OutcomeTitle is the title of a payment's outcome in language lang: paid,
// or not.
func OutcomeTitle(lang string, success bool) string {
	tx := textsOf(lang)
	if success {
		return tx.SuccessTitle
	}
	return tx.FailureTitle
}

// Busy is the notice of a payment page sent a card while another card
// sent for the payment is being processed.
func Busy(lang string) Notice {
	tx := textsOf(lang)
	return Notice{Lang: Lang(lang), Title: tx.BusyTitle, Message: tx.BusyMessage}
}

// render executes the layout of tmpl into a buffer first, so that an error
// leaves w untouched and the caller can still answer with an error.
func render(w io.Writer, tmpl *template.Template, v view) error {
	var b bytes.Buffer
	if err := tmpl.ExecuteTemplate(&b, "layout", v); err != nil {
		return fmt.Errorf("page %s: %w", tmpl.Name(), err)
	}
	_, err := w.Write(b.Bytes())
	return err
}
