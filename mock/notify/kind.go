package notify

import (
	"errors"
	"fmt"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// Kind is a kind of signed callback: the payout notify today (the first
// kind, [PayoutNotify]), FreedomPay's result notify and check request with
// payments. A kind says what its callbacks carry and where they go, how a
// merchant's answer to one reads and when a failed one is tried again; the
// scheduler does the rest alike for every kind: the schedule, delivery,
// retries, the attempt log and the merchants' histories, drills and their
// verdicts, and the saved state with its deltas.
//
// A kind's subjects (payouts, payments) are named by their payment id: one
// space for every kind, as FreedomPay's pg_payment_id is. The scheduler
// calls the funcs without its lock; Build, Drill and Retried in the order
// the schedule falls due, so that what they draw from the seeded
// generator comes out the same on every run.
type Kind struct {
	// Name names the kind in a saved state and in the JSON of its
	// notifications ("kind"). The payout notify's is "", so that its
	// notifications and saved states read as they did before kinds.
	Name string
	// Words name the kind's things in logs, reasons and drill verdicts.
	Words Words
	// Subject returns subject id as the schedule sees it at t, false when
	// the kind has no such subject (any more).
	Subject func(id int64, t time.Time) (Subject, bool)
	// Build returns the callback subject id sends on reaching step i of
	// its timeline, signed; false when that step sends none. With always
	// it returns the callback the step would send even when it sends none
	// (a resend of a status in force); false then only when subject id
	// has no step i.
	Build func(id int64, i int, always bool) (Callback, bool)
	// Drill returns the callback a drill makes up for subject id at t,
	// false when the kind makes none for that drill (then it sends
	// nothing): for scenario.DrillForged and DrillUnsigned, a success
	// signed as the gateway would sign it (the scheduler then spoils the
	// signature); for DrillTampered, its final status signed and then
	// changed; for DrillReplayed, another merchant's genuine callback,
	// signed with that merchant's secret; for DrillOutOfOrder, its first,
	// earlier status. It goes to url when that is not "" (a stale callback
	// follows the final one there), else to the subject's own URL. Nil:
	// the kind's subjects get only the drills that make nothing up
	// (duplicate, late, lost, early).
	Drill func(id int64, drill string, t time.Time, url string) (Callback, bool)
	// Ack reads a merchant's HTTP 200 answer to callback c, as c's attempt
	// sent it. Any other HTTP status, or no answer, is a failed attempt.
	Ack func(c Callback, body []byte) Answer
	// Retries are the waits before each retry of a callback whose attempt
	// failed, each counted from that attempt; see [Every]. None: one
	// attempt only.
	Retries []time.Duration
	// Timeout cuts one attempt, in wall time; it must be positive (0 cuts
	// every attempt at once).
	Timeout time.Duration
	// Retried, when not nil, gives the fields attempt n (2 for the first
	// retry) of callback c sends, c as its last attempt sent it: a result
	// notify's retries say pg_can_reject=0, with a fresh salt. Nil: a retry
	// sends the fields of the first attempt. It is called when the retry
	// falls due.
	Retried func(c Callback, n int) sign.Fields
	// Rejected, when not nil, is told that the merchant rejected subject
	// id at t: Ack read a genuine callback's answer as [Rejected] (a
	// drill's made-up callbacks never tell it). It runs with the gate
	// held, so that the change it makes is saved with the attempt.
	Rejected func(id int64, t time.Time)
	// Restored gives a notification read from a saved state what its
	// delivery needs and the state does not keep.
	Restored func(n Notification) (Delivery, error)
}

// PayoutNotify is the name of the payout notify, the first kind.
const PayoutNotify = ""

// Words are what a kind's logs, reasons and verdicts call its things: the
// payout notify's are "payout notify", "payout", "post_link", "payout
// secret", "create" and "pay out".
type Words struct {
	Callback string // the callback: "payout notify"
	Subject  string // what it is about: "payout"
	URL      string // the field that gives its URL: "post_link"
	Secret   string // the secret it is signed with: "payout secret"
	Request  string // the request whose reply an early callback beats: "create"
	Act      string // what the merchant does once per subject, however many callbacks say so: "pay out"
}

// Subject is what the schedule needs to know of a kind's subject, a payout
// or a payment.
type Subject struct {
	MerchantID string
	OrderID    string
	// Revision counts the changes of its timeline: a step scheduled from
	// another revision is let go when it falls due.
	Revision int
	Steps    int  // the length of its timeline
	InForce  int  // the step in force at the moment asked about; -1 before the first
	Final    bool // its last step is final (success or error): the step whose callback drills act on
	Drills   []string
}

// Delivery is how a callback goes out and how its answer is checked,
// beyond what its notification's JSON keeps.
type Delivery struct {
	// Script is the script name the callback and the merchant's answer
	// are signed under: the last segment of its URL, as a rule.
	Script string
	Secret string
	// Encoding of the callback: scenario.EncodingURL ("" too),
	// EncodingMultipart or EncodingXML for a POST, [EncodingQuery] for a
	// GET.
	Encoding string
}

// EncodingQuery sends a callback as a GET with its fields in the URL's
// query, after the query the URL has (pg_request_method=GET).
const EncodingQuery = "query"

// Callback is one callback as its kind makes it: what it says, of which
// subject, and where and how it goes.
type Callback struct {
	SubjectID  int64 // the payout's or payment's pg_payment_id
	OrderID    string
	MerchantID string
	// URL is where it goes; "" fails it at once, saying that neither the
	// subject nor its merchant has one.
	URL string
	// Status is what it says of its subject, in a word (pg_status ok,
	// error, process; pg_result 1, 0), as its notification shows it.
	Status string
	At     time.Time   // the moment it tells of: its notification's creation
	Fields sign.Fields // signed: pg_salt and pg_sig included
	// Drill names the drill the callback is part of, if one is: a check
	// request whose answer drill slow holds back.
	Drill string
	Delivery
}

// Ack is how a kind reads a merchant's HTTP 200 answer.
type Ack string

// The readings of an answer. The attempt is delivered but when it is
// refused, and only a refused attempt is retried; rejected and error are
// kept as the attempt's Outcome.
const (
	// Acknowledged: the merchant took the callback.
	Acknowledged Ack = "acknowledged"
	// Refused: the answer is not one the kind takes (notify.ack =
	// "strict" and not a documented ack): a failed attempt.
	Refused Ack = "refused"
	// Rejected: the merchant refuses the subject, and the kind lets it (a
	// result notify's pg_status=rejected with pg_can_reject=1).
	Rejected Ack = "rejected"
	// Errored: the merchant says it could not take the callback in
	// (pg_status=error), and the kind takes that as its answer.
	Errored Ack = "error"
)

// Answer is a kind's reading of a merchant's HTTP 200 answer.
type Answer struct {
	Ack        Ack
	Conforming bool   // the answer is a documented acknowledgement
	Reason     string // why it is not, or what it says
}

// Every is the retry policy "every interval for window": as many waits of
// interval as fit in window. The result notify's is Every(30*time.Minute,
// 2*time.Hour), four retries.
func Every(interval, window time.Duration) []time.Duration {
	if interval <= 0 {
		return nil
	}
	out := make([]time.Duration, window/interval)
	for i := range out {
		out[i] = interval
	}
	return out
}

// kind is a Kind as the scheduler holds it, with its log messages made
// once.
type kind struct {
	Kind
	delivered, failed, noURL, pending string // log messages
	noURLReason                       string
}

func newKind(k Kind) *kind {
	w := k.Words
	return &kind{
		Kind:        k,
		delivered:   w.Callback + " delivered",
		failed:      w.Callback + " attempt failed",
		noURL:       w.Callback + " not sent: no " + w.URL,
		pending:     w.Callback + " still pending at shutdown",
		noURLReason: fmt.Sprintf("no %s: neither the %s nor its merchant has one", w.URL, w.Subject),
	}
}

// kinds checks the payout notify and the kinds cfg adds, in that order:
// their index is what events and notifications keep.
func kinds(payout Kind, more []Kind) []*kind {
	all := append([]Kind{payout}, more...)
	if len(all) > 256 {
		panic("notify: more than 256 callback kinds")
	}
	out := make([]*kind, len(all))
	seen := map[string]bool{}
	for i, k := range all {
		switch {
		case seen[k.Name]:
			panic(fmt.Sprintf("notify: callback kind %q given twice", k.Name))
		case k.Subject == nil || k.Build == nil || k.Ack == nil || k.Restored == nil:
			panic(fmt.Sprintf("notify: callback kind %q lacks Subject, Build, Ack or Restored", k.Name))
		}
		seen[k.Name] = true
		out[i] = newKind(k)
	}
	return out
}

// kindIndex finds a kind by name.
func (s *Scheduler) kindIndex(name string) (uint8, bool) {
	for i, k := range s.kinds {
		if k.Name == name {
			return uint8(i), true
		}
	}
	return 0, false
}

// ErrUnknownKind is returned for a callback kind the scheduler was not
// given.
var ErrUnknownKind = errors.New("no such callback kind")
