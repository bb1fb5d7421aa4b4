package routes

import (
	"strings"
	"testing"
)

func TestGatewayListsEachPathOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Gateway() {
		if seen[r.Path] {
			t.Errorf("%s is listed twice", r.Path)
		}
		seen[r.Path] = true
		top := !strings.Contains(r.Path[1:], "/") // the merchant API's payment scripts: /init_payment.php
		if !strings.HasPrefix(r.Path, "/g2g/") && !strings.HasPrefix(r.Path, "/api/") && !strings.HasPrefix(r.Path, "/v1/merchant/{id}/") && !top {
			t.Errorf("%s: want a path under /g2g/, /api/ or /v1/merchant/{id}/, or a script at the top", r.Path)
		}
		// A path ending in "/" is signed as the one without it (open point 1).
		if !strings.HasSuffix(strings.TrimSuffix(r.Path, "/"), "/"+r.Script) || r.Script == "" {
			t.Errorf("%s: script %q, want its last segment", r.Path, r.Script)
		}
		if r.Secret != SecretPayout && r.Secret != SecretStatus && r.Secret != SecretPayment {
			t.Errorf("%s: secret %q", r.Path, r.Secret)
		}
		if (r.Secret == SecretPayment) != strings.HasPrefix(string(r.Kind), "payment_") {
			t.Errorf("%s: kind %s signed with the %s secret", r.Path, r.Kind, r.Secret)
		}
		if len(r.Methods) == 0 {
			t.Errorf("%s: no methods", r.Path)
		}
	}
	if got := Gateway(); &got[0] == &Gateway()[0] {
		t.Error("Gateway returns a shared slice")
	}
}

func TestPathsOfStatus(t *testing.T) {
	got := strings.Join(PathsOf(KindStatus), " ")
	want := "/g2g/payout_status2 /api/payment_status2 /api/payment_status /api/iban_payout/payment_status"
	if got != want {
		t.Errorf("PathsOf(status) = %s, want %s", got, want)
	}
}

func TestClosest(t *testing.T) {
	for _, c := range []struct{ path, want string }{
		{"/g2g/p2p2nonregg", "/g2g/p2p2nonreg"},
		{"g2g/p2p2nonreg", "/g2g/p2p2nonreg"},
		{"/G2G/Payout_Status2", "/g2g/payout_status2"},
		{"/g2g/payout_status", "/g2g/payout_status2"},
		{"/g2g/reg2nonreg", "/api/reg2nonreg"},
		{"/api/p2p2nonreg", "/g2g/p2p2nonreg"},
		{"/g2g/to_iban/", "/g2g/to_iban"},
		{"/hooks/post", ""},
		{"/", ""},
		{"", ""},
		{strings.Repeat("/g2g/p2p2nonreg", 100), ""},
	} {
		if got := Closest(c.path); got != c.want {
			t.Errorf("Closest(%q) = %q, want %q", c.path, got, c.want)
		}
	}
}

func TestUnknown(t *testing.T) {
	if got := Unknown("/g2g/p2p2nonreg"); got != "" {
		t.Errorf("Unknown of a route = %q, want \"\"", got)
	}
	if got, want := Unknown("/g2g/p2p2nonregg"), "is not a path the gateway serves; did you mean /g2g/p2p2nonreg?"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := Unknown("/hooks/post"); !strings.Contains(got, "docs/gateway.md") {
		t.Errorf("Unknown of a far path = %q, want it to say where the list is", got)
	}
}

func FuzzClosest(f *testing.F) {
	for _, s := range []string{"/g2g/p2p2nonregg", "", "/", "g2g/", "/api/iban_payout/payment_status/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		c := Closest(path)
		if c == "" {
			return
		}
		if _, ok := Lookup(c); !ok {
			t.Fatalf("Closest(%q) = %q, not a route", path, c)
		}
	})
}

func TestMatchCardStoragePaths(t *testing.T) {
	const add = "/v1/merchant/{id}/cardstorage/add"
	for path, want := range map[string]bool{
		"/v1/merchant/9970/cardstorage/add":                  true,
		"/v1/merchant/{id}/cardstorage/add":                  true,
		"/v1/merchant//cardstorage/add":                      false,
		"/v1/merchant/99x/cardstorage/add":                   false,
		"/v1/merchant/9970/cardstorage/add/":                 false,
		"/v1/merchant/9970/cardstorage/list":                 false,
		"/v1/merchant/9970/x/cardstorage/add":                false,
		"/v1/merchant/123456789012345678901/cardstorage/add": false,
	} {
		if got := Match(add, path); got != want {
			t.Errorf("Match(%q) = %v, want %v", path, got, want)
		}
	}
	if r, ok := Lookup("/v1/merchant/9970/cardstorage/remove"); !ok || r.Script != "remove" {
		t.Errorf("Lookup of a merchant's remove path: %+v, %v; want the remove route", r, ok)
	}
	if got := CardPageOf("9970"); got != "/v1/merchant/9970/cardstorage/view" {
		t.Errorf("CardPageOf(9970) = %q", got)
	}
}

func FuzzMatch(f *testing.F) {
	for _, s := range []string{"/v1/merchant/9970/cardstorage/add", "/v1/merchant//cardstorage/add", "/", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		for _, r := range Gateway() {
			if Match(r.Path, path) && r.Path != path {
				// A variable matched: the path differs from the
				// pattern only where the pattern has one.
				ps, ss := strings.Split(r.Path, "/"), strings.Split(path, "/")
				if len(ps) != len(ss) {
					t.Fatalf("%q matched %q with another number of segments", path, r.Path)
				}
				for i := range ps {
					if ps[i] != ss[i] && !strings.HasPrefix(ps[i], "{") {
						t.Fatalf("%q matched %q but differs at segment %d", path, r.Path, i)
					}
				}
			}
		}
	})
}
