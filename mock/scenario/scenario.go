// Package scenario reads scenario files: TOML stories of one integration test
// that name the merchants, their secrets and balances, and the payouts that
// exist when the sandbox starts, each with a timeline of statuses.
//
// Reading is strict: an unknown key is an error with file and line, and every
// problem of a file is reported at once.
package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // gateway.timezone must load in a scratch image too

	"github.com/BurntSushi/toml"

	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/scenarios"
)

// Payout statuses (pg_payment_status).
const (
	StatusProcess = "process"
	StatusSuccess = "success"
	StatusError   = "error"
)

// Settings of [Gateway.StatusSecret].
const (
	SecretPayout  = "payout"
	SecretPayment = "payment"
)

// Scenario is one parsed scenario file, with defaults filled in.
type Scenario struct {
	Name        string     `toml:"name"`
	Description string     `toml:"description"`
	Seed        int64      `toml:"seed"` // 0: not set; see fixtures.DefaultSeed
	Gateway     Gateway    `toml:"gateway"`
	Notify      Notify     `toml:"notify"`
	Clock       Clock      `toml:"clock"`
	Merchants   []Merchant `toml:"merchants"`
	Rules       []Rule     `toml:"rules"`  // tried in order for a payout made through the gateway
	Cards       []Card     `toml:"cards"`  // saved card tokens, for reg2reg
	Expect      []Expect   `toml:"expect"` // what `verify` checks after a run
	Drills      Drills     `toml:"drills"` // drills for every payout, and gateway faults

	// PayoutsTOML is the raw `payouts` key: an array of tables (the payouts
	// that exist at start) or a table with default_delay and `existing`.
	// Parse reads it into Payouts and PayoutSettings.
	PayoutsTOML toml.Primitive `toml:"payouts"`
	// Payouts exist when the scenario loads.
	Payouts []Payout `toml:"-"`
	// PayoutSettings apply to payouts made through the gateway.
	PayoutSettings PayoutSettings `toml:"-"`

	// File is where the scenario came from ("embedded:default.toml" for the
	// built-in one). It is not read from TOML.
	File string `toml:"-"`
	// Source is the TOML the scenario was parsed from.
	Source []byte `toml:"-"`

	// PaymentsTOML is the raw `payments` key, read as PayoutsTOML is:
	// [[payments]] (the payments that exist at start) or [payments] with
	// settings and [[payments.existing]].
	PaymentsTOML toml.Primitive `toml:"payments"`
	// Payments exist when the scenario loads.
	Payments []Payment `toml:"-"`
	// PaymentSettings apply to payments made through the gateway.
	PaymentSettings PaymentSettings `toml:"-"`

	payoutsTable  string // "payouts" or "payouts.existing", for line numbers
	paymentsTable string // "payments" or "payments.existing"
}

// PayoutSettings is the table form of the `payouts` key.
type PayoutSettings struct {
	// DefaultDelay is how long a new payout that no rule or test card
	// decides stays in process before it succeeds; default 5s.
	DefaultDelay Duration `toml:"default_delay"`
	// Existing payouts, as [[payouts]] lists them in the array form.
	Existing []Payout `toml:"existing"`

	delayGiven bool // default_delay written, "0s" included
}

// Delay is DefaultDelay, or its default when the scenario does not give
// one: "0s" written is no delay, a zero left unset (as in a scenario built
// in Go) is the default.
func (p PayoutSettings) Delay() time.Duration {
	if p.DefaultDelay.Duration == 0 && !p.delayGiven {
		return DefaultDelay
	}
	return p.DefaultDelay.Duration
}

// Rule chooses the timeline of a new payout: the first rule whose every
// given match key holds wins, before the test cards are looked at.
type Rule struct {
	// Kind is RulePayout (default) or RulePayment: a payment rule decides
	// the outcome of a payment paid on the page, its timeline counted from
	// the moment the card is sent.
	Kind     string   `toml:"kind"`
	Match    Match    `toml:"match"`
	Timeline []Step   `toml:"timeline"` // from the moment the payout starts
	Drills   []string `toml:"drills"`   // drills for the payouts it matches
	// ThreeDS sends a payment it matches through the issuer's 3DS page
	// (payment rules only).
	ThreeDS bool `toml:"three_ds"`
	// Operations script what the payments a payment rule matches refuse
	// after the charge: an operation (OpCapture, OpCancel, OpRefund) and
	// the payment error code its request answers; 0 lets it through where
	// a test card would refuse it.
	Operations map[string]int `toml:"operations"`
}

