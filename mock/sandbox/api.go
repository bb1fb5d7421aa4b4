package sandbox

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/expect"
	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// The operations both APIs share. Each returns what GET or POST
// /_mock/... answers, field for field, or an [*Error].

// ClockView is the clock: its reading and its mode.
type ClockView struct {
	Now  time.Time `json:"now"`
	Mode string    `json:"mode"` // manual or real
}

// ClockNow is the clock's reading and mode.
func (s *Sandbox) ClockNow() ClockView { return ClockView{Now: s.clock.Now(), Mode: s.ClockMode()} }

// Readiness says whether the sandbox serves its scenario with its notify
// schedule running, and why not.
type Readiness struct {
	Ready    bool      `json:"ready"`
	Reason   string    `json:"reason,omitempty"`
	Scenario string    `json:"scenario"`
	Clock    string    `json:"clock"`
	Now      time.Time `json:"now"`
}

// Ready is the sandbox's readiness.
func (s *Sandbox) Ready() Readiness {
	r := Readiness{Scenario: s.Scenario().Name, Clock: s.ClockMode(), Now: s.clock.Now()}
	switch s.state.Load() {
	case stateServing:
		r.Ready = true
	case stateClosed:
		r.Reason = "shutting down"
	default:
		r.Reason = "not started"
	}
	return r
}

// Run is a move of the clock: where it stands afterwards and every
// attempt made on the way, in time order.
type Run struct {
	Now       time.Time        `json:"now"`
	Mode      string           `json:"mode"`
	Attempted []notify.Attempt `json:"attempted"`
	// AttemptedTotal counts the attempts made, also those left out of
	// Attempted past MaxRunBytes (GET /_mock/notifications lists them).
	AttemptedTotal int `json:"attempted_total"`
}

func (s *Sandbox) run(mv *move, err error) (Run, error) {
	attempts, total := mv.made()
	if attempts == nil {
		attempts = []notify.Attempt{}
	}
	if errors.Is(err, notify.ErrPastYear9999) {
		err = errorf(BadRequest, "%w; the clock stands at %s", err, s.clock.Now().Format(time.RFC3339))
	}
	return Run{Now: s.clock.Now(), Mode: s.ClockMode(), Attempted: attempts, AttemptedTotal: total}, kinded(err)
}

// PayoutQuery selects payouts: a merchant's ("": every merchant's), with
// an order id and a status now (process, success, error), each when set;
// a page of them.
type PayoutQuery struct {
	MerchantID, OrderID, Status string
	Page
}

// Payouts is a page of payouts, in the order they were made (the
// scenario's first), and how many match on every page.
type Payouts struct {
	Now        time.Time `json:"now"`
	Payouts    []Payout  `json:"payouts"`
	Matched    int       `json:"matched"`
	NextCursor string    `json:"next_cursor,omitempty"` // absent on the last page
}

// Payouts lists the payouts q selects.
func (s *Sandbox) Payouts(q PayoutQuery) (Payouts, error) {
	pg, err := q.paging()
	if err != nil {
		return Payouts{}, err
	}
	switch q.Status {
	case "", scenario.StatusProcess, scenario.StatusSuccess, scenario.StatusError:
	default:
		return Payouts{}, errorf(BadRequest, "status=%q: want process, success or error", q.Status)
	}
	w := s.world.Load()
	if err := w.known(q.MerchantID); err != nil {
		return Payouts{}, err
	}
	now := s.clock.Now()
	out, matched, next, ok := listed(w.ledger.ReadPayouts, pg, func(p *ledger.Payout) bool {
		if (q.MerchantID != "" && p.MerchantID != q.MerchantID) || (q.OrderID != "" && p.OrderID != q.OrderID) {
			return false
		}
		if q.Status == "" {
			return true
		}
		cur, ok := p.StatusAt(now)
		return ok && cur.Status == q.Status
	}, func(p *ledger.Payout) int64 { return p.PaymentID }, payoutWeight, func(p *ledger.Payout) Payout { return ViewOf(p.Clone(), now) })
	if !ok {
		return Payouts{}, errorf(StaleCursor, "cursor=%q names a payout no longer listed (a reset or a new scenario came since): start from the first page", q.Cursor)
	}
	return Payouts{Now: now, Payouts: out, Matched: matched, NextCursor: next}, nil
}

