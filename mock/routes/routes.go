// Package routes lists FreedomPay's gateway routes the sandbox serves, once:
// each path with its methods, its script name (what signing uses), the
// secret that signs it and what it does. The gateway registers its handlers
// from this list, scenario validation checks the paths a scenario names
// against it, and expectations find the status routes in it. It imports
// nothing of the sandbox, so every layer may use it.
package routes

import (
	"net/http"
	"strings"
)

// Secret says which of a merchant's secrets signs a route's requests and
// replies.
type Secret string

const (
	// SecretPayout is the merchant's payout_secret_key.
	SecretPayout Secret = "payout"
	// SecretPayment is the merchant's secret_key: every payment message
	// (payments.md §1).
	SecretPayment Secret = "payment"
	// SecretStatus follows the scenario's gateway.status_secret: the
	// payout_secret_key by default, the secret_key when it is "payment"
	// (spec §8.5, assumed).
	SecretStatus Secret = "status"
)

// Kind says what a route does.
type Kind string

const (
	KindCreate  Kind = "create"  // makes (or starts) a payout
	KindStatus  Kind = "status"  // answers a payout's status
	KindBalance Kind = "balance" // answers the merchant's payout balance
	// Payments (payments.md).
	KindPaymentCreate  Kind = "payment_create"  // makes a payment: init_payment and its twins
	KindPaymentBrowser Kind = "payment_browser" // payment.php: makes a payment and sends the browser to its page
	KindPaymentStatus  Kind = "payment_status"  // answers a payment's status
	KindPaymentCapture Kind = "payment_capture" // captures a held payment
	KindPaymentCancel  Kind = "payment_cancel"  // releases a held payment
	KindPaymentRefund  Kind = "payment_refund"  // refunds all or part of a captured payment
	// Card storage (payments.md §3.6).
	KindCardStorage Kind = "payment_card_storage" // opens a card page, lists or removes a user's saved cards
	// KindPaymentRecurring charges a recurring profile: a payment of its
	// own, without the payer.
	KindPaymentRecurring Kind = "payment_recurring"
)

// Route is one of FreedomPay's gateway routes.
type Route struct {
	// Path is such as "/g2g/payout_status2". A segment in braces is a
	// variable: "{id}" of the card-storage paths matches a merchant id
	// (digits), which the route's handler checks against pg_merchant_id.
	Path    string
	Script  string   // the script name that signs it: Path's last segment
	Methods []string // POST, and GET with a query string
	Secret  Secret
	Kind    Kind
}

// Paths outside the signed API that the gateway serves too.
const (
	// PayoutPage is where a reg2nonreg payout's page is served: PayoutPage
	// + the payout's key.
	PayoutPage = "/payout/"
	// Healthcheck answers whether the gateway is up, as FreedomPay's does.
	Healthcheck = "/status/healthcheck"
	// PaymentPage is a payment's page (pg_redirect_url), the payment named
	// by its query: ?customer=<32 hex>, as FreedomPay's older docs show.
	PaymentPage = "/pay.html"
	// ACSPage is the issuer's 3DS page of a payment, or of a card being
	// saved: ACSPage + its page key.
	ACSPage = "/v2/user/3ds-page/"
	// CardPage is the card-storage page (cardstorage/add's redirect_url),
	// the add named by its query: ?pg_payment_id=<32 hex>, as FreedomPay's
	// older docs show; {id} is the merchant's id.
	CardPage = "/v1/merchant/{id}/cardstorage/view"
)

// CardPageOf is the path of merchant id's card-storage page.
func CardPageOf(id string) string { return strings.Replace(CardPage, "{id}", id, 1) }