// Match holds a rule's conditions; each is optional. Strings are globs
// where "*" stands for any run of characters.
type Match struct {
	MerchantID string   `toml:"merchant_id"`
	Card       string   `toml:"card"` // the card number paid to (never the masked hash)
	AmountMin  *float64 `toml:"amount_min"`
	AmountMax  *float64 `toml:"amount_max"`
	OrderID    string   `toml:"order_id"`
	IBAN       string   `toml:"iban"`
}

// Card is a saved card a merchant pays out to by token (reg2reg).
type Card struct {
	MerchantID Text   `toml:"merchant_id"`
	UserID     Text   `toml:"user_id"` // when set, pg_user_id must match
	Token      string `toml:"token"`   // pg_card_token_to
	CardID     int64  `toml:"card_id"` // pg_card_id_to, as older SDKs send; optional
	Number     string `toml:"card"`    // the PAN, for pg_card_hash and rules; never shown
}

// Gateway holds the choices the real gateway leaves open (spec §8).
type Gateway struct {
	// BadSignatureCode answers a wrong pg_sig: 9998 (older docs and live
	// replies, the default) or 1100 (newer docs).
	BadSignatureCode int `toml:"bad_signature_code"`
	// SignErrors signs business-error replies (pg_datetime, pg_salt, pg_sig)
	// once the caller's signature checked out. Authentication errors and
	// "payment not found" are never signed. Default true.
	SignErrors *bool `toml:"sign_errors"`
	// AcceptSigWithoutEmpty also accepts a pg_sig computed with empty fields
	// left out, as one CMS plugin does. Default false: the docs keep them.
	AcceptSigWithoutEmpty bool `toml:"accept_sig_without_empty"`
	// StatusSecret is the merchant secret that signs payout status requests
	// and replies: "payout" (default) or "payment".
	StatusSecret string `toml:"status_secret"`
	// Timezone of pg_datetime and the like, an IANA name. Default "UTC".
	Timezone string `toml:"timezone"`
}

// Notify configures payout notifies (spec §6 and §8.4, assumed).
type Notify struct {
	// Ack is "lenient" (default: the HTTP status alone decides) or "strict"
	// (an answer that is not a documented ack counts as a failed attempt).
	Ack string `toml:"ack"`
	// Retries are the waits before each retry; default four of 30m, the
	// documented result_url policy (every 30 minutes for 2 hours).
	Retries []Duration `toml:"retries"`
	// Timeout of one attempt, in wall time; default 10s.
	Timeout Duration `toml:"timeout"`
	// Encoding of the POST body: "urlencoded" (default), "multipart" or "xml"
	// (a pg_xml field).
	Encoding string `toml:"encoding"`
	// Errors notifies failed payouts too (pg_status=error); default true.
	Errors *bool `toml:"errors"`
	// ScriptName of a post_link ending in "/", which FreedomPay does not
	// document: "last-segment" (default: https://shop.kz/hooks/post/ signs
	// as "post") or "after-last-slash" ("", as the official PHP SDK's
	// checkSig computes it on the merchant's side).
	ScriptName string `toml:"script_name"`
}

// Clock sets the scenario's clock; command-line flags win.
type Clock struct {
	Mode  string    `toml:"mode"`  // "real" (default) or "manual"
	Start time.Time `toml:"start"` // the clock's reading at load; default now
	Speed float64   `toml:"speed"` // real mode: time runs this many times faster; default 1
}

// Settings of [Notify].
const (
	AckLenient = "lenient"
	AckStrict  = "strict"

	ScriptLastSegment    = "last-segment"
	ScriptAfterLastSlash = "after-last-slash"

	EncodingURL       = "urlencoded"
	EncodingMultipart = "multipart"
	EncodingXML       = "xml"
)

// Script returns the script name a notify to url is signed with.
func (n Notify) Script(url string) string {
	if n.ScriptName == ScriptAfterLastSlash {
		return sign.ScriptNameAfterLastSlash(url)
	}
	return sign.ScriptName(url)
}

// ErrorsOn reports the effective notify.errors setting.
func (n Notify) ErrorsOn() bool { return n.Errors == nil || *n.Errors }