// NewestPayouts are the last n payouts made, of every merchant, oldest
// first, and how many payouts each merchant has: only the n are copied
// (the dashboard's view, refreshed every 2 s, over a scenario of 100 000
// payouts).
func (s *Sandbox) NewestPayouts(n int) ([]ledger.Payout, map[string]int) {
	counts := map[string]int{}
	var newest []ledger.Payout
	s.world.Load().ledger.ReadPayouts(func(all []*ledger.Payout) {
		for _, p := range all {
			counts[p.MerchantID]++
		}
		for _, p := range all[max(0, len(all)-n):] {
			newest = append(newest, p.Clone())
		}
	})
	return newest, counts
}

// Payout is the payout with a payment id, with every notify of it.
func (s *Sandbox) Payout(paymentID int64) (Payout, error) {
	w := s.world.Load()
	p, ok := w.ledger.Payout(paymentID)
	if !ok {
		return Payout{}, errorf(NotFound, "no payout with payment id %d", paymentID)
	}
	return s.detail(w, p), nil
}

// detail is p's view with its notifications.
func (s *Sandbox) detail(w *world, p ledger.Payout) Payout {
	v := ViewOf(p, s.clock.Now())
	st := s.stateOf(w)
	ns, _ := st.History(p.MerchantID)
	v.Notifications = []notify.Notification{}
	for _, n := range ns {
		if n.PaymentID == p.PaymentID {
			v.Notifications = append(v.Notifications, n)
		}
	}
	return v
}

// NotificationQuery selects notifies: a merchant's ("": every
// merchant's), of an order id and in a state (pending, delivered, failed,
// withheld), each when set; a page of them.
type NotificationQuery struct {
	MerchantID, OrderID, State string
	Page
}

// Notifications is a page of notifies with their attempts and verdicts.
type Notifications struct {
	Notifications []notify.Notification `json:"notifications"`
	Matched       int                   `json:"matched"` // notifications kept that match, on every page
	Dropped       int64                 `json:"dropped"` // let go beyond --journal-size
	NextCursor    string                `json:"next_cursor,omitempty"`
}

// Notifications lists the notifies q selects, each with its drill's
// verdict where there is one.
func (s *Sandbox) Notifications(q NotificationQuery) (Notifications, error) {
	pg, err := q.paging()
	if err != nil {
		return Notifications{}, err
	}
	switch q.State {
	case "", notify.StatePending, notify.StateDelivered, notify.StateFailed, notify.StateWithheld:
	default:
		return Notifications{}, errorf(BadRequest, "state=%q: want pending, delivered, failed or withheld", q.State)
	}
	w := s.world.Load()
	if err := w.known(q.MerchantID); err != nil {
		return Notifications{}, err
	}
	st := s.stateOf(w)
	ns, dropped := w.notify.History(q.MerchantID)
	out := ns[:0]
	for _, n := range ns {
		if (q.OrderID == "" || n.OrderID == q.OrderID) && (q.State == "" || n.State == q.State) {
			out = append(out, n)
		}
	}
	shown, next, _ := page(out, pg, func(n *notify.Notification) int64 { return int64(n.ID) }, true, notificationWeight)
	expect.LostVerdicts(st, shown)
	return Notifications{Notifications: shown, Matched: len(out), Dropped: dropped, NextCursor: next}, nil
}

// RequestQuery selects journalled gateway requests, each filter when set:
// a merchant's, to a path, naming an order or payment id, with an outcome
// (ok, error, bad_signature, fault); a page of them.
type RequestQuery struct {
	MerchantID, Path, OrderID, PaymentID, Outcome string
	Page
}

// Requests is a page of the journal.
type Requests struct {
	journal.Page
	NextCursor string `json:"next_cursor,omitempty"` // absent on the last page
}

// Requests lists the journalled requests q selects.
func (s *Sandbox) Requests(q RequestQuery) (Requests, error) {
	pg, err := q.paging()
	if err != nil {
		return Requests{}, err
	}
	f := journal.Filter{
		MerchantID: q.MerchantID, Path: q.Path, OrderID: q.OrderID, PaymentID: q.PaymentID, Outcome: q.Outcome,
		After: pg.after, Before: pg.before, Limit: pg.limit, Oldest: pg.order == OrderOldest, MaxBytes: MaxPageBytes,
	}
	switch f.Outcome {
	case "", journal.OutcomeOK, journal.OutcomeError, journal.OutcomeBadSignature, journal.OutcomeFault:
	default:
		return Requests{}, errorf(BadRequest, "outcome=%q: want ok, error, bad_signature or fault", f.Outcome)
	}
	p := s.world.Load().journal.Query(f)
	reply := Requests{Page: p}
	if p.More && len(p.Entries) > 0 {
		if f.Oldest {
			reply.NextCursor = cursorAfter(p.Entries[len(p.Entries)-1].Seq)
		} else {
			reply.NextCursor = cursorBefore(p.Entries[0].Seq)
		}
	}
	if pg.order == OrderNewest {
		slices.Reverse(reply.Entries)
	}
	return reply, nil
}

