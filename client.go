package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/freedompay-mock/freedompay-mock/mock/expect"
)

// controlFlags are the flags of the commands that ask a running server.
type controlFlags struct {
	url, token *string
	timeout    *time.Duration
}

func addControlFlags(fs *flag.FlagSet, timeout time.Duration) controlFlags {
	return controlFlags{
		url:     fs.String("url", envDefault("url", "http://127.0.0.1:8080"), "base URL of the server"),
		token:   fs.String("admin-token", envDefault("admin-token", ""), "the server's --admin-token, if it has one"),
		timeout: fs.Duration("timeout", timeout, "how long to wait for the answer"),
	}
}

// get asks the control API; it returns the status and body of the answer.
func (c controlFlags) get(path string) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodGet, strings.TrimRight(*c.url, "/")+path, nil)
	if err != nil {
		return 0, nil, err
	}
	if *c.token != "" {
		req.Header.Set("Authorization", "Bearer "+*c.token)
	}
	resp, err := (&http.Client{Timeout: *c.timeout}).Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	return resp.StatusCode, body, err
}

// healthcheck asks a running server whether it is ready. It needs nothing
// but the binary, so it works as a HEALTHCHECK in a scratch image.
func healthcheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := addControlFlags(fs, 2*time.Second)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: freedompay-mock healthcheck [--url URL] [--admin-token T] [--timeout D]")
		fmt.Fprintln(fs.Output(), "Exits 0 when the sandbox at URL is ready (/_mock/ready), 1 when it is not or does not answer (a Docker HEALTHCHECK).")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stdout); !ok {
		return code
	}
	status, body, err := c.get("/_mock/ready")
	if err != nil {
		fmt.Fprintln(stderr, "freedompay-mock healthcheck:", err)
		return 1
	}
	if status != http.StatusOK {
		fmt.Fprintf(stderr, "freedompay-mock healthcheck: not ready: HTTP %d %s\n", status, printable(string(body), maxQuoted, true))
		return 1
	}
	fmt.Fprintln(stdout, strings.TrimSpace(string(body)))
	return 0
}

// verify asks a running server for the verdict on its scenario's
// expectations: exit 0 when all hold, 1 when one fails, 2 when the server
// cannot be asked.
func verify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := addControlFlags(fs, 10*time.Second)
	merchant := fs.String("merchant-id", "", "check only this merchant's expectations, against its own data")
	junit := fs.String("junit", "", "also write the verdict as JUnit XML to this file; - writes it to stdout (the text or JSON verdict then goes to stderr)")
	asJSON := fs.Bool("json", false, "print the verdict as JSON instead of text")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: freedompay-mock verify [--url URL] [--merchant-id ID] [--junit FILE|-] [--json]")
		fmt.Fprintln(fs.Output(), "Checks the scenario's [[expect]] against the sandbox at URL: exit 0 when all hold, 1 when one fails, 2 when it cannot be asked.")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stdout); !ok {
		return code
	}
	path := "/_mock/verify"
	if *merchant != "" {
		path += "?merchant_id=" + url.QueryEscape(*merchant)
	}
	status, body, err := c.get(path)
	if err != nil {
		fmt.Fprintf(stderr, "freedompay-mock verify: cannot reach the sandbox at %s: %v\n", *c.url, err)
		return 2
	}
	if status != http.StatusOK {
		fmt.Fprintf(stderr, "freedompay-mock verify: %s answered HTTP %d: %s\n", *c.url, status, printable(string(body), maxQuoted, true))
		return 2
	}
	rep, err := readVerdict(body)
	if err != nil {
		fmt.Fprintf(stderr, "freedompay-mock verify: %s did not answer a verdict: %v\n", *c.url, err)
		return 2
	}
	out := stdout
	if *junit != "" {
		var b bytes.Buffer
		err := rep.JUnit(&b)
		if err == nil && *junit == "-" {
			_, err = stdout.Write(b.Bytes())
			out = stderr
		} else if err == nil {
			err = os.WriteFile(*junit, b.Bytes(), 0o644)
		}
		if err != nil {
			fmt.Fprintln(stderr, "freedompay-mock verify: writing the JUnit report:", err)
			if errors.Is(err, iofs.ErrPermission) {
				fmt.Fprintln(stderr, "freedompay-mock verify: this user may not write there (the Docker image runs as user 65532): write the report to stdout with --junit - > report.xml")
			}
			return 2
		}
	}
	stdout = out
	if *asJSON {
		stdout.Write(body)
	} else {
		printReport(stdout, rep)
	}
	if !rep.OK {
		return 1
	}
	return 0
}

func printReport(w io.Writer, rep expect.Report) {
	fmt.Fprintf(w, "scenario %q at %s: %d passed, %d failed\n", printable(rep.Scenario, maxQuoted, false), rep.At.Format(time.RFC3339), rep.Passed, rep.Failed)
	if len(rep.Results) == 0 {
		fmt.Fprintln(w, "no expectations: add [[expect]] entries to the scenario for verify to check")
	}
	for _, r := range rep.Results {
		mark := "PASS"
		if !r.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "%s  %s\n      %s\n", mark, printable(r.Name, maxQuoted, false), printable(r.Message, maxQuoted, false))
	}
}

// maxQuoted bounds what the CLI prints of a text the server sent.
const maxQuoted = 4096

// printable is s for a terminal or a CI log: control characters (an
// escape sequence could rewrite a FAIL line above it) shown as Go escapes,
// newlines too unless lines (a verdict's name is one line: a newline in it
// could fake a PASS line below), invalid UTF-8 as U+FFFD, surrounding
// space trimmed, at most max bytes and a note of how much was left out.
func printable(s string, max int, lines bool) string {
	s = strings.TrimSpace(s)
	cut := 0
	if len(s) > max {
		cut = len(s) - max
		s = s[:max]
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if (r == '\n' && lines) || r == '\t' || !unicode.IsControl(r) {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRune(r)
		b.WriteString(q[1 : len(q)-1])
	}
	if cut > 0 {
		fmt.Fprintf(&b, "… (%d more bytes not shown)", cut)
	}
	return b.String()
}

// readVerdict reads /_mock/verify's answer, refusing one that is not a
// whole verdict or does not add up: its exit code must not rest on a
// field that contradicts the rest.
func readVerdict(body []byte) (expect.Report, error) {
	var rep expect.Report
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(body, &keys); err != nil {
		return rep, err
	}
	for _, k := range []string{"ok", "scenario", "passed", "failed", "expectations"} {
		if _, ok := keys[k]; !ok {
			return rep, fmt.Errorf("no %q in it", k)
		}
	}
	if err := json.Unmarshal(body, &rep); err != nil {
		return rep, err
	}
	failed := 0
	for _, r := range rep.Results {
		if !r.OK {
			failed++
		}
	}
	if failed != rep.Failed || len(rep.Results)-failed != rep.Passed || rep.OK != (failed == 0) {
		return rep, fmt.Errorf("it does not add up: ok=%v, passed=%d, failed=%d, but %d of %d expectations failed", rep.OK, rep.Passed, rep.Failed, failed, len(rep.Results))
	}
	return rep, nil
}