// DemoPostLink, as a merchant's post_link, sends its payout notifies to the
// sandbox's own demo merchant, in-process: it checks pg_sig with the
// merchant's payout secret and acknowledges as a careful merchant does. The
// embedded default scenario's merchants use it, so a first run has
// somewhere to deliver to. It is also served over HTTP at this path.
const DemoPostLink = "/_mock/demo/merchant"

// Merchant is one merchant account.
type Merchant struct {
	ID              Text    `toml:"id"`
	SecretKey       string  `toml:"secret_key"`        // payments
	PayoutSecretKey string  `toml:"payout_secret_key"` // payouts: requests, replies, notifies
	Balance         float64 `toml:"balance"`
	Currency        string  `toml:"currency"` // default KZT
	// PostLink is the default callback URL for payout notifies: an absolute
	// http(s) URL, or DemoPostLink.
	PostLink string `toml:"post_link"`
	// Payments: where the check request and the result notify go, and
	// where the payer is sent back, when init_payment gives none
	// (pg_check_url, pg_result_url, pg_success_url, pg_failure_url). No
	// check URL: no check request.
	CheckURL   string `toml:"check_url"`
	ResultURL  string `toml:"result_url"`
	SuccessURL string `toml:"success_url"`
	FailureURL string `toml:"failure_url"`
	// AutoClearing is whether a payment without pg_auto_clearing is
	// captured on authorisation; default true (open point 3).
	AutoClearing *bool `toml:"auto_clearing"`
	// Commission of a payout made through the gateway: pg_to_pay = amount +
	// amount*commission_percent/100 (rounded half up to the tiyn) +
	// commission_fixed. Both default to 0.
	CommissionPercent float64 `toml:"commission_percent"`
	CommissionFixed   float64 `toml:"commission_fixed"`
	// PaymentCommissionPercent is what FreedomPay keeps of a payment:
	// pg_net_amount = amount - amount*payment_commission_percent/100
	// (rounded half up to the tiyn). Default 0 (open point 9).
	PaymentCommissionPercent float64 `toml:"payment_commission_percent"`
}

// Payout is a payout that exists when the scenario loads.
type Payout struct {
	MerchantID Text     `toml:"merchant_id"`
	OrderID    Text     `toml:"order_id"`
	PaymentID  int64    `toml:"payment_id"` // 0: generated from the seed
	Amount     float64  `toml:"amount"`
	NetAmount  *float64 `toml:"net_amount"` // default: amount
	Commission *float64 `toml:"commission"` // added to amount in pg_to_pay; default the merchant's
	Card       string   `toml:"card"`       // PAN, masked into pg_card_hash; generated when empty
	PostLink   string   `toml:"post_link"`  // default: the merchant's
	Timeline   []Step   `toml:"timeline"`   // default: success at 0s
	Drills     []string `toml:"drills"`     // drills for this payout
}

// Step is one point of a payout's timeline.
type Step struct {
	At        Duration `toml:"at"` // from scenario load
	Status    string   `toml:"status"`
	ErrorCode int      `toml:"error_code"` // for status "error"
	// Notify overrides whether reaching this step sends a payout notify:
	// by default final steps (success, error) do and process steps do not.
	Notify *bool `toml:"notify"`
}

// Notifies reports whether reaching the step sends a payout notify.
func (s Step) Notifies(errorsOn bool) bool {
	if s.Notify != nil {
		return *s.Notify
	}
	return s.Status == StatusSuccess || (s.Status == StatusError && errorsOn)
}

// Duration is a time.Duration written as "5s", "1m30s".
type Duration struct {
	time.Duration
	bad string // text that is not a duration, reported by validation
}

// UnmarshalText reads a Go duration string. Text that is not one is kept
// for validation to report with the file's other problems.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		d.bad = string(b)
		return nil
	}
	d.Duration = v
	return nil
}

// problem describes a duration that did not parse, or is "".
func (d Duration) problem() string {
	if d.bad == "" {
		return ""
	}
	return strconv.Quote(d.bad) + ` is not a duration such as "5s" or "1m30s"`
}

// Text is a string that may be written in TOML as a string or an integer
// (id = 9970 and id = "9970" mean the same).
type Text string

