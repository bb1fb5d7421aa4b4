package gateway

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/page"
	"github.com/freedompay-mock/freedompay-mock/mock/routes"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// The payer's side of a payment (spec §3.2): the page pg_redirect_url
// names, where the payer types a card; the issuer's 3DS page for the cards
// that need it; then a page that sends the payer to the merchant's success
// or failure URL with signed fields (§5.3). Plain HTML forms: a test drives
// them with HTTP alone.

// cardFields are the card form's inputs, each given at most once.
var cardFields = []string{"card_number", "card_holder", "card_exp_month", "card_exp_year", "card_cvc"}

// servePaymentPage answers the payment page: GET shows the card form (or
// what became of the payment), POST takes the card.
func (g *Gateway) servePaymentPage(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("customer")
	now := g.cfg.Clock.Now()
	p, ok := g.cfg.Ledger.PaymentByPage(key)
	if !ok || g.cfg.Payments == nil {
		g.notice(w, http.StatusNotFound, page.NotFound(r.URL.Query().Get("lang")))
		return
	}
	if p.AwaitsACS(now) {
		http.Redirect(w, r, routes.ACSPage+key, http.StatusSeeOther)
		return
	}
	if r.Method != http.MethodPost {
		opened, err := g.cfg.Payments.Open(key, now)
		if err == nil {
			g.cardForm(w, http.StatusOK, opened, "", ledger.CardOK)
			return
		}
		g.after(w, p, now)
		return
	}
	card, problem, cp, ok := readCard(w, r)
	if !ok {
		return
	}
	if problem != "" || cp != ledger.CardOK {
		g.cardForm(w, http.StatusUnprocessableEntity, p, problem, cp)
		return
	}
	ctx, cancel := g.payerWait(w, r)
	defer cancel()
	paid, err := g.cfg.Payments.Pay(ctx, key, card, now)
	g.journalPayer(r, p, now, paid, err, journalCard(card))
	switch {
	case errors.Is(err, ledger.ErrCharging):
		g.notice(w, http.StatusConflict, page.Busy(p.Language))
		return
	case errors.Is(err, ledger.ErrPaid), errors.Is(err, ledger.ErrExpired):
		// As the payment is now: a force or a charge may have come
		// while this card waited.
		after, _ := g.cfg.Ledger.PaymentByPage(key)
		g.after(w, after, g.cfg.Clock.Now())
		return
	case errors.Is(err, ledger.ErrNoPayment): // reset meanwhile
		g.notice(w, http.StatusNotFound, page.NotFound(p.Language))
		return
	case err != nil:
		g.notice(w, http.StatusInternalServerError, page.Notice{Lang: p.Language, Title: "Payment failed", Message: err.Error()})
		return
	case paid.ThreeDS:
		http.Redirect(w, r, routes.ACSPage+key, http.StatusSeeOther)
		return
	}
	g.outcome(w, paid.Payment, paid.Refusal, paid.At, paid.Rejection)
}

// payerWait lets the payer's page wait as long as a card sent on it may
// take (the check request, the result notify's first attempt: their
// timeouts), past the server's write timeout, and no longer.
func (g *Gateway) payerWait(w http.ResponseWriter, r *http.Request) (context.Context, context.CancelFunc) {
	wait := g.cfg.Payments.Wait()
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(wait + payerSlack))
	return context.WithTimeout(r.Context(), wait)
}

// payerSlack is the time the payer's page has to be written after the
// callbacks it waited for.
const payerSlack = 10 * time.Second

