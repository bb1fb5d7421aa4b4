package ledger

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/redact"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// Card storage (payments.md §3.6): cardstorage/add opens a card page for
// one of the merchant's users; the payer types a card there, which, once
// the issuer lets it (a declined test card does not; a 3-D Secure card
// after the issuer's page), is saved under a token. A saved card is listed,
// removed, and paid out to by reg2reg as the scenario's [[cards]] are.
//
// One StoredCard is one add: its page first, then the card saved on it.

// States of a StoredCard.
const (
	CardPageOpen = "new"     // the page waits for a card
	CardPage3DS  = "3ds"     // a card waits for the issuer's 3-D Secure page
	CardSaved    = "saved"   // the card is saved
	CardRemoved  = "removed" // the card was saved, then removed
)

// StoredCard is one cardstorage/add and what came of it.
type StoredCard struct {
	MerchantID string
	UserID     string
	PaymentID  int64  // the add reply's pg_payment_id: one id space with payments'
	PageKey    string // the card page's key, the pg_payment_id of its URL (32 hex digits)
	PostLink   string
	BackLink   string
	Language   string `json:",omitempty"` // pg_language, for the page
	CreatedAt  time.Time
	State      string // CardPageOpen, CardPage3DS, CardSaved or CardRemoved
	// PAN is the full card number from the moment it is typed: the
	// saved state (--state) keeps it so that a payout to the card after a
	// restart matches rules by it, as a scenario's [[cards]] card does;
	// nothing the sandbox shows holds it.
	PAN       string    `json:",omitempty"`
	ExpMonth  string    `json:",omitempty"` // two digits
	ExpYear   string    `json:",omitempty"` // four digits
	Holder    string    `json:",omitempty"` // upper case
	Token     string    `json:",omitempty"` // pg_card_token, once saved
	CardID    int64     `json:",omitempty"` // pg_card_id, once saved
	Hash      string    `json:",omitempty"` // pg_card_hash: the masked PAN, "471604-XX-XXXX-1981"
	HHash     string    `json:",omitempty"` // pg_card_hhash: a digest of the merchant and the PAN
	Brand     string    `json:",omitempty"` // VI, MC, UP
	SavedAt   time.Time `json:",omitzero"`
	DeletedAt time.Time `json:",omitzero"`
}

// Saved reports whether the card is saved and not removed.
func (c StoredCard) Saved() bool { return c.State == CardSaved }

// Errors of card storage.
var (
	// ErrNoCardPage: no add has this page key.
	ErrNoCardPage = errors.New("no card page has this key")
	// ErrCardPageUsed: the page took its card already.
	ErrCardPageUsed = errors.New("the card page has taken its card")
	// ErrNoCardACS: the page has no card waiting for 3-D Secure.
	ErrNoCardACS = errors.New("no card waits for 3-D Secure on this page")
	// ErrTooManyCards: the merchant keeps as many card-storage records
	// as the sandbox allows (--max-cards).
	ErrTooManyCards = errors.New("too many saved cards")
	// ErrTooManyCardPages: the merchant has MaxCardPages pages waiting
	// for a card.
	ErrTooManyCardPages = errors.New("too many card pages waiting for a card")
)

// DefaultMaxCards is how many card-storage records (saved cards, removed
// ones and pages waiting for a card) a merchant keeps unless told
// otherwise (--max-cards).
const DefaultMaxCards = 10000

// MaxCardPages bounds the pages of a merchant waiting for a card at once:
// an add beyond it is refused until a page takes its card or the merchant
// is reset.
const MaxCardPages = 1000

// LimitCards sets how many card-storage records each merchant keeps; n ≤
// 0 is DefaultMaxCards.
func (l *Ledger) LimitCards(n int) {
	if n <= 0 {
		n = DefaultMaxCards
	}
	l.mu.Lock()
	l.maxCards = n
	l.mu.Unlock()
}

