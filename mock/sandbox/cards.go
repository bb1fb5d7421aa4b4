package sandbox

import (
	"context"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/gateway"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/redact"
)

// cards makes a world's card-storage changes for its gateway
// ([gateway.Cards]), as payments makes payments': the ledger changes
// under the gate, the card-storage notify of a card saved is sent at once
// (its first attempt waited for), and the change is saved (--state) before
// the reply or the page answers.
type cards struct {
	s *Sandbox
	w *world
}

var _ gateway.Cards = cards{}

// Add opens a card page.
func (cs cards) Add(merchantID, userID, postLink, backLink, lang string, now time.Time) (ledger.StoredCard, error) {
	release := cs.s.hold()
	c, err := cs.w.ledger.AddCardPage(merchantID, userID, postLink, backLink, lang, now)
	release()
	if err != nil {
		return c, err
	}
	cs.s.changed()
	return c, cs.s.saved()
}

// Enter is the payer sending a card on page key.
func (cs cards) Enter(ctx context.Context, key string, c ledger.Card, now time.Time) (ledger.CardOutcome, error) {
	release := cs.s.hold()
	out, err := cs.w.ledger.EnterStoredCard(key, c, now)
	return cs.finish(ctx, out, err, release)
}

// AnswerACS is the payer's answer on the issuer's page.
func (cs cards) AnswerACS(ctx context.Context, key string, confirm bool, now time.Time) (ledger.CardOutcome, error) {
	release := cs.s.hold()
	out, err := cs.w.ledger.AnswerStoredCardACS(key, confirm, now)
	return cs.finish(ctx, out, err, release)
}

// finish sends the card-storage notify of a card just saved, the gate let
// go (release) once it is queued, and waits for its first attempt; then
// the change is saved.
func (cs cards) finish(ctx context.Context, out ledger.CardOutcome, err error, release func()) (ledger.CardOutcome, error) {
	if err != nil {
		release()
		return out, err
	}
	if out.Card.Saved() {
		cs.w.notify.FireKind(ctx, notify.CardSaved, out.Card.PaymentID, 0, release)
	} else {
		release()
	}
	cs.s.changed()
	return out, cs.s.saved()
}

// Remove removes a user's saved card.
func (cs cards) Remove(merchantID, userID, token string, now time.Time) (ledger.StoredCard, error) {
	release := cs.s.hold()
	c, err := cs.w.ledger.RemoveCard(merchantID, userID, token, now)
	release()
	if err != nil {
		return c, err
	}
	cs.s.changed()
	return c, cs.s.saved()
}

// Wait is the longest a card sent on a card page can take to answer: the
// card-storage notify's first attempt.
func (cs cards) Wait() time.Duration { return cs.w.sc.PaymentSettings.ResultTimeoutOr() }

// Card is a card-storage record as the control API shows it: the card
// masked, never its number.
type Card struct {
	PaymentID  int64      `json:"payment_id"` // the add reply's pg_payment_id
	MerchantID string     `json:"merchant_id"`
	UserID     string     `json:"user_id"`
	State      string     `json:"state"` // new (the page waits for a card), 3ds, saved or removed
	CreatedAt  time.Time  `json:"created_at"`
	PostLink   string     `json:"post_link"`
	BackLink   string     `json:"back_link"`
	CardHash   string     `json:"card_hash,omitempty"` // masked: "471604-XX-XXXX-1981"
	CardToken  string     `json:"card_token,omitempty"`
	CardID     int64      `json:"card_id,omitempty"`
	Brand      string     `json:"brand,omitempty"`
	Expiry     string     `json:"expiry,omitempty"` // "12/2030"
	SavedAt    *time.Time `json:"saved_at,omitempty"`
	DeletedAt  *time.Time `json:"deleted_at,omitempty"`
}

// CardView is c as the control API shows it.
func CardView(c ledger.StoredCard) Card {
	v := Card{PaymentID: c.PaymentID, MerchantID: c.MerchantID, UserID: c.UserID, State: c.State, CreatedAt: c.CreatedAt,
		PostLink: redact.Text(c.PostLink), BackLink: redact.Text(c.BackLink), CardHash: c.Hash, CardToken: c.Token, CardID: c.CardID, Brand: c.Brand}
	if c.PAN != "" && v.CardHash == "" {
		v.CardHash = ledger.MaskPAN(c.PAN) // a card waiting for 3-D Secure
	}
	if c.ExpMonth != "" {
		v.Expiry = c.ExpMonth + "/" + c.ExpYear
	}
	if !c.SavedAt.IsZero() {
		at := c.SavedAt
		v.SavedAt = &at
	}
	if !c.DeletedAt.IsZero() {
		at := c.DeletedAt
		v.DeletedAt = &at
	}
	return v
}

// CardQuery selects card-storage records: a merchant's, a user's, in a
// state, each when set; a page of them.
type CardQuery struct {
	MerchantID, UserID, State string
	Page
}

// Cards is a page of card-storage records, in the order the pages were
// opened.
type Cards struct {
	Now        time.Time `json:"now"`
	Cards      []Card    `json:"cards"`
	Matched    int       `json:"matched"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// Cards lists the card-storage records q selects.
func (s *Sandbox) Cards(q CardQuery) (Cards, error) {
	pg, err := q.paging()
	if err != nil {
		return Cards{}, err
	}
	if q.State != "" && !oneOf(q.State, []string{ledger.CardPageOpen, ledger.CardPage3DS, ledger.CardSaved, ledger.CardRemoved}) {
		return Cards{}, errorf(BadRequest, "state=%q: want one of new, 3ds, saved, removed", q.State)
	}
	w := s.world.Load()
	if err := w.known(q.MerchantID); err != nil {
		return Cards{}, err
	}
	out, matched, next, ok := listed(w.ledger.ReadStoredCards, pg, func(c *ledger.StoredCard) bool {
		return (q.MerchantID == "" || c.MerchantID == q.MerchantID) && (q.UserID == "" || c.UserID == q.UserID) &&
			(q.State == "" || c.State == q.State)
	}, func(c *ledger.StoredCard) int64 { return c.PaymentID }, cardWeight, func(c *ledger.StoredCard) Card { return CardView(*c) })
	if !ok {
		return Cards{}, errorf(StaleCursor, "cursor=%q names a card no longer listed (a reset or a new scenario came since): start from the first page", q.Cursor)
	}
	return Cards{Now: s.clock.Now(), Cards: out, Matched: matched, NextCursor: next}, nil
}