// Forced is a payout whose status was forced, with the notify sent for it.
type Forced struct {
	Notification *notify.Notification `json:"notification"`
	Payout       Payout               `json:"payout"`
	// Was is the step in force before, for a payout that had started.
	Was *Step `json:"was,omitempty"`
	// Warning says that the payout was final already.
	Warning string `json:"warning,omitempty"`
}

// Force ends a payout's timeline now with a status (success, or error
// with a payout error code), and sends its notify at once, returning after
// the first attempt (or when ctx ends).
func (s *Sandbox) Force(ctx context.Context, paymentID int64, status string, errorCode int) (Forced, error) {
	s.mutate.Lock()
	defer s.mutate.Unlock()
	if _, ok := s.world.Load().ledger.Payout(paymentID); !ok {
		return Forced{}, errorf(NotFound, "no payout with payment id %d", paymentID)
	}
	var was ledger.Step
	c, err := s.commit(change{
		apply: func(w *world) ([]ledger.Payout, error) {
			f, err := w.ledger.Force(paymentID, status, errorCode, s.clock.Now())
			if errors.Is(err, ledger.ErrUnknownPayout) {
				return nil, errorf(NotFound, "no payout with payment id %d", paymentID)
			}
			was = f.Was
			return []ledger.Payout{f.Payout}, err
		},
		fire: ctx,
	})
	if len(c.payouts) == 0 {
		return Forced{}, kinded(err)
	}
	out := Forced{Payout: s.detail(s.world.Load(), c.payouts[0]), Notification: c.fired}
	if was.Status != "" {
		out.Was = &Step{At: was.At, Status: was.Status, ErrorCode: was.ErrorCode, Notify: was.Notify, When: "past"}
	}
	if was.Status == scenario.StatusSuccess || was.Status == scenario.StatusError {
		out.Warning = "the payout was already " + was.Status + "; FreedomPay never changes a final status, so a merchant may rightly ignore this notify"
	}
	return out, kinded(err)
}

// Resent is a notify sent again.
type Resent struct {
	Notification notify.Notification `json:"notification"`
}

// Resend sends the notify of a payout's current status again now,
// returning after the first attempt (or when ctx ends); past
// notify.MaxResends resends of the payout it is refused (Conflict). It
// does not take the lock Advance and Drain hold: the scheduler queues its
// attempt on the payout's lane like any other, and each caller waits for
// its own.
func (s *Sandbox) Resend(ctx context.Context, paymentID int64) (Resent, error) {
	w := s.world.Load()
	if _, ok := w.ledger.Payout(paymentID); !ok {
		return Resent{}, errorf(NotFound, "no payout with payment id %d", paymentID)
	}
	n, err := w.notify.Resend(ctx, paymentID)
	switch {
	case errors.Is(err, notify.ErrNothingToResend):
		return Resent{}, ErrNotStarted
	case err != nil:
		return Resent{}, kinded(err)
	case len(n.Attempts) == 0 && ctx.Err() != nil:
		return Resent{Notification: n}, kinded(ctx.Err())
	case len(n.Attempts) == 0 && n.URL != "":
		return Resent{Notification: n}, errorf(Conflict, "the notify was not sent: its merchant %s was reset while it waited", n.MerchantID)
	}
	return Resent{Notification: n}, s.saved()
}

// ResetDone is what a reset did.
type ResetDone struct {
	MerchantID string    `json:"merchant_id"`
	Now        time.Time `json:"now"`
	Reset      bool      `json:"reset"`
	Scenario   string    `json:"scenario"`
}

