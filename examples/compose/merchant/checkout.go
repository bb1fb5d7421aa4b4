package main

// The checkout: card payments on FreedomPay's hosted page. The merchant
// makes a payment with init_payment.php and sends the payer to the page
// the reply names; before the card is charged FreedomPay asks the check URL
// whether the order may be paid, after it posts the outcome to the result
// URL, and then sends the payer back to the success or failure URL. Every
// one of these messages is signed with the payment secret (secret_key),
// under the script name of the URL it goes to. Only the result notify and
// get_status3.php say whether an order is paid: the payer's way back
// proves nothing.
//
// There is no browser in a container, so POST /checkout plays the payer
// too, with plain HTTP: it opens the page, posts a test card to it and,
// for a card that needs 3-D Secure, confirms on the issuer's page.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	pathInitPayment = "/init_payment.php" // make a payment on the hosted page
	pathPayStatus   = "/get_status3.php"  // status of a payment
	// payCurrency is the currency of every checkout: the compose
	// scenario's merchant keeps its money in tenge.
	payCurrency = "KZT"
	// defaultPayCard is a test card paid without 3-D Secure.
	defaultPayCard = "4716047261941981"
	// After the page, get_status3.php is asked at most statusPolls times,
	// statusWait apart, until the payment's status is final.
	statusPolls = 40
	statusWait  = 250 * time.Millisecond
)

// What the result notifies said of an order (payment.Outcome).
const (
	outcomePaid   = "paid"
	outcomeFailed = "failed"
)

// payment is one checkout as the merchant knows it: the order it made, the
// payment FreedomPay made for it, and every callback about it.
type payment struct {
	OrderID   string `json:"order_id"`
	PaymentID string `json:"payment_id,omitempty"`
	Amount    string `json:"amount"` // as sent to init_payment.php: 1500.00
	Currency  string `json:"currency"`
	CartID    string `json:"cart_id"` // the merchant field sent along, and signed in every callback
	// Outcome is what the verified result notifies said: "" (nothing yet),
	// paid or failed. A paid order stays paid: a later pg_result=0 is stale.
	Outcome string `json:"outcome,omitempty"`
	// Status is get_status3.php's pg_payment_status, last seen.
	Status string `json:"status,omitempty"`
	// Hold is a two-step payment (pg_auto_clearing=0): authorised, its
	// money taken by POST /capture, or released by POST /cancel.
	Hold bool `json:"hold,omitempty"`
	// Captured and Refunded are what FreedomPay's replies to capture and
	// refund requests said: the amount captured, the total refunded.
	Captured  string     `json:"captured,omitempty"`
	Refunded  string     `json:"refunded,omitempty"`
	Callbacks []callback `json:"callbacks"`
}

// callback is one message FreedomPay (or the payer's browser) sent about a
// payment: a check request, a result notify, a way back.
type callback struct {
	Kind        string `json:"kind"` // check, result, paid (success URL) or failed (failure URL)
	PaymentID   string `json:"payment_id,omitempty"`
	Result      string `json:"result,omitempty"`     // a result notify's pg_result: 1 paid, 0 failed
	CanReject   string `json:"can_reject,omitempty"` // its pg_can_reject
	Amount      string `json:"amount,omitempty"`
	ErrorCode   string `json:"error_code,omitempty"` // pg_failure_code, or pg_error_code on the way back
	SignatureOK bool   `json:"signature_ok"`
	// Answer is what the merchant answered: ok, rejected or error in a
	// signed <response>; "sig invalid" (HTTP 400) to a bad signature; the
	// HTTP status of the page for a way back.
	Answer      string    `json:"answer"`
	Description string    `json:"description,omitempty"` // the answer's pg_description, or why
	Duplicate   bool      `json:"duplicate,omitempty"`   // a result notify saying what an earlier one said
	Stale       bool      `json:"stale,omitempty"`       // pg_result=0 for an order already paid
	ReceivedAt  time.Time `json:"received_at"`
}

// checkoutReply is the JSON answer of POST /checkout.
type checkoutReply struct {
	OrderID   string `json:"order_id"`
	PaymentID string `json:"payment_id"`
	// Status is get_status3.php's pg_payment_status after the page:
	// success, error, incomplete or revoked when Final.
	Status             string `json:"status"`
	Final              bool   `json:"final"`
	FailureCode        string `json:"failure_code,omitempty"`
	FailureDescription string `json:"failure_description,omitempty"`
	ThreeDS            bool   `json:"three_ds"`
	// PageStatus is the HTTP status of the page the card (or the 3-D
	// Secure answer) got: 200 when it shows the outcome and sends the
	// payer back.
	PageStatus int `json:"page_status"`
	// Outcome and Callbacks are what the result notify and the other
	// callbacks said, as the merchant recorded them.
	Outcome   string     `json:"outcome,omitempty"`
	Callbacks []callback `json:"callbacks"`
}