// Gateway returns every signed gateway route, in the order the docs list
// them. The slice is the caller's.
func Gateway() []Route {
	return []Route{
		// Gateway API: the merchant collects card data itself.
		route("/g2g/payout_status2", SecretStatus, KindStatus),
		route("/g2g/p2p2nonreg", SecretPayout, KindCreate),
		route("/g2g/to_iban", SecretPayout, KindCreate),
		route("/g2g/reg2reg", SecretPayout, KindCreate),
		route("/g2g/balance_status", SecretStatus, KindBalance),
		// Merchant API.
		route("/api/reg2nonreg", SecretPayout, KindCreate),
		route("/api/reg2reg", SecretPayout, KindCreate),
		route("/api/to_iban", SecretPayout, KindCreate),
		route("/api/payment_status2", SecretPayout, KindStatus),
		route("/api/balance_status", SecretStatus, KindBalance),
		// Older paths the official PHP payout SDK calls.
		route("/api/payment_status", SecretStatus, KindStatus),
		route("/api/iban_payout", SecretPayout, KindCreate),
		route("/api/iban_payout/payment_status", SecretStatus, KindStatus),
		// Payments: the merchant API's hosted page (payments.md §3).
		route("/init_payment.php", SecretPayment, KindPaymentCreate),
		route("/init_payment", SecretPayment, KindPaymentCreate),
		{Path: "/g2g/payment_page/", Script: "payment_page", Methods: []string{http.MethodPost, http.MethodGet},
			Secret: SecretPayment, Kind: KindPaymentCreate},
		route("/g2g/payment_page", SecretPayment, KindPaymentCreate),
		route("/payment.php", SecretPayment, KindPaymentBrowser),
		route("/get_status3.php", SecretPayment, KindPaymentStatus),
		route("/g2g/status_v2", SecretPayment, KindPaymentStatus),
		route("/get_status2.php", SecretPayment, KindPaymentStatus),
		route("/get_status.php", SecretPayment, KindPaymentStatus),
		// .php-less twins, each signed with its own last segment (open
		// point 1), as init_payment's is.
		route("/get_status3", SecretPayment, KindPaymentStatus),
		route("/get_status2", SecretPayment, KindPaymentStatus),
		// Two-step payments (payments.md §3.4).
		route("/do_capture.php", SecretPayment, KindPaymentCapture),
		route("/g2g/clearing", SecretPayment, KindPaymentCapture),
		route("/cancel.php", SecretPayment, KindPaymentCancel),
		route("/g2g/cancel", SecretPayment, KindPaymentCancel),
		route("/do_capture", SecretPayment, KindPaymentCapture),
		route("/cancel", SecretPayment, KindPaymentCancel),
		// Refunds (payments.md §3.4).
		route("/revoke.php", SecretPayment, KindPaymentRefund),
		route("/g2g/refund", SecretPayment, KindPaymentRefund),
		route("/revoke", SecretPayment, KindPaymentRefund),
		// Card storage (payments.md §3.6): the merchant's id in the path.
		route("/v1/merchant/{id}/cardstorage/add", SecretPayment, KindCardStorage),
		route("/v1/merchant/{id}/cardstorage/list", SecretPayment, KindCardStorage),
		route("/v1/merchant/{id}/cardstorage/remove", SecretPayment, KindCardStorage),
		// Recurring charges (payments.md §3.5); the .php-less twin signed
		// with its own last segment (open point 1).
		route("/make_recurring_payment.php", SecretPayment, KindPaymentRecurring),
		route("/make_recurring_payment", SecretPayment, KindPaymentRecurring),
		route("/g2g/recurrent", SecretPayment, KindPaymentRecurring),
	}
}

func route(path string, secret Secret, kind Kind) Route {
	return Route{Path: path, Script: path[strings.LastIndexByte(path, '/')+1:],
		Methods: []string{http.MethodPost, http.MethodGet}, Secret: secret, Kind: kind}
}

// Lookup returns the gateway route at path: the route of that path, or
// the route whose pattern it matches ([Match]).
func Lookup(path string) (Route, bool) {
	for _, r := range Gateway() {
		if Match(r.Path, path) {
			return r, true
		}
	}
	return Route{}, false
}

// Match reports whether path is pattern's: the same path, or, for a
// pattern with variables, the same segments but where the pattern has a
// variable, which path fills with 1 to 20 digits (a merchant id).
func Match(pattern, path string) bool {
	if pattern == path {
		return true
	}
	if !strings.Contains(pattern, "{") {
		return false
	}
	for {
		pseg, prest, pmore := strings.Cut(pattern, "/")
		seg, rest, more := strings.Cut(path, "/")
		switch {
		case pmore != more:
			return false
		case strings.HasPrefix(pseg, "{") && strings.HasSuffix(pseg, "}"):
			if len(seg) == 0 || len(seg) > 20 || strings.Trim(seg, "0123456789") != "" {
				return false
			}
		case pseg != seg:
			return false
		}
		if !pmore {
			return true
		}
		pattern, path = prest, rest
	}
}

// PathsOf returns the paths of the routes of a kind, in list order.
func PathsOf(kind Kind) []string {
	var out []string
	for _, r := range Gateway() {
		if r.Kind == kind {
			out = append(out, r.Path)
		}
	}
	return out
}

// maxSuggest bounds the length of a path Closest compares: a longer one is
// no typo of a known path, and the comparison costs its length squared.
const maxSuggest = 100

// Closest returns the known gateway path that path most likely misspells,
// or "" when none is close: the same script name under another prefix, a
// path without its leading "/", or one a few letters away.
func Closest(path string) string {
	if len(path) > maxSuggest {
		return ""
	}
	p := strings.ToLower(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	p = strings.TrimSuffix(p, "/")
	script := p[strings.LastIndexByte(p, '/')+1:]
	best, bestDist := "", -1
	for _, r := range Gateway() {
		if Match(r.Path, p) {
			return r.Path
		}
		d := distance(p, r.Path)
		if r.Script == script {
			d = min(d, 1) // the right script under the wrong prefix
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = r.Path, d
		}
	}
	if bestDist > max(2, len(best)/4) {
		return ""
	}
	return best
}

// distance is the Levenshtein distance between a and b, in bytes.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Unknown describes a path that is not a gateway route, for a validation
// message: "is not a path the gateway serves" and the closest known path
// ("; did you mean /g2g/p2p2nonreg?"), or where the list is. It is "" for a
// known path.
func Unknown(path string) string {
	if _, ok := Lookup(path); ok {
		return ""
	}
	if c := Closest(path); c != "" {
		return "is not a path the gateway serves; did you mean " + c + "?"
	}
	return "is not a path the gateway serves (docs/gateway.md lists them)"
}