// serveACS answers the issuer's 3DS page: GET shows Confirm and Fail, POST
// takes the answer.
func (g *Gateway) serveACS(w http.ResponseWriter, r *http.Request) {
	key := mux.Vars(r)["key"]
	now := g.cfg.Clock.Now()
	p, ok := g.cfg.Ledger.PaymentByPage(key)
	if sc, card := g.cfg.Ledger.CardPage(key); !ok && card && g.cfg.Cards != nil {
		g.serveCardACS(w, r, sc) // a card being saved (card storage)
		return
	}
	if !ok || g.cfg.Payments == nil {
		g.notice(w, http.StatusNotFound, page.NotFound(""))
		return
	}
	if !p.AwaitsACS(now) {
		if s, _ := p.StatusAt(now); !p.Paid() && now.Before(p.ExpiresAt) &&
			(s.Status == scenario.PaymentNew || s.Status == scenario.PaymentPending) {
			// No card yet: the card form first.
			http.Redirect(w, r, routes.PaymentPage+"?customer="+key, http.StatusSeeOther)
			return
		}
		g.after(w, p, now)
		return
	}
	answer, ok := g.acsAnswer(w, r, page.ACS{Lang: p.Language, Action: routes.ACSPage + key, Merchant: p.MerchantID,
		Amount: p.Amount.Fixed2(), Currency: p.Currency, CardPAN: p.CardPAN, PaymentID: fixtures.FormatID(p.PaymentID)})
	if !ok {
		return
	}
	ctx, cancel := g.payerWait(w, r)
	defer cancel()
	paid, err := g.cfg.Payments.AnswerACS(ctx, key, answer == "confirm", now)
	g.journalPayer(r, p, now, paid, err, sign.Fields{{Name: "acs", Value: answer}})
	switch {
	case errors.Is(err, ledger.ErrCharging):
		g.notice(w, http.StatusConflict, page.Busy(p.Language))
		return
	case errors.Is(err, ledger.ErrNoPayment): // reset meanwhile
		g.notice(w, http.StatusNotFound, page.NotFound(p.Language))
		return
	case err != nil:
		after, _ := g.cfg.Ledger.PaymentByPage(key)
		g.after(w, after, g.cfg.Clock.Now())
		return
	}
	g.outcome(w, paid.Payment, "", paid.At, paid.Rejection)
}

// readForm reads a small POSTed form's named fields; a field sent twice
// with different values is a problem. A nil map: the answer is written.
func readForm(w http.ResponseWriter, r *http.Request, names []string) (map[string]string, string) {
	body := r.Body
	r.Body = http.MaxBytesReader(w, r.Body, maxPageForm)
	var tooLarge *http.MaxBytesError
	if err := r.ParseForm(); errors.As(err, &tooLarge) || r.ContentLength > maxPageForm {
		r.Body = body
		wire.WriteTooLarge(w, r, maxPageForm, "text/plain; charset=utf-8",
			[]byte("The form is larger than "+strconv.Itoa(maxPageForm)+" bytes.\n"))
		return nil, ""
	}
	out := map[string]string{}
	problem := ""
	for _, n := range names {
		vs := r.PostForm[n]
		if len(vs) == 0 {
			continue
		}
		if slices.ContainsFunc(vs[1:], func(v string) bool { return v != vs[0] }) {
			problem = n + " is given twice with different values; send it once."
		}
		out[n] = vs[0]
	}
	return out, problem
}

// cardForm shows payment p's card form, with what was wrong with the form
// sent: a problem of the form's own (a field sent twice), or of the card
// typed, which the page says in the payer's language.
func (g *Gateway) cardForm(w http.ResponseWriter, status int, p ledger.Payment, problem string, card ledger.CardProblem) {
	v := page.Payment{Lang: p.Language, Merchant: p.MerchantID, OrderID: p.OrderID, PaymentID: fixtures.FormatID(p.PaymentID),
		Description: p.Description, Amount: p.Amount.Fixed2(), Currency: p.Currency,
		Action: routes.PaymentPage + "?customer=" + p.PageKey, Frame: p.Frame, Error: problem, Problem: card,
		ExpiresAt: p.ExpiresAt.In(g.loc).Format(OrderTimeLimitLayout)}
	for _, c := range ledger.PaymentTestCards() {
		v.TestCards = append(v.TestCards, page.TestCard{Number: c.Number, ThreeDS: c.ThreeDS, Declined: c.ErrorCode})
	}
	var buf bytes.Buffer
	_ = g.pages.Payment(&buf, v)
	writeHTML(w, status, buf.Bytes())
}