// newPayer returns the payer's HTTP client. It follows no redirect, so
// that the checkout sees the 303 to the issuer's 3-D Secure page and posts
// the answer there itself, as the payer's browser would.
func newPayer() *http.Client {
	return &http.Client{
		Timeout:       60 * time.Second, // the page waits for the check request and the result notify
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// ---- POST /checkout ------------------------------------------------------

// handleCheckout takes a card payment: POST /checkout with order_id,
// amount and, optionally, card (a test card number) and cart_id.
func (m *merchant) handleCheckout(w http.ResponseWriter, r *http.Request) {
	orderID, card, cartID := r.FormValue("order_id"), r.FormValue("card"), r.FormValue("cart_id")
	hold := r.FormValue("hold") == "1"
	if orderID == "" || len(orderID) > 50 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "order_id: want 1 to 50 characters"})
		return
	}
	amount, ok := cents(r.FormValue("amount"))
	if !ok || amount < 1 || amount > 99999999_00 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "amount: want 0.01 to 99999999, at most two decimals"})
		return
	}
	if card == "" {
		card = defaultPayCard
	}
	if cartID == "" {
		cartID = "cart-" + orderID
	}
	p, ok := m.newPayment(orderID, formatCents(amount), cartID)
	if ok {
		m.mu.Lock()
		p.Hold = hold
		m.mu.Unlock()
	}
	if !ok {
		writeJSON(w, http.StatusConflict, map[string]string{"error": "order " + orderID + " has a checkout already"})
		return
	}
	out, err := m.checkout(r.Context(), p, card)
	var ref *refusal
	switch {
	case errors.As(err, &ref):
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": "refused: " + ref.Error(),
			"code": ref.Code, "description": ref.Description, "payment_id": out.PaymentID})
		return
	case err != nil:
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error(), "payment_id": out.PaymentID})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// newPayment records a checkout's order before FreedomPay hears of it, so
// that its check request finds it; false when the order id has one.
func (m *merchant) newPayment(orderID, amount, cartID string) (*payment, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.payments[orderID] != nil {
		return nil, false
	}
	p := &payment{OrderID: orderID, Amount: amount, Currency: payCurrency, CartID: cartID}
	m.payments[orderID] = p
	m.orderIDs = append(m.orderIDs, orderID)
	return p, true
}

// forget drops a checkout whose payment was not made: a check request or
// result notify for it is then rejected as of an unknown order.
func (m *merchant) forget(orderID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.payments, orderID)
	for i, id := range m.orderIDs {
		if id == orderID {
			m.orderIDs = append(m.orderIDs[:i], m.orderIDs[i+1:]...)
			break
		}
	}
}

// checkout makes the payment, pays it on the page as the payer, and polls
// its status until it is final.
func (m *merchant) checkout(ctx context.Context, p *payment, card string) (checkoutReply, error) {
	out := checkoutReply{OrderID: p.OrderID}
	clearing := "1"
	if p.Hold {
		clearing = "0" // authorise and hold: POST /capture takes the money
	}
	reply, err := m.call(ctx, pathInitPayment, m.cfg.PaymentSecret, url.Values{
		"pg_auto_clearing":  {clearing},
		"pg_order_id":       {p.OrderID},
		"pg_amount":         {p.Amount},
		"pg_currency":       {p.Currency},
		"pg_description":    {"Order " + p.OrderID},
		"pg_check_url":      {m.cfg.PublicURL + "/check"},
		"pg_result_url":     {m.cfg.PublicURL + "/result"},
		"pg_success_url":    {m.cfg.PublicURL + "/paid"},
		"pg_failure_url":    {m.cfg.PublicURL + "/failed"},
		"pg_request_method": {"POST"},
		"pg_testing_mode":   {"1"},
		"cart_id":           {p.CartID}, // a merchant field: FreedomPay sends it back in every callback
	})
	if err != nil {
		m.forget(p.OrderID)
		m.log.Printf("checkout refused order_id=%s error=%s", logValue(p.OrderID), logValue(err.Error()))
		return out, err
	}
	out.PaymentID = reply.Get("pg_payment_id")
	m.mu.Lock()
	p.PaymentID = out.PaymentID
	m.mu.Unlock()
	m.log.Printf("checkout order_id=%s payment_id=%s amount=%s", logValue(p.OrderID), logValue(out.PaymentID), p.Amount)

	out.PageStatus, out.ThreeDS, err = m.payOnPage(ctx, reply.Get("pg_redirect_url"), card)
	if err != nil {
		m.log.Printf("page order_id=%s error=%s", logValue(p.OrderID), logValue(err.Error()))
		return out, err
	}
	m.log.Printf("page order_id=%s http=%d three_ds=%t", logValue(p.OrderID), out.PageStatus, out.ThreeDS)

	status, err := m.pollPayment(ctx, p)
	if err != nil {
		return out, err
	}
	out.Status = status.Get("pg_payment_status")
	out.Final = finalPayment(out.Status)
	out.FailureCode, out.FailureDescription = status.Get("pg_failure_code"), status.Get("pg_failure_description")
	m.mu.Lock()
	out.Outcome = p.Outcome
	out.Callbacks = append([]callback{}, p.Callbacks...)
	m.mu.Unlock()
	return out, nil
}

