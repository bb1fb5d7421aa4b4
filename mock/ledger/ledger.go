// Package ledger is the sandbox's state: merchants with their secrets and
// balances, saved cards, and payouts with the timelines that decide their
// status at any moment. It also decides the timeline of a payout made
// through the gateway (scenario rules, then test cards, then the default).
// It knows nothing of HTTP.
package ledger

import (
	"hash/fnv"
	"slices"
	"sync"
	"time"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/redact"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// Merchant is a merchant account.
type Merchant struct {
	ID              string
	SecretKey       string // payments
	PayoutSecretKey string // payouts
	// Balance is the payout balance: the opening balance in the ledger's
	// accounts; in copies handed out, the balance at the moment asked about.
	Balance           money.Amount
	Currency          string
	PostLink          string
	CommissionPercent float64
	CommissionFixed   money.Amount
	// PaymentCommissionPercent is what FreedomPay keeps of a payment.
	PaymentCommissionPercent float64
	// Payments: the merchant's callback and redirect URLs, and whether its
	// payments are captured on authorisation (scenario.Merchant).
	CheckURL, ResultURL, SuccessURL, FailureURL string
	AutoClearing                                bool

	redactor *redact.Redactor // of SecretKey and PayoutSecretKey, made once
}

// Redactor masks the merchant's two secrets (and card numbers) in what is
// shown; the ledger's merchants carry one made once, for every request.
func (m *Merchant) Redactor() *redact.Redactor {
	if m.redactor == nil {
		return redact.New(m.SecretKey, m.PayoutSecretKey)
	}
	return m.redactor
}

// PayoutCommission is what a payout of amount costs the merchant on top of it.
func (m Merchant) PayoutCommission(amount money.Amount) money.Amount {
	pct := money.Amount(float64(amount)*m.CommissionPercent/100 + 0.5) // half up, in tiyn
	return pct + m.CommissionFixed
}

// PaymentCommission is what FreedomPay keeps of a payment of amount
// (half up, in tiyn): pg_net_amount is amount less it.
func (m Merchant) PaymentCommission(amount money.Amount) money.Amount {
	return money.Amount(float64(amount)*m.PaymentCommissionPercent/100 + 0.5)
}

// Step is a point of a payout's timeline, at an absolute time.
type Step struct {
	At        time.Time
	Status    string // scenario.StatusProcess, StatusSuccess or StatusError
	ErrorCode int    // for StatusError
	Notify    bool   // reaching the step sends a payout notify
}

// Payout is one payout and its timeline.
type Payout struct {
	MerchantID string
	OrderID    string
	PaymentID  int64
	Method     string // how it was made: "scenario" or the gateway script, e.g. "p2p2nonreg"
	Amount     money.Amount
	NetAmount  money.Amount
	ToPay      money.Amount // amount + commission: what the merchant's balance pays
	CardHash   string       // masked PAN, "440564-XX-XXXX-6150"; empty for IBAN payouts
	CardToken  string       // reg2reg: the saved card's token
	IBAN       string       // IBAN payouts: the recipient's IBAN, masked
	Reference  string       // bank reference (RRN)
	UserID     string
	PostLink   string // callback URL; the merchant's when empty
	BackLink   string // reg2nonreg: where the payout page sends the recipient back
	CreatedAt  time.Time
	// CardID is a reg2reg payout's saved card id, sent in its notifies as
	// pg_card_id: the scenario's card_id, or the one the sandbox gives a
	// card without one. 0 for other payouts.
	CardID int64 `json:",omitempty"`
	// AwaitingCard is true for a reg2nonreg payout whose recipient has not
	// entered a card yet.
	AwaitingCard bool
	// PageKey names the payout's page on the gateway, where a reg2nonreg
	// recipient enters the card; gateway-made payouts have one.
	PageKey  string
	Timeline []Step // ascending; the first step is when the payout appears
	// Revision counts the changes of the timeline through the control API.
	Revision int
	// Drills are the scenario's drills for this payout (scenario.DrillNames).
	Drills []string `json:",omitempty"`
}

// MethodScenario marks payouts that come from the scenario file.
const MethodScenario = "scenario"

// StatusAt returns the timeline step in force at t. It reports false before
// the first step: the payout does not exist yet.
func (p Payout) StatusAt(t time.Time) (Step, bool) { return stepAt(p.Timeline, t) }

// InForce is the index of the step of an ascending timeline in force at t;
// -1 before the first.
func InForce(tl []Step, t time.Time) int {
	in := -1
	for i, s := range tl {
		if s.At.After(t) {
			break
		}
		in = i
	}
	return in
}

// stepAt is the step of a timeline in force at t; false before the first.
func stepAt(tl []Step, t time.Time) (Step, bool) {
	if i := InForce(tl, t); i >= 0 {
		return tl[i], true
	}
	return Step{}, false
}

// Final returns the payout's last step when it ends the timeline in success
// or error.
func (p Payout) Final() (Step, bool) {
	if len(p.Timeline) == 0 {
		return Step{}, false
	}
	s := p.Timeline[len(p.Timeline)-1]
	return s, s.Status == scenario.StatusSuccess || s.Status == scenario.StatusError
}

type orderKey struct{ merchant, order string }

type cardKey struct{ merchant, token string }

// Ledger holds merchants, saved cards and payouts. It is safe for
// concurrent use and hands out copies.
type Ledger struct {
	gen          *fixtures.Gen
	rules        []scenario.Rule
	every        []string // [drills] every
	defaultDelay time.Duration
	errorsNotify bool // failed payouts send a notify (notify.errors)
	// creditPayments credits captured payments to the payout balance
	// ([payments] credit_payout_balance).
	creditPayments bool

	mu        sync.RWMutex
	merchants map[string]*account
	cards     map[cardKey]scenario.Card
	cardIDs   map[orderKey]scenario.Card // merchant, strconv(card_id)
	payouts   []*Payout
	byID      map[int64]*Payout
	byOrder   map[orderKey]*Payout
	byPage    map[string]*Payout
	// Payments, by payment id, by merchant and order id (the last made),
	// by page key and by idempotency key.
	payments   []*Payment
	payByID    map[int64]*Payment
	payByOrder map[orderKey]*Payment
	payByPage  map[string]*Payment
	// childIDs holds the ids a payment's refunds and cancel were given,
	// each with its payment: one id space with the payments' own.
	childIDs    map[int64]*Payment
	idem        map[orderKey]*Payment
	refundIdem  map[orderKey]*Payment // by a refund's idempotency key, the payment it refunded
	payCount    map[string]int        // payments by merchant
	maxPayments int
	// Card storage: every add, by payment id and by page key.
	stored       []*StoredCard
	storedByID   map[int64]*StoredCard
	storedByPage map[string]*StoredCard
	maxCards     int
	delta        tracker // changes since the last TakeDelta
}

// New builds the ledger of a validated scenario. Timelines count from origin;
// payment ids and cards the scenario leaves out come from gen, in file order.
func New(sc *scenario.Scenario, gen *fixtures.Gen, origin time.Time) *Ledger {
	l := accounts(sc, gen)
	taken := map[int64]bool{}
	for _, p := range sc.Payouts {
		taken[p.PaymentID] = true
	}
	for _, p := range sc.Payments {
		taken[p.PaymentID] = true
	}
	for _, sp := range sc.Payouts {
		l.addPayout(sp, origin, taken)
	}
	for _, sp := range sc.Payments {
		l.addScenarioPayment(sp, origin, taken)
	}
	return l
}

// accounts builds a ledger with sc's merchants, cards and rules, and no
// payouts.
func accounts(sc *scenario.Scenario, gen *fixtures.Gen) *Ledger {
	l := &Ledger{
		gen: gen, rules: sc.Rules, every: sc.Drills.Every, defaultDelay: sc.PayoutSettings.Delay(),
		errorsNotify: sc.Notify.ErrorsOn(), creditPayments: sc.PaymentSettings.CreditPayoutBalance,
		merchants: map[string]*account{}, cards: map[cardKey]scenario.Card{}, cardIDs: map[orderKey]scenario.Card{},
		byID: map[int64]*Payout{}, byOrder: map[orderKey]*Payout{}, byPage: map[string]*Payout{},
		payByID: map[int64]*Payment{}, payByOrder: map[orderKey]*Payment{}, payByPage: map[string]*Payment{}, childIDs: map[int64]*Payment{}, idem: map[orderKey]*Payment{}, refundIdem: map[orderKey]*Payment{}, payCount: map[string]int{}, maxPayments: DefaultMaxPayments,
		storedByID: map[int64]*StoredCard{}, storedByPage: map[string]*StoredCard{}, maxCards: DefaultMaxCards,
	}
	if l.defaultDelay < 0 { // a scenario built in Go, not validated
		l.defaultDelay = scenario.DefaultDelay
	}
	for _, m := range sc.Merchants {
		l.addMerchant(m)
	}
	l.addCards(sc.Cards)
	return l
}

func (l *Ledger) addMerchant(m scenario.Merchant) {
	bal, _ := money.FromFloat(m.Balance) // validated
	fixed, _ := money.FromFloat(m.CommissionFixed)
	l.merchants[string(m.ID)] = &account{Merchant: Merchant{
		ID: string(m.ID), SecretKey: m.SecretKey, PayoutSecretKey: m.PayoutSecretKey,
		Balance: bal, Currency: m.Currency, PostLink: m.PostLink,
		CommissionPercent: m.CommissionPercent, CommissionFixed: fixed, PaymentCommissionPercent: m.PaymentCommissionPercent,
		CheckURL: m.CheckURL, ResultURL: m.ResultURL, SuccessURL: m.SuccessURL, FailureURL: m.FailureURL,
		AutoClearing: m.AutoClearingOn(),
		redactor:     redact.New(m.SecretKey, m.PayoutSecretKey),
	}}
}

// addCards adds saved cards: first those the scenario gives a card_id,
// then the others, each with an id none of its merchant's cards has
// ([Ledger.freeCardID]), so that every saved card can be named by
// pg_card_id_to and its payouts' notifies carry a pg_card_id.
func (l *Ledger) addCards(cards []scenario.Card) {
	for _, c := range cards {
		if c.CardID > 0 {
			l.addCard(c)
		}
	}
	for _, c := range cards {
		if c.CardID <= 0 { // validated: 0, card_id left out
			c.CardID = l.freeCardID(string(c.MerchantID), c.Token)
			l.addCard(c)
		}
	}
}

func (l *Ledger) addCard(c scenario.Card) {
	l.cards[cardKey{string(c.MerchantID), c.Token}] = c
	l.cardIDs[orderKey{string(c.MerchantID), fixtures.FormatID(c.CardID)}] = c
}

// The ids the sandbox gives saved cards the scenario gives none: seven
// digits, as the official PHP payout SDK's reg2reg notify example shows
// (pg_card_id 1234567).
const (
	firstGivenCardID int64 = 1_000_000
	givenCardIDs     int64 = 9_000_000
)

// freeCardID is the id the sandbox gives merchantID's card token when the
// scenario gives it none: drawn from a hash of the two, not from the
// seeded generator, so that it is the same on every start of the same
// scenario (a resumed state's payouts agree with the cards rebuilt from
// the scenario) and drawing it moves no other generated value; the next
// free one when another card of the merchant has it.
func (l *Ledger) freeCardID(merchantID, token string) int64 {
	h := fnv.New64a()
	h.Write([]byte(merchantID))
	h.Write([]byte{0})
	h.Write([]byte(token))
	id := firstGivenCardID + int64(h.Sum64()%uint64(givenCardIDs))
	for {
		if _, taken := l.cardIDs[orderKey{merchantID, fixtures.FormatID(id)}]; !taken {
			return id
		}
		id = firstGivenCardID + (id-firstGivenCardID+1)%givenCardIDs
	}
}

// addPayout adds a payout of the scenario, its timeline counted from
// origin. taken holds the payment ids in use or reserved by the scenario; a
// generated id is added to it.
func (l *Ledger) addPayout(sp scenario.Payout, origin time.Time, taken map[int64]bool) {
	gen := l.gen
	a := l.merchants[string(sp.MerchantID)]
	p := &Payout{MerchantID: string(sp.MerchantID), OrderID: string(sp.OrderID), PaymentID: sp.PaymentID,
		Method: MethodScenario, PostLink: sp.PostLink, CreatedAt: origin}
	for p.PaymentID == 0 || (sp.PaymentID == 0 && taken[p.PaymentID]) {
		p.PaymentID = gen.PaymentID()
	}
	taken[p.PaymentID] = true
	p.Amount, _ = money.FromFloat(sp.Amount)
	p.NetAmount = p.Amount
	commission := a.PayoutCommission(p.Amount)
	if sp.Commission != nil {
		commission, _ = money.FromFloat(*sp.Commission)
	}
	p.ToPay = p.Amount + commission
	if sp.NetAmount != nil {
		p.NetAmount, _ = money.FromFloat(*sp.NetAmount)
	}
	card := sp.Card
	if card == "" {
		card = gen.CardNumber()
	}
	p.CardHash = redact.PAN(card)
	p.Timeline = l.steps(origin, sp.Timeline)
	p.Drills = scenario.DrillsOf(l.every, sp.Drills, false)
	l.insert(p)
	a.book(p)
}

// steps places a scenario timeline at origin.
func (l *Ledger) steps(origin time.Time, steps []scenario.Step) []Step {
	out := make([]Step, 0, len(steps))
	for _, s := range steps {
		out = append(out, Step{
			At: origin.Add(s.At.Duration), Status: s.Status, ErrorCode: s.ErrorCode,
			Notify: s.Notifies(l.errorsNotify),
		})
	}
	return out
}

func (l *Ledger) insert(p *Payout) {
	l.payouts = append(l.payouts, p)
	l.byID[p.PaymentID] = p
	l.byOrder[orderKey{p.MerchantID, p.OrderID}] = p
	if p.PageKey != "" {
		l.byPage[p.PageKey] = p
	}
}

// Merchant returns the merchant with the given id; its Balance is the
// opening balance.
func (l *Ledger) Merchant(id string) (Merchant, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	a, ok := l.merchants[id]
	if !ok {
		return Merchant{}, false
	}
	return a.Merchant, true
}

// Balance returns a merchant's payout balance at t: the opening balance
// less what payouts that exist at t have reserved or paid, with failed
// payouts given back.
func (l *Ledger) Balance(merchantID string, t time.Time) (money.Amount, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	a, ok := l.merchants[merchantID]
	if !ok {
		return 0, false
	}
	return a.balanceAt(t), true
}

// PayoutByID returns merchantID's payout with the given payment id.
func (l *Ledger) PayoutByID(merchantID string, paymentID int64) (Payout, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	p, ok := l.merchantPayout(merchantID, paymentID)
	if !ok {
		return Payout{}, false
	}
	return p.clone(), true
}

// merchantPayout is merchantID's payout with the given payment id: another
// merchant's is not found. l.mu is held.
func (l *Ledger) merchantPayout(merchantID string, paymentID int64) (*Payout, bool) {
	p, ok := l.byID[paymentID]
	return p, ok && p.MerchantID == merchantID
}

// PayoutStatus is what a status request reads of a payout: its ids, its
// amounts and the step of its timeline in force at a moment, copied under
// the ledger's lock without the timeline itself.
type PayoutStatus struct {
	MerchantID, OrderID string
	PaymentID           int64
	Amount, NetAmount   money.Amount
	Step                Step
	// Started is false before the timeline's first step: the payout does
	// not exist yet.
	Started bool
}

func (p *Payout) statusAt(t time.Time) PayoutStatus {
	step, started := stepAt(p.Timeline, t)
	return PayoutStatus{MerchantID: p.MerchantID, OrderID: p.OrderID, PaymentID: p.PaymentID,
		Amount: p.Amount, NetAmount: p.NetAmount, Step: step, Started: started}
}

// PayoutStatusByID is [Ledger.PayoutByID] as a status request reads it: the
// payout's status at t, without a copy of its timeline.
func (l *Ledger) PayoutStatusByID(merchantID string, paymentID int64, t time.Time) (PayoutStatus, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	p, ok := l.merchantPayout(merchantID, paymentID)
	if !ok {
		return PayoutStatus{}, false
	}
	return p.statusAt(t), true
}

// PayoutStatusByOrder is [Ledger.PayoutByOrder] as a status request reads
// it: the payout's status at t, without a copy of its timeline.
func (l *Ledger) PayoutStatusByOrder(merchantID, orderID string, t time.Time) (PayoutStatus, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	p, ok := l.byOrder[orderKey{merchantID, orderID}]
	if !ok {
		return PayoutStatus{}, false
	}
	return p.statusAt(t), true
}

// Payout returns the payout with the given payment id, whatever its merchant.
func (l *Ledger) Payout(paymentID int64) (Payout, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	p, ok := l.byID[paymentID]
	if !ok {
		return Payout{}, false
	}
	return p.clone(), true
}

// PayoutByOrder returns merchantID's payout with the given order id.
func (l *Ledger) PayoutByOrder(merchantID, orderID string) (Payout, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	p, ok := l.byOrder[orderKey{merchantID, orderID}]
	if !ok {
		return Payout{}, false
	}
	return p.clone(), true
}

// PayoutByPage returns the payout whose payout page has the given key.
func (l *Ledger) PayoutByPage(key string) (Payout, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	p, ok := l.byPage[key]
	if !ok {
		return Payout{}, false
	}
	return p.clone(), true
}

// MerchantAt returns the merchant with the given id as it is at t: its
// Balance is the balance at t ([Ledger.Balance]), as a callback telling of
// that moment shows it.
func (l *Ledger) MerchantAt(id string, t time.Time) (Merchant, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	a, ok := l.merchants[id]
	if !ok {
		return Merchant{}, false
	}
	m := a.Merchant
	m.Balance = a.balanceAt(t)
	return m, true
}

// Payouts returns every payout: the scenario's in file order, then the
// ones made through the gateway as they came.
func (l *Ledger) Payouts() []Payout {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.copyPayouts()
}

// ReadPayouts calls f with every payout, in the order they were made,
// under the ledger's read lock: f only reads them, keeps nothing of them
// but a [Payout.Clone], and calls nothing of the ledger's. A list then
// copies the payouts it shows, not every payout (a scenario may hold
// 100 000).
func (l *Ledger) ReadPayouts(f func([]*Payout)) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	f(l.payouts)
}

// Clone is a copy of the payout that may be kept: its timeline its own,
// its drills (never changed in place) shared.
func (p *Payout) Clone() Payout { return p.clone() }

// copyPayouts copies every payout; l.mu is held.
func (l *Ledger) copyPayouts() []Payout {
	out := make([]Payout, len(l.payouts))
	for i, p := range l.payouts {
		out[i] = p.clone()
	}
	return out
}

func (p *Payout) clone() Payout {
	c := *p
	c.Timeline = append([]Step(nil), p.Timeline...)
	c.Drills = slices.Clip(p.Drills)
	return c
}
