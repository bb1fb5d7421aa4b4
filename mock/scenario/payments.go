package scenario

import (
	"fmt"
	"slices"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// Payment statuses (payments.md §4): what get_status3.php's
// pg_payment_status says of a payment.
const (
	PaymentNew        = "new"        // init_payment accepted; the payer has not opened the page
	PaymentPending    = "pending"    // the payer is on the page, or at the issuer's 3DS page
	PaymentSuccess    = "success"    // authorised (captured or held)
	PaymentError      = "error"      // declined, 3DS failed, refused by the check request
	PaymentIncomplete = "incomplete" // the lifetime ended unpaid (10018)
	PaymentRevoked    = "revoked"    // the merchant rejected its result notify
)

// Operations on a payment after its charge that a payment rule's
// operations (and a test card's capabilities) may refuse.
const (
	OpCapture = "capture" // do_capture.php, /g2g/clearing
	OpCancel  = "cancel"  // cancel.php, /g2g/cancel
	OpRefund  = "refund"  // revoke.php, /g2g/refund
)

// Operations lists the operations a payment rule may refuse.
func Operations() []string { return []string{OpCapture, OpCancel, OpRefund} }

// Rule kinds: what a [Rule] decides.
const (
	RulePayout  = "payout"  // the timeline of a payout (default)
	RulePayment = "payment" // the outcome of a payment paid on the page
)

// PaymentSettings is the `payments` key in its table form ([payments] with
// [[payments.existing]]); the array form [[payments]] lists existing
// payments only. Every setting answers one of payments.md §9's open
// points; each has its default in a method.
type PaymentSettings struct {
	// OrderID is "required" (default; FreedomPay UZ, KG and the API dump)
	// or "optional" (the KZ docs): open point 2.
	OrderID string `toml:"order_id"`
	// PageScript is the script name /g2g/payment_page/ is signed with:
	// "payment_page" (default) or "" (the rule's last segment of a path
	// ending in "/"): open point 1.
	PageScript *string `toml:"page_script"`
	// CheckTimeout bounds the check request; no answer within it refuses
	// the payment. Default 30s.
	CheckTimeout Duration `toml:"check_timeout"`
	// CheckAck is "strict" (default: only a signed pg_status=ok lets the
	// payment go on) or "lenient" (an unsigned ok does too): open point 6.
	CheckAck string `toml:"check_ack"`
	// ResultRetries are the waits before each retry of a result notify
	// that failed; default four of 30m (every 30 minutes for 2 hours).
	ResultRetries []Duration `toml:"result_retries"`
	// ResultTimeout cuts one result-notify attempt; default 30s.
	ResultTimeout Duration `toml:"result_timeout"`
	// ResultAck is "lenient" (default: any HTTP 200 is taken, a signed
	// <response> read for ok/rejected/error) or "strict" (an answer that
	// is not a signed <response> is a failed attempt): open point 6.
	ResultAck string `toml:"result_ack"`
	// Encoding of check and result callbacks when the payment's
	// pg_request_method gives none: "urlencoded" (default), "multipart",
	// "xml" (one pg_xml field) or "get": open point 8.
	Encoding string `toml:"encoding"`
	// ClearingFlag names /g2g/clearing's reply flag: "status_clearing"
	// (default, pg_status_clearing as the docs' example has it) or
	// "clearing_status" (pg_clearing_status, the schema's): open point 4.
	ClearingFlag string `toml:"clearing_flag"`
	// RefundStatus is pg_payment_status once a payment is refunded in
	// full: "success" (default, the reference's only refund example:
	// success with pg_refund_amount negative), "refunded" or "revoked"
	// (what some clients expect): open point 5. A partial refund leaves
	// the payment success whatever it says.
	RefundStatus string `toml:"refund_status"`
	// CreditPayoutBalance credits what payments take to their merchant's
	// payout balance: the net of each capture when it is captured, less
	// each refund when it is made (a marketplace: take a payment, pay a
	// seller out). Default false: the reference does not say, and the
	// payout balance is topped up separately.
	CreditPayoutBalance bool `toml:"credit_payout_balance"`
	// RecurringMaxMonths bounds pg_recurring_lifetime, in months: 156 by
	// default, as the docs and the official SDK say ("min 1, max 156"); one
	// adapter claims 12 (open point 14).
	RecurringMaxMonths int `toml:"recurring_max_months"`
	// LegacyNotifies sends the Platron family's legacy callbacks to a
	// payment's pg_refund_url (each refund, and a hold's cancel) and
	// pg_capture_url (a hold's capture, by do_capture.php or at the
	// hold's end), signed as the result notify is and retried as it is.
	// Default false: current FreedomPay docs do not describe them
	// (payments.md §5.4, open point 13).
	LegacyNotifies bool `toml:"legacy_notifies"`
	// Existing payments, as [[payments]] lists them in the array form.
	Existing []Payment `toml:"existing"`

	// check_timeout and result_timeout written, "0s" included: a zero
	// left unset (as in a scenario built in Go) is the default, a zero
	// written is a mistake validation reports.
	checkTimeoutGiven, resultTimeoutGiven bool
	recurringMaxGiven                     bool // recurring_max_months written, 0 included
}

// Defaults of [PaymentSettings].
const (
	DefaultCheckTimeout  = 30 * time.Second
	DefaultResultTimeout = 30 * time.Second
	// MaxCallbackTimeout bounds check_timeout and result_timeout: the
	// payer's page waits for both.
	MaxCallbackTimeout   = 2 * time.Minute
	DefaultResultRetry   = 30 * time.Minute
	DefaultResultRetries = 4
	DefaultPageScript    = "payment_page"
	OrderIDRequired      = "required"
	OrderIDOptional      = "optional"
	// EncodingGet sends check and result callbacks as a GET query, one of
	// [PaymentSettings.Encoding]'s choices besides [EncodingURL],
	// [EncodingMultipart] and [EncodingXML].
	EncodingGet = "get"
	// ClearingFlagExample and ClearingFlagSchema are the choices of
	// [PaymentSettings.ClearingFlag].
	ClearingFlagExample = "status_clearing"
	ClearingFlagSchema  = "clearing_status"
	// PaymentRefunded is the choice of [PaymentSettings.RefundStatus]
	// besides PaymentSuccess and PaymentRevoked.
	PaymentRefunded = "refunded"
	// DefaultRecurringMaxMonths is [PaymentSettings.RecurringMaxMonths]'s
	// default, and the most it may be.
	DefaultRecurringMaxMonths = 156
)

// Error codes of a payment's timeline (payments.md §6).
const (
	// PaymentDeclineDefault is the code of an "error" step that gives
	// none: "Ошибка оплаты. Обратитесь в банк выпустивший карту", the
	// issuer's generic decline.
	PaymentDeclineDefault = 10001
	// PaymentLifetimeOver is the code of every "incomplete" step: the
	// payment's lifetime ended unpaid.
	PaymentLifetimeOver = 10018
)

// PaymentDeclineCodes lists, ascending, the codes of payments.md §6 that
// say why a payment failed, which an "error" step may carry: 3DS technical
// error (8889), processing unavailable (10000), issuer decline (10001),
// 3DS failed (10004), wrong card data (10005, 10008), insufficient funds
// (10009), expired card (10017), operation refused (10019). The lifetime's
// end (10018) is an "incomplete" step's; the other codes of the table
// answer requests (signature, validation, cancel, refund), not payments.
func PaymentDeclineCodes() []int {
	codes := wire.PaymentErrorCodes() // the one table of texts
	return slices.DeleteFunc(codes, func(c int) bool { return c == PaymentLifetimeOver })
}

// MaxPaymentURL bounds a payment callback URL (a merchant's check_url,
// result_url, success_url, failure_url, and a payment's): pg_check_url and
// the like are at most 255 characters (payments.md §3.1).
const MaxPaymentURL = 255

// MaxPaymentDescription bounds a payment's description, in characters, as
// pg_description is bounded (payments.md §3.1).
const MaxPaymentDescription = 1024

// OrderIDIsRequired reports whether init_payment needs pg_order_id.
func (p PaymentSettings) OrderIDIsRequired() bool { return p.OrderID != OrderIDOptional }

// PageScriptName is the script name of /g2g/payment_page/.
func (p PaymentSettings) PageScriptName() string {
	if p.PageScript == nil {
		return DefaultPageScript
	}
	return *p.PageScript
}

// CheckTimeoutOr is CheckTimeout or its default.
func (p PaymentSettings) CheckTimeoutOr() time.Duration {
	if p.CheckTimeout.Duration > 0 {
		return p.CheckTimeout.Duration
	}
	return DefaultCheckTimeout
}

// ResultTimeoutOr is ResultTimeout or its default.
func (p PaymentSettings) ResultTimeoutOr() time.Duration {
	if p.ResultTimeout.Duration > 0 {
		return p.ResultTimeout.Duration
	}
	return DefaultResultTimeout
}

// CheckAckOr is CheckAck or its default, AckStrict.
func (p PaymentSettings) CheckAckOr() string {
	if p.CheckAck == "" {
		return AckStrict
	}
	return p.CheckAck
}

// ResultAckOr is ResultAck or its default, AckLenient.
func (p PaymentSettings) ResultAckOr() string {
	if p.ResultAck == "" {
		return AckLenient
	}
	return p.ResultAck
}

// EncodingOr is Encoding or its default, EncodingURL.
func (p PaymentSettings) EncodingOr() string {
	if p.Encoding == "" {
		return EncodingURL
	}
	return p.Encoding
}

// ClearingFlagField is the name of /g2g/clearing's reply flag:
// pg_status_clearing by default, pg_clearing_status as a setting.
func (p PaymentSettings) ClearingFlagField() string {
	if p.ClearingFlag == "" {
		return "pg_" + ClearingFlagExample
	}
	return "pg_" + p.ClearingFlag
}

// StatusRefunded is pg_payment_status of a payment refunded in full:
// success by default, refunded or revoked as RefundStatus says.
func (p PaymentSettings) StatusRefunded() string {
	if p.RefundStatus == "" {
		return PaymentSuccess
	}
	return p.RefundStatus
}

// RecurringMaxMonthsOr is RecurringMaxMonths or its default.
func (p PaymentSettings) RecurringMaxMonthsOr() int {
	if p.RecurringMaxMonths > 0 {
		return p.RecurringMaxMonths
	}
	return DefaultRecurringMaxMonths
}

// Retries are the waits before each retry of a result notify.
func (p PaymentSettings) Retries() []time.Duration {
	if p.ResultRetries == nil {
		out := make([]time.Duration, DefaultResultRetries)
		for i := range out {
			out[i] = DefaultResultRetry
		}
		return out
	}
	out := make([]time.Duration, len(p.ResultRetries))
	for i, d := range p.ResultRetries {
		out[i] = d.Duration
	}
	return out
}

// Payment is a payment that exists when the scenario loads: paid (or
// failed) as its timeline says, its result notify sent when a step with
// status success or error is reached.
type Payment struct {
	MerchantID  Text    `toml:"merchant_id"`
	OrderID     Text    `toml:"order_id"`
	PaymentID   int64   `toml:"payment_id"` // 0: generated from the seed
	Amount      float64 `toml:"amount"`
	Currency    string  `toml:"currency"` // default: the merchant's
	Description string  `toml:"description"`
	Card        string  `toml:"card"` // PAN paid with; generated when empty
	// Callback URLs; default: the merchant's.
	ResultURL  string `toml:"result_url"`
	SuccessURL string `toml:"success_url"`
	FailureURL string `toml:"failure_url"`
	// Timeline of statuses (PaymentNew … PaymentRevoked) from scenario
	// load; default: success at 0s.
	Timeline []Step   `toml:"timeline"`
	Drills   []string `toml:"drills"`
}

// AutoClearingOn reports whether the merchant's payments are captured on
// authorisation when init_payment does not say.
func (m Merchant) AutoClearingOn() bool { return m.AutoClearing == nil || *m.AutoClearing }

// IsPayment reports whether the rule decides payments rather than payouts.
func (r Rule) IsPayment() bool { return r.Kind == RulePayment }

// decodePayments reads the `payments` key in either of its forms, as
// decodePayouts reads `payouts`: [[payments]] (the payments that exist at
// start) or [payments] with the settings and [[payments.existing]].
func (sc *Scenario) decodePayments(md toml.MetaData) error {
	sc.paymentsTable = "payments"
	kind := md.Type("payments")
	if kind == "" && md.IsDefined("payments") {
		kind = "Hash" // made by [[payments.existing]] alone, without a [payments] line
	}
	switch kind {
	case "":
		return nil
	case "Hash":
		sc.paymentsTable = "payments.existing"
		ps := &sc.PaymentSettings
		if err := md.PrimitiveDecode(sc.PaymentsTOML, ps); err != nil {
			return fmt.Errorf("[payments]: %w", err)
		}
		sc.Payments, ps.Existing = ps.Existing, nil
		ps.checkTimeoutGiven = md.IsDefined("payments", "check_timeout")
		ps.resultTimeoutGiven = md.IsDefined("payments", "result_timeout")
		ps.recurringMaxGiven = md.IsDefined("payments", "recurring_max_months")
		return nil
	default:
		if err := md.PrimitiveDecode(sc.PaymentsTOML, &sc.Payments); err != nil {
			return fmt.Errorf("[[payments]]: %w", err)
		}
		return nil
	}
}

// applyPaymentDefaults fills what existing payments and payment rules leave
// out: a payment's currency is its merchant's, its timeline success at 0s;
// an "error" step's code is PaymentDeclineDefault, an "incomplete" step's
// PaymentLifetimeOver; a payment rule with three_ds and no timeline
// succeeds once the 3DS page is passed. A rule without kind is a payout
// rule. The settings keep their defaults in their methods.
func (sc *Scenario) applyPaymentDefaults() {
	var currency map[Text]string
	if len(sc.Payments) > 0 {
		currency = map[Text]string{}
		for _, m := range sc.Merchants {
			if _, ok := currency[m.ID]; !ok {
				currency[m.ID] = m.Currency
			}
		}
	}
	for i := range sc.Payments {
		p := &sc.Payments[i]
		if p.Currency == "" {
			p.Currency = currency[p.MerchantID]
		}
		if len(p.Timeline) == 0 {
			p.Timeline = []Step{{Status: PaymentSuccess}}
		}
		defaultPaymentCodes(p.Timeline)
	}
	for i := range sc.Rules {
		r := &sc.Rules[i]
		if r.Kind == "" {
			r.Kind = RulePayout
		}
		if !r.IsPayment() {
			continue
		}
		if len(r.Timeline) == 0 && (r.ThreeDS || len(r.Drills) > 0 || len(r.Operations) > 0) { // a 3DS, drill or operations rule: success
			r.Timeline = []Step{{Status: PaymentSuccess}}
		}
		defaultPaymentCodes(r.Timeline)
	}
}

func defaultPaymentCodes(steps []Step) {
	for j := range steps {
		switch s := &steps[j]; {
		case s.ErrorCode != 0:
		case s.Status == PaymentError:
			s.ErrorCode = PaymentDeclineDefault
		case s.Status == PaymentIncomplete:
			s.ErrorCode = PaymentLifetimeOver
		}
	}
}
