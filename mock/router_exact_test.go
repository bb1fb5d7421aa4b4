package mock

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/control"
	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/routes"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// TestExactRoutesAnswerAsTheRouter: the map of exact gateway routes tried
// before the router changes no answer. Two sandboxes of the same seed and
// clock get the same requests, one through the map and the router, the
// other through the router alone: every listed route under every method
// (HEAD, lower-case and unknown ones too), as written and uncleaned
// ("//g2g/…", "/g2g/./…", "/g2g/x/../…"), with a trailing slash, in upper
// case, escaped, with a query, and paths no route has; each signed right
// (so payouts are made) and wrong. Status, headers and body must be the
// same byte for byte, and so must the two journals.
func TestExactRoutesAnswerAsTheRouter(t *testing.T) {
	newHandler := func(exactFirst bool) (*Server, http.Handler) {
		s, err := New(Options{AdminToken: "tok", Clock: clock.NewManual(time.Date(2024, 11, 28, 11, 10, 3, 0, time.UTC))})
		if err != nil {
			t.Fatal(err)
		}
		x := s.router(control.Options{Token: "tok", Version: Version(s.opts.Version)})
		fixed := 0 // a route with a variable in its path (the merchant's id) is the router's to match
		for _, rt := range routes.Gateway() {
			if !strings.Contains(rt.Path, "{") {
				fixed++
			}
		}
		if len(x.paths) != fixed {
			t.Fatalf("the map holds %d paths, want the %d gateway routes without variables", len(x.paths), fixed)
		}
		if !exactFirst {
			return s, s.recoverer(cleanPath(x.next))
		}
		return s, s.recoverer(cleanPath(x))
	}
	sx, withMap := newHandler(true)
	sr, routerOnly := newHandler(false)

	body := func(script, secret string, kv ...string) string {
		fs := sign.Fields{{Name: "pg_merchant_id", Value: "9970"}}
		for i := 0; i < len(kv); i += 2 {
			fs = append(fs, sign.Field{Name: kv[i], Value: kv[i+1]})
		}
		fs = append(fs, sign.Field{Name: "pg_salt", Value: "salt"})
		return wire.EncodeForm(append(fs, sign.Field{Name: sign.FieldSig, Value: sign.Sign(script, fs, secret)}))
	}
	paths := []string{"/", "/nope", "/g2g", "/g2g/", "/payout/abc", "/status/healthcheck", "/_mock/demo/merchant", "/_mockx",
		"/_mock/nope", "/api/iban_payout/", "/api/iban_payout/payment_status/x"}
	for _, rt := range routes.Gateway() {
		dir, script := rt.Path[:strings.LastIndexByte(rt.Path, '/')], rt.Script
		paths = append(paths, rt.Path, rt.Path+"/", "/"+rt.Path, dir+"/./"+script, dir+"/x/../"+script, strings.ToUpper(rt.Path),
			dir+"/"+strings.ReplaceAll(script, "_", "%5F"), rt.Path+"?x=1", rt.Path+"?pg_x=1")
		if dir != "" { // a path at the top has no slash to escape
			paths = append(paths, dir+"%2F"+script)
		}
	}
	methods := []string{http.MethodGet, http.MethodPost, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodPatch,
		http.MethodOptions, "post", "BREW"}
	n := 0
	for _, path := range paths {
		script := sign.ScriptName(path)
		bodies := []string{
			body(script, "test_secret_key", "pg_order_id", "12345", "pg_payment_id", "7777777777", "pg_currency", "KZT"),
			body(script, "test_secret_key", "pg_order_id", "o-"+path, "pg_amount", "10", "pg_description", "Payout",
				"pg_payment_to", "4111111111111111", "pg_post_link", "http://127.0.0.1:1/hook"),
			body(script, "wrong", "pg_order_id", "12345"),
			"",
		}
		for _, method := range methods {
			for _, b := range bodies {
				target := path
				if method == http.MethodGet && b != "" {
					target += map[bool]string{true: "&", false: "?"}[strings.Contains(path, "?")] + b
				}
				serve := func(h http.Handler) *httptest.ResponseRecorder {
					r := httptest.NewRequest(method, target, strings.NewReader(b))
					r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					r.Header.Set("Authorization", "Bearer tok")
					w := httptest.NewRecorder()
					h.ServeHTTP(w, r)
					w.Header().Del("Date") // the time of the reply, which two replies need not share
					return w
				}
				got, want := serve(withMap), serve(routerOnly)
				n++
				if got.Code != want.Code || !reflect.DeepEqual(got.Header(), want.Header()) || got.Body.String() != want.Body.String() {
					t.Errorf("%s %s: got %d %v %q\nwant %d %v %q", method, target, got.Code, got.Header(), got.Body, want.Code, want.Header(), want.Body)
				}
			}
		}
	}
	entries := func(s *Server) []journal.Entry {
		es := s.sb.State().Requests(journal.Filter{}).Entries
		for i := range es {
			es[i].TookMS = 0 // wall time
		}
		return es
	}
	got, want := entries(sx), entries(sr)
	if len(got) < n/2 || !reflect.DeepEqual(got, want) {
		t.Errorf("journals differ (%d entries, %d without the map) after %d requests", len(got), len(want), n)
	}
	ok := map[routes.Kind]int{}
	for _, e := range got {
		if rt, known := routes.Lookup(e.Path); known && e.Outcome == journal.OutcomeOK {
			ok[rt.Kind]++
		}
	}
	if ok[routes.KindCreate] == 0 || ok[routes.KindStatus] == 0 || ok[routes.KindBalance] == 0 {
		t.Errorf("requests answered ok by kind: %v, want some of each: the signed bodies are not what the routes take", ok)
	}
}
