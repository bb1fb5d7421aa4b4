package ledger

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/redact"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// Errors of [Ledger.Create], [Ledger.EnterCard] and [Ledger.SavedCard].
var (
	ErrUnknownMerchant = errors.New("unknown merchant")
	ErrDuplicateOrder  = errors.New("the merchant has already used this order id")
	ErrInsufficient    = errors.New("insufficient payout balance")
	ErrUnknownCard     = errors.New("unknown card token")
	ErrNoPage          = errors.New("no payout waits for a card on this page")
)

// InsufficientError is [ErrInsufficient] with the sums.
type InsufficientError struct {
	ToPay, Available money.Amount
	Currency         string
	DecidedBy        string // a test card or rule that refuses with 8888; "" for a real shortfall
}

func (e *InsufficientError) Error() string {
	if e.DecidedBy != "" {
		return "the " + e.DecidedBy + " answers as a shortfall does; no payout was made"
	}
	return fmt.Sprintf("%s to pay (amount + commission), %s available", e.ToPay.Fixed2()+" "+e.Currency, e.Available.Fixed2()+" "+e.Currency)
}

// Is makes errors.Is(err, ErrInsufficient) hold.
func (e *InsufficientError) Is(target error) bool { return target == ErrInsufficient }

// NewPayout is a payout asked for through the gateway.
type NewPayout struct {
	MerchantID string
	OrderID    string
	Method     string // the gateway script, e.g. "p2p2nonreg"
	Amount     money.Amount
	Card       string // the PAN paid to: matched by rules, kept only masked
	CardToken  string
	CardID     int64  // reg2reg: the saved card's id, for the notify's pg_card_id
	IBAN       string // the recipient's IBAN: matched by rules, kept masked
	UserID     string
	PostLink   string
	BackLink   string
	// AwaitCard makes a reg2nonreg payout: in process, without a timeline
	// beyond that, until [Ledger.EnterCard] gets the recipient's card.
	AwaitCard bool
}

// CreatedPayout is a payout just made, with what chose its timeline and the
// merchant's balance right after.
type CreatedPayout struct {
	Payout
	DecidedBy string
	Balance   money.Amount
}

// CreatePayout makes a payout at now: it checks that the order id is new for the
// merchant and that the balance covers amount plus commission, reserves
// that sum, and gives the payout its timeline.
func (l *Ledger) CreatePayout(np NewPayout, now time.Time) (CreatedPayout, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, ok := l.merchants[np.MerchantID]
	if !ok {
		return CreatedPayout{}, ErrUnknownMerchant
	}
	if _, dup := l.byOrder[orderKey{np.MerchantID, np.OrderID}]; dup {
		return CreatedPayout{}, ErrDuplicateOrder
	}
	toPay := np.Amount + a.PayoutCommission(np.Amount)
	if low := a.lowestFrom(now); toPay > low {
		return CreatedPayout{}, &InsufficientError{ToPay: toPay, Available: low, Currency: a.Currency}
	}
	var steps []scenario.Step
	var drills []string
	decided := "awaiting the recipient's card"
	if !np.AwaitCard {
		steps, decided, drills = l.outcome(Subject{MerchantID: np.MerchantID, OrderID: np.OrderID, Amount: np.Amount, Card: np.Card, IBAN: np.IBAN})
		// An 8888 at once is a refusal, as a real shortfall is: no payout,
		// the order id stays free.
		if first := steps[0]; first.At.Duration == 0 && first.Status == scenario.StatusError && first.ErrorCode == wire.CodeInsufficient {
			return CreatedPayout{}, &InsufficientError{ToPay: toPay, Available: a.balanceAt(now), Currency: a.Currency, DecidedBy: decided}
		}
	}
	p := &Payout{
		MerchantID: np.MerchantID, OrderID: np.OrderID, Method: np.Method,
		Amount: np.Amount, NetAmount: np.Amount, ToPay: toPay,
		CardToken: np.CardToken, CardID: np.CardID, UserID: np.UserID, PostLink: np.PostLink, BackLink: np.BackLink,
		CreatedAt: now, PaymentID: l.newPaymentID(), Reference: l.gen.Reference(), PageKey: l.gen.Salt(),
		Drills: drills,
	}
	if np.IBAN != "" {
		p.IBAN = redact.IBAN(np.IBAN)
	}
	if np.AwaitCard {
		p.AwaitingCard = true
		p.Timeline = []Step{{At: now, Status: scenario.StatusProcess}}
	} else {
		if np.Card != "" {
			p.CardHash = redact.PAN(np.Card)
		}
		p.Timeline = l.steps(now, steps)
		if slices.Contains(drills, scenario.DrillEarly) {
			// The gateway is done before it replies: every step now.
			for i := range p.Timeline {
				p.Timeline[i].At = now
			}
		}
	}
	l.insert(p)
	a.book(p)
	l.track(p)
	return CreatedPayout{Payout: p.clone(), DecidedBy: decided, Balance: a.balanceAt(now)}, nil
}

// EnterCard is the recipient entering a card on a reg2nonreg payout page at
// now: the payout's timeline is chosen and starts.
func (l *Ledger) EnterCard(pageKey, pan string, now time.Time) (CreatedPayout, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.byPage[pageKey]
	if !ok || !p.AwaitingCard {
		return CreatedPayout{}, ErrNoPage
	}
	a := l.merchants[p.MerchantID]
	p.AwaitingCard = false
	p.CardHash = redact.PAN(pan)
	steps, decided, drills := l.outcome(Subject{MerchantID: p.MerchantID, OrderID: p.OrderID, Amount: p.Amount, Card: pan})
	// The card comes through the payout page: no create reply to be early for.
	p.Drills = slices.DeleteFunc(drills, func(d string) bool { return d == scenario.DrillEarly })
	next := l.steps(now, steps)
	if next[0].Status == scenario.StatusProcess && !next[0].Notify {
		next = next[1:] // already in process since it was made
	}
	p.Timeline = append(p.Timeline, next...)
	a.release(p)
	l.track(p)
	return CreatedPayout{Payout: p.clone(), DecidedBy: decided, Balance: a.balanceAt(now)}, nil
}

// SavedCard finds a merchant's saved card by token or, as older SDKs send
// it, by card id. When the card belongs to a user, userID must be that user.
// The card's CardID is never 0: a card the scenario gives no card_id has
// the one the sandbox gave it.
func (l *Ledger) SavedCard(merchantID, token, cardID, userID string) (scenario.Card, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	c, ok := l.cards[cardKey{merchantID, token}]
	if token == "" {
		c, ok = l.cardIDs[orderKey{merchantID, cardID}]
	}
	if !ok || (c.UserID != "" && string(c.UserID) != userID) {
		return scenario.Card{}, ErrUnknownCard
	}
	return c, nil
}

// newPaymentID draws a payment id not in use; l.mu is held.
func (l *Ledger) newPaymentID() int64 {
	for {
		if id := l.gen.PaymentID(); !l.paymentIDTaken(id) {
			return id
		}
	}
}

// paymentIDTaken reports whether anything the ledger holds has payment id
// id; l.mu is held. Payment ids are one space, as FreedomPay's
// pg_payment_id is: payouts' today, payments' beside them, and the
// callback schedule names its subjects by them.
func (l *Ledger) paymentIDTaken(id int64) bool {
	_, taken := l.byID[id]
	_, paid := l.payByID[id]
	_, child := l.childIDs[id]
	_, stored := l.storedByID[id]
	return taken || paid || child || stored
}
