package scenario

import (
	"strings"
	"testing"
)

// TestPathPostLinks: a merchant's post_link may be the demo merchant's
// path, and only that path; a payout's post_link is a URL.
func TestPathPostLinks(t *testing.T) {
	merchant := func(post string) string {
		return "[[merchants]]\nid = 1\npayout_secret_key = \"k\"\npost_link = \"" + post + "\"\n"
	}
	if sc, err := Parse("demo.toml", []byte(merchant(DemoPostLink))); err != nil || sc.Merchants[0].PostLink != DemoPostLink {
		t.Fatalf("post_link %s: %v; want it taken", DemoPostLink, err)
	}
	for _, bad := range []string{"/_mock/demo/merchant/", "/_mock/demo/merchant?x=1", "/hooks/post", "/"} {
		_, err := Parse("path.toml", []byte(merchant(bad)))
		if err == nil || !strings.Contains(err.Error(), "path.toml:4: merchants[0]: post_link") || !strings.Contains(err.Error(), `must be exactly "/_mock/demo/merchant"`) {
			t.Errorf("post_link %q: got %v, want a problem at path.toml:4 naming the demo merchant's path", bad, err)
		}
	}
	_, err := Parse("payout.toml", []byte(merchant("http://shop.test/p")+`
[[payouts]]
merchant_id = 1
order_id = "o-1"
amount = 10
post_link = "/_mock/demo/merchant"
`))
	if err == nil || !strings.Contains(err.Error(), "payout.toml:10: payouts[0]: post_link") || !strings.Contains(err.Error(), "a merchant's post_link") {
		t.Errorf("a payout's post_link on the demo merchant: got %v, want a problem at payout.toml:10 saying it is a merchant's", err)
	}
}
