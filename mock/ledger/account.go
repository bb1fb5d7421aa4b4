package ledger

import (
	"slices"
	"sort"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// account is a merchant and the moves of its payout balance. A payout
// reserves ToPay when it appears and gives it back when it fails; success
// keeps the reservation, so the balance at any moment is a function of the
// clock alone and comes out the same on every run, however late a notify is
// sent.
type account struct {
	Merchant
	moves []move         // ascending by at; equal times keep insertion order
	sums  []money.Amount // sums[i] is the total of moves[0..i]
	// booked are the moves of each payment credited to the balance
	// (credit.go), so that a change of the payment that moves no money
	// books nothing anew.
	booked map[int64][]move
}

type move struct {
	at     time.Time
	amount money.Amount // negative: reserved; positive: given back
	pid    int64        // the payout's payment id
}

// book records the moves of payout p: the reservation at its first step and,
// when its timeline ends in error, the release at that step.
func (a *account) book(p *Payout) {
	if len(p.Timeline) == 0 {
		return
	}
	a.add(p.Timeline[0].At, -p.ToPay, p.PaymentID)
	a.release(p)
}

// unbook removes the moves of payout pid, as when its timeline changes.
func (a *account) unbook(pid int64) {
	kept := a.moves[:0]
	for _, m := range a.moves {
		if m.pid != pid {
			kept = append(kept, m)
		}
	}
	a.moves = kept
	a.sums = a.sums[:len(kept)]
	a.resum(0)
}

// unbookMoves removes the moves ms, each found by its time: a payment's,
// which bookPayment keeps, so that the moves need not all be read.
func (a *account) unbookMoves(ms []move) {
	first := len(a.moves)
	for _, m := range ms {
		i := sort.Search(len(a.moves), func(i int) bool { return !a.moves[i].at.Before(m.at) })
		for ; i < len(a.moves) && a.moves[i].at.Equal(m.at); i++ {
			if a.moves[i] == m {
				a.moves = slices.Delete(a.moves, i, i+1)
				first = min(first, i)
				break
			}
		}
	}
	a.sums = a.sums[:len(a.moves)]
	a.resum(first)
}

// release gives p's reservation back at its final step, if that is an error.
func (a *account) release(p *Payout) {
	if last, ok := p.Final(); ok && last.Status == scenario.StatusError {
		a.add(last.At, p.ToPay, p.PaymentID)
	}
}

// add inserts a move. Moves mostly arrive in time order, so the insertion
// point is near the end and only the sums after it are redone.
func (a *account) add(at time.Time, amount money.Amount, pid int64) {
	i := sort.Search(len(a.moves), func(i int) bool { return a.moves[i].at.After(at) })
	a.moves = append(a.moves, move{})
	copy(a.moves[i+1:], a.moves[i:])
	a.moves[i] = move{at, amount, pid}
	a.sums = append(a.sums, 0)
	a.resum(i)
}

// resum redoes the running sums from move i on.
func (a *account) resum(i int) {
	for j := i; j < len(a.moves); j++ {
		prev := money.Amount(0)
		if j > 0 {
			prev = a.sums[j-1]
		}
		a.sums[j] = prev + a.moves[j].amount
	}
}

// upTo is the number of moves at or before t.
func (a *account) upTo(t time.Time) int {
	return sort.Search(len(a.moves), func(i int) bool { return a.moves[i].at.After(t) })
}

func (a *account) balanceAt(t time.Time) money.Amount {
	n := a.upTo(t)
	if n == 0 {
		return a.Balance
	}
	return a.Balance + a.sums[n-1]
}

// lowestFrom is the lowest the balance will be at t or after, counting
// payouts the scenario starts later.
func (a *account) lowestFrom(t time.Time) money.Amount {
	low := a.balanceAt(t)
	for i := a.upTo(t); i < len(a.sums); i++ {
		low = min(low, a.Balance+a.sums[i])
	}
	return low
}
