package ledger

// Delta is what changed in a ledger since the last [Ledger.TakeDelta]: the
// payouts made or changed, as they are now, and those taken back. Whole
// is set when more changed than a delta keeps: the ledger must then be
// saved whole.
type Delta struct {
	Payouts   []Payout
	Payments  []Payment    // made or changed: as they are now
	Cards     []StoredCard // card-storage records made or changed: as they are now
	Discarded []int64
	Whole     bool
}

// maxDelta bounds the payouts a delta keeps.
const maxDelta = 1 << 14

// tracker collects a ledger's changes for its next delta.
type tracker struct {
	on        bool
	whole     bool
	changed   map[int64]*Payout
	order     []int64 // changed, in the order first changed
	discarded []int64
	payments  map[int64]*Payment
	payOrder  []int64 // payments changed, in the order first changed
	cards     map[int64]*StoredCard
	cardOrder []int64 // card-storage records changed, in the order first changed
}

// fresh is an empty tracker, on or not, whole or not.
func freshTracker(on, whole bool) tracker {
	return tracker{on: on, whole: whole, changed: map[int64]*Payout{}, payments: map[int64]*Payment{}, cards: map[int64]*StoredCard{}}
}

// TrackDeltas makes the ledger collect its changes for [Ledger.TakeDelta]
// (when its state is saved).
func (l *Ledger) TrackDeltas() {
	l.mu.Lock()
	l.delta = freshTracker(true, false)
	l.mu.Unlock()
}

// track records a change of p; l.mu is held.
func (l *Ledger) track(p *Payout) {
	t := &l.delta
	if !t.on || t.whole {
		return
	}
	if _, ok := t.changed[p.PaymentID]; !ok {
		t.order = append(t.order, p.PaymentID)
	}
	t.changed[p.PaymentID] = p
	if len(t.order)+len(t.discarded) > maxDelta {
		*t = freshTracker(true, true)
	}
}

// trackDiscard records a payout taken back; l.mu is held.
func (l *Ledger) trackDiscard(paymentID int64) {
	t := &l.delta
	if !t.on || t.whole {
		return
	}
	delete(t.changed, paymentID) // if it was made since the last delta: taken back
	t.discarded = append(t.discarded, paymentID)
	if len(t.order)+len(t.discarded) > maxDelta {
		*t = freshTracker(true, true)
	}
}

// TakeDelta returns what changed since the last call and starts collecting
// afresh.
func (l *Ledger) TakeDelta() Delta {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := &l.delta
	d := Delta{Whole: t.whole, Discarded: t.discarded}
	for _, id := range t.order {
		if p, ok := t.changed[id]; ok {
			d.Payouts = append(d.Payouts, p.clone())
		}
	}
	for _, id := range t.payOrder {
		if p, ok := t.payments[id]; ok {
			d.Payments = append(d.Payments, p.clone())
		}
	}
	for _, id := range t.cardOrder {
		if c, ok := t.cards[id]; ok {
			d.Cards = append(d.Cards, *c)
		}
	}
	*t = freshTracker(t.on, false)
	return d
}

// Save returns every payout, payment and card-storage record, as
// [Ledger.Payouts], [Ledger.Payments] and [Ledger.StoredCards] do, and
// starts the next delta afresh, at one moment.
func (l *Ledger) Save() ([]Payout, []Payment, []StoredCard) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.delta = freshTracker(l.delta.on, false)
	pays := make([]Payment, len(l.payments))
	for i, p := range l.payments {
		pays[i] = p.clone()
	}
	return l.copyPayouts(), pays, l.copyStored()
}

// trackPayment records a change of payment p; l.mu is held.
func (l *Ledger) trackPayment(p *Payment) {
	l.bookPayment(p)
	t := &l.delta
	if !t.on || t.whole {
		return
	}
	if _, ok := t.payments[p.PaymentID]; !ok {
		t.payOrder = append(t.payOrder, p.PaymentID)
	}
	t.payments[p.PaymentID] = p
	if t.size() > maxDelta {
		*t = freshTracker(true, true)
	}
}

// size is how many changes t holds.
func (t *tracker) size() int {
	return len(t.order) + len(t.discarded) + len(t.payOrder) + len(t.cardOrder)
}

// trackStored records a change of card-storage record c; l.mu is held.
func (l *Ledger) trackStored(c *StoredCard) {
	t := &l.delta
	if !t.on || t.whole {
		return
	}
	if _, ok := t.cards[c.PaymentID]; !ok {
		t.cardOrder = append(t.cardOrder, c.PaymentID)
	}
	t.cards[c.PaymentID] = c
	if t.size() > maxDelta {
		*t = freshTracker(true, true)
	}
}
