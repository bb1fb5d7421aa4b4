package notify

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// The callback kinds of payments (payments.md §5): the result notify,
// scheduled on a payment's timeline and retried, and the check request,
// sent once and waited for before the card is charged ([Scheduler.Call]).
const (
	ResultNotify = "result"
	CheckRequest = "check"
)

// PaymentCallbacks makes both from one ledger and the scenario's
// [payments].
type PaymentCallbacks struct {
	ledger   *ledger.Ledger
	gen      *fixtures.Gen
	settings scenario.PaymentSettings
	loc      *time.Location
}

// NewPaymentCallbacks returns the payment callbacks of a ledger.
func NewPaymentCallbacks(l *ledger.Ledger, gen *fixtures.Gen, settings scenario.PaymentSettings, loc *time.Location) *PaymentCallbacks {
	if loc == nil {
		loc = time.UTC
	}
	return &PaymentCallbacks{ledger: l, gen: gen, settings: settings, loc: loc}
}

// Kinds returns the result notify and the check request, for
// [Config].Kinds.
func (k *PaymentCallbacks) Kinds() []Kind {
	l, settings := k.ledger, k.settings
	return []Kind{
		{
			Name: ResultNotify,
			Words: Words{Callback: "result notify", Subject: "payment", URL: "result_url", Secret: "payment secret",
				Request: "init_payment", Act: "ship the order"},
			Subject: k.subject, Build: k.build, Drill: k.drill, Ack: k.resultAck, Retries: settings.Retries(),
			Timeout: settings.ResultTimeoutOr(), Retried: k.retried, Rejected: l.RejectPayment,
			Restored: k.restored,
		},
		{
			Name: CheckRequest,
			Words: Words{Callback: "check request", Subject: "payment", URL: "check_url", Secret: "payment secret",
				Request: "init_payment", Act: "let the payment go on"},
			Subject: func(id int64, t time.Time) (Subject, bool) {
				s, ok := k.subject(id, t)
				s.Steps, s.InForce, s.Drills = 0, -1, nil // sent by Call only, never scheduled
				return s, ok
			},
			Build:   func(int64, int, bool) (Callback, bool) { return Callback{}, false },
			Ack:     k.checkAck,
			Timeout: settings.CheckTimeoutOr(), Restored: k.restored,
		},
	}
}

func (k *PaymentCallbacks) subject(id int64, t time.Time) (Subject, bool) {
	p, ok := k.ledger.Payment(id)
	if !ok {
		return Subject{}, false
	}
	_, final := p.Final()
	return Subject{MerchantID: p.MerchantID, OrderID: p.OrderID, Revision: p.Revision, Steps: len(p.Timeline),
		InForce: ledger.InForce(p.Timeline, t), Final: final, Drills: p.Drills}, true
}

// build is the result notify of payment id reaching step i: pg_result 1
// for success, 0 for error and incomplete; other statuses send none.
func (k *PaymentCallbacks) build(id int64, i int, always bool) (Callback, bool) {
	p, ok := k.ledger.Payment(id)
	if !ok || i < 0 || i >= len(p.Timeline) {
		return Callback{}, false
	}
	step := p.Timeline[i]
	if !step.Notify && !always {
		return Callback{}, false
	}
	switch step.Status {
	case scenario.PaymentSuccess, scenario.PaymentError, scenario.PaymentIncomplete:
	default:
		return Callback{}, false
	}
	m, _ := k.ledger.Merchant(p.MerchantID)
	c := k.Result(p, step, m.SecretKey)
	if always && c.Fields.Value("pg_can_reject") == "1" {
		// A notify sent again (a resend) is a repeat: the merchant
		// answered the first, and may not reject any more (spec §5.1).
		c.Fields = k.sign(c.Fields.With("pg_can_reject", "0").Without("pg_salt").Without(sign.FieldSig), c.Delivery)
	}
	return c, true
}

