package gateway

import (
	"embed"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// maxPageForm bounds the body of a card form.
const maxPageForm = 4 << 10

//go:embed page/payout.html
var pageFS embed.FS

func parsePage() *template.Template {
	return template.Must(template.ParseFS(pageFS, "page/payout.html"))
}

// pageData is what the payout page shows: masked card data only.
type pageData struct {
	MerchantID, OrderID, Amount, Currency, Card, IBAN, PaymentID, Status, BackLink, Error string
	Awaiting                                                                              bool
}

// submitCard enters the card typed on payout p's page: the status and
// message to show, and the payout as it is now.
func (g *Gateway) submitCard(key, pan string, p ledger.Payout) (int, string, ledger.Payout) {
	switch cr, err := g.enterCard(key, pan); {
	case errors.Is(err, ledger.ErrNoPage):
		return http.StatusConflict, "This payout is not waiting for a card.", p
	case err != nil:
		return http.StatusUnprocessableEntity, err.Error(), p
	default:
		return http.StatusOK, "", cr.Payout
	}
}

func (g *Gateway) servePage(w http.ResponseWriter, r *http.Request) {
	key := mux.Vars(r)["key"]
	p, ok := g.cfg.Ledger.PayoutByPage(key)
	if !ok {
		http.Error(w, "No payout has this page. Payout pages come from the pg_redirect_url of /api/reg2nonreg.", http.StatusNotFound)
		return
	}
	status := http.StatusOK
	var msg string
	if r.Method == http.MethodPost {
		body := r.Body
		r.Body = http.MaxBytesReader(w, r.Body, maxPageForm)
		var tooLarge *http.MaxBytesError
		if err := r.ParseForm(); errors.As(err, &tooLarge) || r.ContentLength > maxPageForm {
			r.Body = body // the rest is read from there
			// A card form is a few dozen bytes: answer so that a client
			// sending all of a larger body first reads why.
			wire.WriteTooLarge(w, r, maxPageForm, "text/plain; charset=utf-8",
				[]byte("The card form is larger than "+strconv.Itoa(maxPageForm)+" bytes: send card_number only.\n"))
			return
		}
		cards := r.PostForm["card_number"]
		pan := ""
		if len(cards) > 0 {
			pan = strings.ReplaceAll(strings.TrimSpace(cards[0]), " ", "")
		}
		if len(cards) > 1 && slices.ContainsFunc(cards[1:], func(c string) bool { return c != cards[0] }) {
			// PHP would take the last, this page the first: neither.
			status, msg = http.StatusUnprocessableEntity, "card_number is given twice with different values; send it once."
		} else {
			status, msg, p = g.submitCard(key, pan, p)
		}
	}
	m, _ := g.cfg.Ledger.Merchant(p.MerchantID)
	d := pageData{
		MerchantID: p.MerchantID, OrderID: p.OrderID, Amount: p.Amount.String(), Currency: m.Currency,
		Card: p.CardHash, IBAN: p.IBAN, PaymentID: fixtures.FormatID(p.PaymentID), BackLink: p.BackLink,
		Awaiting: p.AwaitingCard, Error: msg,
	}
	if s, ok := p.StatusAt(g.cfg.Clock.Now()); ok {
		d.Status = s.Status
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_ = g.page.Execute(w, d)
	}
}

// enterCard checks the card number and starts the payout.
func (g *Gateway) enterCard(key, pan string) (ledger.CreatedPayout, error) {
	if !ValidPAN(pan) {
		return ledger.CreatedPayout{}, errors.New("Wrong or nonexistent card number: enter 13 to 20 digits that pass the Luhn check.")
	}
	before, _ := g.cfg.Ledger.PayoutByPage(key)
	cr, err := g.change(func() (ledger.CreatedPayout, error) { return g.cfg.Ledger.EnterCard(key, pan, g.cfg.Clock.Now()) },
		func(ledger.CreatedPayout) { g.cfg.Ledger.Put(before) })
	if err != nil {
		return cr, err
	}
	g.cfg.Logger.Info("payout card entered", "merchant", cr.MerchantID, "order_id", cr.OrderID, "payment_id", cr.PaymentID,
		"card_hash", cr.CardHash, "decided_by", cr.DecidedBy)
	return cr, nil
}
