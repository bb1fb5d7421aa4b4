package gateway

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/gorilla/mux"

	"github.com/freedompay-mock/freedompay-mock/mock/routes"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// Every route the list names has a handler, and every handler answers a
// listed route: the list is the one place a gateway path is added.
func TestHandlersAreTheListedRoutes(t *testing.T) {
	hs := handlers()
	var listed []string
	for _, rt := range routes.Gateway() {
		listed = append(listed, rt.Path)
		if _, ok := hs[rt.Path]; !ok {
			t.Errorf("route %s is listed without a handler", rt.Path)
		}
		if got := sign.ScriptName(rt.Path); got != rt.Script {
			t.Errorf("route %s: script %q, but signing uses %q", rt.Path, rt.Script, got)
		}
	}
	for path := range hs {
		if !slices.Contains(listed, path) {
			t.Errorf("a handler for %s, which routes.Gateway does not list", path)
		}
	}
}

// Register puts every listed route on the router with its methods, and
// each request asks for the gateway of the moment: the router is made
// once, whatever world it serves.
func TestRegisterListsEveryRoute(t *testing.T) {
	r := mux.NewRouter()
	calls := 0
	Register(r, func() *Gateway { calls++; return nil })
	for _, rt := range routes.Gateway() {
		for _, m := range rt.Methods {
			var match mux.RouteMatch
			if !r.Match(httptest.NewRequest(m, rt.Path, nil), &match) || match.MatchErr != nil {
				t.Errorf("%s %s is not routed (%v)", m, rt.Path, match.MatchErr)
				continue
			}
			if a, ok := match.Handler.(*adapter); !ok || a.route.Path != rt.Path {
				t.Errorf("%s %s is routed to %T, want its adapter", m, rt.Path, match.Handler)
			}
		}
		var match mux.RouteMatch
		r.Match(httptest.NewRequest(http.MethodPut, rt.Path, nil), &match)
		if match.MatchErr != mux.ErrMethodMismatch {
			t.Errorf("PUT %s: %v, want a method mismatch", rt.Path, match.MatchErr)
		}
	}
	if calls != 0 {
		t.Errorf("Register asked for the gateway %d times, want 0: it is asked per request", calls)
	}
}