// Reset puts the sandbox back to the start of the scenario in force: with
// merchantID "", everything, the clock included; else that merchant's
// payouts, balance, saved cards, notifies and journal, its scenario
// payouts' timelines counted from now (the clock is shared and stays).
func (s *Sandbox) Reset(merchantID string) (ResetDone, error) {
	err := s.reset(merchantID)
	if err != nil && KindOf(err) != NotSaved {
		return ResetDone{}, kinded(err)
	}
	return ResetDone{MerchantID: merchantID, Now: s.clock.Now(), Reset: true, Scenario: s.Scenario().Name}, err
}

func (s *Sandbox) reset(merchantID string) error {
	s.mutate.Lock()
	defer s.mutate.Unlock()
	cur := s.world.Load()
	if merchantID == "" {
		s.swap(s.newWorld(cur.sc, s.rewind(cur.sc)))
		return s.saved()
	}
	if err := cur.known(merchantID); err != nil {
		return err
	}
	return s.resetMerchant(cur, cur.sc, merchantID, cur.edits)
}

// saved returns once the changes made so far are saved, when the state
// is (--state), or with an error of kind NotSaved saying why they cannot
// be: a reply confirms only what a restart keeps.
func (s *Sandbox) saved() error {
	if s.saver == nil {
		return nil
	}
	if err := s.saver.Flush(); err != nil {
		return notSavedError(err)
	}
	return nil
}

// resetMerchant rebuilds one merchant's state from sc, which becomes the
// scenario in force, the one way a change is made (commit).
func (s *Sandbox) resetMerchant(cur *world, sc *scenario.Scenario, id string, edits []scenarioEdit) error {
	_, err := s.commitTo(cur, change{apply: func(w *world) ([]ledger.Payout, error) {
		if err := w.ledger.ResetMerchant(sc, id, s.clock.Now()); err != nil {
			return nil, err
		}
		w.notify.Forget(id)
		w.journal.Forget(id)
		next := *w
		next.sc, next.edits, next.fresh = sc, edits, new(atomic.Bool)
		next.fresh.Store(true)
		s.world.Store(&next)
		var made []ledger.Payout
		for _, p := range w.ledger.Payouts() {
			if p.MerchantID == id {
				made = append(made, p)
			}
		}
		for _, p := range w.ledger.Payments() {
			if p.MerchantID == id {
				schedulePayment(w, p) // under the gate, as the payouts are
			}
		}
		return made, nil
	}})
	return err
}

// ScenarioChange is what replacing the scenario did.
type ScenarioChange struct {
	Scenario   string   `json:"scenario"`
	Summary    string   `json:"summary"`
	MerchantID string   `json:"merchant_id,omitempty"`
	Ignored    []string `json:"ignored_merchants,omitempty"` // of a scoped replacement
}

// ScenarioFile names a scenario sent to ReplaceScenario in its problems.
const ScenarioFile = "PUT /_mock/scenario"

// ReplaceScenario parses and validates a scenario and serves it: with
// merchantID "", in place of the whole scenario, from its start (the clock
// goes back as on reset; its mode and speed stay as started); else only
// that merchant's entries of it, as [scenario.Scenario.WithMerchant] takes
// them, replace that merchant's. A scenario that does not validate is an
// error of kind Invalid listing every problem, one a line.
func (s *Sandbox) ReplaceScenario(data []byte, merchantID string) (ScenarioChange, error) {
	change, err := s.replaceScenario(data, merchantID)
	if err == nil {
		err = s.saved()
	}
	return change, kinded(err)
}

func (s *Sandbox) replaceScenario(data []byte, merchantID string) (ScenarioChange, error) {
	if err := s.world.Load().known(merchantID); err != nil { // before reading what cannot be served
		return ScenarioChange{}, err
	}
	s.parsing <- struct{}{} // a few at once: a parse takes many times its text's size
	sc, err := scenario.ParseUpload(ScenarioFile, data)
	<-s.parsing
	if err != nil {
		return ScenarioChange{}, &Error{Kind: Invalid, Err: err}
	}
	s.mutate.Lock()
	defer s.mutate.Unlock()
	cur := s.world.Load()
	if merchantID == "" {
		s.swap(s.newWorld(sc, s.rewind(sc)))
		return ScenarioChange{Scenario: sc.Name, Summary: sc.Summary()}, nil
	}
	if err := cur.known(merchantID); err != nil {
		return ScenarioChange{}, err
	}
	merged, ignored, err := cur.sc.WithMerchant(sc, scenario.Text(merchantID))
	if err != nil {
		return ScenarioChange{}, &Error{Kind: Invalid, Err: err}
	}
	merged.File = ScenarioFile
	edits := append(slices.Clip(cur.edits), scenarioEdit{MerchantID: merchantID, File: ScenarioFile, Source: string(data)})
	change := ScenarioChange{Scenario: merged.Name, Summary: merged.Summary(), MerchantID: merchantID, Ignored: ignored}
	if err := s.resetMerchant(cur, merged, merchantID, edits); err != nil {
		if KindOf(err) == NotSaved {
			return change, err
		}
		return ScenarioChange{}, &Error{Kind: Invalid, Err: err}
	}
	return change, nil
}

