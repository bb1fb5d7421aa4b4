package ledger

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// Card is what the payer types on the payment page.
type Card struct {
	Number, Holder, ExpMonth, ExpYear, CVC string
}

// CardProblem is what is wrong with a card as the payer typed it: a kind,
// which the payment page says in the payer's language (mock/page), and
// String says in English. CardOK is no problem.
type CardProblem uint8

// The problems of a card as typed, in the order Problem looks for them.
const (
	CardOK           CardProblem = iota
	CardNumberLength             // not 13 to 19 digits
	CardNumberLuhn               // fails the Luhn check
	CardExpMonth                 // not 01 to 12
	CardExpYear                  // not two or four digits
	CardCVC                      // not 3 or 4 digits
	CardHolderLong               // over 100 characters
	CardHolderChars              // control characters, or not UTF-8
	cardProblems                 // how many there are, CardOK included
)

// cardProblemTexts are the problems in English, for the journal and the
// log; the page has its own words for each, in five languages.
var cardProblemTexts = [cardProblems]string{
	CardNumberLength: "the card number must be 13 to 19 digits",
	CardNumberLuhn:   "the card number fails the Luhn check: a typing error?",
	CardExpMonth:     "the expiry month must be 01 to 12",
	CardExpYear:      "the expiry year must be two or four digits",
	CardCVC:          "the CVC must be 3 or 4 digits",
	CardHolderLong:   "the card holder's name must be at most 100 characters",
	CardHolderChars:  "the card holder's name must be letters, spaces and punctuation, without control characters",
}

// String says the problem in English; "" for CardOK.
func (p CardProblem) String() string {
	if p >= cardProblems {
		return "card problem " + strconv.Itoa(int(p))
	}
	return cardProblemTexts[p]
}

// CardProblems are every problem a card may have, CardOK left out.
func CardProblems() []CardProblem {
	out := make([]CardProblem, 0, cardProblems-1)
	for p := CardOK + 1; p < cardProblems; p++ {
		out = append(out, p)
	}
	return out
}

// Problem says what is wrong with a card as typed; CardOK when nothing
// is. An expired card is no problem here: the issuer declines it (10017).
func (c Card) Problem() CardProblem {
	n := c.PAN()
	m, errM := strconv.Atoi(c.ExpMonth)
	switch {
	case len(n) < 13 || len(n) > 19 || !fixtures.IsDigits(n):
		return CardNumberLength
	case !fixtures.ValidPAN(n) && !isTestCard(n): // the older test cards 4400 4444 0000 444x are not Luhn-valid
		return CardNumberLuhn
	case errM != nil || m < 1 || m > 12:
		return CardExpMonth
	case (len(c.ExpYear) != 2 && len(c.ExpYear) != 4) || !fixtures.IsDigits(c.ExpYear):
		return CardExpYear
	case (len(c.CVC) != 3 && len(c.CVC) != 4) || !fixtures.IsDigits(c.CVC):
		return CardCVC
	case utf8.RuneCountInString(c.Holder) > 100:
		return CardHolderLong
	case !plainText(c.Holder):
		return CardHolderChars
	}
	return CardOK
}

// plainText reports whether s is UTF-8 without control characters or
// noncharacters: text every callback encoding carries as it is.
func plainText(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || r == 0xFFFE || r == 0xFFFF {
			return false
		}
	}
	return true
}

// PAN is the card number without spaces and dashes.
func (c Card) PAN() string {
	return strings.ReplaceAll(strings.ReplaceAll(c.Number, " ", ""), "-", "")
}

// expired reports whether the card's expiry month is over at now.
func (c Card) expired(now time.Time) bool {
	y, _ := strconv.Atoi(c.ExpYear)
	if y < 100 {
		y += 2000
	}
	m, _ := strconv.Atoi(c.ExpMonth)
	return time.Date(y, time.Month(m)+1, 1, 0, 0, 0, 0, time.UTC).Before(now) ||
		time.Date(y, time.Month(m)+1, 1, 0, 0, 0, 0, time.UTC).Equal(now)
}

// MaskPAN masks a card number as FreedomPay's payment callbacks show it:
// "4716-04XX-XXXX-1981".
func MaskPAN(pan string) string {
	if len(pan) < 10 {
		return strings.Repeat("X", len(pan))
	}
	return pan[:4] + "-" + pan[4:6] + "XX-XXXX-" + pan[len(pan)-4:]
}

