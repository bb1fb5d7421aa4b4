package scenario

import (
	"strings"
	"testing"
)

// A scenario that names a gateway path the sandbox does not serve is
// refused, naming the path, the closest known one and the line: a drill
// fault on a misspelt path would never be injected, and an expectation on
// one would count nothing.
func TestUnknownGatewayPaths(t *testing.T) {
	const text = `[[merchants]]
id = 1
payout_secret_key = "k"

[drills.faults]
system_error = 0.5
paths = ["/g2g/payout_status2", "/g2g/p2p2nonregg"]

[[expect]]
requests = { path = "/api/payment_status3", min = 1 }

[[expect]]
requests = { path = "/hooks/post", max = 0 }

[[expect]]
requests = { path = "/api/iban_payout/payment_status", min = 1 }
`
	_, err := Parse("p.toml", []byte(text))
	if err == nil {
		t.Fatal("unknown gateway paths were accepted")
	}
	for _, want := range []string{
		`p.toml:7: drills.faults.paths: "/g2g/p2p2nonregg" is not a path the gateway serves; did you mean /g2g/p2p2nonreg?`,
		`p.toml:10: expect[0] (requests to /api/payment_status3 at least 1): requests.path "/api/payment_status3" is not a path the gateway serves; did you mean /api/payment_status2?`,
		`p.toml:13: expect[1] (requests to /hooks/post at most 0): requests.path "/hooks/post" is not a path the gateway serves (docs/gateway.md lists them)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems lack %q:\n%v", want, err)
		}
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 3 {
		t.Errorf("%d problems, want 3 (the known paths are fine):\n%v", n, err)
	}
}

// Faults written as an inline table are located at [drills].
func TestUnknownFaultPathInline(t *testing.T) {
	const text = "[[merchants]]\nid = 1\npayout_secret_key = \"k\"\n\n[drills]\nfaults = { slow = 0.1, paths = [\"/api/reg2nonreg/\"] }\n"
	_, err := Parse("q.toml", []byte(text))
	want := `drills.faults.paths: "/api/reg2nonreg/" is not a path the gateway serves; did you mean /api/reg2nonreg?`
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "q.toml:") {
		t.Errorf("got %v, want a problem at q.toml:… saying %s", err, want)
	}
}
