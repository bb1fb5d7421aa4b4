package notify

import (
	"context"
	"strings"
	"testing"
)

func TestAllowList(t *testing.T) {
	a, err := ParseAllowList(" merchant, *.Shop.test ,10.0.0.0/8, 192.168.1.5 ,::1")
	if err != nil {
		t.Fatal(err)
	}
	for url, allowed := range map[string]bool{
		"http://merchant:8080/post":      true,
		"http://api.shop.test/hooks":     true,
		"http://10.1.2.3/p":              true,
		"http://192.168.1.5/p":           true,
		"http://192.168.1.6/p":           false,
		"http://[::1]:9000/p":            true,
		"http://169.254.169.254/latest/": false,
	} {
		_, why := a.check(context.Background(), url)
		if (why == "") != allowed {
			t.Errorf("%s: refusal %q, want allowed=%v", url, why, allowed)
		}
		if why != "" && !strings.Contains(why, "refused by --callback-allow") {
			t.Errorf("%s: refusal %q does not name the flag", url, why)
		}
	}
	// A host name no glob matches is left to the dialler, which checks the
	// addresses it resolves to against the networks.
	if ctx, why := a.check(context.Background(), "http://localhost/p"); why != "" || ctx.Value(allowKey{}) == nil {
		t.Errorf("localhost: %q, want a check at dial time", why)
	}
	for _, bad := range []string{"10.0.0.0/33", "shop test", "http://x", "a/b"} {
		if _, err := ParseAllowList(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
	if a, err := ParseAllowList(" , "); a != nil || err != nil {
		t.Errorf("an empty list gave %v, %v; want nil (everything allowed)", a, err)
	}
}

func FuzzAllowList(f *testing.F) {
	f.Add("merchant,*.shop.test,10.0.0.0/8", "http://merchant:1/p")
	f.Add("::1,fe80::/10", "http://[fe80::1%25eth0]/p")
	f.Add("*", "http://x/")
	f.Fuzz(func(t *testing.T, list, url string) {
		a, err := ParseAllowList(list)
		if err != nil || a == nil {
			return
		}
		_, why := a.check(context.Background(), url)
		if why != "" && !strings.HasPrefix(why, errNotAllowed.Error()) {
			t.Errorf("refusal %q does not start with the flag's name", why)
		}
	})
}

func TestAllowListGlobsOnly(t *testing.T) {
	a, _ := ParseAllowList("*.shop.test")
	if _, why := a.check(context.Background(), "http://shop.test/hooks"); why == "" {
		t.Error("shop.test passed *.shop.test")
	}
	if _, why := a.check(context.Background(), "http://127.0.0.1/hooks"); why == "" {
		t.Error("an address passed a list of host globs")
	}
}