// Brand is a card's brand as pg_card_brand gives it.
func Brand(pan string) string {
	switch {
	case strings.HasPrefix(pan, "4"):
		return "VI"
	case strings.HasPrefix(pan, "62"):
		return "UP"
	case len(pan) >= 2 && pan[0] == '5' && pan[1] >= '1' && pan[1] <= '5', strings.HasPrefix(pan, "2"):
		return "MC"
	}
	return ""
}

// PaymentTestCard is one of the documented payment test cards (payments.md
// §7) and what the sandbox does with it.
type PaymentTestCard struct {
	Number    string
	ThreeDS   bool
	ErrorCode int // 0: authorised
	Outcome   string
	// Operations are what the card refuses after the charge: an
	// operation (scenario.OpCapture, OpCancel, OpRefund) and the code its request
	// answers (payments.md §7: "not available" → cancel 10012, clearing
	// and refund 10019; a refund "impossible", as the card takes no
	// clearing, → 10034).
	Operations map[string]int `json:",omitempty"`
}

// PaymentTestCards lists the payment test cards, the documented ones first,
// then an older list's aliases.
func PaymentTestCards() []PaymentTestCard {
	ok := func(n string, threeDS bool) PaymentTestCard {
		o := "success"
		if threeDS {
			o = "success after 3-D Secure"
		}
		return PaymentTestCard{Number: n, ThreeDS: threeDS, Outcome: o}
	}
	no := func(n string, code int) PaymentTestCard {
		return PaymentTestCard{Number: n, ErrorCode: code, Outcome: fmt.Sprintf("declined %d", code)}
	}
	refuses := func(c PaymentTestCard, ops ...any) PaymentTestCard {
		c.Operations = map[string]int{}
		for i := 0; i < len(ops); i += 2 {
			c.Operations[ops[i].(string)] = ops[i+1].(int)
		}
		return c
	}
	return []PaymentTestCard{
		refuses(ok("4716047261941981", false), scenario.OpCancel, wire.CodeCancelRefused),
		refuses(ok("4916307416334310", true), scenario.OpCancel, wire.CodeCancelRefused, scenario.OpRefund, wire.CodeNotAvailable),
		refuses(ok("5367654276102126", true), scenario.OpCapture, wire.CodeNotAvailable, scenario.OpRefund, wire.CodeRefundNeedsHold),
		refuses(ok("4939770956154989", false), scenario.OpCapture, wire.CodeNotAvailable, scenario.OpRefund, wire.CodeRefundNeedsHold),
		no("5335215945367703", wire.CodeContactBank), no("4916109830832246", wire.CodeInsufficientPM),
		no("5548398681700148", wire.Code3DSFailed), no("5475102935853613", wire.CodeCardExpired),
		ok("6224466455690681278", false), ok("623275279933273424", false), ok("62528733472390953", false),
		ok("4400444400004440", false), ok("5555555555555599", false),
		no("4400444400004441", wire.CodeUnavailable), no("4400444400004443", wire.CodeInsufficientPM),
	}
}

// isTestCard reports whether pan is one of PaymentTestCards.
func isTestCard(pan string) bool {
	for _, c := range PaymentTestCards() {
		if c.Number == pan {
			return true
		}
	}
	return false
}

// Charge is a card sent on a payment's page: the payment as it is after,
// and whether the issuer's 3DS page must be answered first.
type Charge struct {
	Payment Payment
	ThreeDS bool
	// From is the index in the timeline of the first step the charge
	// added: the steps from it on are to be scheduled.
	From int
}

