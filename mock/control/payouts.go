package control

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
)

// payouts lists payouts, filtered by merchant_id, order_id and status, a
// page at a time, in the order they were made (the scenario's first).
func (h *handlers) payouts(r *http.Request) (any, error) {
	q := r.URL.Query()
	pg, err := sandbox.ReadPage(q)
	if err != nil {
		return nil, err
	}
	return h.sb.Payouts(sandbox.PayoutQuery{MerchantID: q.Get("merchant_id"), OrderID: q.Get("order_id"), Status: q.Get("status"), Page: pg})
}

// paymentID reads the route's {id}.
func paymentID(r *http.Request) (int64, error) {
	raw := mux.Vars(r)["id"]
	id, ok := fixtures.ParseID(raw)
	if !ok || id == 0 {
		return 0, badRequest("payment id %q: want the pg_payment_id, a positive integer", raw)
	}
	return id, nil
}

// payout shows one payout with its timeline and every notify of it.
func (h *handlers) payout(r *http.Request) (any, error) {
	id, err := paymentID(r)
	if err != nil {
		return nil, err
	}
	return h.sb.Payout(id)
}

// force ends a payout's timeline now with the status asked for and sends
// its notify; the reply comes after the notify's first attempt.
func (h *handlers) force(r *http.Request) (any, error) {
	id, err := paymentID(r)
	if err != nil {
		return nil, err
	}
	if _, err := h.sb.Payout(id); err != nil { // before reading a body for it
		return nil, err
	}
	req, err := readForce(r, 10001)
	if err != nil {
		return nil, err
	}
	return h.sb.Force(r.Context(), id, req.Status, req.ErrorCode)
}

// forceBody is the body of a forced status.
type forceBody struct {
	Status    string `json:"status"`
	ErrorCode int    `json:"error_code"`
}

// readForce reads the body of a forced status; example is the error code
// its error message shows.
func readForce(r *http.Request, example int) (forceBody, error) {
	var req forceBody
	data, err := readBody(r, maxControlBody, "a control request's body")
	if err != nil {
		return req, err
	}
	if err := decodeStrict(data, &req, "status", "error_code"); err != nil {
		return req, badRequest("body must be JSON such as {\"status\":\"error\",\"error_code\":%d}: %v", example, err)
	}
	return req, nil
}

// resend sends the notify of the payout's current status again now.
func (h *handlers) resend(r *http.Request) (any, error) {
	id, err := paymentID(r)
	if err != nil {
		return nil, err
	}
	return h.sb.Resend(r.Context(), id)
}

// payments lists payments, filtered by merchant_id, order_id and status, a
// page at a time, in the order they were made.
func (h *handlers) payments(r *http.Request) (any, error) {
	q := r.URL.Query()
	pg, err := sandbox.ReadPage(q)
	if err != nil {
		return nil, err
	}
	return h.sb.Payments(sandbox.PaymentQuery{MerchantID: q.Get("merchant_id"), OrderID: q.Get("order_id"), Status: q.Get("status"), Page: pg})
}

// payment shows one payment with its timeline, check requests and result
// notifies.
func (h *handlers) payment(r *http.Request) (any, error) {
	id, err := paymentID(r)
	if err != nil {
		return nil, err
	}
	return h.sb.Payment(id)
}

// forcePayment ends a payment's timeline now with the status asked for and
// sends its result notify; the reply comes after the notify's first attempt.
func (h *handlers) forcePayment(r *http.Request) (any, error) {
	id, err := paymentID(r)
	if err != nil {
		return nil, err
	}
	if _, err := h.sb.Payment(id); err != nil { // before reading a body for it
		return nil, err
	}
	req, err := readForce(r, 10009)
	if err != nil {
		return nil, err
	}
	return h.sb.ForcePayment(r.Context(), id, req.Status, req.ErrorCode)
}

// resendPayment sends the result notify of the payment's status again now.
func (h *handlers) resendPayment(r *http.Request) (any, error) {
	id, err := paymentID(r)
	if err != nil {
		return nil, err
	}
	return h.sb.ResendPayment(r.Context(), id)
}

// cards lists the card-storage records (cardstorage/add's pages and the
// cards saved on them), masked.
func (h *handlers) cards(r *http.Request) (any, error) {
	q := r.URL.Query()
	pg, err := sandbox.ReadPage(q)
	if err != nil {
		return nil, err
	}
	return h.sb.Cards(sandbox.CardQuery{MerchantID: q.Get("merchant_id"), UserID: q.Get("user_id"), State: q.Get("state"), Page: pg})
}