// AddCardPage opens a card page for userID of merchantID at now: the
// add's payment id and page key are drawn from the generator.
func (l *Ledger) AddCardPage(merchantID, userID, postLink, backLink, lang string, now time.Time) (StoredCard, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.merchants[merchantID]; !ok {
		return StoredCard{}, ErrUnknownMerchant
	}
	open := 0
	all := 0
	for _, c := range l.stored {
		if c.MerchantID != merchantID {
			continue
		}
		all++
		if c.State == CardPageOpen || c.State == CardPage3DS {
			open++
		}
	}
	switch {
	case all >= l.maxCards:
		return StoredCard{}, ErrTooManyCards
	case open >= MaxCardPages:
		return StoredCard{}, ErrTooManyCardPages
	}
	c := &StoredCard{MerchantID: merchantID, UserID: userID, PostLink: postLink, BackLink: backLink, Language: lang,
		CreatedAt: now, State: CardPageOpen}
	c.PaymentID = l.newPaymentID()
	for c.PageKey == "" || l.storedByPage[c.PageKey] != nil || l.payByPage[c.PageKey] != nil {
		key := md5.Sum([]byte(l.gen.Salt()))
		c.PageKey = hex.EncodeToString(key[:])
	}
	l.insertStored(c)
	l.trackStored(c)
	return *c, nil
}

// insertStored adds c to the ledger's indexes; l.mu is held.
func (l *Ledger) insertStored(c *StoredCard) {
	l.stored = append(l.stored, c)
	l.storedByID[c.PaymentID] = c
	l.storedByPage[c.PageKey] = c
	if c.Saved() {
		l.addCard(c.asCard())
	}
}

// asCard is a saved card as reg2reg finds it.
func (c *StoredCard) asCard() scenario.Card {
	return scenario.Card{MerchantID: scenario.Text(c.MerchantID), UserID: scenario.Text(c.UserID), Token: c.Token,
		CardID: c.CardID, Number: c.PAN}
}

// CardPage returns the add whose card page has key.
func (l *Ledger) CardPage(key string) (StoredCard, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	c, ok := l.storedByPage[key]
	if !ok {
		return StoredCard{}, false
	}
	return *c, true
}

// StoredCardByID returns the add with payment id id.
func (l *Ledger) StoredCardByID(id int64) (StoredCard, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	c, ok := l.storedByID[id]
	if !ok {
		return StoredCard{}, false
	}
	return *c, true
}

// CardOutcome is what the issuer says of a card to save: saved (Code 0,
// not ThreeDS), to go through 3-D Secure first, or declined with Code.
type CardOutcome struct {
	Card    StoredCard
	ThreeDS bool
	Code    int // the decline's error code; 0: not declined
}

// EnterStoredCard is the payer sending card c on card page key at now: a
// declined test card (payments.md §7, "Card add") or an expired card is
// refused and the page keeps waiting; a 3-D Secure test card waits for
// the issuer's page; any other card is saved.
func (l *Ledger) EnterStoredCard(key string, card Card, now time.Time) (CardOutcome, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, err := l.storedPage(key, CardPageOpen, ErrCardPageUsed)
	if err != nil {
		return outcomeOf(c), err
	}
	pan := card.PAN()
	if card.expired(now) {
		return CardOutcome{Card: *c, Code: wire.CodeCardExpired}, nil
	}
	threeDS := false
	for _, t := range PaymentTestCards() {
		if t.Number == pan {
			if t.ErrorCode != 0 {
				return CardOutcome{Card: *c, Code: t.ErrorCode}, nil
			}
			threeDS = t.ThreeDS
		}
	}
	c.PAN, c.Holder, c.Brand = pan, strings.ToUpper(strings.TrimSpace(card.Holder)), Brand(pan)
	c.ExpMonth = fmt.Sprintf("%02s", card.ExpMonth)
	c.ExpYear = card.ExpYear
	if len(c.ExpYear) == 2 {
		c.ExpYear = "20" + c.ExpYear
	}
	if threeDS {
		c.State = CardPage3DS
		l.trackStored(c)
		return CardOutcome{Card: *c, ThreeDS: true}, nil
	}
	l.saveStored(c, now)
	return CardOutcome{Card: *c}, nil
}