// after shows a payment whose page takes no card any more: its outcome,
// or that its lifetime is over.
func (g *Gateway) after(w http.ResponseWriter, p ledger.Payment, now time.Time) {
	g.outcome(w, p, p.Refusal, now, "")
}

// outcome sends the payer on from a payment's outcome at now: to the
// success URL once authorised (or while still pending), else to the
// failure URL, with the signed fields of spec §5.3; without a URL to go
// to, a page that says what happened.
func (g *Gateway) outcome(w http.ResponseWriter, p ledger.Payment, refusal string, now time.Time, rejection string) {
	st, _ := p.StatusAt(now)
	success := st.Status == scenario.PaymentSuccess || st.Status == scenario.PaymentPending
	url, method := p.SuccessURL, p.SuccessMethod
	fields := sign.Fields{{Name: "pg_order_id", Value: p.OrderID}, {Name: "pg_payment_id", Value: fixtures.FormatID(p.PaymentID)}}
	fields = append(fields, p.Params...)
	msg := "" // the page's own title says it, in the payer's language
	switch {
	case st.Status == scenario.PaymentPending:
		msg = "Платеж обрабатывается"
	case !success:
		url, method = p.FailureURL, p.FailureMethod
		code := st.ErrorCode
		desc := wire.PaymentText(code)
		if st.Status == scenario.PaymentRevoked {
			// The merchant's own words, as FreedomPay shows them (spec §5.1).
			code, desc = wire.CodeNotAvailable, cmp.Or(wire.Shorten(rejection, 255), "Платеж отклонен магазином")
		}
		if refusal != "" {
			desc = failureText(p, st)
		}
		msg = desc
		fields = append(fields, sign.Field{Name: "pg_error_code", Value: strconv.Itoa(code)},
			sign.Field{Name: "pg_error_description", Value: desc})
	}
	if url == "" {
		status := http.StatusOK
		g.notice(w, status, page.Notice{Lang: p.Language, Title: cmp.Or(msg, page.OutcomeTitle(p.Language, success)), Message: "Payment " + fixtures.FormatID(p.PaymentID) +
			": " + st.Status + ". The merchant gave no " + map[bool]string{true: "success", false: "failure"}[success] + " URL to return to."})
		return
	}
	if method == "" {
		method = "GET"
	}
	m, _ := g.cfg.Ledger.Merchant(p.MerchantID)
	script := sign.ScriptName(url)
	fields = append(fields, sign.Field{Name: "pg_salt", Value: g.cfg.Gen.Salt()})
	fields = append(fields, sign.Field{Name: sign.FieldSig, Value: sign.Sign(script, fields, m.SecretKey)})
	v := page.Redirect{Lang: p.Language, Success: success, Message: msg, URL: url, Method: method, Frame: p.Frame,
		Timeout: p.TimeoutAfterPayment}
	for _, f := range fields {
		v.Fields = append(v.Fields, page.Field{Name: f.Name, Value: f.Value})
	}
	var buf bytes.Buffer
	_ = g.pages.Redirect(&buf, v)
	writeHTML(w, http.StatusOK, buf.Bytes())
}

func (g *Gateway) notice(w http.ResponseWriter, status int, n page.Notice) {
	var buf bytes.Buffer
	_ = g.pages.Notice(&buf, n)
	writeHTML(w, status, buf.Bytes())
}

