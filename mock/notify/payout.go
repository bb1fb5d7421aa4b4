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

// payoutNotify is the payout notify (spec §6), the first kind: when a
// payout reaches a step of its timeline that notifies, a POST signed with
// the merchant's payout secret goes to the payout's post_link (else its
// merchant's), on the ladder and with the ack rule of the scenario's
// [notify].
type payoutNotify struct {
	ledger   *ledger.Ledger
	gen      *fixtures.Gen
	settings scenario.Notify
	loc      *time.Location
}

// newPayoutNotify is the payout notify of the scheduler cfg configures.
func newPayoutNotify(cfg Config) Kind {
	k := &payoutNotify{ledger: cfg.Ledger, gen: cfg.Gen, settings: cfg.Settings, loc: cfg.Location}
	retries := make([]time.Duration, len(cfg.Settings.Retries))
	for i, r := range cfg.Settings.Retries {
		retries[i] = r.Duration
	}
	return Kind{
		Name: PayoutNotify,
		Words: Words{Callback: "payout notify", Subject: "payout", URL: "post_link", Secret: "payout secret",
			Request: "create", Act: "pay out"},
		Subject: k.subject, Build: k.build, Drill: k.drill, Ack: k.ack,
		Retries: retries, Timeout: cfg.Settings.Timeout.Duration, Restored: k.restored,
	}
}

func (k *payoutNotify) subject(id int64, t time.Time) (Subject, bool) {
	p, ok := k.ledger.Payout(id)
	if !ok {
		return Subject{}, false
	}
	_, final := p.Final()
	return Subject{MerchantID: p.MerchantID, OrderID: p.OrderID, Revision: p.Revision, Steps: len(p.Timeline),
		InForce: ledger.InForce(p.Timeline, t), Final: final, Drills: p.Drills}, true
}

func (k *payoutNotify) build(id int64, i int, always bool) (Callback, bool) {
	p, ok := k.ledger.Payout(id)
	if !ok || i < 0 || i >= len(p.Timeline) {
		return Callback{}, false
	}
	step := p.Timeline[i]
	if !step.Notify && !always {
		return Callback{}, false
	}
	m, _ := k.ledger.MerchantAt(p.MerchantID, step.At)
	return k.callback(p, m, step, postLink(p, m)), true
}

func postLink(p ledger.Payout, m ledger.Merchant) string {
	if p.PostLink != "" {
		return p.PostLink
	}
	return m.PostLink
}

// callback makes the signed notify of payout p reaching step, to url; m is
// its merchant with the balance at that step.
func (k *payoutNotify) callback(p ledger.Payout, m ledger.Merchant, step ledger.Step, url string) Callback {
	status := step.Status // a process step sends "process" when it notifies
	switch step.Status {
	case scenario.StatusSuccess:
		status = "ok"
	case scenario.StatusError:
		status = "error"
	}
	c := Callback{
		SubjectID: p.PaymentID, OrderID: p.OrderID, MerchantID: m.ID, URL: url, Status: status, At: step.At,
		Delivery: Delivery{Script: k.settings.Script(url), Secret: m.PayoutSecretKey, Encoding: k.settings.Encoding},
	}
	c.Fields = sign.Fields{
		{Name: "pg_payment_id", Value: strconv.FormatInt(p.PaymentID, 10)},
		{Name: "pg_order_id", Value: p.OrderID},
	}
	if p.CardID != 0 {
		// Saved-card (reg2reg) payouts: the documented field list lacks
		// it; the official PHP payout SDK's reg2reg notify example has it,
		// before pg_card_hash.
		c.Fields = append(c.Fields, sign.Field{Name: "pg_card_id", Value: strconv.FormatInt(p.CardID, 10)})
	}
	if p.CardHash != "" { // IBAN payouts have no card
		c.Fields = append(c.Fields, sign.Field{Name: "pg_card_hash", Value: p.CardHash})
	}
	c.Fields = append(c.Fields, sign.Fields{
		{Name: "pg_status", Value: status},
		{Name: "pg_balance", Value: m.Balance.Fixed2()},
		{Name: "pg_payment_amount", Value: p.Amount.Fixed2()},
		{Name: "pg_to_pay", Value: p.ToPay.String()},
		{Name: "pg_merchant_id", Value: m.ID},
		{Name: "pg_payment_date", Value: step.At.In(k.loc).Format(PaymentDateLayout)},
		{Name: "pg_salt", Value: k.gen.Salt()},
	}...)
	c.Fields = append(c.Fields, sign.Field{Name: sign.FieldSig, Value: sign.Sign(c.Script, c.Fields, c.Secret)})
	return c
}

