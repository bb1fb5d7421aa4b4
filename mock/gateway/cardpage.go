package gateway

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/page"
	"github.com/freedompay-mock/freedompay-mock/mock/routes"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// The payer's side of card storage: the card page cardstorage/add's
// redirect_url names takes a card as the payment page does (the same
// inputs, checks and language); a 3-D Secure test card goes through the
// issuer's page (/v2/user/3ds-page/<key>, as a payment's does) first.
// Once the card is saved and the card-storage notify's first attempt is
// answered, the payer goes to the add's back_link (303). A declined card
// is refused on the page, which waits for another; once a card is saved
// the page takes no other.

// serveCardPage answers the card page: GET shows the card form (or what
// became of the page), POST takes the card.
func (g *Gateway) serveCardPage(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("pg_payment_id")
	sc, ok := g.cfg.Ledger.CardPage(key)
	if !ok || g.cfg.Cards == nil || mux.Vars(r)["id"] != sc.MerchantID {
		g.notice(w, http.StatusNotFound, page.CardNotFound(r.URL.Query().Get("lang")))
		return
	}
	switch sc.State {
	case ledger.CardPage3DS:
		http.Redirect(w, r, routes.ACSPage+key, http.StatusSeeOther)
		return
	case ledger.CardSaved, ledger.CardRemoved:
		g.notice(w, http.StatusConflict, page.CardUsed(sc.Language))
		return
	}
	if r.Method != http.MethodPost {
		g.cardPage(w, http.StatusOK, sc, "", ledger.CardOK)
		return
	}
	card, problem, cp, ok := readCard(w, r)
	if !ok {
		return
	}
	if problem != "" || cp != ledger.CardOK {
		g.cardPage(w, http.StatusUnprocessableEntity, sc, problem, cp)
		return
	}
	ctx, cancel := g.cardWait(w, r)
	defer cancel()
	now := g.cfg.Clock.Now()
	out, err := g.cfg.Cards.Enter(ctx, key, card, now)
	g.journalCard(r, sc, now, out, err, journalCard(card))
	g.cardOutcome(w, r, sc, out, err)
}

// serveCardACS answers the issuer's 3DS page of a card being saved on page
// key: GET shows Confirm and Fail, POST takes the answer.
func (g *Gateway) serveCardACS(w http.ResponseWriter, r *http.Request, sc ledger.StoredCard) {
	key := sc.PageKey
	if sc.State != ledger.CardPage3DS {
		http.Redirect(w, r, routes.CardPageOf(sc.MerchantID)+"?pg_payment_id="+key, http.StatusSeeOther)
		return
	}
	answer, ok := g.acsAnswer(w, r, page.ACS{Lang: sc.Language, Action: routes.ACSPage + key, Merchant: sc.MerchantID,
		CardPAN: ledger.MaskPAN(sc.PAN), PaymentID: fixtures.FormatID(sc.PaymentID)})
	if !ok {
		return
	}
	ctx, cancel := g.cardWait(w, r)
	defer cancel()
	now := g.cfg.Clock.Now()
	out, err := g.cfg.Cards.AnswerACS(ctx, key, answer == "confirm", now)
	g.journalCard(r, sc, now, out, err, sign.Fields{{Name: "acs", Value: answer}})
	g.cardOutcome(w, r, sc, out, err)
}

// cardOutcome answers a card sent on page sc, or the answer on its 3DS
// page: on to the issuer's page, back to the merchant once saved, or the
// card form again with the decline.
func (g *Gateway) cardOutcome(w http.ResponseWriter, r *http.Request, sc ledger.StoredCard, out ledger.CardOutcome, err error) {
	switch {
	case errors.Is(err, ledger.ErrNoCardPage): // reset meanwhile
		g.notice(w, http.StatusNotFound, page.CardNotFound(sc.Language))
	case errors.Is(err, ledger.ErrCardPageUsed), errors.Is(err, ledger.ErrNoCardACS):
		g.notice(w, http.StatusConflict, page.CardUsed(sc.Language))
	case err != nil:
		g.notice(w, http.StatusInternalServerError, page.Notice{Lang: sc.Language, Title: "Card not saved", Message: err.Error()})
	case out.ThreeDS:
		http.Redirect(w, r, routes.ACSPage+sc.PageKey, http.StatusSeeOther)
	case out.Code != 0:
		g.cardPage(w, http.StatusUnprocessableEntity, out.Card, strconv.Itoa(out.Code)+": "+wire.PaymentText(out.Code), ledger.CardOK)
	default:
		http.Redirect(w, r, out.Card.BackLink, http.StatusSeeOther)
	}
}

// cardWait lets the card page wait for the card-storage notify's first
// attempt, as the payment page waits for the result notify's.
func (g *Gateway) cardWait(w http.ResponseWriter, r *http.Request) (context.Context, context.CancelFunc) {
	wait := g.cfg.Cards.Wait()
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(wait + payerSlack))
	return context.WithTimeout(r.Context(), wait)
}

// cardPage shows page sc's card form, with what was wrong with the card
// sent (a problem of the form, a decline, or the card as typed).
func (g *Gateway) cardPage(w http.ResponseWriter, status int, sc ledger.StoredCard, problem string, card ledger.CardProblem) {
	v := page.CardForm{Lang: sc.Language, Merchant: sc.MerchantID, UserID: sc.UserID, PaymentID: fixtures.FormatID(sc.PaymentID),
		Action: routes.CardPageOf(sc.MerchantID) + "?pg_payment_id=" + sc.PageKey, Error: problem, Problem: card}
	for _, c := range ledger.PaymentTestCards() {
		v.TestCards = append(v.TestCards, page.TestCard{Number: c.Number, ThreeDS: c.ThreeDS, Declined: c.ErrorCode})
	}
	var buf bytes.Buffer
	_ = g.pages.Card(&buf, v)
	writeHTML(w, status, buf.Bytes())
}

// journalCard records what a payer sent on a card page or its 3DS page,
// and what came of it: the card masked, never its CVC.
func (g *Gateway) journalCard(r *http.Request, sc ledger.StoredCard, now time.Time, out ledger.CardOutcome, err error, fields sign.Fields) {
	if g.cfg.Journal == nil {
		return
	}
	e := journal.Entry{At: now, Method: r.Method, Path: r.URL.Path, MerchantID: sc.MerchantID,
		PaymentID: fixtures.FormatID(sc.PaymentID), Encoding: "form", Fields: fields, HTTPStatus: http.StatusOK, Outcome: journal.OutcomeOK}
	switch {
	case err != nil:
		e.Outcome, e.Description = journal.OutcomeError, "the card was not taken: "+err.Error()
	case out.ThreeDS:
		e.Description = "the card goes through the issuer's 3-D Secure page"
	case out.Code != 0:
		e.Outcome, e.Code, e.Description = journal.OutcomeError, out.Code, "declined: "+wire.PaymentText(out.Code)+"; the page waits for another card"
	default:
		e.Description = "the card " + out.Card.Hash + " is saved for user " + out.Card.UserID + " under token " + out.Card.Token
	}
	m, _ := g.cfg.Ledger.Merchant(sc.MerchantID)
	g.cfg.Journal.RecordMasked(e, m.Redactor())
}