// Result is the result notify of payment p reaching step (spec §5.1), the
// documented fields in order, signed with secret under the result URL's
// script name.
func (k *PaymentCallbacks) Result(p ledger.Payment, step ledger.Step, secret string) Callback {
	result, canReject := "1", "1"
	if step.Status != scenario.PaymentSuccess {
		result, canReject = "0", "0"
	}
	c := Callback{SubjectID: p.PaymentID, OrderID: p.OrderID, MerchantID: p.MerchantID, URL: p.ResultURL,
		Status: result, At: step.At, Delivery: k.delivery(p, p.ResultURL, secret)}
	amount := p.Amount.Fixed2()
	net := p.Net().Fixed2()
	captured := "0"
	if step.Status == scenario.PaymentSuccess && p.AutoClearing {
		captured = "1"
	}
	f := sign.Fields{
		{Name: "pg_order_id", Value: p.OrderID}, {Name: "pg_payment_id", Value: strconv.FormatInt(p.PaymentID, 10)},
		{Name: "pg_amount", Value: amount}, {Name: "pg_currency", Value: p.Currency},
		{Name: "pg_net_amount", Value: net}, {Name: "pg_ps_amount", Value: amount},
		{Name: "pg_ps_full_amount", Value: amount}, {Name: "pg_ps_currency", Value: p.Currency},
		{Name: "pg_description", Value: p.Description}, {Name: "pg_result", Value: result},
		{Name: "pg_payment_date", Value: step.At.In(k.loc).Format(PaymentDateLayout)},
		{Name: "pg_can_reject", Value: canReject},
	}
	if p.UserPhone != "" {
		f = append(f, sign.Field{Name: "pg_user_phone", Value: p.UserPhone})
	}
	if p.UserEmail != "" {
		f = append(f, sign.Field{Name: "pg_user_contact_email", Value: p.UserEmail})
	}
	f = append(f, sign.Field{Name: "pg_testing_mode", Value: boolDigit(p.TestingMode)}, sign.Field{Name: "pg_captured", Value: captured})
	card := p.CardPAN != "" && step.Status != scenario.PaymentIncomplete
	if card {
		f = append(f, sign.Field{Name: "pg_card_pan", Value: p.CardPAN})
	}
	if result == "0" {
		f = append(f, sign.Field{Name: "pg_failure_code", Value: strconv.Itoa(step.ErrorCode)},
			sign.Field{Name: "pg_failure_description", Value: wire.PaymentText(step.ErrorCode)})
	}
	if pr, ok := p.Profile(step.At); ok && step.Status == scenario.PaymentSuccess {
		// A recurring start's success: the profile's id, an extra of
		// §5.1, where the failure's extras go. Its expiry is documented
		// in make_recurring_payment.php's reply only.
		f = append(f, sign.Field{Name: "pg_recurring_profile_id", Value: strconv.FormatInt(pr.ID, 10)})
	}
	f = append(f, p.Params...)
	// Fields 23–28 of the documented order come after pg_salt and pg_sig
	// (sign puts those before them).
	f = append(f, sign.Field{Name: "pg_payment_method", Value: "bankcard"})
	if card {
		f = append(f, sign.Fields{{Name: "pg_card_exp", Value: p.CardExp},
			{Name: "pg_card_owner", Value: p.CardHolder}, {Name: "pg_card_brand", Value: p.CardBrand}}...)
	}
	c.Fields = k.sign(f, c.Delivery)
	return c
}

// afterSig are the result notify's fields 23–28 (spec §5.1), which the
// documented order puts after pg_salt and pg_sig.
var afterSig = map[string]bool{"pg_discount_percent": true, "pg_discount_amount": true, "pg_payment_method": true,
	"pg_card_exp": true, "pg_card_owner": true, "pg_card_brand": true}

// drill makes up the result notifies drills send (see Kind.Drill): a
// success claimed at t (forged, unsigned); the final result signed, then
// the amount inflated or a failure turned into pg_result=1 (tampered);
// another merchant's genuine result notify (replayed); a failure dated at
// the payment's creation, after the final result (out_of_order: a stale
// decline).
func (k *PaymentCallbacks) drill(id int64, drill string, t time.Time, url string) (Callback, bool) {
	p, ok := k.ledger.Payment(id)
	if !ok || len(p.Timeline) == 0 {
		return Callback{}, false
	}
	m, _ := k.ledger.Merchant(p.MerchantID)
	if url != "" {
		p.ResultURL = url
	}
	if p.ResultURL == "" {
		return Callback{}, false
	}
	var c Callback
	switch drill {
	case scenario.DrillOutOfOrder:
		c = k.Result(p, ledger.Step{At: p.CreatedAt, Status: scenario.PaymentError, ErrorCode: wire.CodeContactBank}, m.SecretKey)
	case scenario.DrillForged, scenario.DrillUnsigned:
		c = k.Result(p, ledger.Step{At: t, Status: scenario.PaymentSuccess}, m.SecretKey)
	case scenario.DrillTampered:
		last := p.Timeline[len(p.Timeline)-1]
		if last.Status != scenario.PaymentError && last.Status != scenario.PaymentIncomplete {
			last = ledger.Step{Status: scenario.PaymentSuccess}
		}
		last.At = t
		c = k.Result(p, last, m.SecretKey) // signed as the gateway would
		if last.Status == scenario.PaymentSuccess {
			c.Fields = c.Fields.With("pg_amount", (p.Amount * 100).Fixed2()) // the amount inflated
		} else {
			c.Fields = c.Fields.With("pg_result", "1") // a failure turned into a payment
		}
	case scenario.DrillReplayed:
		other, ok := k.otherMerchant(p.MerchantID)
		if !ok {
			return Callback{}, false
		}
		theirs := ledger.Payment{MerchantID: other.ID, OrderID: "replay-" + strconv.FormatInt(p.PaymentID, 10),
			PaymentID: k.gen.PaymentID(), Amount: p.Amount, Currency: p.Currency, Description: p.Description,
			CardPAN: p.CardPAN, CardBrand: p.CardBrand, CardExp: p.CardExp, AutoClearing: true, ResultURL: p.ResultURL}
		k.ledger.ReadPayments(func(all []*ledger.Payment) { // the first of theirs, copied alone
			for _, op := range all {
				if op.MerchantID == other.ID {
					theirs, theirs.ResultURL = op.Clone(), p.ResultURL
					return
				}
			}
		})
		c = k.Result(theirs, ledger.Step{At: t, Status: scenario.PaymentSuccess}, other.SecretKey)
		c.MerchantID, c.SubjectID, c.OrderID = p.MerchantID, p.PaymentID, p.OrderID
		c.Secret = m.SecretKey // the ack is read as this merchant's
	default:
		return Callback{}, false
	}
	c.Status = c.Fields.Value("pg_result")
	return c, true
}

