package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestValidate(t *testing.T) {
	code, out, errOut := runCLI("validate", "scenarios/default.toml", "scenarios/slow-bank.toml")
	if code != 0 || strings.Count(out, ": ok: ") != 2 {
		t.Fatalf("valid files: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI("validate", "scenarios/default.toml", "testdata/broken.toml", "testdata/missing.toml")
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	for _, want := range []string{
		"testdata/broken.toml:4: gateway.bad_signature_code is 42",
		`testdata/broken.toml:9: payouts[0]: merchant_id "9971" is not one of [[merchants]]`,
		`testdata/broken.toml:12: payouts[0].timeline[0]: status "done"`,
		"testdata/missing.toml",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if !strings.Contains(out, "scenarios/default.toml: ok") {
		t.Errorf("the valid file is not reported ok: %s", out)
	}
}

func TestSign(t *testing.T) {
	code, out, errOut := runCLI("sign", "--script", "/g2g/payout_status2", "--secret", "test_secret_key",
		"pg_merchant_id=9970", "pg_order_id=12345", "pg_payment_id=7777777777", "pg_salt=FdsmjkonfzxsDF")
	if code != 0 || out != "aac04fa34ae2e48c9e44efea48cb4b6b\n" {
		t.Fatalf("exit %d stdout %q, want vector A's signature", code, out)
	}
	if want := "signing string: payout_status2;9970;12345;7777777777;FdsmjkonfzxsDF;<secret:15 chars>\n"; errOut != want {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
	if code, _, _ := runCLI("sign", "--script", "x", "pg_a=1"); code != 2 {
		t.Errorf("sign without --secret: exit %d, want 2", code)
	}
	if code, _, e := runCLI("sign", "--script", "x", "--secret", "k", "novalue"); code != 2 || !strings.Contains(e, "not name=value") {
		t.Errorf("bad field: exit %d %q", code, e)
	}
}

func TestServeRejectsBadFlags(t *testing.T) {
	code, _, errOut := runCLI("serve", "--seed", "x", "--log-format", "yaml", "--max-body", "-1")
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	for _, want := range []string{"--seed", "--log-format", "--max-body"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q: %s", want, errOut)
		}
	}
	if code, _, errOut := runCLI("--scenario", "testdata/broken.toml", "--addr", "127.0.0.1:0"); code != 1 || !strings.Contains(errOut, "bad_signature_code") {
		t.Errorf("serving a broken scenario: exit %d %s", code, errOut)
	}
	t.Setenv("FREEDOMPAY_MOCK_LOG_LEVEL", "loud")
	if code, _, errOut := runCLI("serve"); code != 2 || !strings.Contains(errOut, `--log-level "loud"`) {
		t.Errorf("env FREEDOMPAY_MOCK_LOG_LEVEL=loud: exit %d %s", code, errOut)
	}
}

func TestVersionAndUnknown(t *testing.T) {
	if code, out, _ := runCLI("version"); code != 0 || !strings.HasPrefix(out, "freedompay-mock ") {
		t.Errorf("version: exit %d %q", code, out)
	}
	if code, _, e := runCLI("frobnicate"); code != 2 || !strings.Contains(e, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d %q", code, e)
	}
}

func TestHealthcheck(t *testing.T) {
	s := mock.RunT(t, mock.Options{})
	code, out, errOut := runCLI("healthcheck", "--url", s.URL())
	if code != 0 || !strings.Contains(out, `"ready": true`) {
		t.Errorf("ready server: exit %d, %s%s; want 0 and ready", code, out, errOut)
	}
	addr := s.URL()
	s.Close()
	if code, _, errOut := runCLI("healthcheck", "--url", addr, "--timeout", "500ms"); code != 1 || errOut == "" {
		t.Errorf("stopped server: exit %d (%s), want 1 with the reason", code, errOut)
	}
}
