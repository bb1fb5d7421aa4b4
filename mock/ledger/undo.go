package ledger

// Discard takes back a payout just made whose reply cannot be given: it is
// removed with its reservation, and its order id is free again. Values the
// generator drew for it are not drawn again.
func (l *Ledger) Discard(paymentID int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.byID[paymentID]
	if !ok {
		return
	}
	delete(l.byID, paymentID)
	delete(l.byOrder, orderKey{p.MerchantID, p.OrderID})
	if p.PageKey != "" {
		delete(l.byPage, p.PageKey)
	}
	for i := len(l.payouts) - 1; i >= 0; i-- { // a payout just made is near the end
		if l.payouts[i] == p {
			l.payouts = append(l.payouts[:i], l.payouts[i+1:]...)
			break
		}
	}
	if a := l.merchants[p.MerchantID]; a != nil {
		a.unbook(paymentID)
	}
	l.trackDiscard(paymentID)
}

// Put takes back a change to a payout whose reply cannot be given: the
// payout is as before again, and so are its merchant's balances.
func (l *Ledger) Put(before Payout) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.byID[before.PaymentID]
	if !ok {
		return
	}
	*p = before.clone()
	if a := l.merchants[p.MerchantID]; a != nil {
		a.unbook(p.PaymentID)
		a.book(p)
	}
	l.track(p)
}
