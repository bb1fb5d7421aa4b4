package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/expect"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
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
	if want := "script name: payout_status2 (the last segment of /g2g/payout_status2; FreedomPay signs with the script name, never the path)\n" +
		"signing string: payout_status2;9970;12345;7777777777;FdsmjkonfzxsDF;<secret:15 chars>\n"; errOut != want {
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
	code, _, errOut := runCLI("serve", "--seed", "x", "--log-format", "yaml", "--max-body", "-1", "--shutdown-timeout", "0s", "--notify-workers", "many", "--memory-limit", "lots")
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	for _, want := range []string{"--seed", "--log-format", "--max-body", "--shutdown-timeout", "--notify-workers", "--memory-limit"} {
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
	for _, arg := range []string{"version", "--version", "-version"} {
		if code, out, _ := runCLI(arg); code != 0 || !strings.HasPrefix(out, "freedompay-mock ") {
			t.Errorf("%s: exit %d %q", arg, code, out)
		}
	}
	if code, _, e := runCLI("frobnicate"); code != 2 || !strings.Contains(e, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d %q", code, e)
	}
}

func TestHelpListsEveryCommandAndExitsZero(t *testing.T) {
	for _, arg := range []string{"help", "--help", "-h", "-help"} {
		code, out, errOut := runCLI(arg)
		if code != 0 || errOut != "" {
			t.Errorf("%s: exit %d, stderr %q; want 0 and nothing on stderr", arg, code, errOut)
		}
		for _, cmd := range []string{"serve", "validate", "sign", "healthcheck", "verify", "version", "help"} {
			if !strings.Contains(out, "freedompay-mock "+cmd) && !strings.Contains(out, "freedompay-mock ["+cmd+"]") {
				t.Errorf("%s does not list %q:\n%s", arg, cmd, out)
			}
		}
	}
	// Each command's own help is on stdout, exit 0.
	for _, args := range [][]string{{"serve", "-h"}, {"help", "serve"}, {"verify", "--help"}, {"sign", "-h"}, {"healthcheck", "-h"}, {"validate", "--help"}} {
		code, out, _ := runCLI(args...)
		if code != 0 || !strings.Contains(out, "-") {
			t.Errorf("%q: exit %d, stdout %q; want 0 and the flags", args, code, out)
		}
	}
	if code, out, _ := runCLI("help", "serve"); code != 0 || !strings.Contains(out, "-addr") || !strings.Contains(out, "FREEDOMPAY_MOCK_") {
		t.Errorf("help serve: exit %d, %q; want the server's flags and their environment variables", code, out)
	}
}

func TestBusyPortNamesTheFlag(t *testing.T) {
	s := mock.RunT(t, mock.Options{})
	addr := strings.TrimPrefix(s.URL(), "http://")
	code, _, errOut := runCLI("serve", "--addr", addr)
	if code != 1 || !strings.Contains(errOut, "address already in use") || !strings.Contains(errOut, "--addr") {
		t.Errorf("serve on a busy port: exit %d, %q; want 1 naming --addr", code, errOut)
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

func TestHealthcheckWithAdminToken(t *testing.T) {
	s := mock.RunT(t, mock.Options{AdminToken: "tok"})
	if code, _, errOut := runCLI("healthcheck", "--url", s.URL()); code != 1 || !strings.Contains(errOut, "401") {
		t.Errorf("without the token: exit %d (%s), want 1 naming HTTP 401", code, errOut)
	}
	if code, _, errOut := runCLI("healthcheck", "--url", s.URL(), "--admin-token", "tok"); code != 0 {
		t.Errorf("with the token: exit %d (%s), want 0", code, errOut)
	}
}

func TestVerifyCommand(t *testing.T) {
	sc, err := scenario.Parse("verify.toml", []byte(`
name = "ci"
[clock]
mode = "manual"
[[merchants]]
id = 9970
payout_secret_key = "k"
[[payouts]]
merchant_id = 9970
order_id = "12345"
amount = 10
[[expect]]
name = "the payout succeeded"
status = { order_id = "12345", status = "success" }
[[expect]]
name = "merchant polled the status"
requests = { path = "/g2g/payout_status2", order_id = "12345" }
`))
	if err != nil {
		t.Fatal(err)
	}
	s := mock.RunT(t, mock.Options{Scenario: sc, AdminToken: "tok"})
	junit := filepath.Join(t.TempDir(), "report.xml")
	code, out, errOut := runCLI("verify", "--url", s.URL(), "--admin-token", "tok", "--junit", junit)
	if code != 1 || !strings.Contains(out, "PASS  the payout succeeded") || !strings.Contains(out, "FAIL  merchant polled the status") ||
		!strings.Contains(out, "0 request(s) to /g2g/payout_status2 for order 12345; want at least 1") {
		t.Errorf("verify with one failing expectation: exit %d\n%s%s", code, out, errOut)
	}
	data, err := os.ReadFile(junit)
	if err != nil || !strings.Contains(string(data), `<testsuite name="ci" tests="2" failures="1"`) || strings.Count(string(data), "<testcase ") != 2 {
		t.Errorf("JUnit report (%v):\n%s", err, data)
	}
	code, out, errOut = runCLI("verify", "--url", s.URL(), "--admin-token", "tok", "--junit", "-")
	if code != 1 || !strings.HasPrefix(out, "<?xml") || !strings.Contains(out, `<testsuite name="ci" tests="2" failures="1"`) ||
		!strings.Contains(errOut, "FAIL  merchant polled the status") {
		t.Errorf("verify --junit -: exit %d; want 1, the JUnit XML alone on stdout, the text verdict on stderr\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if out != string(data) {
		t.Errorf("verify --junit - wrote\n%s\nwant what --junit FILE wrote:\n%s", out, data)
	}
	// The same report over HTTP, for pipelines with curl and no Go.
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/_mock/verify?format=junit", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/xml; charset=utf-8" || string(body) != string(data) {
		t.Errorf("GET /_mock/verify?format=junit: HTTP %d %s\n%s\nwant 200 application/xml with what verify --junit wrote:\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body, data)
	}
	nowhere := filepath.Join(t.TempDir(), "no-such-dir", "report.xml")
	if code, _, errOut := runCLI("verify", "--url", s.URL(), "--admin-token", "tok", "--junit", nowhere); code != 2 || !strings.Contains(errOut, "writing the JUnit report") {
		t.Errorf("verify --junit into a missing directory: exit %d (%s), want 2 saying the report was not written", code, errOut)
	}
	code, out, _ = runCLI("verify", "--url", s.URL(), "--admin-token", "tok", "--json")
	var rep struct {
		OK     bool `json:"ok"`
		Failed int  `json:"failed"`
	}
	if err := json.Unmarshal([]byte(out), &rep); code != 1 || err != nil || rep.OK || rep.Failed != 1 {
		t.Errorf("verify --json: exit %d, %v %+v\n%s", code, err, rep, out)
	}
	if code, _, errOut := runCLI("verify", "--url", s.URL()); code != 2 || !strings.Contains(errOut, "401") {
		t.Errorf("verify without the token: exit %d (%s), want 2", code, errOut)
	}
	// Once the merchant polls, every expectation holds.
	fields := sign.Fields{{Name: "pg_merchant_id", Value: "9970"}, {Name: "pg_order_id", Value: "12345"},
		{Name: "pg_payment_id", Value: "1"}, {Name: "pg_salt", Value: "s"}}
	fields = append(fields, sign.Field{Name: "pg_sig", Value: sign.Sign("payout_status2", fields, "k")})
	resp, err = http.PostForm(s.URL()+"/g2g/payout_status2", fields.Values())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code, out, errOut := runCLI("verify", "--url", s.URL(), "--admin-token", "tok"); code != 0 {
		t.Errorf("verify after the poll: exit %d\n%s%s", code, out, errOut)
	}
	addr := s.URL()
	s.Close()
	if code, _, errOut := runCLI("verify", "--url", addr, "--timeout", "500ms"); code != 2 || !strings.Contains(errOut, "cannot reach") {
		t.Errorf("verify against a stopped server: exit %d (%s), want 2", code, errOut)
	}
}

// verify's exit code rests only on a whole verdict that adds up: anything
// else from the server is exit 2, never a pass.
func TestVerifyRefusesAVerdictThatDoesNotAddUp(t *testing.T) {
	for _, answer := range []string{
		`{"ok":true,"scenario":"x","passed":0,"failed":3,"expectations":[{"name":"a","ok":false,"message":"bad"}]}`,
		`{"ok":true,"scenario":"x","passed":1,"failed":0,"expectations":[{"name":"a","ok":false,"message":"bad"}]}`,
		`{}`, `null`, `[]`,
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, answer)
		}))
		code, out, errOut := runCLI("verify", "--url", srv.URL)
		srv.Close()
		if code != 2 || !strings.Contains(errOut, "did not answer a verdict") {
			t.Errorf("answer %s: exit %d, %s%s; want 2, not a verdict", answer, code, out, errOut)
		}
	}
}

func TestSignNeedsAScriptName(t *testing.T) {
	for _, script := range []string{"/", "http://[::1", "https://shop.kz/"} {
		if code, out, _ := runCLI("sign", "--script", script, "--secret", "k", "pg_a=1"); code != 2 || out != "" {
			t.Errorf("--script %q: exit %d, %q; want 2 and no signature", script, code, out)
		}
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "192MiB": 192 << 20, "1GiB": 1 << 30, "512KiB": 512 << 10, "1000": 1000, "1000B": 1000} {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1TB", "MiB", "9999999999GiB", "1.5GiB"} {
		if _, err := parseBytes(in); err == nil {
			t.Errorf("parseBytes(%q): no error", in)
		}
	}
}

// A verdict's texts reach a terminal or a CI log as text: an escape
// sequence in an expectation's name cannot rewrite the lines above it, a
// newline cannot fake a PASS line, and a long error body is cut.
func TestVerifyPrintsTheServersTextsSafely(t *testing.T) {
	var b strings.Builder
	printReport(&b, expect.Report{Scenario: "s\x1b[2J", Failed: 1, Results: []expect.Result{
		{Name: "evil\x1b[1A\rPASS  all good", Message: "line one\nPASS  faked", OK: false},
	}})
	out := b.String()
	if strings.ContainsAny(out, "\x1b\r") || strings.Contains(out, "\nPASS") {
		t.Errorf("report %q: want no escape, carriage return or line of the server's making", out)
	}
	if !strings.Contains(out, `evil\x1b[1A\rPASS  all good`) {
		t.Errorf("report %q: want the name shown with its control characters escaped", out)
	}
	long := printable(strings.Repeat("x", 10000), maxQuoted, true)
	if len(long) > maxQuoted+64 || !strings.HasSuffix(long, "(5904 more bytes not shown)") {
		t.Errorf("a 10 000-byte body printed as %d bytes ending %q; want it cut at %d with a note", len(long), long[len(long)-40:], maxQuoted)
	}
	if got := printable("{\n  \"error\": \"x\"\n}", maxQuoted, true); got != "{\n  \"error\": \"x\"\n}" {
		t.Errorf("an error body's lines: %q, want them kept", got)
	}
}

func TestSignMasksTheSecretWhereverItIs(t *testing.T) {
	_, _, errOut := runCLI("sign", "--script", "x", "--secret", "abcdefg", "pg_a=abcdefg", "pg_b=1")
	if strings.Contains(errOut, "abcdefg") {
		t.Errorf("sign showed the secret held by a field: %q", errOut)
	}
	if code, _, _ := runCLI("version", "extra"); code != 2 {
		t.Errorf("version with an argument: exit %d, want 2", code)
	}
}

func TestCollectorPacedUnlessGOGCIsSet(t *testing.T) {
	was := debug.SetGCPercent(100)
	defer debug.SetGCPercent(was)
	paceCollector(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("without GOGC the collector runs at %d, want %d", got, gcPercent)
	}
	paceCollector(func(k string) string { return map[string]string{"GOGC": "150"}[k] })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set the sandbox changed the collector's pacing to %d", got)
	}
}