// UnmarshalTOML accepts a string or an integer.
func (t *Text) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		*t = Text(v)
	case int64:
		*t = Text(strconv.FormatInt(v, 10))
	default:
		return fmt.Errorf("want a string or an integer, got %T", v)
	}
	return nil
}

// SignErrorsOn reports the effective sign_errors setting.
func (g Gateway) SignErrorsOn() bool { return g.SignErrors == nil || *g.SignErrors }

// Location returns the time zone of Timezone (UTC when it does not load;
// validation has reported that already).
func (g Gateway) Location() *time.Location {
	loc, err := time.LoadLocation(g.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// MaxFileBytes bounds a scenario file: 100 000 payouts take about 15 MB.
const MaxFileBytes = 128 << 20

// Load reads and validates a scenario file.
func Load(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("read scenario: %s is over %d MiB; a scenario is at most that", path, MaxFileBytes>>20)
	}
	return Parse(path, data)
}

// DefaultFile is the embedded scenario served when none is given.
const DefaultFile = "default.toml"

// Default returns the embedded default scenario.
func Default() *Scenario {
	sc, err := Embedded(DefaultFile)
	if err != nil {
		panic("embedded default scenario is invalid: " + err.Error()) // a test guards this
	}
	return sc
}

// Embedded parses one of the scenarios compiled into the binary.
func Embedded(name string) (*Scenario, error) {
	data, err := scenarios.FS.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("no embedded scenario %q: %w", name, err)
	}
	return Parse("embedded:"+name, data)
}

// Bounds of what Parse reports of a broken file.
const (
	maxUnknownKeys = 50
	maxProblems    = 200
)

// Parse reads a scenario from TOML. file names it in error messages. The
// error, when not nil, joins one [Problem] per thing wrong. A text nested
// deeper than [MaxDepth], with a key longer than [MaxKeyParts] or holding
// more than [MaxValues] values plus one per byte is refused before it is
// decoded, so the cost of reading a text is linear in its size: up to about
// 175 bytes allocated per byte (for 1 MiB of `kN={a=1}` lines). Use
// [ParseUpload] for a text that does not come from the user's own file.
func Parse(file string, data []byte) (*Scenario, error) {
	return parse(file, data, fileLimit)
}

// ParseUpload is [Parse] for a text sent over the network: it holds at most
// [MaxValues] values, so that whatever its size and shape, reading it
// allocates at most about 50 MB.
func ParseUpload(file string, data []byte) (*Scenario, error) {
	return parse(file, data, uploadLimit)
}

func parse(file string, data []byte, limit func(n int) int) (*Scenario, error) {
	if err := prescan(file, data, limit); err != nil {
		return nil, err
	}
	var sc Scenario
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&sc)
	if err != nil {
		return nil, decodeProblem(file, err)
	}
	if err := sc.decodePayouts(md); err != nil {
		return nil, decodeProblem(file, err)
	}
	if err := sc.decodePayments(md); err != nil {
		return nil, decodeProblem(file, err)
	}
	loc := newLocator(data)
	var probs []error
	unknown := md.Undecoded()
	for i, k := range unknown {
		if i == maxUnknownKeys {
			probs = append(probs, Problem{file, 0, fmt.Sprintf("and %d more unknown keys", len(unknown)-i)})
			break
		}
		probs = append(probs, Problem{file, loc.unknownKey(k), "unknown key " + strconv.Quote(k.String()) + sc.knownKeysHint(k)})
	}
	sc.File, sc.Source = file, data
	sc.applyDefaults(file)
	found, more := sc.validate(file, loc)
	probs = append(probs, found...)
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].(Problem).Line < probs[j].(Problem).Line })
	kept := min(len(probs), maxProblems)
	if rest := len(probs) - kept + more; rest > 0 {
		probs = append(probs[:kept:kept], Problem{file, 0, fmt.Sprintf("and %d more problems", rest)})
	}
	if len(probs) > 0 {
		return nil, errors.Join(probs...)
	}
	return &sc, nil
}