// payOnPage plays the payer on FreedomPay's hosted page with the requests
// a browser sends: it opens the page, posts the card form to the page's
// URL and, when the issuer wants 3-D Secure (HTTP 303 to its page),
// confirms there. It returns the HTTP status of the last page: 200 when it
// shows the outcome and sends the payer back to the shop. The pages' HTML
// is not read: their URLs and form fields are FreedomPay's.
func (m *merchant) payOnPage(ctx context.Context, pageURL, card string) (status int, threeDS bool, err error) {
	if status, _, err = m.browse(ctx, pageURL, nil); err != nil {
		return 0, false, err
	}
	if status != http.StatusOK {
		return status, false, fmt.Errorf("the payment page answered HTTP %d", status)
	}
	form := url.Values{"card_number": {card}, "card_holder": {"TEST PAYER"}, "card_exp_month": {"12"},
		"card_exp_year": {strconv.Itoa(m.now().Year() + 3)}, "card_cvc": {"123"}, "action": {"pay"}}
	status, next, err := m.browse(ctx, pageURL, form)
	if err != nil {
		return 0, false, err
	}
	if status == http.StatusSeeOther { // the issuer's 3-D Secure page
		threeDS = true
		acs, err := url.Parse(pageURL)
		if err == nil {
			acs, err = acs.Parse(next)
		}
		if err != nil || next == "" {
			return status, true, fmt.Errorf("the payment page sent the payer to %q", next)
		}
		if status, _, err = m.browse(ctx, acs.String(), nil); err != nil {
			return 0, true, err
		}
		if status != http.StatusOK {
			return status, true, fmt.Errorf("the 3-D Secure page answered HTTP %d", status)
		}
		if status, _, err = m.browse(ctx, acs.String(), url.Values{"acs": {"confirm"}}); err != nil {
			return 0, true, err
		}
	}
	if status != http.StatusOK {
		return status, threeDS, fmt.Errorf("the payment page answered HTTP %d to the card", status)
	}
	return status, threeDS, nil
}

