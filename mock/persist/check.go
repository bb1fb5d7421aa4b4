package persist

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// maxStateProblems bounds the problems a refused state file is reported
// with: a file damaged throughout would otherwise make a message of every
// payout in it.
const maxStateProblems = 50

// problems collects what is wrong with a state file, each problem
// naming the file and the field.
type problems struct {
	file    string
	errs    []error
	more    int
	missing map[string]bool // fields reported missing: their values are not judged
}

// add records a problem with field, a path in the file such as
// "payouts[3].Amount".
func (p *problems) add(field, format string, args ...any) {
	p.put(field + ": " + fmt.Sprintf(format, args...))
}

// lacks records that field is missing.
func (p *problems) lacks(field string) {
	p.put(field + ": is missing")
	if p.missing == nil {
		p.missing = map[string]bool{}
	}
	p.missing[field] = true
}

// put records a problem that starts with its field, unless the field, or
// one it is part of, is missing: its zero value says nothing more.
func (p *problems) put(problem string) {
	field, _, _ := strings.Cut(problem, ": ")
	for i := range len(field) + 1 {
		if (i == len(field) || field[i] == '.' || field[i] == '[') && p.missing[field[:i]] {
			return
		}
	}
	if len(p.errs) >= maxStateProblems {
		p.more++
		return
	}
	p.errs = append(p.errs, errors.New(p.file+": "+problem))
}

// addAll records problems a package reported about its section, each
// starting with its path inside the section.
func (p *problems) addAll(section string, errs []error) {
	for _, err := range errs {
		p.put(section + err.Error())
	}
}

// err joins the problems; nil when there are none.
func (p *problems) err() error {
	errs := p.errs
	if p.more > 0 {
		errs = append(errs[:len(errs):len(errs)], fmt.Errorf("%s: and %d more problems", p.file, p.more))
	}
	return errors.Join(errs...)
}

// check judges a state read from path (with its log replayed) for a
// sandbox started with start, and returns the scenario in force it holds:
// a state saved by a sandbox started otherwise is refused at once; else
// every problem found, those already in p included, is reported together.
func check(st *State, start StartPrint, p *problems, path string) (*scenario.Scenario, error) {
	intact := !p.missing["started_with"] && !p.missing["started_with.sha256"] && !p.missing["started_with.seed"] && !p.missing["started_with.clock"]
	if was := st.Start; intact && was.SHA256 != "" && (was.SHA256 != start.SHA256 || was.Seed != start.Seed || was.Clock != start.Clock) {
		return nil, &StateError{Path: path, Why: "it was saved by a sandbox started with " + st.Start.String() +
			"; this one starts with " + start.String()}
	}
	if st.Start.SHA256 == "" {
		p.add("started_with.sha256", "is empty; want the sha256 of the scenario the sandbox was started with")
	}
	if st.Draws > fixtures.MaxDraws {
		p.add("draws", "%d is more than the %d values a state may hold", st.Draws, uint64(fixtures.MaxDraws))
	}
	sc, err := st.InForce()
	if err != nil {
		for _, problem := range strings.Split(err.Error(), "\n") {
			p.put(problem)
		}
	}
	checkSections(st, sc, p)
	if err := p.stateError(path); err != nil {
		return nil, err
	}
	return sc, nil
}

// checkSections reports what a resume would trust and must not, in the
// sections the key check cannot judge: the clock, the payouts against the
// scenario sc restored from the file (nil when it is damaged: merchants
// are then not checked), the schedule against the payouts, and the
// journal.
func checkSections(st *State, sc *scenario.Scenario, p *problems) {
	c := st.Clock
	switch c.Mode {
	case clock.ModeManual, clock.ModeReal:
		if c.Mode != st.Start.Clock && !p.missing["started_with"] && !p.missing["started_with.clock"] {
			p.add("clock.mode", "%q, but started_with.clock is %q", c.Mode, st.Start.Clock)
		}
	default:
		p.add("clock.mode", "%q is not a clock mode; want %q or %q", c.Mode, clock.ModeManual, clock.ModeReal)
	}
	for _, t := range []struct {
		name string
		at   time.Time
	}{{"now", c.Now}, {"wall", c.Wall}, {"origin", c.Origin}} {
		if t.at.IsZero() {
			p.add("clock."+t.name, "is empty (%s); want the time it was saved with", t.at.Format(time.RFC3339))
		}
	}
	// now may be before origin: a scenario replaced with a [clock] start
	// takes a manual clock there, and origin stays.
	for i, e := range st.Scenario {
		if i > 0 && e.MerchantID == "" {
			p.add(fmt.Sprintf("scenario[%d].merchant_id", i), "is empty; only scenario[0] is a whole scenario")
		}
	}
	p.addAll("payouts", ledger.Check(sc, st.Payouts))
	payoutIDs := make(map[int64]bool, len(st.Payouts))
	for _, po := range st.Payouts {
		payoutIDs[po.PaymentID] = true
	}
	p.addAll("payments", ledger.CheckPayments(sc, st.Payments, payoutIDs))
	p.addAll("cards", ledger.CheckStoredCards(sc, st.Cards))
	var payouts map[int64]notify.SavedPayout // nil: what the schedule names is not judged
	if !p.missing["payouts"] {
		payouts = make(map[int64]notify.SavedPayout, len(st.Payouts))
		for _, po := range st.Payouts {
			if _, dup := payouts[po.PaymentID]; !dup {
				payouts[po.PaymentID] = notify.SavedPayout{MerchantID: po.MerchantID, Steps: len(po.Timeline), Revision: po.Revision}
			}
		}
	}
	p.addAll("notify.", notify.Check(st.Notify, payouts))
	p.addAll("journal.", journal.Check(st.Journal))
}

// stateError is the refusal of the file at path for the problems found;
// nil when there are none.
func (p *problems) stateError(path string) error {
	err := p.err()
	if err == nil {
		return nil
	}
	n, word := len(p.errs)+p.more, "problems"
	if n == 1 {
		word = "problem"
	}
	return &StateError{Path: path, Why: fmt.Sprintf("it cannot be resumed, %d %s", n, word), Problems: err}
}
