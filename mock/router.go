package mock

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/freedompay-mock/freedompay-mock/mock/control"
	"github.com/freedompay-mock/freedompay-mock/mock/gateway"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// router is the sandbox's one route table, made once in New: every
// surface is registered here, and each handler reads the world served at
// the time of its request, so a scenario swap or a reset changes what the
// routes answer, not the routes.
func (s *Server) router(ctl control.Options) *mux.Router {
	r := mux.NewRouter()
	r.SkipClean(true) // cleanPath does it, without the router's redirect

	// FreedomPay's routes (the signed API of the routes package, the
	// payout pages, the health check), first: they are the hot path.
	// Register also sets its XML answers to unknown paths and methods.
	gateway.Register(r, s.sb.Gateway)

	// The built-in demo merchant: a merchant's callback URL, not a
	// control route, although it lies under /_mock/. Like any post_link it
	// is public (no admin token), and it answers only whether a notify's
	// signature verifies.
	r.Handle(scenario.DemoPostLink, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.sb.DemoMerchant().ServeHTTP(w, req)
	}))

	// The control API and the dashboard under /_mock: guarded, answering
	// JSON errors, with the scenario's secrets masked in what they encode
	// (ctl.Redact).
	ctl.Redact = s.sb.Redactor
	misses := control.Register(r, s.sb, ctl)

	// A miss under /_mock is the control API's to answer, anywhere else
	// the gateway's.
	r.NotFoundHandler = byOwner(misses.NotFound, r.NotFoundHandler)
	r.MethodNotAllowedHandler = byOwner(misses.MethodNotAllowed, r.MethodNotAllowedHandler)
	return r
}

// byOwner sends a request for a control path to ctl, any other to gw.
func byOwner(ctl, gw http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if control.Owns(req.URL.Path) {
			ctl.ServeHTTP(w, req)
			return
		}
		gw.ServeHTTP(w, req)
	})
}
