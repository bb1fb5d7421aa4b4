package gateway

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/freedompay-mock/freedompay-mock/mock/redact"
	"github.com/freedompay-mock/freedompay-mock/mock/routes"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// handlers answer the signed routes of [routes.Gateway], by path: a route
// listed there without a handler here, or a handler here for a path not
// listed there, fails the package's tests and Register.
func handlers() map[string]func(*Gateway, *call) (sign.Fields, error) {
	return map[string]func(*Gateway, *call) (sign.Fields, error){
		// Gateway API: the merchant collects card data itself.
		"/g2g/payout_status2": (*Gateway).payoutStatus2,
		"/g2g/p2p2nonreg":     (*Gateway).p2p2nonreg,
		"/g2g/to_iban":        (*Gateway).toIBAN,
		"/g2g/reg2reg":        (*Gateway).reg2reg,
		"/g2g/balance_status": (*Gateway).balanceStatus,
		// Merchant API.
		"/api/reg2nonreg":      (*Gateway).reg2nonreg,
		"/api/reg2reg":         (*Gateway).reg2reg,
		"/api/to_iban":         (*Gateway).toIBAN,
		"/api/payment_status2": (*Gateway).apiPaymentStatus2,
		"/api/balance_status":  (*Gateway).apiBalanceStatus,
		// Older paths the official PHP payout SDK calls.
		"/api/payment_status":             (*Gateway).apiPaymentStatus,
		"/api/iban_payout":                (*Gateway).ibanPayout,
		"/api/iban_payout/payment_status": (*Gateway).apiPaymentStatus,
		// Payments.
		"/init_payment.php":  (*Gateway).initPayment,
		"/init_payment":      (*Gateway).initPayment,
		"/g2g/payment_page/": (*Gateway).initPayment,
		"/g2g/payment_page":  (*Gateway).initPayment,
		"/payment.php":       (*Gateway).initPayment,
		"/get_status3.php":   (*Gateway).getStatus3,
		"/g2g/status_v2":     (*Gateway).statusV2,
		"/get_status2.php":   (*Gateway).getStatus2,
		"/get_status.php":    (*Gateway).getStatus2,
		"/do_capture.php":    (*Gateway).doCapture,
		"/g2g/clearing":      (*Gateway).g2gClearing,
		"/cancel.php":        (*Gateway).cancelPHP,
		"/g2g/cancel":        (*Gateway).g2gCancel,
		"/revoke.php":        (*Gateway).revokePHP,
		"/g2g/refund":        (*Gateway).g2gRefund,
		// .php-less twins (open point 1).
		"/get_status3": (*Gateway).getStatus3,
		"/get_status2": (*Gateway).getStatus2,
		"/do_capture":  (*Gateway).doCapture,
		"/cancel":      (*Gateway).cancelPHP,
		"/revoke":      (*Gateway).revokePHP,
		// Card storage.
		"/v1/merchant/{id}/cardstorage/add":    (*Gateway).cardAdd,
		"/v1/merchant/{id}/cardstorage/list":   (*Gateway).cardList,
		"/v1/merchant/{id}/cardstorage/remove": (*Gateway).cardRemove,
		// Recurring charges.
		"/make_recurring_payment.php": (*Gateway).makeRecurringPayment,
		"/make_recurring_payment":     (*Gateway).makeRecurringPayment,
		"/g2g/recurrent":              (*Gateway).g2gRecurrent,
	}
}

// Register adds every gateway route to r: the signed API of
// [routes.Gateway], the payout pages and the health check, with
// FreedomPay-shaped replies for unknown paths and wrong methods (r's
// NotFoundHandler and MethodNotAllowedHandler: the gateway answers every
// path no other surface claims). current returns the gateway of the world
// served now; it is called on each request, so a scenario swap or a reset
// needs no new router.
func Register(r *mux.Router, current func() *Gateway) {
	hs := handlers()
	for _, rt := range routes.Gateway() {
		h, ok := hs[rt.Path]
		if !ok {
			panic("gateway: no handler for route " + rt.Path)
		}
		delete(hs, rt.Path)
		// By path and methods alone: the server finds these routes in a
		// map of the router's own matches before it asks the router
		// (mock/router.go), which holds only while no other part of a
		// request decides the match.
		r.Handle(rt.Path, &adapter{current: current, route: rt, h: h}).Methods(rt.Methods...)
	}
	for path := range hs {
		panic("gateway: a handler for " + path + ", which routes.Gateway does not list")
	}
	r.HandleFunc(routes.PayoutPage+"{key}", func(w http.ResponseWriter, req *http.Request) {
		current().servePage(w, req)
	}).Methods(http.MethodGet, http.MethodHead, http.MethodPost)
	r.HandleFunc(routes.PaymentPage, func(w http.ResponseWriter, req *http.Request) {
		current().servePaymentPage(w, req)
	}).Methods(http.MethodGet, http.MethodHead, http.MethodPost)
	r.HandleFunc(routes.CardPage, func(w http.ResponseWriter, req *http.Request) {
		current().serveCardPage(w, req)
	}).Methods(http.MethodGet, http.MethodHead, http.MethodPost)
	r.HandleFunc(routes.ACSPage+"{key}", func(w http.ResponseWriter, req *http.Request) {
		current().serveACS(w, req)
	}).Methods(http.MethodGet, http.MethodHead, http.MethodPost)
	r.HandleFunc(routes.Healthcheck, func(w http.ResponseWriter, req *http.Request) {
		current().healthcheck(w, req)
	}).Methods(http.MethodGet, http.MethodHead)

	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		g := current()
		g.writeError(w, g.newRecord(req), http.StatusNotFound, wire.Errorf(wire.CodeValidation,
			"Unknown path %s; the sandbox serves FreedomPay's payout paths under /g2g/ and /api/ and its payment paths (init_payment.php, get_status3.php, …; see docs/gateway.md)", shownPath(req)))
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		want := "POST (or GET with a query string)"
		switch _, api := routes.Lookup(req.URL.Path); {
		case strings.HasPrefix(req.URL.Path, routes.PayoutPage), req.URL.Path == routes.PaymentPage, strings.HasPrefix(req.URL.Path, routes.ACSPage),
			routes.Match(routes.CardPage, req.URL.Path):
			want = "GET, or POST from the page's form"
		case !api:
			want = "GET"
		}
		g := current()
		g.writeError(w, g.newRecord(req), http.StatusMethodNotAllowed, wire.Errorf(wire.CodeValidation,
			"Method %s is not allowed on %s; send %s", wire.Shorten(req.Method, 20), shownPath(req), want))
	})
}

// shownPath is a request's path as an error quotes it: card numbers and
// URL passwords masked before it is shortened, so that no part of a card
// number is left too short to be recognised.
func shownPath(req *http.Request) string { return wire.Shorten(redact.Text(req.URL.Path), 200) }
