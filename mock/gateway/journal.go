package gateway

import (
	"net/http"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/redact"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// record gathers what the journal keeps of one request as the adapter
// learns it.
type record struct {
	r          *http.Request
	start      time.Time
	at         time.Time // sandbox time when the request came
	fields     sign.Fields
	encoding   string
	merchant   ledger.Merchant // when identified: pg_merchant_id names one
	identified bool
	explain    *sign.Explanation
	err        *wire.Error
	reply      sign.Fields // fields of a successful reply
	fault      string      // the drill fault that replaced the reply
	made       bool        // the request made a payout
}

func (g *Gateway) newRecord(r *http.Request) *record {
	return &record{r: r, start: time.Now(), at: g.cfg.Clock.Now()}
}

// record adds the request to the journal, card numbers and the merchant's
// secrets masked by the merchant's redactor (journal.RecordMasking).
func (g *Gateway) record(rec *record, status int) {
	if g.cfg.Journal == nil {
		return
	}
	e := journal.Entry{
		At: rec.at, Method: rec.r.Method, Path: rec.r.URL.Path, Encoding: rec.encoding,
		MerchantID: rec.fields.Value("pg_merchant_id"), OrderID: rec.fields.Value("pg_order_id"),
		PaymentID: rec.fields.Value("pg_payment_id"), HTTPStatus: status, Outcome: journal.OutcomeOK,
		Signature: rec.explain, TookMS: float64(time.Since(rec.start).Microseconds()) / 1000,
	}
	if e.PaymentID == "" {
		e.PaymentID = rec.reply.Value("pg_payment_id")
	}
	if rec.err != nil {
		e.Outcome, e.Code, e.Description = journal.OutcomeError, rec.err.Code, rec.err.Description
	}
	if rec.explain != nil {
		e.Outcome = journal.OutcomeBadSignature
	}
	if rec.fault != "" {
		e.Outcome, e.Fault, e.Made = journal.OutcomeFault, rec.fault, rec.made
		e.Description = faultDescription(rec)
	}
	var m *redact.Redactor
	if rec.identified {
		m = rec.merchant.Redactor()
	}
	e.Fields = rec.fields
	g.cfg.Journal.RecordMasking(e, m)
}

// faultDescription says what a drill fault hid from the merchant.
func faultDescription(rec *record) string {
	what := "the request was carried out"
	if rec.made {
		what = "the payout was made"
	}
	switch rec.fault {
	case "system_error":
		return "drill fault: " + what + ", but the reply said 9999 system error; ask /api/payment_status2 with the order id for the outcome"
	case "slow":
		return "drill fault: " + what + "; the reply was held back (drills.faults.slow_by)"
	case "reset":
		return "drill fault: " + what + ", then the connection was closed without a reply"
	}
	return "drill fault: " + what + ", but a proxy answered HTTP 502"
}
