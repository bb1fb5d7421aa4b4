package main

// After the charge: a held checkout (hold=1, pg_auto_clearing=0) is
// captured (do_capture.php) or released (cancel.php); a captured one is
// refunded (revoke.php) in parts or at once. Before a refund the merchant
// asks get_status3.php what was captured and refunded already, so that it
// never asks for more than remains: FreedomPay refuses that with 10020,
// and the money the merchant's books promised the customer is not sent.
// Every reply is signed and checked (call).

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

const (
	pathCapture = "/do_capture.php"
	pathCancel  = "/cancel.php"
	pathRefund  = "/revoke.php"
)

// followUp finds the checkout a follow-up names, answering 404 (or 409
// before FreedomPay made its payment) itself when there is none.
func (m *merchant) followUp(w http.ResponseWriter, r *http.Request) (*payment, string, bool) {
	orderID := r.FormValue("order_id")
	m.mu.Lock()
	p := m.payments[orderID]
	var id string
	if p != nil {
		id = p.PaymentID
	}
	m.mu.Unlock()
	switch {
	case p == nil:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no checkout has order_id " + orderID})
		return nil, "", false
	case id == "":
		writeJSON(w, http.StatusConflict, map[string]string{"error": "order " + orderID + " has no payment yet"})
		return nil, "", false
	}
	return p, id, true
}

// amountField reads an optional amount: "" (all), or 0.01 and more.
func amountField(w http.ResponseWriter, r *http.Request) (string, bool) {
	v := r.FormValue("amount")
	if v == "" {
		return "", true
	}
	n, ok := cents(v)
	if !ok || n < 1 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "amount: want 0.01 or more, at most two decimals"})
		return "", false
	}
	return formatCents(n), true
}

// refused answers a FreedomPay refusal (502 with its code) or a failure.
func refused(w http.ResponseWriter, what string, err error) {
	var ref *refusal
	if errors.As(err, &ref) {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": what + " refused: " + ref.Error(), "code": ref.Code, "description": ref.Description})
		return
	}
	writeJSON(w, http.StatusBadGateway, map[string]string{"error": what + ": " + err.Error()})
}

// handleCapture captures a held checkout: POST /capture with order_id and,
// for part of it, amount.
func (m *merchant) handleCapture(w http.ResponseWriter, r *http.Request) {
	p, id, ok := m.followUp(w, r)
	if !ok {
		return
	}
	amount, ok := amountField(w, r)
	if !ok {
		return
	}
	fields := url.Values{"pg_payment_id": {id}}
	if amount != "" {
		fields.Set("pg_clearing_amount", amount)
	}
	reply, err := m.call(r.Context(), pathCapture, m.cfg.PaymentSecret, fields)
	if err != nil {
		m.log.Printf("capture refused order_id=%s error=%s", logValue(p.OrderID), logValue(err.Error()))
		refused(w, "capture", err)
		return
	}
	m.mu.Lock()
	p.Captured = reply.Get("pg_clearing_amount")
	m.mu.Unlock()
	m.log.Printf("captured order_id=%s payment_id=%s amount=%s", logValue(p.OrderID), logValue(id), logValue(p.Captured))
	writeJSON(w, http.StatusOK, map[string]string{"order_id": p.OrderID, "payment_id": id, "captured": p.Captured})
}

// handleCancel releases a held checkout: POST /cancel with order_id.
func (m *merchant) handleCancel(w http.ResponseWriter, r *http.Request) {
	p, id, ok := m.followUp(w, r)
	if !ok {
		return
	}
	if _, err := m.call(r.Context(), pathCancel, m.cfg.PaymentSecret, url.Values{"pg_payment_id": {id}}); err != nil {
		m.log.Printf("cancel refused order_id=%s error=%s", logValue(p.OrderID), logValue(err.Error()))
		refused(w, "cancel", err)
		return
	}
	m.log.Printf("cancelled order_id=%s payment_id=%s", logValue(p.OrderID), logValue(id))
	writeJSON(w, http.StatusOK, map[string]string{"order_id": p.OrderID, "payment_id": id, "status": "revoked"})
}

// handleRefund refunds a captured checkout: POST /refund with order_id
// and, for part of it, amount. It asks get_status3.php first and refuses
// itself (409) a refund of more than remains.
func (m *merchant) handleRefund(w http.ResponseWriter, r *http.Request) {
	p, id, ok := m.followUp(w, r)
	if !ok {
		return
	}
	amount, ok := amountField(w, r)
	if !ok {
		return
	}
	status, err := m.call(r.Context(), pathPayStatus, m.cfg.PaymentSecret, url.Values{"pg_payment_id": {id}, "pg_order_id": {p.OrderID}})
	if err != nil {
		refused(w, "status before the refund", err)
		return
	}
	if status.Get("pg_captured") != "1" {
		writeJSON(w, http.StatusConflict, map[string]string{"error": "order " + p.OrderID + " is not captured: capture it (POST /capture) or cancel it (POST /cancel)"})
		return
	}
	captured, _ := cents(status.Get("pg_clearing_amount"))
	done, _ := cents(strings.TrimPrefix(status.Get("pg_refund_amount"), "-")) // negative and cumulative
	left := captured - done
	want := left
	if amount != "" {
		want, _ = cents(amount)
	}
	if left <= 0 || want > left {
		writeJSON(w, http.StatusConflict, map[string]string{"error": "order " + p.OrderID + ": " + formatCents(left) + " remains to refund, not " + formatCents(want)})
		return
	}
	reply, err := m.call(r.Context(), pathRefund, m.cfg.PaymentSecret, url.Values{"pg_payment_id": {id}, "pg_refund_amount": {formatCents(want)}})
	if err != nil {
		m.log.Printf("refund refused order_id=%s error=%s", logValue(p.OrderID), logValue(err.Error()))
		refused(w, "refund", err)
		return
	}
	m.mu.Lock()
	p.Refunded = formatCents(done + want)
	m.mu.Unlock()
	m.log.Printf("refunded order_id=%s payment_id=%s amount=%s", logValue(p.OrderID), logValue(id), formatCents(want))
	writeJSON(w, http.StatusOK, map[string]string{"order_id": p.OrderID, "payment_id": id, "refunded": formatCents(want),
		"refunded_total": p.Refunded, "transaction_status": reply.Get("pg_transaction_status")})
}