// drill makes up the payout notifies drills send (see Kind.Drill): a
// success claimed at t (forged, unsigned), the final status with the
// amount inflated or a failure turned into "ok" (tampered), another
// merchant's payout (replayed), the first status as "process"
// (out_of_order).
func (k *payoutNotify) drill(id int64, drill string, t time.Time, url string) (Callback, bool) {
	p, ok := k.ledger.Payout(id)
	if !ok || len(p.Timeline) == 0 {
		return Callback{}, false
	}
	if drill == scenario.DrillOutOfOrder {
		first := p.Timeline[0]
		m, _ := k.ledger.MerchantAt(p.MerchantID, first.At)
		first.Status = scenario.StatusProcess
		if url == "" {
			url = postLink(p, m)
		}
		return k.callback(p, m, first, url), true
	}
	m, _ := k.ledger.Merchant(p.MerchantID)
	if url == "" {
		url = postLink(p, m)
	}
	if url == "" {
		return Callback{}, false
	}
	claim := ledger.Step{At: t, Status: scenario.StatusSuccess}
	var c Callback
	switch drill {
	case scenario.DrillForged, scenario.DrillUnsigned:
		m, _ = k.ledger.MerchantAt(p.MerchantID, t)
		c = k.callback(p, m, claim, url)
	case scenario.DrillTampered:
		last := p.Timeline[len(p.Timeline)-1]
		claim.Status, claim.ErrorCode = last.Status, last.ErrorCode
		if claim.Status == scenario.StatusProcess {
			claim.Status = scenario.StatusSuccess
		}
		m, _ = k.ledger.MerchantAt(p.MerchantID, t)
		c = k.callback(p, m, claim, url) // signed as the gateway would
		if claim.Status == scenario.StatusError {
			c.Fields = c.Fields.With("pg_status", "ok") // a failure turned into a payout
		} else {
			c.Fields = c.Fields.With("pg_payment_amount", (p.Amount * 100).Fixed2()) // the amount inflated
		}
	case scenario.DrillReplayed:
		if c, ok = k.replayed(p, m, claim); !ok {
			return Callback{}, false
		}
		c.URL, c.Script, c.Secret = url, k.settings.Script(url), m.PayoutSecretKey
	default:
		return Callback{}, false
	}
	c.Status = c.Fields.Value("pg_status")
	return c, true
}

// replayed is a genuine notify of another merchant's payout, as sent to
// that merchant: the first other merchant's first payout, or one made up
// when it has none.
func (k *payoutNotify) replayed(p ledger.Payout, m ledger.Merchant, claim ledger.Step) (Callback, bool) {
	var other ledger.Merchant
	for _, id := range k.ledger.MerchantIDs() {
		if id != m.ID {
			other, _ = k.ledger.Merchant(id)
			break
		}
	}
	if other.ID == "" {
		return Callback{}, false // validation asks for a second merchant
	}
	theirs := ledger.Payout{MerchantID: other.ID, OrderID: "replay-" + strconv.FormatInt(p.PaymentID, 10),
		PaymentID: k.gen.PaymentID(), Amount: p.Amount, ToPay: p.ToPay, CardHash: p.CardHash}
	k.ledger.ReadPayouts(func(all []*ledger.Payout) { // the first of theirs, copied alone
		for _, op := range all {
			if op.MerchantID == other.ID {
				theirs = op.Clone()
				return
			}
		}
	})
	other.Balance, _ = k.ledger.Balance(other.ID, claim.At)
	return k.callback(theirs, other, claim, postLink(theirs, other)), true
}

// ack reads an answer as notify.ack says: a conforming ack (CheckAck) is
// acknowledged; any other HTTP 200 answer too when lenient, refused when
// strict.
func (k *payoutNotify) ack(c Callback, body []byte) Answer {
	conforming, reason := CheckAck(body, c.Script, c.Secret)
	if !conforming && k.settings.Ack == scenario.AckStrict {
		return Answer{Ack: Refused, Reason: reason}
	}
	return Answer{Ack: Acknowledged, Conforming: conforming, Reason: reason}
}

// restored gives a saved payout notify its script name (from its URL), its
// merchant's payout secret and the scenario's encoding.
func (k *payoutNotify) restored(n Notification) (Delivery, error) {
	m, ok := k.ledger.Merchant(n.MerchantID)
	if !ok {
		return Delivery{}, fmt.Errorf("notification %d is of merchant %q, which the scenario does not have", n.ID, n.MerchantID)
	}
	return Delivery{Script: k.settings.Script(n.URL), Secret: m.PayoutSecretKey, Encoding: k.settings.Encoding}, nil
}
