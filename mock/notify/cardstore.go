package notify

import (
	"fmt"
	"strconv"
	"time"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// CardSaved is the callback kind of card storage (payments.md §3.6): once
// a card is saved on a cardstorage/add page, FreedomPay posts its token to
// the add's post_link. Its subject is the add, named by the add reply's
// pg_payment_id; its one step is the card saved.
const CardSaved = "card"

// CardCallbacks makes the card-storage callback from a ledger and the
// scenario's [payments], whose encoding, retries, timeout and ack reading
// it shares with the result notify.
type CardCallbacks struct {
	ledger   *ledger.Ledger
	gen      *fixtures.Gen
	settings scenario.PaymentSettings
}

// NewCardCallbacks returns the card-storage callbacks of a ledger.
func NewCardCallbacks(l *ledger.Ledger, gen *fixtures.Gen, settings scenario.PaymentSettings) *CardCallbacks {
	return &CardCallbacks{ledger: l, gen: gen, settings: settings}
}

// Kind returns the card-storage callback, for [Config].Kinds.
func (k *CardCallbacks) Kind() Kind {
	pc := &PaymentCallbacks{settings: k.settings}
	return Kind{
		Name: CardSaved,
		Words: Words{Callback: "card-storage notify", Subject: "saved card", URL: "post_link", Secret: "payment secret",
			Request: "cardstorage/add", Act: "keep the card token"},
		Subject: k.subject, Build: k.build, Ack: pc.resultAck, Retries: k.settings.Retries(),
		Timeout: k.settings.ResultTimeoutOr(), Restored: k.restored,
	}
}

func (k *CardCallbacks) subject(id int64, t time.Time) (Subject, bool) {
	c, ok := k.ledger.StoredCardByID(id)
	if !ok {
		return Subject{}, false
	}
	s := Subject{MerchantID: c.MerchantID, InForce: -1}
	if !c.SavedAt.IsZero() {
		s.Steps, s.Final = 1, true
		if !t.Before(c.SavedAt) {
			s.InForce = 0
		}
	}
	return s, true
}

// build is the callback of add id's card saved (step 0), in the order
// FreedomPay's clients read it: pg_merchant_id, pg_user_id, pg_card_id,
// pg_card_token, pg_card_hash, pg_status (success), then pg_salt and
// pg_sig, signed with the payment secret under post_link's last segment.
func (k *CardCallbacks) build(id int64, i int, _ bool) (Callback, bool) {
	c, ok := k.ledger.StoredCardByID(id)
	if !ok || i != 0 || c.SavedAt.IsZero() {
		return Callback{}, false
	}
	m, _ := k.ledger.Merchant(c.MerchantID)
	cb := Callback{SubjectID: c.PaymentID, MerchantID: c.MerchantID, URL: c.PostLink, Status: "success", At: c.SavedAt,
		Delivery: Delivery{Script: sign.ScriptName(c.PostLink), Secret: m.SecretKey, Encoding: PaymentEncoding("", k.settings.Encoding)}}
	f := sign.Fields{
		{Name: "pg_merchant_id", Value: c.MerchantID},
		{Name: "pg_user_id", Value: c.UserID},
		{Name: "pg_card_id", Value: strconv.FormatInt(c.CardID, 10)},
		{Name: "pg_card_token", Value: c.Token},
		{Name: "pg_card_hash", Value: c.Hash},
		{Name: "pg_status", Value: "success"},
		{Name: "pg_salt", Value: k.gen.Salt()},
	}
	cb.Fields = append(f, sign.Field{Name: sign.FieldSig, Value: sign.Sign(cb.Script, f, cb.Secret)})
	return cb, true
}

// restored gives a saved card-storage callback its delivery.
func (k *CardCallbacks) restored(n Notification) (Delivery, error) {
	m, ok := k.ledger.Merchant(n.MerchantID)
	if !ok {
		return Delivery{}, fmt.Errorf("notification %d is of merchant %q, which the scenario does not have", n.ID, n.MerchantID)
	}
	return Delivery{Script: sign.ScriptName(n.URL), Secret: m.SecretKey, Encoding: PaymentEncoding("", k.settings.Encoding)}, nil
}