// otherMerchant is the first merchant of the scenario but id.
func (k *PaymentCallbacks) otherMerchant(id string) (ledger.Merchant, bool) {
	for _, o := range k.ledger.MerchantIDs() {
		if o != id {
			return k.ledger.Merchant(o)
		}
	}
	return ledger.Merchant{}, false
}

// Check is the check request of payment p (spec §5.2) at t, to its check
// URL.
func (k *PaymentCallbacks) Check(p ledger.Payment, secret string, t time.Time) Callback {
	amount := p.Amount.Fixed2()
	c := Callback{SubjectID: p.PaymentID, OrderID: p.OrderID, MerchantID: p.MerchantID, URL: p.CheckURL,
		Status: "check", At: t, Delivery: k.delivery(p, p.CheckURL, secret)}
	f := sign.Fields{
		{Name: "pg_order_id", Value: p.OrderID}, {Name: "pg_payment_id", Value: strconv.FormatInt(p.PaymentID, 10)},
		{Name: "pg_amount", Value: amount}, {Name: "pg_currency", Value: p.Currency},
		{Name: "pg_ps_amount", Value: amount}, {Name: "pg_ps_currency", Value: p.Currency},
		{Name: "pg_ps_full_amount", Value: amount},
	}
	c.Fields = k.sign(append(f, p.Params...), c.Delivery)
	return c
}

// sign appends a fresh pg_salt and the pg_sig of fields.
func (k *PaymentCallbacks) sign(f sign.Fields, d Delivery) sign.Fields {
	tail := len(f) // the trailing fields of afterSig stay after pg_salt and pg_sig
	for tail > 0 && afterSig[f[tail-1].Name] {
		tail--
	}
	out := make(sign.Fields, 0, len(f)+2)
	out = append(out, f[:tail]...)
	out = append(out, sign.Field{Name: "pg_salt", Value: k.gen.Salt()})
	out = append(out, f[tail:]...)
	sig := sign.Sign(d.Script, out, d.Secret)
	out = append(out[:tail+1:tail+1], sign.Field{Name: sign.FieldSig, Value: sig})
	return append(out, f[tail:]...)
}

// delivery is how a payment's callback to url goes: signed under the URL's
// last segment, as pg_request_method says (else [payments] encoding).
func (k *PaymentCallbacks) delivery(p ledger.Payment, url, secret string) Delivery {
	return Delivery{Script: sign.ScriptName(url), Secret: secret, Encoding: PaymentEncoding(p.RequestMethod, k.settings.Encoding)}
}

// PaymentEncoding is the encoding of a payment's callbacks: pg_request_method
// GET, POST or XML, else the scenario's [payments] encoding.
func PaymentEncoding(method, fallback string) string {
	switch strings.ToUpper(method) {
	case "GET":
		return EncodingQuery
	case "XML":
		return scenario.EncodingXML
	case "POST":
		return scenario.EncodingURL
	}
	switch fallback {
	case "get":
		return EncodingQuery
	case "":
		return scenario.EncodingURL
	}
	return fallback
}

// retried is a result notify's retry n: pg_can_reject=0 (spec §5.1: after
// a failed first attempt the merchant may no longer reject), a fresh salt.
func (k *PaymentCallbacks) retried(c Callback, _ int) sign.Fields {
	f := c.Fields.With("pg_can_reject", "0")
	f = f.Without("pg_salt").Without(sign.FieldSig)
	return k.sign(f, c.Delivery)
}

