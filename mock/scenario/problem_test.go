package scenario

import (
	"strings"
	"testing"
)

// TestProblemsQuoteValuesShort: a problem quotes the value it is about
// shortened, so a 422 from PUT /_mock/scenario or validate's output stays
// small whatever the value; it still says what is wrong and what is
// wanted.
func TestProblemsQuoteValuesShort(t *testing.T) {
	big := strings.Repeat("x", 64<<10)
	for name, text := range map[string]string{
		"merchant id":     "[[merchants]]\nid = \"" + big + "\"\npayout_secret_key = \"k\"\n",
		"timeline status": "[[merchants]]\nid = 1\npayout_secret_key = \"k\"\n[[payouts]]\nmerchant_id = 1\norder_id = \"1\"\namount = 1\ntimeline = [{at=\"0s\", status=\"" + big + "\"}]\n",
		"payout merchant": "[[merchants]]\nid = 1\npayout_secret_key = \"k\"\n[[payouts]]\nmerchant_id = \"" + big + "\"\norder_id = \"1\"\namount = 1\n",
		"duration":        "[[merchants]]\nid = 1\npayout_secret_key = \"k\"\n[notify]\ntimeout = \"" + big + "\"\n",
	} {
		_, err := ParseUpload("p.toml", []byte(text))
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if msg := err.Error(); len(msg) > 1024 || !strings.Contains(msg, "bytes)…") {
			t.Errorf("%s: a problem of %d bytes, want the value shortened: %.200s", name, len(msg), msg)
		}
	}
}

// TestPostLinkIsAURL: a scenario's post_link with a space (which Go's URL
// parser lets through in a query) is a problem naming the field.
func TestPostLinkIsAURL(t *testing.T) {
	_, err := Parse("p.toml", []byte("[[merchants]]\nid = 1\npayout_secret_key = \"k\"\npost_link = \"http://h:1/hooks?a b HTTP/1.0\"\n"))
	if err == nil || !strings.Contains(err.Error(), "p.toml:4: merchants[0]: post_link") || !strings.Contains(err.Error(), "space") {
		t.Errorf("got %v, want a problem at p.toml:4 naming post_link and the space", err)
	}
}

// TestScenarioStaysBeforeTheYear10000: a timeline step or a notify's last
// retry more than 100 years after the clock's start, or past the year 9999
// from a given start, is a problem: the protocol's dates have four-digit
// years.
func TestScenarioStaysBeforeTheYear10000(t *testing.T) {
	const merchant = "[[merchants]]\nid = 1\npayout_secret_key = \"k\"\n"
	payout := func(at string) string {
		return "[[payouts]]\nmerchant_id = 1\norder_id = \"1\"\namount = 1\ntimeline = [ { at = \"0s\", status = \"process\" }, { at = \"" + at + "\", status = \"success\" } ]\n"
	}
	for name, c := range map[string]struct{ text, want string }{
		"a step in 101 years":        {merchant + payout("884760h"), "at is 884760h0m0s after the clock's start: at most 100 years"},
		"a step past 9999":           {"[clock]\nmode = \"manual\"\nstart = 9999-06-01T00:00:00Z\n" + merchant + payout("8760h"), "past the year 9999"},
		"retries past 100 years":     {"[notify]\nretries = [\"480000h\", \"480000h\"]\n" + merchant, "notify.retries: the last retry"},
		"a step in 99 years is fine": {merchant + payout("867240h"), ""},
	} {
		_, err := Parse("p.toml", []byte(c.text))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: got %v, want a problem saying %q", name, err, c.want)
		}
	}
}
