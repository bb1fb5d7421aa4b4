package notify

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// Verdict is a drill's verdict on how the merchant answered.
type Verdict struct {
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// oneShot reports whether a drill's callback gets one attempt and no
// retries: the extra callbacks a drill sends, not a genuine one it delays
// or marks.
func oneShot(drill string) bool {
	return drill == scenario.DrillDuplicate || drill == scenario.DrillOutOfOrder || scenario.Hostile(drill)
}

// drillStep applies the drills of subject sub to n, the callback just made
// for its step i, and returns n if it goes out now (nil when a drill sends
// it later, or never). Only the final step's callback is drilled.
func (s *Scheduler) drillStep(sub Subject, i int, n *Notification) *Notification {
	if !sub.Final || i != sub.Steps-1 {
		return n
	}
	has := func(d string) bool { return slices.Contains(sub.Drills, d) }
	if has(scenario.DrillDuplicate) || has(scenario.DrillOutOfOrder) {
		s.mu.Lock()
		n.followUps = true
		s.changed(n)
		s.mu.Unlock()
	}
	switch {
	case has(scenario.DrillLost):
		s.mu.Lock()
		n.Drill, n.State = scenario.DrillLost, StateWithheld
		delete(s.pending, n.ID)
		s.changed(n)
		s.mu.Unlock()
		s.cfg.OnChange()
		return nil
	case has(scenario.DrillLate):
		due := n.CreatedAt.Add(s.cfg.Drills.LateBy.Duration)
		s.mu.Lock()
		n.Drill, n.NextAttemptAt = scenario.DrillLate, &due
		s.changed(n)
		s.push(event{due: due, paymentID: n.PaymentID, merchant: n.MerchantID, step: -1, note: n, kind: n.kind})
		s.mu.Unlock()
		s.poke()
		return nil
	case has(scenario.DrillEarly):
		s.mu.Lock()
		n.Drill = scenario.DrillEarly
		s.changed(n)
		s.mu.Unlock()
	}
	return n
}

// followUp sends what the drills of n's subject send after its final
// callback is delivered: the same callback again (duplicate), then the
// callback of its first, earlier status (out_of_order). Each subject's
// follow-ups go once.
func (s *Scheduler) followUp(n *Notification, r *run) {
	k := s.kinds[n.kind]
	now := s.cfg.Clock.Now()
	sub, ok := k.Subject(n.PaymentID, now)
	if !ok || len(sub.Drills) == 0 {
		return
	}
	s.mu.Lock()
	done := s.followed[n.PaymentID]
	s.followed[n.PaymentID] = true
	s.mu.Unlock()
	if done {
		return
	}
	if slices.Contains(sub.Drills, scenario.DrillDuplicate) {
		dup := &Notification{ // what it copies never changes once sent
			Kind: n.Kind, PaymentID: n.PaymentID, OrderID: n.OrderID, MerchantID: n.MerchantID, URL: n.URL, Status: n.Status,
			State: StatePending, CreatedAt: now, Fields: n.Fields, Drill: scenario.DrillDuplicate, Of: n.ID,
			once: true, kind: n.kind, script: n.script, secret: n.secret, encoding: n.encoding, attempted: make(chan struct{}),
		}
		s.keep(dup)
		s.enqueue(dup, r)
	}
	if slices.Contains(sub.Drills, scenario.DrillOutOfOrder) && k.Drill != nil {
		if c, ok := k.Drill(n.PaymentID, scenario.DrillOutOfOrder, now, n.URL); ok {
			stale := s.note(n.kind, c)
			stale.Drill, stale.Of, stale.once, stale.CreatedAt = scenario.DrillOutOfOrder, n.ID, true, now
			s.keep(stale)
			s.enqueue(stale, r)
		}
	}
}

// hostile makes and sends a hostile drill's callback to its subject's URL.
// Each claims what a merchant must not believe: a payout paid out that is
// not (forged, unsigned), a changed amount or status (tampered), another
// merchant's payout (replayed). Its kind makes it up (Kind.Drill); forged
// and unsigned ones are spoilt here, alike for every kind.
func (s *Scheduler) hostile(e event, r *run) {
	k := s.kinds[e.kind]
	if k.Drill == nil {
		return
	}
	sub, ok := k.Subject(e.paymentID, e.due)
	if !ok || sub.Revision != e.rev || sub.Steps == 0 {
		return
	}
	c, ok := k.Drill(e.paymentID, e.drill, e.due, "")
	if !ok {
		return
	}
	n := s.note(e.kind, c)
	switch e.drill {
	case scenario.DrillForged:
		n.Fields = resign(n.Fields, n.script, "forged-"+s.cfg.Gen.Salt())
	case scenario.DrillUnsigned:
		n.Fields = n.Fields.Without(sign.FieldSig)
	}
	n.PaymentID, n.OrderID, n.MerchantID = e.paymentID, sub.OrderID, sub.MerchantID
	n.Drill, n.once, n.CreatedAt = e.drill, true, e.due
	s.keep(n)
	s.enqueue(n, r)
}

func resign(fields sign.Fields, script, secret string) sign.Fields {
	out := fields.Without(sign.FieldSig)
	return append(out, sign.Field{Name: sign.FieldSig, Value: sign.Sign(script, out, secret)})
}

// judge gives a drill's verdict on attempt a of n. The answer is read as
// the merchant means it (see readAnswer): a hostile callback passes when it
// is refused; any other drill's callback when it is accepted and
// delivered. The verdict speaks in the words of n's kind.
func (s *Scheduler) judge(n *Notification, a Attempt) {
	if n.Drill == "" || n.Drill == scenario.DrillLost {
		return
	}
	w := s.kinds[n.kind].Words
	r := readAnswer(a)
	var v *Verdict
	switch d := n.Drill; {
	case scenario.Hostile(d):
		if !r.accepts {
			v = &Verdict{true, fmt.Sprintf("merchant refused the %s %s: %s", d, w.Callback, r)}
		} else {
			v = &Verdict{false, fmt.Sprintf("merchant accepted %s %s %s: it answered %s; %s", article(d), d, w.Callback, r, hostileAdvice(d, w))}
		}
	case d == scenario.DrillDuplicate:
		if ok, why := acked(a, r); ok {
			v = &Verdict{true, "merchant acknowledged the duplicate as it did the first: " + why}
		} else {
			v = &Verdict{false, "merchant did not acknowledge the duplicate notify, though it did the first: " + why +
				"; the same notify may come twice: acknowledge it again, and do not " + w.Act + " twice"}
		}
	case d == scenario.DrillOutOfOrder:
		if ok, why := acked(a, r); ok {
			v = &Verdict{true, fmt.Sprintf("merchant acknowledged a stale %q notify that came after the final one: %s", n.Status, why)}
		} else {
			v = &Verdict{false, fmt.Sprintf("merchant did not acknowledge a stale %q notify, sent after the final one: %s", n.Status, why) +
				"; acknowledge it, and keep the " + w.Subject + "'s final status"}
		}
	case d == scenario.DrillEarly && a.N == 1:
		if ok, why := acked(a, r); ok {
			v = &Verdict{true, "merchant acknowledged the notify that came before the " + w.Request + " reply: " + why}
		} else {
			v = &Verdict{false, "merchant did not acknowledge a notify that came before the " + w.Request + " reply: " + why +
				"; record the order before sending the " + w.Request + " request, so an early notify finds it"}
		}
	case d == scenario.DrillLate && a.Delivered:
		if ok, why := acked(a, r); ok {
			v = &Verdict{true, "merchant acknowledged the notify that came after the status API already said final: " + why}
		} else {
			v = &Verdict{false, "merchant did not acknowledge the notify that came after the status API already said final: " + why +
				"; acknowledge a notify even when its " + w.Subject + " is known to be final"}
		}
	case d == scenario.DrillLate && n.State == StateFailed:
		_, why := acked(a, r)
		v = &Verdict{false, "merchant never acknowledged the late notify; last answer: " + why}
	default:
		return
	}
	s.mu.Lock()
	n.Verdict = v
	s.changed(n)
	s.mu.Unlock()
}

// acked reports whether attempt a acknowledged a notify the merchant is to
// take: its answer accepts, and the attempt is delivered (HTTP 200, and a
// conforming ack with notify.ack = "strict"); and the answer in words.
func acked(a Attempt, r reading) (bool, string) {
	if r.accepts && !a.Delivered {
		why := cmp.Or(a.Reason, a.Error)
		if a.HTTPStatus != http.StatusOK {
			why = "a notify is delivered by HTTP 200 only"
		}
		return false, fmt.Sprintf("%s, but the attempt is not delivered: %s", r, why)
	}
	return r.accepts, r.String()
}

func article(word string) string {
	if strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

func hostileAdvice(drill string, w Words) string {
	switch drill {
	case scenario.DrillForged:
		return "check pg_sig with your " + w.Secret + " and refuse a notify whose signature does not verify"
	case scenario.DrillTampered:
		return "a field was changed after signing: check pg_sig over every field received"
	case scenario.DrillUnsigned:
		return "refuse a notify without pg_sig"
	case scenario.DrillReplayed:
		if w.Subject == "payment" { // a result notify carries no pg_merchant_id (spec §5.1)
			return "it is another merchant's notify: check the signature with your own " + w.Secret + " and that pg_payment_id and pg_order_id are yours"
		}
		return "it is another merchant's notify: check pg_merchant_id and the signature with your own " + w.Secret
	}
	return ""
}

// The rules a drill's verdict names: how a merchant's answer to a notify
// reads, as the merchant means it. An answer refuses when it is not 2xx or
// when its body is anything but an ok acknowledgement. The official PHP
// SDK's example receiver answers a notify whose signature fails with HTTP
// 200 and the body "sig invalid": that refuses, as its author means it.
const (
	ruleNoAnswer = "no answer counts as refusing"
	ruleStatus   = "an HTTP status other than 2xx refuses"
	ruleEmpty    = "an empty body accepts"
	ruleBareOK   = "a bare ok accepts"
	ruleAck      = "an ok acknowledgement accepts"
	ruleAckNotOK = "an acknowledgement whose pg_status is not ok refuses"
	ruleOther    = "a body other than an ok acknowledgement refuses"
	ruleCut      = "a body over 2 KiB refuses unless it is a conforming acknowledgement"
	ruleCutAck   = "a body over 2 KiB that is a conforming acknowledgement accepts"
)

// maxQuoted is how much of an answer's body a verdict quotes.
const maxQuoted = 80

// reading is a merchant's answer to a notify as a drill's verdict reads it.
type reading struct {
	accepts bool
	shown   string // the answer: HTTP status and body, shortened
	rule    string // the rule that decided
}

// String quotes the answer and names the rule that decided.
func (r reading) String() string { return r.shown + " — " + r.rule }

// readAnswer reads attempt a's answer: classifyAnswer on the body the
// attempt kept (its first 2 KiB). A body longer than that is read whole
// only by CheckAck, when the attempt was made: such a body accepts when
// CheckAck found it a conforming ack, and refuses otherwise (an ack is a few
// hundred bytes).
func readAnswer(a Attempt) reading {
	if a.HTTPStatus == 0 {
		return reading{false, "no answer (" + a.Error + ")", ruleNoAnswer}
	}
	body := strings.TrimSpace(a.Answer)
	r := reading{shown: fmt.Sprintf("HTTP %d, empty body", a.HTTPStatus)}
	if body != "" {
		r.shown = fmt.Sprintf("HTTP %d, body %q", a.HTTPStatus, wire.Shorten(strings.Join(strings.Fields(body), " "), maxQuoted))
	}
	// The kept body is cut when it is at the bound and ends in the mark
	// wire.Shorten leaves; a body that ends so uncut is no ack either.
	cut := len(a.Answer) >= maxShownAnswer && strings.HasSuffix(a.Answer, "…")
	switch r.accepts, r.rule = classifyAnswer(a.HTTPStatus, a.Answer); {
	case !r.accepts && cut && a.Conforming:
		r.accepts, r.rule = true, ruleCutAck
	case !r.accepts && cut && r.rule != ruleStatus:
		r.rule = ruleCut
	}
	return r
}

// classifyAnswer reports whether an answer with HTTP status status and body
// body accepts a notify, and the rule that decides. It accepts when the
// status is 2xx and the body, surrounding white space ignored, is empty, a
// bare "ok" in any case, the docs' <pg_status>ok</pg_status> or the SDK's
// <response> with pg_status ok (its own signature unchecked: the merchant
// said ok); it refuses anything else: another status, a pg_status other
// than ok ("error", "rejected"), and every other text, JSON and HTML
// included. XML is read as CheckAck reads it, so that a conforming ack
// always accepts: text around the root element is passed over. The body is
// at most the 2 KiB an attempt keeps, and rootOf walks it within an ack's
// bounds before DecodeXML reads it.
func classifyAnswer(status int, body string) (accepts bool, rule string) {
	if status < 200 || status > 299 {
		return false, ruleStatus
	}
	t := strings.TrimSpace(body)
	switch {
	case t == "":
		return true, ruleEmpty
	case strings.EqualFold(t, "ok"):
		return true, ruleBareOK
	case t[0] == '{' || t[0] == '[':
		return false, ruleOther // JSON, whatever it holds
	}
	root, text, err := rootOf([]byte(t))
	if err != nil {
		return false, ruleOther
	}
	var st string
	switch root {
	case "pg_status":
		st = text
	case "response":
		fields, err := wire.DecodeXML([]byte(t))
		if err != nil {
			return false, ruleOther
		}
		var ok bool
		if st, ok = fields.Get("pg_status"); !ok {
			return false, ruleOther
		}
	default:
		return false, ruleOther // HTML, another XML root
	}
	if strings.EqualFold(strings.TrimSpace(st), "ok") {
		return true, ruleAck
	}
	return false, ruleAckNotOK
}

// Early delivers what is due now, the notify of payout p (made with the
// drill "early", its timeline all at its creation) among it, and returns
// after that notify's first attempt, or when ctx ends. Any kind's subject
// with the drill "early" goes the same way: only p.PaymentID counts.
//
// It takes its turn with RunAt: an advance under way has counted what
// is due at its moment, and an early dispatch between would take events
// from it that it then would not wait for.
func (s *Scheduler) Early(ctx context.Context, p ledger.Payout) {
	s.runMu.Lock()
	s.dispatch(s.cfg.Clock.Now(), nil)
	s.runMu.Unlock()
	s.mu.Lock()
	var n *Notification
	for _, x := range s.pending {
		if x.PaymentID == p.PaymentID && x.Drill == scenario.DrillEarly {
			n = x
		}
	}
	s.mu.Unlock()
	if n == nil {
		return // sent already, or nothing to send
	}
	select {
	case <-n.attempted:
	case <-ctx.Done():
	}
}

// Extra reports whether n is a callback a drill sent besides its subject's
// genuine ones (a duplicate, a stale or a hostile one).
func (n Notification) Extra() bool { return oneShot(n.Drill) }