// browse is one request of the payer's browser: GET, or POST of a form.
// It returns the HTTP status and the Location of a redirect.
func (m *merchant) browse(ctx context.Context, to string, form url.Values) (status int, location string, err error) {
	method, body := http.MethodGet, io.Reader(nil)
	if form != nil {
		method, body = http.MethodPost, strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, to, body)
	if err != nil {
		return 0, "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := m.payer.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	return resp.StatusCode, resp.Header.Get("Location"), nil
}

// pollPayment asks get_status3.php for the payment's status until it is
// final, and returns the last reply.
func (m *merchant) pollPayment(ctx context.Context, p *payment) (url.Values, error) {
	for i := 1; ; i++ {
		reply, err := m.call(ctx, pathPayStatus, m.cfg.PaymentSecret,
			url.Values{"pg_payment_id": {p.PaymentID}, "pg_order_id": {p.OrderID}})
		if err != nil {
			return nil, err
		}
		status := reply.Get("pg_payment_status")
		m.mu.Lock()
		changed := status != p.Status
		p.Status = status
		m.mu.Unlock()
		if changed {
			m.log.Printf("payment status order_id=%s payment_id=%s status=%s", logValue(p.OrderID), logValue(p.PaymentID), logValue(status))
		}
		if finalPayment(status) || i == statusPolls {
			return reply, nil
		}
		if err := m.sleep(ctx, statusWait); err != nil {
			return nil, err
		}
	}
}

// finalPayment reports whether a payment status never changes again.
func finalPayment(status string) bool {
	switch status {
	case "success", "error", "incomplete", "revoked":
		return true
	}
	return false // new, pending
}

// ---- The check request and the result notify ----------------------------

// handleCheck answers the check request FreedomPay sends before it charges
// the card: ok lets the payment go on, anything else refuses it.
func (m *merchant) handleCheck(w http.ResponseWriter, r *http.Request) {
	fields, script, ok := m.readCallback(w, r, "check")
	if !ok {
		return
	}
	m.mu.Lock()
	c := m.callbackOf("check", fields)
	p := m.payments[fields.Get("pg_order_id")]
	status, why := matches(p, fields)
	switch {
	case status != "ok":
	case p.Outcome == outcomePaid:
		status, why = "rejected", "Order already paid"
	default:
		why = "Payment allowed"
	}
	c.Answer, c.Description = status, why
	if p != nil {
		p.Callbacks = append(p.Callbacks, c)
	}
	m.mu.Unlock()
	m.log.Printf("check order_id=%s payment_id=%s signature=ok answer=%s", logValue(fields.Get("pg_order_id")), logValue(c.PaymentID), status)
	m.ack(w, http.StatusOK, script, m.cfg.PaymentSecret, status, why)
}

// handleResult takes the result notify. FreedomPay sends it again when
// the answer does not come, and the drills a careful merchant expects send
// it twice or late: a repeat changes nothing and gets the first answer, a
// pg_result=0 for an order already paid is stale, and an order once paid
// stays paid.
func (m *merchant) handleResult(w http.ResponseWriter, r *http.Request) {
	fields, script, ok := m.readCallback(w, r, "result")
	if !ok {
		return
	}
	m.mu.Lock()
	c := m.callbackOf("result", fields)
	p := m.payments[fields.Get("pg_order_id")]
	status, why := matches(p, fields)
	if status == "ok" {
		switch result := fields.Get("pg_result"); {
		case result == "1" && p.Outcome == outcomePaid, result == "0" && p.Outcome == outcomeFailed:
			c.Duplicate, why = true, "Already processed"
		case result == "0" && p.Outcome == outcomePaid:
			c.Stale, why = true, "Order already paid: a failure after it is stale"
		case result == "1":
			// Paid, even after a failure: the money was taken.
			p.Outcome, why = outcomePaid, "Order paid"
		case result == "0":
			p.Outcome, why = outcomeFailed, "Payment failure recorded"
		default:
			status, why = "error", "pg_result is neither 1 nor 0"
		}
	}
	c.Answer, c.Description = status, why
	outcome := ""
	if p != nil {
		p.Callbacks = append(p.Callbacks, c)
		outcome = p.Outcome
	}
	m.mu.Unlock()
	m.log.Printf("result order_id=%s payment_id=%s result=%s can_reject=%s signature=ok answer=%s duplicate=%t stale=%t outcome=%s",
		logValue(fields.Get("pg_order_id")), logValue(c.PaymentID), logValue(c.Result), logValue(c.CanReject), status,
		c.Duplicate, c.Stale, logValue(outcome))
	m.ack(w, http.StatusOK, script, m.cfg.PaymentSecret, status, why)
}

// readCallback reads a check request or result notify and verifies its
// signature: the payment secret, the script name of the URL it came to.
// One that does not verify is answered HTTP 400 "sig invalid", noted on
// its order when there is one, and ok is false.
func (m *merchant) readCallback(w http.ResponseWriter, r *http.Request, kind string) (fields url.Values, script string, ok bool) {
	script = scriptName(r.URL.Path)
	fields, err := decodeNotify(w, r)
	if err == nil && verify(script, fields, m.cfg.PaymentSecret) {
		return fields, script, true
	}
	c := m.callbackOf(kind, fields)
	c.SignatureOK = false
	c.Answer, c.Description = "sig invalid", "the signature does not verify"
	if err != nil {
		c.Description = "undecodable: " + err.Error()
	}
	m.mu.Lock()
	if p := m.payments[fields.Get("pg_order_id")]; p != nil {
		p.Callbacks = append(p.Callbacks, c)
	}
	m.mu.Unlock()
	m.log.Printf("%s order_id=%s payment_id=%s signature=bad answer=refused", kind, logValue(fields.Get("pg_order_id")), logValue(c.PaymentID))
	http.Error(w, "sig invalid", http.StatusBadRequest)
	return nil, "", false
}

// matches checks a verified callback against the order the merchant made:
// "ok", or "rejected" and why. The caller holds m.mu.
func matches(p *payment, fields url.Values) (status, why string) {
	switch {
	case p == nil:
		return "rejected", "Unknown order"
	case p.PaymentID != "" && fields.Get("pg_payment_id") != p.PaymentID:
		return "rejected", "Another payment for this order"
	case !sameAmount(fields.Get("pg_amount"), p.Amount) || fields.Get("pg_currency") != p.Currency:
		return "rejected", "Amount does not match the order"
	}
	return "ok", ""
}

// callbackOf is a verified callback as received now; the caller fills in
// the answer.
func (m *merchant) callbackOf(kind string, fields url.Values) callback {
	c := callback{Kind: kind, PaymentID: fields.Get("pg_payment_id"), Amount: fields.Get("pg_amount"),
		SignatureOK: true, ReceivedAt: m.now().UTC()}
	if kind == "result" {
		c.Result, c.CanReject, c.ErrorCode = fields.Get("pg_result"), fields.Get("pg_can_reject"), fields.Get("pg_failure_code")
	}
	return c
}

// ---- The payer's way back ------------------------------------------------

// handleBack is where FreedomPay sends the payer after the page: /paid
// (pg_success_url) or /failed (pg_failure_url), with signed fields in the
// query (GET) or the form (POST). It shows a small text page. Whether the
// order is paid comes from the result notify, never from this request:
// anyone can open the URL.
func (m *merchant) handleBack(w http.ResponseWriter, r *http.Request) {
	kind := scriptName(r.URL.Path) // paid or failed
	fields := r.URL.Query()
	if r.Method == http.MethodPost {
		var err error
		if fields, err = decodeNotify(w, r); err != nil {
			http.Error(w, "undecodable form", http.StatusBadRequest)
			return
		}
	}
	orderID := fields.Get("pg_order_id")
	c := callback{Kind: kind, PaymentID: fields.Get("pg_payment_id"), ErrorCode: fields.Get("pg_error_code"),
		SignatureOK: verify(kind, fields, m.cfg.PaymentSecret), ReceivedAt: m.now().UTC()}
	m.mu.Lock()
	p := m.payments[orderID]
	outcome := ""
	if p != nil {
		outcome = p.Outcome
	}
	var code int
	var text string
	switch {
	case !c.SignatureOK:
		code, text = http.StatusBadRequest, "sig invalid"
	case p == nil || (p.PaymentID != "" && p.PaymentID != c.PaymentID):
		code, text = http.StatusNotFound, "No such order."
	case kind == "failed":
		code, text = http.StatusOK, fmt.Sprintf("Order %s was not paid: %s (%s). You may try again.",
			orderID, fields.Get("pg_error_description"), fields.Get("pg_error_code"))
	case outcome == outcomePaid:
		code, text = http.StatusOK, fmt.Sprintf("Thank you! Order %s is paid.", orderID)
	case outcome == outcomeFailed:
		code, text = http.StatusOK, fmt.Sprintf("Order %s was not paid. You may try again.", orderID)
	default: // the payer may come back before the result notify
		code, text = http.StatusOK, fmt.Sprintf("Thank you! Order %s waits for the bank's confirmation.", orderID)
	}
	c.Answer, c.Description = strconv.Itoa(code), text
	if p != nil {
		p.Callbacks = append(p.Callbacks, c)
	}
	m.mu.Unlock()
	m.log.Printf("back order_id=%s payment_id=%s to=%s signature=%t http=%d", logValue(orderID), logValue(c.PaymentID), kind, c.SignatureOK, code)
	http.Error(w, text, code) // a plain-text page
}

// handlePayments lists every checkout with its callbacks, oldest first.
func (m *merchant) handlePayments(w http.ResponseWriter, _ *http.Request) {
	m.mu.Lock()
	out := make([]payment, 0, len(m.orderIDs))
	for _, id := range m.orderIDs {
		p := *m.payments[id]
		p.Callbacks = append([]callback{}, p.Callbacks...)
		out = append(out, p)
	}
	m.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// ---- Amounts -------------------------------------------------------------

// cents reads an amount written with a dot and at most two decimals
// ("1500", "1500.5", "1500.00") in hundredths; ok is false for anything
// else.
func cents(s string) (n int64, ok bool) {
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || len(whole) > 12 || len(frac) > 2 || (dot && frac == "") || !isDigits(whole) || !isDigits(frac) {
		return 0, false
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt((frac + "00")[:2], 10, 64)
	return w*100 + f, true
}

func formatCents(n int64) string { return fmt.Sprintf("%d.%02d", n/100, n%100) }

// sameAmount reports whether two amounts are the same sum: FreedomPay
// writes 1500.00 where the order may say 1500.
func sameAmount(a, b string) bool {
	x, okA := cents(a)
	y, okB := cents(b)
	return okA && okB && x == y
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