// decodePayouts reads the `payouts` key in either of its forms: [[payouts]]
// (the payouts that exist at start) or [payouts] with default_delay and
// [[payouts.existing]]. TOML cannot have both under one name.
func (sc *Scenario) decodePayouts(md toml.MetaData) error {
	sc.payoutsTable = "payouts"
	kind := md.Type("payouts")
	if kind == "" && md.IsDefined("payouts") {
		kind = "Hash" // made by [[payouts.existing]] alone, without a [payouts] line
	}
	switch kind {
	case "":
		return nil
	case "Hash":
		sc.payoutsTable = "payouts.existing"
		if err := md.PrimitiveDecode(sc.PayoutsTOML, &sc.PayoutSettings); err != nil {
			return fmt.Errorf("[payouts]: %w", err)
		}
		sc.Payouts = sc.PayoutSettings.Existing
		sc.PayoutSettings.Existing = nil
		sc.PayoutSettings.delayGiven = md.IsDefined("payouts", "default_delay")
		return nil
	default:
		if err := md.PrimitiveDecode(sc.PayoutsTOML, &sc.Payouts); err != nil {
			return fmt.Errorf("[[payouts]]: %w", err)
		}
		return nil
	}
}

func decodeProblem(file string, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return Problem{file, pe.Position.Line, pe.Message}
	}
	return Problem{file, 0, err.Error()}
}

func (sc *Scenario) applyDefaults(file string) {
	if sc.Name == "" {
		sc.Name = strings.TrimSuffix(filepath.Base(strings.TrimPrefix(file, "embedded:")), ".toml")
	}
	g := &sc.Gateway
	if g.BadSignatureCode == 0 {
		g.BadSignatureCode = 9998
	}
	if g.StatusSecret == "" {
		g.StatusSecret = SecretPayout
	}
	if g.Timezone == "" {
		g.Timezone = "UTC"
	}
	n := &sc.Notify
	if n.Ack == "" {
		n.Ack = AckLenient
	}
	if n.Retries == nil {
		half := Duration{Duration: 30 * time.Minute}
		n.Retries = []Duration{half, half, half, half}
	}
	if n.Timeout.Duration == 0 {
		n.Timeout.Duration = 10 * time.Second
	}
	if n.Encoding == "" {
		n.Encoding = EncodingURL
	}
	if n.ScriptName == "" {
		n.ScriptName = ScriptLastSegment
	}
	if sc.Clock.Mode == "" {
		sc.Clock.Mode = "real"
	}
	sc.Drills.applyDefaults()
	if sc.Clock.Speed == 0 {
		sc.Clock.Speed = 1
	}
	for i := range sc.Merchants {
		if sc.Merchants[i].Currency == "" {
			sc.Merchants[i].Currency = "KZT"
		}
	}
	for i := range sc.Payouts {
		if len(sc.Payouts[i].Timeline) == 0 {
			sc.Payouts[i].Timeline = []Step{{Status: StatusSuccess}}
		}
	}
	sc.applyPaymentDefaults()
	for i := range sc.Expect {
		DefaultExpect(&sc.Expect[i])
	}
	sc.PayoutSettings.DefaultDelay.Duration = sc.PayoutSettings.Delay()
}

// DefaultDelay is [PayoutSettings.DefaultDelay]'s default.
const DefaultDelay = 5 * time.Second

// Problem is one thing wrong with a scenario file.
type Problem struct {
	File string
	Line int // 0 when unknown
	Msg  string
}

func (p Problem) Error() string {
	msg := clip(p.Msg)
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, msg)
	}
	return p.File + ": " + msg
}

// maxProblemBytes bounds a problem's text: a message quotes the value it
// is about, and a 4 MiB value would come back whole in every 422.
const maxProblemBytes = 512

// clip shortens a long message in its middle, where the value it quotes
// is, keeping the start (what is wrong) and the end (what is wanted).
func clip(msg string) string {
	if len(msg) <= maxProblemBytes {
		return msg
	}
	head, tail := msg[:maxProblemBytes/2], msg[len(msg)-maxProblemBytes/4:]
	return strings.ToValidUTF8(head, "") + "…(" + strconv.Itoa(len(msg)) + " bytes)…" + strings.ToValidUTF8(tail, "")
}

// Summary is a one-line description of the scenario for the start-up log.
func (sc *Scenario) Summary() string {
	return fmt.Sprintf("%q from %s: %d merchant(s), %d payout(s), %d payment(s), %d rule(s), %d expectation(s)", sc.Name, sc.File, len(sc.Merchants), len(sc.Payouts), len(sc.Payments), len(sc.Rules), len(sc.Expect))
}