// AnswerStoredCardACS is the payer's answer on the issuer's page for the
// card waiting on page key: confirm saves it; fail declines it (10004)
// and the page waits for a card again.
func (l *Ledger) AnswerStoredCardACS(key string, confirm bool, now time.Time) (CardOutcome, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, err := l.storedPage(key, CardPage3DS, ErrNoCardACS)
	if err != nil {
		return outcomeOf(c), err
	}
	if !confirm {
		c.State, c.PAN, c.Holder, c.Brand, c.ExpMonth, c.ExpYear = CardPageOpen, "", "", "", "", ""
		l.trackStored(c)
		return CardOutcome{Card: *c, Code: wire.Code3DSFailed}, nil
	}
	l.saveStored(c, now)
	return CardOutcome{Card: *c}, nil
}

// storedPage finds card page key in state, else answers ErrNoCardPage or,
// with the page in another state, wrong; l.mu is held.
func (l *Ledger) storedPage(key, state string, wrong error) (*StoredCard, error) {
	c, ok := l.storedByPage[key]
	switch {
	case !ok:
		return nil, ErrNoCardPage
	case c.State != state:
		return c, wrong
	}
	return c, nil
}

// outcomeOf is the outcome of a request on page c (nil: no page).
func outcomeOf(c *StoredCard) CardOutcome {
	if c == nil {
		return CardOutcome{}
	}
	return CardOutcome{Card: *c}
}

// saveStored saves the card typed on c's page at now: its token, card id
// and hashes; l.mu is held.
func (l *Ledger) saveStored(c *StoredCard, now time.Time) {
	for c.Token == "" || l.cards[cardKey{c.MerchantID, c.Token}].Token != "" {
		tok := md5.Sum([]byte(l.gen.Salt()))
		c.Token = hex.EncodeToString(tok[:])
	}
	c.CardID = l.freeCardID(c.MerchantID, c.Token)
	c.Hash = redact.PAN(c.PAN)
	hh := md5.Sum([]byte(c.MerchantID + ":" + c.PAN))
	c.HHash = hex.EncodeToString(hh[:])
	c.State, c.SavedAt = CardSaved, now
	l.addCard(c.asCard())
	l.trackStored(c)
}

// UserCards lists the cards of merchantID's user saved and not removed,
// in the order they were saved.
func (l *Ledger) UserCards(merchantID, userID string) []StoredCard {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var out []StoredCard
	for _, c := range l.stored {
		if c.MerchantID == merchantID && c.UserID == userID && c.Saved() {
			out = append(out, *c)
		}
	}
	return out
}

// RemoveCard removes merchantID's user's saved card token at now: it is
// listed no more and reg2reg pays out to it no more. ErrUnknownCard for a
// token of no saved card of that user (another user's, one removed).
func (l *Ledger) RemoveCard(merchantID, userID, token string, now time.Time) (StoredCard, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.stored {
		if c.MerchantID == merchantID && c.Token == token && c.UserID == userID && c.Saved() {
			c.State, c.DeletedAt = CardRemoved, now
			delete(l.cards, cardKey{merchantID, token})
			delete(l.cardIDs, orderKey{merchantID, fixtures.FormatID(c.CardID)})
			l.trackStored(c)
			return *c, nil
		}
	}
	return StoredCard{}, ErrUnknownCard
}

// StoredCards returns every card-storage record, in the order added.
func (l *Ledger) StoredCards() []StoredCard {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.copyStored()
}

// ReadStoredCards is [Ledger.ReadPayouts] for card-storage records: f
// copies what it keeps of them.
func (l *Ledger) ReadStoredCards(f func([]*StoredCard)) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	f(l.stored)
}

func (l *Ledger) copyStored() []StoredCard {
	out := make([]StoredCard, len(l.stored))
	for i, c := range l.stored {
		out[i] = *c
	}
	return out
}

