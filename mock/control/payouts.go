package control

import (
	"errors"
	"fmt"
	"github.com/freedompay-mock/freedompay-mock/mock/routes"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// payoutView is a payout as the control API shows it: its status now and
// its timeline with each step placed in the past, present or future.
type payoutView struct {
	PaymentID    int64      `json:"payment_id"`
	OrderID      string     `json:"order_id"`
	MerchantID   string     `json:"merchant_id"`
	Method       string     `json:"method"`
	Amount       string     `json:"amount"`
	NetAmount    string     `json:"net_amount"`
	ToPay        string     `json:"to_pay"`
	CardHash     string     `json:"card_hash,omitempty"`
	CardToken    string     `json:"card_token,omitempty"`
	IBAN         string     `json:"iban,omitempty"`
	PostLink     string     `json:"post_link,omitempty"`
	Status       string     `json:"status"` // process, success, error, or "not started"
	ErrorCode    int        `json:"error_code,omitempty"`
	Since        *time.Time `json:"since,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	AwaitingCard bool       `json:"awaiting_card,omitempty"`
	PagePath     string     `json:"page_path,omitempty"` // the payout page, while it waits for a card
	Timeline     []stepView `json:"timeline"`
	Revision     int        `json:"revision,omitempty"` // timeline changes through this API
	Drills       []string   `json:"drills,omitempty"`   // the scenario's drills for it

	Notifications []notify.Notification `json:"notifications,omitempty"`
}

type stepView struct {
	At        time.Time `json:"at"`
	Status    string    `json:"status"`
	ErrorCode int       `json:"error_code,omitempty"`
	Notify    bool      `json:"notify"`
	When      string    `json:"when"` // past, current or future
}

// NotStarted is the status shown for a payout the scenario starts later.
const NotStarted = "not started"

func viewOf(p ledger.Payout, now time.Time) payoutView {
	v := payoutView{
		PaymentID: p.PaymentID, OrderID: p.OrderID, MerchantID: p.MerchantID, Method: p.Method,
		Amount: p.Amount.Fixed2(), NetAmount: p.NetAmount.Fixed2(), ToPay: p.ToPay.Fixed2(),
		CardHash: p.CardHash, CardToken: p.CardToken, IBAN: p.IBAN, PostLink: p.PostLink,
		Status: NotStarted, CreatedAt: p.CreatedAt, AwaitingCard: p.AwaitingCard, Revision: p.Revision,
		Timeline: []stepView{}, Drills: p.Drills,
	}
	if p.AwaitingCard {
		v.PagePath = routes.PayoutPage + p.PageKey
	}
	cur, ok := p.StatusAt(now)
	if ok {
		v.Status, v.ErrorCode = cur.Status, cur.ErrorCode
		at := cur.At
		v.Since = &at
	}
	current := -1
	for i, s := range p.Timeline {
		if !s.At.After(now) {
			current = i
		}
	}
	for i, s := range p.Timeline {
		when := "future"
		switch {
		case i == current:
			when = "current"
		case i < current:
			when = "past"
		}
		v.Timeline = append(v.Timeline, stepView{At: s.At, Status: s.Status, ErrorCode: s.ErrorCode, Notify: s.Notify, When: when})
	}
	return v
}

// payouts lists payouts, filtered by merchant_id, order_id and status, a
// page at a time (paging), in the order they were made (the scenario's
// first).
func (h *handlers) payouts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pg, err := parsePaging(q)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	now := h.b.Now()
	order, status := q.Get("order_id"), q.Get("status")
	switch status {
	case "", scenario.StatusProcess, scenario.StatusSuccess, scenario.StatusError:
	default:
		writeError(w, http.StatusBadRequest, "status=%q: want process, success or error", status)
		return
	}
	if !h.knownFilter(w, q.Get("merchant_id")) {
		return
	}
	var match []ledger.Payout
	for _, p := range h.b.Payouts(q.Get("merchant_id")) {
		if order != "" && p.OrderID != order {
			continue
		}
		if status != "" {
			cur, ok := p.StatusAt(now)
			if !ok || cur.Status != status {
				continue
			}
		}
		match = append(match, p)
	}
	shown, next, ok := page(match, pg, func(p *ledger.Payout) int64 { return p.PaymentID }, false)
	if !ok {
		writeCode(w, http.StatusBadRequest, CodeStaleCursor, "cursor=%q names a payout no longer listed (a reset or a new scenario came since): start from the first page", q.Get("cursor"))
		return
	}
	out := make([]payoutView, len(shown))
	for i, p := range shown {
		out[i] = viewOf(p, now)
	}
	writeJSON(w, http.StatusOK, payoutsReply{Now: now, Payouts: out, Matched: len(match), NextCursor: next})
}

type payoutsReply struct {
	Now        time.Time    `json:"now"`
	Payouts    []payoutView `json:"payouts"`
	Matched    int          `json:"matched"`               // payouts that match, on every page
	NextCursor string       `json:"next_cursor,omitempty"` // absent on the last page
}

// lookup finds the payout named by the route's {id}.
func (h *handlers) lookup(w http.ResponseWriter, r *http.Request) (ledger.Payout, bool) {
	raw := mux.Vars(r)["id"]
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, "payment id %q: want the pg_payment_id, a positive integer", raw)
		return ledger.Payout{}, false
	}
	p, ok := h.b.Payout(id)
	if !ok {
		writeError(w, http.StatusNotFound, "no payout with payment id %d", id)
		return ledger.Payout{}, false
	}
	return p, true
}

// payout shows one payout with its timeline and every notify of it.
func (h *handlers) payout(w http.ResponseWriter, r *http.Request) {
	p, ok := h.lookup(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, h.detail(p))
}

func (h *handlers) detail(p ledger.Payout) payoutView {
	v := viewOf(p, h.b.Now())
	ns, _ := h.b.History(p.MerchantID)
	v.Notifications = []notify.Notification{}
	for _, n := range ns {
		if n.PaymentID == p.PaymentID {
			v.Notifications = append(v.Notifications, n)
		}
	}
	return v
}

type forceRequest struct {
	Status    string `json:"status"`
	ErrorCode int    `json:"error_code"`
}

// force ends a payout's timeline now with the status asked for and sends
// its notify; the reply comes after the notify's first attempt.
func (h *handlers) force(w http.ResponseWriter, r *http.Request) {
	p, ok := h.lookup(w, r)
	if !ok {
		return
	}
	var req forceRequest
	data, ok := readBody(w, r)
	if !ok {
		return
	}
	if err := decodeStrict(data, &req, "status", "error_code"); err != nil {
		writeError(w, http.StatusBadRequest, "body must be JSON such as {\"status\":\"error\",\"error_code\":10001}: %v", err)
		return
	}
	f, err := h.b.Force(r.Context(), p.PaymentID, req.Status, req.ErrorCode)
	if err != nil {
		// The ledger refuses a status or error code it does not take
		// with an error of no kind of its own: 400.
		writeFailure(w, err, http.StatusBadRequest)
		return
	}
	reply := map[string]any{"payout": h.detail(f.Payout), "notification": f.Notification}
	if f.Was.Status == scenario.StatusSuccess || f.Was.Status == scenario.StatusError {
		reply["warning"] = "the payout was already " + f.Was.Status + "; FreedomPay never changes a final status, so a merchant may rightly ignore this notify"
	}
	writeJSON(w, http.StatusOK, reply)
}

// resend sends the notify of the payout's current status again now.
func (h *handlers) resend(w http.ResponseWriter, r *http.Request) {
	p, ok := h.lookup(w, r)
	if !ok {
		return
	}
	n, err := h.b.Resend(r.Context(), p.PaymentID)
	if errors.Is(err, ledger.ErrUnknownPayout) {
		err = fmt.Errorf("%w with payment id %d", err, p.PaymentID)
	}
	if err != nil {
		writeFailure(w, err, http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"notification": n})
}
