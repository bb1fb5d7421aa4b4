package main

import (
	"strings"
	"testing"
)

// TestServeChecksAllowedHosts: --allowed-hosts (and its variable) take
// host names and globs; anything else is a usage error naming the flag.
func TestServeChecksAllowedHosts(t *testing.T) {
	if code, _, errOut := runCLI("serve", "--allowed-hosts", "http://ci-runner:8080"); code != 2 || !strings.Contains(errOut, "--allowed-hosts") {
		t.Errorf("--allowed-hosts http://ci-runner:8080: exit %d %s, want 2 naming the flag", code, errOut)
	}
	t.Setenv("FREEDOMPAY_MOCK_ALLOWED_HOSTS", "ci runner")
	if code, _, errOut := runCLI("serve"); code != 2 || !strings.Contains(errOut, "--allowed-hosts") {
		t.Errorf("FREEDOMPAY_MOCK_ALLOWED_HOSTS='ci runner': exit %d %s, want 2 naming the flag", code, errOut)
	}
}