// Verify checks the scenario's expectations; with merchantID set, only
// those of that merchant (an error of kind NotFound for a merchant the
// scenario lacks: a typo would verify nothing and pass).
func (s *Sandbox) Verify(merchantID string) (expect.Report, error) {
	w := s.world.Load()
	if merchantID != "" {
		if _, ok := w.ledger.Merchant(merchantID); !ok {
			return expect.Report{}, errorf(NotFound, "merchant_id=%s: the scenario has no such merchant, so nothing can be verified for it", merchantID)
		}
	}
	st := s.stateOf(w)
	r := expect.Verify(w.sc.Name, w.sc.Expect, merchantID, st)
	for _, res := range expect.Unrun(w.sc.Rules, merchantID, st) {
		r.Add(res)
	}
	return r, nil
}

// MerchantIDs are the merchants of the scenario in force.
func (s *Sandbox) MerchantIDs() []string {
	var ids []string
	for _, m := range s.Scenario().Merchants {
		ids = append(ids, string(m.ID))
	}
	return ids
}

// State is a read-only view of the state served now, as expectations
// read it: copies of payouts, notifies (with their drills' verdicts) and
// journal pages.
func (s *Sandbox) State() expect.State { return s.stateOf(s.world.Load()) }

func (s *Sandbox) stateOf(w *world) expect.State { return view{s: s, w: w} }

// view is the expect.State of a world.
type view struct {
	s *Sandbox
	w *world
}

func (v view) Now() time.Time { return v.s.clock.Now() }

func (v view) Payouts(merchantID string) []ledger.Payout { return v.w.payouts(merchantID) }

// RefundStatus is the status a payment refunded in full shows: the
// scenario's [payments] refund_status.
func (v view) RefundStatus() string { return v.w.sc.PaymentSettings.StatusRefunded() }

// Payments are a merchant's payments, every merchant's for "".
func (v view) Payments(merchantID string) []ledger.Payment {
	return ofMerchant(v.w.ledger.Payments(), merchantID, func(p *ledger.Payment) string { return p.MerchantID })
}

// History is a merchant's notifications kept, with the verdicts of the
// drill "lost" filled in, and how many were let go.
func (v view) History(merchantID string) ([]notify.Notification, int64) {
	ns, dropped := v.w.notify.History(merchantID)
	expect.LostVerdicts(v, ns)
	return ns, dropped
}

func (v view) Requests(f journal.Filter) journal.Page { return v.w.journal.Query(f) }

// payouts are a merchant's payouts, every merchant's for "".
func (w *world) payouts(merchantID string) []ledger.Payout {
	return ofMerchant(w.ledger.Payouts(), merchantID, func(p *ledger.Payout) string { return p.MerchantID })
}

// ofMerchant keeps, in place, the items of a merchant; every item for "".
func ofMerchant[T any](all []T, merchantID string, of func(*T) string) []T {
	if merchantID == "" {
		return all
	}
	out := all[:0]
	for i := range all {
		if of(&all[i]) == merchantID {
			out = append(out, all[i])
		}
	}
	return out
}

// known refuses a merchant filter the scenario lacks: a typo would
// otherwise list nothing, and a test asserting "none failed" would pass.
func (w *world) known(merchantID string) error {
	if merchantID == "" {
		return nil
	}
	if _, ok := w.ledger.Merchant(merchantID); !ok {
		return errorf(NotFound, "merchant_id=%s: the scenario has no such merchant", merchantID)
	}
	return nil
}

// notificationWeight is about what a notification weighs in a page: its
// fields and its attempts'.
func notificationWeight(n *notify.Notification) int {
	w := 512 + len(n.URL)
	for _, f := range n.Fields {
		w += len(f.Name) + len(f.Value) + 32
	}
	for _, a := range n.Attempts {
		w += attemptWeight(a)
	}
	return w
}