// RestoreStoredCards adds saved card-storage records, as [Ledger.Save]
// gave them, to a restored ledger. It fails on a record of a merchant
// the scenario lacks, or an id, page or token used twice;
// [CheckStoredCards] reports more.
func (l *Ledger) RestoreStoredCards(cards []StoredCard) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range cards {
		c := cards[i]
		switch {
		case l.merchants[c.MerchantID] == nil:
			return fmt.Errorf("stored card %d is of merchant %q, which the scenario does not have", c.PaymentID, c.MerchantID)
		case l.paymentIDTaken(c.PaymentID):
			return fmt.Errorf("payment id %d is used twice", c.PaymentID)
		case l.storedByPage[c.PageKey] != nil || l.payByPage[c.PageKey] != nil:
			return fmt.Errorf("stored card %d's page key is also another page's", c.PaymentID)
		case c.Saved() && l.cards[cardKey{c.MerchantID, c.Token}].Token != "":
			return fmt.Errorf("stored card %d's token is also another saved card's", c.PaymentID)
		}
		l.insertStored(&c)
	}
	return nil
}

// CheckStoredCards reports, at once, what in saved card-storage records
// [Ledger.RestoreStoredCards] would trust and must not. Each problem
// starts with the record's index and the field: "[3].State: …".
func CheckStoredCards(sc *scenario.Scenario, cards []StoredCard) []error {
	var errs []error
	add := func(i int, field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("[%d].%s: %s", i, field, fmt.Sprintf(format, args...)))
	}
	merchants := merchantIDs(sc)
	ids, pages := map[int64]int{}, map[string]int{}
	for i, c := range cards {
		if sc != nil && !merchants[c.MerchantID] {
			add(i, "MerchantID", "%q is not a merchant of the scenario", c.MerchantID)
		}
		if c.PaymentID <= 0 {
			add(i, "PaymentID", "%d is not a payment id (a positive number)", c.PaymentID)
		} else if j, dup := ids[c.PaymentID]; dup {
			add(i, "PaymentID", "%d is also [%d]'s", c.PaymentID, j)
		} else {
			ids[c.PaymentID] = i
		}
		if c.PageKey == "" {
			add(i, "PageKey", "is empty")
		} else if j, dup := pages[c.PageKey]; dup {
			add(i, "PageKey", "%q is also [%d]'s", c.PageKey, j)
		} else {
			pages[c.PageKey] = i
		}
		for _, link := range []struct{ field, url string }{{"PostLink", c.PostLink}, {"BackLink", c.BackLink}} {
			if why := wire.CallbackURLProblem(link.url); why != "" {
				add(i, link.field, "%q: %s", shorten(redact.URLs(link.url)), why)
			}
		}
		if c.CreatedAt.IsZero() {
			add(i, "CreatedAt", "is empty")
		}
		if !fixtures.IsUserID(c.UserID) {
			add(i, "UserID", "%q is not a user id: want 1 to 50 of a-z, A-Z, 0-9, _ and -", shorten(c.UserID))
		}
		if c.ExpMonth != "" && (len(c.ExpMonth) != 2 || c.ExpMonth < "01" || c.ExpMonth > "12" || !fixtures.IsDigits(c.ExpYear) || len(c.ExpYear) != 2 && len(c.ExpYear) != 4) {
			add(i, "ExpMonth", "%q/%q is not an expiry: want MM from 01 to 12 and a year of 2 or 4 digits", shorten(c.ExpMonth), shorten(c.ExpYear))
		}
		switch c.State {
		case CardPageOpen:
		case CardPage3DS, CardSaved, CardRemoved:
			if !fixtures.ValidPAN(c.PAN) && !isTestCard(c.PAN) {
				add(i, "PAN", "is not a card number")
			}
			if c.State != CardPage3DS && (c.Token == "" || c.CardID <= 0 || c.SavedAt.IsZero()) {
				add(i, "Token", "a saved card has a token, a card id and the time it was saved")
			}
		default:
			add(i, "State", "%q is not a state; want %q, %q, %q or %q", c.State, CardPageOpen, CardPage3DS, CardSaved, CardRemoved)
		}
	}
	return errs
}
