package scenario

import "time"

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
	// Existing payments, as [[payments]] lists them in the array form.
	Existing []Payment `toml:"existing"`
}

// Defaults of [PaymentSettings].
const (
	DefaultCheckTimeout  = 30 * time.Second
	DefaultResultTimeout = 30 * time.Second
	DefaultResultRetry   = 30 * time.Minute
	DefaultResultRetries = 4
	DefaultPageScript    = "payment_page"
	OrderIDRequired      = "required"
	OrderIDOptional      = "optional"
)

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