// StartCharge is the payer sending card c on page key at now: the outcome
// is decided (a payment rule, a test card, else success) and, unless the
// card goes through 3-D Secure first, placed on the timeline.
func (l *Ledger) StartCharge(key string, c Card, now time.Time) (Charge, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, err := l.open(key, now)
	if err != nil {
		return Charge{}, err
	}
	pan := c.PAN()
	p.CardPAN, p.CardBrand, p.CardHolder = MaskPAN(pan), Brand(pan), strings.ToUpper(strings.TrimSpace(c.Holder))
	p.CardExp = fmt.Sprintf("%02s/%s", c.ExpMonth, c.ExpYear[len(c.ExpYear)-2:])
	if p.RecurringMonths > 0 {
		p.ProfileCard = pan // for the rules that decide its charges; never shown
	}
	steps, threeDS, decided, drills := l.paymentOutcome(p, pan)
	p.Operations = l.operations(p, pan)
	if c.expired(now) {
		steps, threeDS, decided = []scenario.Step{{Status: scenario.PaymentError, ErrorCode: wire.CodeCardExpired}}, false, "the card's expiry date"
	}
	p.DecidedBy, p.Drills = decided, drills
	if threeDS {
		p.AwaitingACS = true
		p.PendingOutcome = pendingOf(steps)
		l.trackPayment(p)
		return Charge{Payment: p.clone(), ThreeDS: true, From: len(p.Timeline)}, nil
	}
	return l.place(p, steps, now), nil
}

// AnswerACS is the payer's answer on the issuer's 3DS page at now: confirm
// places the decided outcome, fail declines the payment (10004).
func (l *Ledger) AnswerACS(key string, confirm bool, now time.Time) (Charge, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.payByPage[key]
	switch {
	case !ok:
		return Charge{}, ErrNoPayment
	case !p.AwaitingACS:
		return Charge{}, ErrNoACS
	case !now.Before(p.ExpiresAt):
		return Charge{}, ErrExpired // too late: the lifetime's end (incomplete, 10018) stands
	}
	if s, _ := p.StatusAt(now); s.Status != scenario.PaymentPending {
		return Charge{}, ErrNoACS
	}
	p.AwaitingACS = false
	steps := stepsOf(p.PendingOutcome)
	p.PendingOutcome = nil
	if !confirm {
		steps = []scenario.Step{{Status: scenario.PaymentError, ErrorCode: wire.Code3DSFailed}}
		p.DecidedBy = "the 3-D Secure page (Fail)"
	}
	return l.place(p, steps, now), nil
}

// RuleDrills are the drills of the payment rule that decides a payment of
// page key paid with card c, if one does.
func (l *Ledger) RuleDrills(key string, c Card) []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	p, ok := l.payByPage[key]
	if !ok {
		return nil
	}
	_, _, _, drills := l.paymentOutcome(p, c.PAN())
	return drills
}

// Refuse fails a payment at now without charging it, for reason (cause:
// the same, as the payer is told it): the merchant's check request refused
// it (drills: the rule's, when a drill made the refusal). No result notify
// follows: the merchant has said no already.
func (l *Ledger) Refuse(key, reason, cause string, drills []string, now time.Time) (Payment, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, err := l.open(key, now)
	if err != nil {
		return Payment{}, err
	}
	p.Refusal, p.RefusalCause, p.DecidedBy, p.Drills = reason, cause, "the check request", drills
	l.retime(p, now, []Step{{At: now, Status: scenario.PaymentError, ErrorCode: wire.CodeUnavailable}}, false)
	p.CardPAN = MaskPAN("0000000000000000") // the page takes no other card
	return p.clone(), nil
}

// place puts the outcome steps on p's timeline from now; l.mu is held.
func (l *Ledger) place(p *Payment, steps []scenario.Step, now time.Time) Charge {
	next := make([]Step, 0, len(steps))
	for _, s := range steps {
		st := Step{At: now.Add(s.At.Duration), Status: s.Status, ErrorCode: s.ErrorCode}
		st.Notify = s.Status == scenario.PaymentSuccess || s.Status == scenario.PaymentError
		if s.Notify != nil {
			st.Notify = *s.Notify
		}
		if st.Status == scenario.PaymentError && st.ErrorCode == 0 {
			st.ErrorCode = wire.CodeContactBank
		}
		next = append(next, st)
	}
	from := 0
	for _, s := range p.Timeline {
		if !s.At.After(now) {
			from++
		}
	}
	l.retime(p, now, next, false)
	return Charge{Payment: p.clone(), From: from}
}