// restored gives a saved payment callback its delivery: signed under its
// URL's script name with its merchant's payment secret.
func (k *PaymentCallbacks) restored(n Notification) (Delivery, error) {
	m, ok := k.ledger.Merchant(n.MerchantID)
	if !ok {
		return Delivery{}, fmt.Errorf("notification %d is of merchant %q, which the scenario does not have", n.ID, n.MerchantID)
	}
	enc := PaymentEncoding("", k.settings.Encoding)
	if p, ok := k.ledger.Payment(n.PaymentID); ok {
		enc = PaymentEncoding(p.RequestMethod, k.settings.Encoding)
	}
	return Delivery{Script: sign.ScriptName(n.URL), Secret: m.SecretKey, Encoding: enc}, nil
}

// resultAck reads a merchant's answer to a result notify (spec §5.1, open
// point 6): a signed <response> says ok, rejected (honoured only when the
// notify said pg_can_reject=1) or error; any other HTTP 200 answer is
// taken as ok when [payments] result_ack is lenient (the default), a
// failed attempt when strict.
func (k *PaymentCallbacks) resultAck(c Callback, body []byte) Answer {
	status, signed, reason := ReadReply(body, c.Script, c.Secret)
	if !signed {
		if k.settings.ResultAck == "strict" {
			return Answer{Ack: Refused, Reason: reason}
		}
		return Answer{Ack: Acknowledged, Reason: reason}
	}
	switch status {
	case "ok":
		return Answer{Ack: Acknowledged, Conforming: true}
	case "rejected":
		if c.Fields.Value("pg_can_reject") != "1" {
			return Answer{Ack: Acknowledged, Conforming: true,
				Reason: "rejected, but the notify said pg_can_reject=0: the payment stands"}
		}
		return Answer{Ack: Rejected, Conforming: true, Reason: "the merchant rejected the payment"}
	case "error":
		return Answer{Ack: Errored, Conforming: true, Reason: "the merchant answered pg_status=error"}
	}
	return Answer{Ack: Refused, Reason: fmt.Sprintf("pg_status %q is none of ok, rejected, error", wire.Shorten(status, 40))}
}

// checkAck reads a merchant's answer to a check request (spec §5.2): only a
// signed ok lets the payment go on ([payments] check_ack = "lenient": an
// unsigned ok too); rejected and error refuse it, as does anything else.
func (k *PaymentCallbacks) checkAck(c Callback, body []byte) Answer {
	status, signed, reason := ReadReply(body, c.Script, c.Secret)
	if !signed && !(k.settings.CheckAck == "lenient" && status == "ok") {
		return Answer{Ack: Refused, Reason: reason}
	}
	switch status {
	case "ok":
		return Answer{Ack: Acknowledged, Conforming: signed, Reason: reason}
	case "rejected":
		return Answer{Ack: Rejected, Conforming: true, Reason: "pg_status=rejected"}
	case "error":
		return Answer{Ack: Errored, Conforming: true, Reason: "pg_status=error"}
	}
	return Answer{Ack: Refused, Reason: fmt.Sprintf("pg_status %q is none of ok, rejected, error", wire.Shorten(status, 40))}
}

// ReplyDescription is the pg_description of a merchant's <response>, ""
// when it has none or is no <response>: what FreedomPay shows the payer
// of a payment the merchant rejected (spec §5.1).
func ReplyDescription(body string) string {
	fields, err := wire.DecodeXML([]byte(strings.TrimSpace(body)))
	if err != nil {
		return ""
	}
	return fields.Value("pg_description")
}

// ReadReply reads a merchant's <response> to a payment callback: its
// pg_status, whether it is signed under script with secret, and, when it
// is not, why.
func ReadReply(body []byte, script, secret string) (status string, signed bool, reason string) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return "", false, "HTTP 200 but empty body"
	}
	root, _, err := rootOf(trimmed)
	if err != nil || root != "response" {
		return "", false, fmt.Sprintf("HTTP 200 but not a <response>: %q", wire.Shorten(string(trimmed), 60))
	}
	fields, err := wire.DecodeXML(trimmed)
	if err != nil {
		return "", false, "HTTP 200 but the <response> does not parse"
	}
	status = fields.Value("pg_status")
	if _, ok := fields.Get(sign.FieldSig); !ok {
		return status, false, "<response> is not signed: pg_sig is missing"
	}
	if ex := sign.Explain(script, fields, secret); !ex.OK {
		return status, false, "signature of the reply does not verify: " + ex.String()
	}
	return status, true, ""
}

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
