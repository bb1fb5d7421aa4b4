package gateway

import (
	"errors"
	"strconv"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// reg2reg answers POST /g2g/reg2reg and /api/reg2reg: a payout to a card
// saved under a token, which the scenario's [[cards]] list. Older SDKs name
// the card by pg_card_id_to instead of pg_card_token_to: its card_id, or
// for a card the scenario gives none, the id the sandbox gave it. The
// payout keeps the card's id for its notifies' pg_card_id.
func (g *Gateway) reg2reg(c *call) (sign.Fields, error) {
	f := &form{fields: c.fields}
	token, cardID := f.str("pg_card_token_to"), f.str("pg_card_id_to")
	tokenField := "pg_card_token_to"
	if token == "" && cardID != "" {
		tokenField = "pg_card_id_to"
	}
	f.requireAll("pg_order_id", "pg_amount", "pg_description", "pg_order_time_limit", "pg_user_id", "pg_post_link")
	if token == "" && cardID == "" {
		f.fail(wire.Errorf(wire.CodeValidation, "Field pg_card_token_to is required (older SDKs send pg_card_id_to)"))
	}
	order, amount, _ := f.orderID(), f.amount(), f.description()
	f.currency(c.merchant.Currency)
	f.timeLimit()
	post := f.link("pg_post_link")
	user := f.userID()
	if f.err != nil {
		return nil, f.err
	}
	card, err := g.cfg.Ledger.SavedCard(c.merchant.ID, token, cardID, user)
	if errors.Is(err, ledger.ErrUnknownCard) {
		return nil, wire.Malformed(tokenField, "no saved card of merchant "+c.merchant.ID+" and user "+user+" has it")
	}
	if token != "" && cardID != "" && cardID != strconv.FormatInt(card.CardID, 10) {
		// Which of the two the gateway reads is not known: refuse
		// rather than pay out to one of them.
		return nil, wire.Malformed("pg_card_id_to", "pg_card_token_to and pg_card_id_to name different saved cards; send one of them")
	}
	cr, err := g.create(c, ledger.NewPayout{OrderID: order, Amount: amount, Card: card.Number, CardToken: card.Token,
		CardID: card.CardID, UserID: user, PostLink: post})
	if err != nil {
		return nil, err
	}
	return sign.Fields{
		idField(cr.Payout.PaymentID),
		field("pg_merchant_id", cr.MerchantID),
		field("pg_status", "ok"),
		field("pg_order_id", cr.OrderID),
		field("pg_balance", cr.Balance.Fixed2()),
		field("pg_card_hash", cr.CardHash),
		field("pg_card_token", cr.CardToken),
		field("pg_payment_amount", cr.Amount.Fixed2()),
		g.paymentDate(cr.Payout),
		field("pg_error_code", "0"),
	}, nil
}
