package gateway

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
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

// record adds the request to the journal, with card numbers and the
// merchant's secrets masked.
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
	var secrets []string
	if rec.identified {
		secrets = []string{rec.merchant.SecretKey, rec.merchant.PayoutSecretKey}
	}
	e.Fields = maskFields(rec.fields, secrets)
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
	g.cfg.Journal.Record(e)
}

// maskFields copies fields with card numbers, card security codes and any
// of secrets masked.
func maskFields(fields sign.Fields, secrets []string) sign.Fields {
	out := sign.MaskSecrets(fields, secrets...)
	for i, f := range out {
		switch name := strings.ToLower(f.Name); {
		case slices.Contains(cardFields, name):
			out[i].Value = fixtures.MaskPAN(f.Value)
		case strings.Contains(name, "cvc") || strings.Contains(name, "cvv"):
			out[i].Value = strings.Repeat("*", len(f.Value))
		case name != "pg_payment_id" && name != "pg_order_id":
			out[i].Value = maskPANs(f.Value)
		}
	}
	return out
}

// panLike is what may be a card number in free text: digits in groups of
// four ("4111 1111 1111 1111", or with dashes), or a run of 13 or more.
var (
	panLike       = regexp.MustCompile(`(?:[0-9]{4}[ -]){3}[0-9]{1,7}|[0-9]{13,}`)
	panSeparators = strings.NewReplacer(" ", "", "-", "")
)

// maskPANs masks the card numbers (what ValidPAN takes) in free text, a
// description say.
func maskPANs(s string) string {
	if !mayHoldPAN(s) {
		return s
	}
	return panLike.ReplaceAllStringFunc(s, func(m string) string {
		if pan := panSeparators.Replace(m); ValidPAN(pan) {
			return fixtures.MaskPAN(pan)
		}
		return m
	})
}

// mayHoldPAN is a cheap look first, as most values (a signature, a salt,
// an amount) cannot hold a card: 13 digits in a row, or 13 digits in all
// with a space or a dash among them.
func mayHoldPAN(s string) bool {
	digits, run, separated := 0, 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if digits, run = digits+1, run+1; run >= 13 {
				return true
			}
			continue
		case c == ' ' || c == '-':
			separated = true
		}
		run = 0
	}
	return digits >= 13 && separated
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