// paymentOutcome decides what paying p with pan does: the first payment
// rule that matches, else a test card, else success without 3DS.
func (l *Ledger) paymentOutcome(p *Payment, pan string) ([]scenario.Step, bool, string, []string) {
	s := Subject{MerchantID: p.MerchantID, OrderID: p.OrderID, Amount: p.Amount, Card: pan}
	for i, r := range l.rules {
		if r.IsPayment() && matches(r.Match, s) {
			steps := r.Timeline
			if len(steps) == 0 {
				steps = []scenario.Step{{Status: scenario.PaymentSuccess}}
			}
			return steps, r.ThreeDS, ByRule + " " + strconv.Itoa(i), append([]string(nil), r.Drills...)
		}
	}
	var every []string // [drills] every is the payouts'; a payment's drills come from its rule
	for _, c := range PaymentTestCards() {
		if c.Number == pan {
			st := scenario.Step{Status: scenario.PaymentSuccess}
			if c.ErrorCode != 0 {
				st = scenario.Step{Status: scenario.PaymentError, ErrorCode: c.ErrorCode}
			}
			return []scenario.Step{st}, c.ThreeDS, ByTestCard, every
		}
	}
	return []scenario.Step{{Status: scenario.PaymentSuccess}}, p.ThreeDSChallenge, ByDefault, every
}

// operations are what paying p with pan refuses after the charge: the
// test card's refusals (payments.md §7), and over them the first
// matching payment rule's operations.
func (l *Ledger) operations(p *Payment, pan string) map[string]int {
	var out map[string]int
	set := func(op string, code int) {
		if out == nil {
			out = map[string]int{}
		}
		out[op] = code
	}
	for _, c := range PaymentTestCards() {
		if c.Number == pan {
			for op, code := range c.Operations {
				set(op, code)
			}
			break
		}
	}
	s := Subject{MerchantID: p.MerchantID, OrderID: p.OrderID, Amount: p.Amount, Card: pan}
	for _, r := range l.rules {
		if r.IsPayment() && matches(r.Match, s) {
			for op, code := range r.Operations {
				if code == 0 {
					delete(out, op) // 0: the operation goes through
					continue
				}
				set(op, code)
			}
			break
		}
	}
	return out
}

// RejectPayment revokes payment id at t: its merchant rejected the result
// notify of its success while it could (pg_can_reject=1).
func (l *Ledger) RejectPayment(id int64, t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.payByID[id]
	if !ok {
		return
	}
	if s, ok := p.StatusAt(t); !ok || s.Status != scenario.PaymentSuccess {
		return
	}
	l.retime(p, t, []Step{{At: t, Status: scenario.PaymentRevoked}}, false)
}

// ForcePayment ends payment id's timeline at now with status (success,
// error with errorCode, incomplete or revoked), as the control API forces
// it; its page takes no card after. It returns the payment and the index
// of the new step. A status or error code it does not set is ErrRefused
// (an error code goes with error only, as with Force); a timeline that
// holds MaxSteps steps up to now is ErrTooManySteps.
func (l *Ledger) ForcePayment(id int64, status string, errorCode int, now time.Time) (Payment, int, error) {
	st := Step{At: now, Status: status, ErrorCode: errorCode}
	switch status {
	case scenario.PaymentSuccess, scenario.PaymentIncomplete, scenario.PaymentRevoked:
		if errorCode != 0 {
			return Payment{}, 0, refusef("error_code %d goes with status \"error\", not %q", errorCode, status)
		}
		st.Notify = status != scenario.PaymentRevoked
		if status == scenario.PaymentIncomplete {
			st.ErrorCode = wire.CodeLifetimeOver
		}
	case scenario.PaymentError:
		if st.ErrorCode == 0 {
			st.ErrorCode = wire.CodeContactBank
		}
		if !wire.IsPaymentError(st.ErrorCode) {
			return Payment{}, 0, refusef("error_code %d: want one of %v", errorCode, wire.PaymentErrorCodes())
		}
		st.Notify = true
	default:
		return Payment{}, 0, refusef("status %q: want success, error, incomplete or revoked", status)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.payByID[id]
	if !ok {
		return Payment{}, 0, ErrNoPayment
	}
	if n := pastSteps(p.Timeline, now); n >= MaxSteps {
		return Payment{}, 0, full{"payment", n}
	}
	p.AwaitingACS, p.PendingOutcome, p.DecidedBy = false, nil, "the control API"
	l.retime(p, now, []Step{st}, false)
	return p.clone(), len(p.Timeline) - 1, nil
}
