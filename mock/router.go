package mock

import (
	"net/http"
	"net/url"

	"github.com/gorilla/mux"

	"github.com/freedompay-mock/freedompay-mock/mock/control"
	"github.com/freedompay-mock/freedompay-mock/mock/gateway"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/routes"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// router is the sandbox's one route table, made once in New: every
// surface is registered here, and each handler reads the world served at
// the time of its request, so a scenario swap or a reset changes what the
// routes answer, not the routes. The signed gateway routes, the hot path,
// are found in a map before the router is asked (see [exact]).
func (s *Server) router(ctl control.Options) *exact {
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
	// The demo shop takes payments' check requests and result notifies at
	// absolute URLs on the sandbox's address, public as well.
	r.Handle(notify.DemoShop+"{script}", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.sb.DemoShop().ServeHTTP(w, req)
	})).Methods(http.MethodPost, http.MethodGet)

	// The control API and the dashboard under /_mock: guarded, answering
	// JSON errors, with the scenario's secrets masked in what they encode
	// (ctl.Redact).
	ctl.Redact = s.sb.Redactor
	misses := control.Register(r, s.sb, ctl)

	// A miss under /_mock is the control API's to answer, anywhere else
	// the gateway's.
	r.NotFoundHandler = byOwner(misses.NotFound, r.NotFoundHandler)
	r.MethodNotAllowedHandler = byOwner(misses.MethodNotAllowed, r.MethodNotAllowedHandler)
	return newExact(r, routes.Gateway())
}

// exact serves the requests for the signed gateway routes' own paths and
// methods, the hot path, from a map of what the router matches them to,
// and hands every other request to the router: an unknown path, a wrong
// method (405), HEAD, a path with a trailing slash. The router tries its
// routes' regular expressions in turn and puts the match in the request's
// context, which costs the hot path 7 allocations and a tenth of its time;
// the gateway's handlers read nothing of it (no path variables).
//
// The map is filled by asking the router itself, once every route is
// registered, so it holds the router's own answer for each path and
// method. The signed routes are matched by path and method alone: nothing
// else of a request (host, query, headers) could change that answer.
type exact struct {
	paths map[string][]exactRoute
	next  *mux.Router
}

type exactRoute struct {
	method string
	h      http.Handler
}

// newExact makes the map of the routes' paths and methods that r matches
// to a handler of its own, without path variables.
func newExact(r *mux.Router, rts []routes.Route) *exact {
	x := &exact{paths: map[string][]exactRoute{}, next: r}
	for _, rt := range rts {
		for _, method := range rt.Methods {
			var match mux.RouteMatch
			if !r.Match(&http.Request{Method: method, URL: &url.URL{Path: rt.Path}}, &match) ||
				match.MatchErr != nil || len(match.Vars) != 0 || match.Handler == nil {
				continue
			}
			x.paths[rt.Path] = append(x.paths[rt.Path], exactRoute{method, match.Handler})
		}
	}
	return x
}

func (x *exact) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	for _, rt := range x.paths[req.URL.Path] {
		if rt.method == req.Method {
			rt.h.ServeHTTP(w, req)
			return
		}
	}
	x.next.ServeHTTP(w, req)
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
