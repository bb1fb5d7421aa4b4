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
	r        *http.Request
	start    time.Time
	at       time.Time // sandbox time when the request came
	fields   sign.Fields
	encoding string
	merchant *ledger.Merchant // known once pg_merchant_id names one
	explain  *sign.Explanation
	err      *wire.Error
	reply    sign.Fields // fields of a successful reply
	fault    string      // the drill fault that replaced the reply
	made     bool        // the request made a payout
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
	if rec.merchant != nil {
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

// groupedPAN is a card number written in groups of four, "4111 1111 1111
// 1111" or with dashes.
var groupedPAN = regexp.MustCompile(`\b(?:[0-9]{4}[ -]){3}[0-9]{1,7}\b`)

// maskPANs masks what is a card number in free text (a description, say):
// a run of digits that ValidPAN takes, or one in groups of four.
func maskPANs(s string) string {
	digits, run, longest, separated := 0, 0, 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits, run = digits+1, run+1
			longest = max(longest, run)
			continue
		case c == ' ' || c == '-':
			separated = true
		}
		run = 0
	}
	if digits < 13 || (longest < 13 && !separated) { // most values: a signature, a salt, an amount
		return s
	}
	if separated {
		s = groupedPAN.ReplaceAllStringFunc(s, func(g string) string {
			if pan := strings.NewReplacer(" ", "", "-", "").Replace(g); ValidPAN(pan) {
				return fixtures.MaskPAN(pan)
			}
			return g
		})
	}
	if longest < 13 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		switch {
		case j == i:
			b.WriteByte(s[i])
			i++
			continue
		case ValidPAN(s[i:j]):
			b.WriteString(fixtures.MaskPAN(s[i:j]))
		default:
			b.WriteString(s[i:j])
		}
		i = j
	}
	return b.String()
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
