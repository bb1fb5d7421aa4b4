package control

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// The dashboard's payments: the newest uiShown of every merchant, each
// with its status, its check requests and result notifies, and forms to
// force an outcome or send its result notify again.

// uiPayments are the payments the view shows, newest first, and how many
// there are.
func (u *ui) uiPayments() ([]sandbox.Payment, int) {
	all, err := u.h.sb.Payments(sandbox.PaymentQuery{})
	if err != nil {
		return nil, 0
	}
	ps := all.Payments
	out := make([]sandbox.Payment, 0, min(len(ps), uiShown))
	for i := len(ps) - 1; i >= 0 && len(out) < uiShown; i-- {
		out = append(out, ps[i])
	}
	return out, all.Matched
}

// paymentErrorCodes are the codes a payment may be forced to fail with.
func paymentErrorCodes() []uiErrorCode {
	var out []uiErrorCode
	for _, c := range wire.PaymentErrorCodes() {
		out = append(out, uiErrorCode{Code: c, Text: wire.PaymentText(c)})
	}
	return out
}

func (u *ui) registerPaymentForms(post func(path string, h http.Handler)) {
	post("/payments/{id}/status", u.form(u.forcePayment, "status", "error_code"))
	post("/payments/{id}/notify", u.form(u.resendPayment))
}

// forcePayment forces a payment's outcome from the dashboard.
func (u *ui) forcePayment(r *http.Request, f url.Values) uiOutcome {
	id, bad := formPaymentID(r)
	if bad != nil {
		return *bad
	}
	anchor := fmt.Sprintf("#payment-%d", id)
	status, code := f.Get("status"), 0
	if status == scenario.PaymentError {
		var err error
		if code, err = strconv.Atoi(f.Get("error_code")); err != nil {
			return failed(anchor, "Payment %d not forced: the error code %.20q is not a number.", id, f.Get("error_code"))
		}
	}
	fo, err := u.h.sb.ForcePayment(r.Context(), id, status, code)
	switch {
	case sandbox.KindOf(err) == sandbox.NotFound:
		return failed("", "There is no payment with payment id %d (the scenario was reset or replaced since the page was loaded?).", id)
	case err != nil:
		return failed(anchor, "Payment %d: %v.", id, err)
	}
	text := fmt.Sprintf("Payment %d forced to %s", id, statusText(status, code))
	if n := fo.Notification; n != nil {
		text += "; its result notify " + notifyOutcome(*n)
	}
	if fo.Warning != "" {
		text += ". It was final already: FreedomPay never changes a final status, so a merchant may rightly ignore this notify"
	}
	return done(anchor, "%s.", text)
}

func (u *ui) resendPayment(r *http.Request, _ url.Values) uiOutcome {
	id, bad := formPaymentID(r)
	if bad != nil {
		return *bad
	}
	anchor := fmt.Sprintf("#payment-%d", id)
	re, err := u.h.sb.ResendPayment(r.Context(), id)
	switch {
	case sandbox.KindOf(err) == sandbox.NotFound:
		return failed("", "There is no payment with payment id %d (the scenario was reset or replaced since the page was loaded?).", id)
	case err != nil:
		return failed(anchor, "Payment %d: %v.", id, err)
	}
	return done(anchor, "Payment %d: result notify %s.", id, notifyOutcome(re.Notification))
}
