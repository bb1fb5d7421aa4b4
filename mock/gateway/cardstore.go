package gateway

import (
	"context"
	"errors"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/page"
	"github.com/freedompay-mock/freedompay-mock/mock/routes"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// Card storage (payments.md §3.6): cardstorage/add opens a card page for a
// user of the merchant; the card typed there is saved under a token,
// which is posted to the add's post_link; list and remove answer the
// user's saved cards. The merchant's id is in the path as well as in
// pg_merchant_id: the two must be the same.

// Cards makes card storage's changes.
type Cards interface {
	// Add opens a card page for a user of merchantID.
	Add(merchantID, userID, postLink, backLink, lang string, now time.Time) (ledger.StoredCard, error)
	// Enter is the payer sending card c on page key: saved (and the
	// card-storage notify sent, its first attempt waited for), declined,
	// or on to 3-D Secure.
	Enter(ctx context.Context, key string, c ledger.Card, now time.Time) (ledger.CardOutcome, error)
	// AnswerACS is the payer's answer on the issuer's page for the card
	// waiting on page key.
	AnswerACS(ctx context.Context, key string, confirm bool, now time.Time) (ledger.CardOutcome, error)
	// Remove removes a user's saved card.
	Remove(merchantID, userID, token string, now time.Time) (ledger.StoredCard, error)
	// Wait is the longest Enter and AnswerACS may take: the card page
	// waits as long.
	Wait() time.Duration
}

// cardDate is the form of a card's created_at and deleted_at.
const cardDate = "2006-01-02 15:04:05"

// pathMerchant checks that the merchant id in the path is pg_merchant_id's:
// a request signed for one merchant does not act on another's cards.
func pathMerchant(c *call) error {
	if id := mux.Vars(c.r)["id"]; id != c.merchant.ID {
		return wire.Malformed("pg_merchant_id", "want the merchant id of the path /v1/merchant/"+wire.Shorten(id, 20)+"/cardstorage/…: they must be the same")
	}
	return nil
}

// cardUser reads the required pg_user_id: 1 to 50 of a-z, A-Z, 0-9, _ and -
// (payments.md §3.1).
func cardUser(f *form) string {
	v := f.str("pg_user_id")
	if f.err == nil && !fixtures.IsUserID(v) {
		if v == "" {
			f.fail(wire.Missing("pg_user_id"))
		} else {
			f.fail(wire.Malformed("pg_user_id", "1 to 50 of a-z, A-Z, 0-9, _ and -"))
		}
	}
	return v
}

// cardAdd answers cardstorage/add: a card page for the user, its URL in
// pg_redirect_url, in the order of the docs' example.
func (g *Gateway) cardAdd(c *call) (sign.Fields, error) {
	if err := pathMerchant(c); err != nil {
		return nil, err
	}
	f := &form{fields: c.fields}
	user := cardUser(f)
	for _, name := range []string{"pg_post_link", "pg_back_link"} {
		if f.str(name) == "" {
			f.fail(wire.Missing(name))
		}
	}
	post := f.paymentURL("pg_post_link", "")
	back := f.paymentURL("pg_back_link", "")
	lang := f.str("pg_language")
	if f.err == nil && utf8.RuneCountInString(lang) > 10 {
		f.fail(wire.Malformed("pg_language", "ru, en, kz, kg or uz"))
	}
	if f.err != nil {
		return nil, f.err
	}
	if g.cfg.Cards == nil {
		return nil, wire.NewError(wire.CodeSystem)
	}
	sc, err := g.cfg.Cards.Add(c.merchant.ID, user, post, back, page.Lang(lang), c.now)
	switch {
	case errors.Is(err, ledger.ErrTooManyCards):
		return nil, wire.Errorf(wire.CodeSystem, "merchant %s has as many saved cards and card pages as the sandbox keeps (--max-cards): reset the merchant (POST /_mock/reset?merchant_id=%s) to start afresh", c.merchant.ID, c.merchant.ID)
	case errors.Is(err, ledger.ErrTooManyCardPages):
		return nil, wire.Errorf(wire.CodeSystem, "merchant %s has %d card pages waiting for a card: send cards on them, or reset the merchant", c.merchant.ID, ledger.MaxCardPages)
	case err != nil:
		return nil, err
	}
	return sign.Fields{
		{Name: "pg_payment_id", Value: strconv.FormatInt(sc.PaymentID, 10)},
		{Name: "pg_merchant_id", Value: sc.MerchantID},
		{Name: "pg_order_id", Value: ""},
		{Name: "pg_redirect_url", Value: c.base() + routes.CardPageOf(sc.MerchantID) + "?pg_payment_id=" + sc.PageKey},
		{Name: "pg_status", Value: "ok"},
		{Name: "pg_type", Value: "init"},
	}, nil
}

// cardList answers cardstorage/list: a <card> for each of the user's saved
// cards, in the order saved; with pg_extend_data=1 also the bank, the
// brand and the expiry. The reply nests, and is signed flattened.
func (g *Gateway) cardList(c *call) (sign.Fields, error) {
	if err := pathMerchant(c); err != nil {
		return nil, err
	}
	f := &form{fields: c.fields}
	user := cardUser(f)
	extend := f.flag("pg_extend_data", false)
	if f.err != nil {
		return nil, f.err
	}
	leaf := func(name, value string) sign.Node { return sign.Node{Name: name, Value: value} }
	c.nodes = []sign.Node{}
	for _, sc := range g.cfg.Ledger.UserCards(c.merchant.ID, user) {
		card := []sign.Node{
			leaf("pg_status", "approved"),
			leaf("pg_merchant_id", sc.MerchantID),
			leaf("pg_card_id", strconv.FormatInt(sc.CardID, 10)),
			leaf("pg_card_token", sc.Token),
			leaf("pg_card_hash", sc.Hash),
			leaf("pg_card_hhash", sc.HHash),
			leaf("pg_recurring_profile_id", ""),
			leaf("pg_created_at", sc.SavedAt.In(g.loc).Format(cardDate)),
		}
		if extend {
			card = append(card, leaf("pg_bank_alias", bankAlias), leaf("pg_brand_alias", brandAlias(sc.Brand)),
				leaf("pg_expiry_year", sc.ExpYear), leaf("pg_expiry_month", sc.ExpMonth))
		}
		c.nodes = append(c.nodes, sign.Node{Name: "card", Children: card})
	}
	return nil, nil
}

// bankAlias is the issuing bank every saved card of the sandbox names
// (pg_bank_alias): it issues no real cards.
const bankAlias = "sandbox"

// brandAlias is pg_brand_alias of a card brand (ledger.Brand).
func brandAlias(brand string) string {
	switch brand {
	case "VI":
		return "visa"
	case "MC":
		return "mastercard"
	case "UP":
		return "unionpay"
	}
	return "unknown"
}

// cardRemove answers cardstorage/remove: the card listed no more and
// paid out to no more. A token of no saved card of the user (unknown,
// another user's, removed before) is 9403 naming pg_card_token.
func (g *Gateway) cardRemove(c *call) (sign.Fields, error) {
	if err := pathMerchant(c); err != nil {
		return nil, err
	}
	f := &form{fields: c.fields}
	user := cardUser(f)
	token := f.str("pg_card_token")
	if f.err == nil && token == "" {
		f.fail(wire.Missing("pg_card_token"))
	}
	if f.err == nil && len(token) > 255 {
		f.fail(wire.Malformed("pg_card_token", "at most 255 characters"))
	}
	if f.err != nil {
		return nil, f.err
	}
	if g.cfg.Cards == nil {
		return nil, wire.NewError(wire.CodeSystem)
	}
	sc, err := g.cfg.Cards.Remove(c.merchant.ID, user, token, c.now)
	switch {
	case errors.Is(err, ledger.ErrUnknownCard):
		return nil, wire.Malformed("pg_card_token", "no saved card of merchant "+c.merchant.ID+" and user "+user+" has it (or it was removed)")
	case err != nil:
		return nil, err
	}
	return sign.Fields{
		{Name: "pg_status", Value: "ok"},
		{Name: "pg_merchant_id", Value: sc.MerchantID},
		{Name: "pg_card_hash", Value: sc.Hash},
		{Name: "pg_deleted_at", Value: sc.DeletedAt.In(g.loc).Format(cardDate)},
	}, nil
}
