package sandbox

import (
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/redact"
	"github.com/freedompay-mock/freedompay-mock/mock/routes"
)

// Payout is a payout as both APIs show it: its status now and
// its timeline with each step placed in the past, present or future.
type Payout struct {
	PaymentID    int64      `json:"payment_id"`
	OrderID      string     `json:"order_id"`
	MerchantID   string     `json:"merchant_id"`
	Method       string     `json:"method"`
	Amount       string     `json:"amount"`
	NetAmount    string     `json:"net_amount"`
	ToPay        string     `json:"to_pay"`
	CardHash     string     `json:"card_hash,omitempty"`
	CardToken    string     `json:"card_token,omitempty"`
	IBAN         string     `json:"iban,omitempty"`
	PostLink     string     `json:"post_link,omitempty"`
	Status       string     `json:"status"` // process, success, error, or "not started"
	ErrorCode    int        `json:"error_code,omitempty"`
	Since        *time.Time `json:"since,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	AwaitingCard bool       `json:"awaiting_card,omitempty"`
	PagePath     string     `json:"page_path,omitempty"` // the payout page, while it waits for a card
	Timeline     []Step     `json:"timeline"`
	Revision     int        `json:"revision,omitempty"` // timeline changes through this API
	Drills       []string   `json:"drills,omitempty"`   // the scenario's drills for it

	Notifications []notify.Notification `json:"notifications,omitempty"`
}

type Step struct {
	At        time.Time `json:"at"`
	Status    string    `json:"status"`
	ErrorCode int       `json:"error_code,omitempty"`
	Notify    bool      `json:"notify"`
	When      string    `json:"when"` // past, current or future
}

// NotStarted is the status shown for a payout the scenario starts later.
const NotStarted = "not started"

// ViewOf is p as shown at now, without its notifications: its post_link's
// password masked (redact.URLs).
func ViewOf(p ledger.Payout, now time.Time) Payout {
	v := Payout{
		PaymentID: p.PaymentID, OrderID: p.OrderID, MerchantID: p.MerchantID, Method: p.Method,
		Amount: p.Amount.Fixed2(), NetAmount: p.NetAmount.Fixed2(), ToPay: p.ToPay.Fixed2(),
		CardHash: p.CardHash, CardToken: p.CardToken, IBAN: p.IBAN, PostLink: redact.URLs(p.PostLink),
		Status: NotStarted, CreatedAt: p.CreatedAt, AwaitingCard: p.AwaitingCard, Revision: p.Revision,
		Timeline: []Step{}, Drills: p.Drills,
	}
	if p.AwaitingCard {
		v.PagePath = routes.PayoutPage + p.PageKey
	}
	cur, ok := p.StatusAt(now)
	if ok {
		v.Status, v.ErrorCode = cur.Status, cur.ErrorCode
		at := cur.At
		v.Since = &at
	}
	v.Timeline = placed(p.Timeline, now)
	return v
}