func writeHTML(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// journalPayer records what a payer sent on a payment's page or its 3DS
// page, and what came of it, beside the merchant's requests: the card
// masked, never its CVC.
func (g *Gateway) journalPayer(r *http.Request, p ledger.Payment, now time.Time, paid Paid, err error, fields sign.Fields) {
	if g.cfg.Journal == nil {
		return
	}
	e := journal.Entry{At: now, Method: r.Method, Path: r.URL.Path, MerchantID: p.MerchantID, OrderID: p.OrderID,
		PaymentID: fixtures.FormatID(p.PaymentID), Encoding: "form", Fields: fields, HTTPStatus: http.StatusOK, Outcome: journal.OutcomeOK}
	st, _ := paid.Payment.StatusAt(cmp.Or(paid.At, now))
	switch {
	case err != nil:
		e.Outcome, e.Description = journal.OutcomeError, "the payer's card was not taken: "+err.Error()
	case paid.Refusal != "":
		e.Outcome, e.Code, e.Description = journal.OutcomeError, st.ErrorCode, "the merchant's check request refused the payment: "+paid.Refusal
	case paid.ThreeDS:
		e.Description = "the card goes through the issuer's 3-D Secure page"
	case st.Status == scenario.PaymentError:
		e.Outcome, e.Code, e.Description = journal.OutcomeError, st.ErrorCode, "declined: "+wire.PaymentText(st.ErrorCode)+" (decided by "+paid.Payment.DecidedBy+")"
	case st.Status == scenario.PaymentRevoked:
		e.Outcome, e.Description = journal.OutcomeError, "the merchant rejected the result notify: the payment is revoked"
	default:
		e.Description = "the payment is " + st.Status + " (decided by " + paid.Payment.DecidedBy + ")"
	}
	m, _ := g.cfg.Ledger.Merchant(p.MerchantID)
	g.cfg.Journal.RecordMasked(e, m.Redactor())
}

// readCard reads a card form (the payment page's, the card-storage
// page's): the card, what is wrong with the form (a field sent twice,
// differently) or with the card; false when the form could not be read
// and w is answered.
func readCard(w http.ResponseWriter, r *http.Request) (ledger.Card, string, ledger.CardProblem, bool) {
	form, problem := readForm(w, r, cardFields)
	if form == nil {
		return ledger.Card{}, "", ledger.CardOK, false
	}
	card := ledger.Card{Number: form["card_number"], Holder: form["card_holder"], ExpMonth: form["card_exp_month"],
		ExpYear: form["card_exp_year"], CVC: form["card_cvc"]}
	cp := ledger.CardOK
	if problem == "" {
		cp = card.Problem()
	}
	return card, problem, cp, true
}

// journalCard is what the journal keeps of a card sent: the number
// masked, no CVC.
func journalCard(card ledger.Card) sign.Fields {
	return sign.Fields{{Name: "card_number", Value: ledger.MaskPAN(card.PAN())},
		{Name: "card_holder", Value: card.Holder}, {Name: "card_exp_month", Value: card.ExpMonth}, {Name: "card_exp_year", Value: card.ExpYear}}
}

// acsAnswer serves the issuer's 3DS page v on a GET and reads the payer's
// answer from a POST: "confirm" or "fail"; false when w is answered (the
// page, or the form refused).
func (g *Gateway) acsAnswer(w http.ResponseWriter, r *http.Request, v page.ACS) (string, bool) {
	if r.Method != http.MethodPost {
		var buf bytes.Buffer
		_ = g.pages.ACS(&buf, v)
		writeHTML(w, http.StatusOK, buf.Bytes())
		return "", false
	}
	form, problem := readForm(w, r, []string{"acs"})
	if form == nil {
		return "", false
	}
	if a := form["acs"]; problem != "" || (a != "confirm" && a != "fail") {
		g.notice(w, http.StatusUnprocessableEntity, page.Notice{Lang: v.Lang, Title: "3-D Secure",
			Message: "Send acs=confirm or acs=fail, once."})
		return "", false
	}
	return form["acs"], true
}
