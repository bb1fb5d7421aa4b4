package recipes_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-shellwords"
)

// localImage is the tag examples/compose's tests build the repository's
// image under; building it here again costs only Docker's cache.
const localImage = "freedompay-mock:dev"

// Bounds on waits for Docker and the steps: generous for a busy machine,
// there so that a hang fails the test instead of the CI job's timeout.
const (
	healthWait  = 2 * time.Minute
	stepTimeout = 3 * time.Minute
)

// docker runs a docker command and returns its trimmed output, failing the
// test on error.
func docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// buildImage builds the repository's image as examples/compose's tests do.
func buildImage(t *testing.T) {
	t.Helper()
	start := time.Now()
	cmd := exec.Command(repoRoot + "/.ci/builder-image")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf(".ci/builder-image: %v\n%s%s", err, out, stderr.String())
	}
	args := []string{"build", "-q", "-t", localImage}
	if name := lastLine(string(out)); name != "" && !strings.ContainsAny(name, " \t") {
		args = append(args, "--build-arg", "BUILDER="+name)
	}
	docker(t, append(args, repoRoot)...)
	t.Logf("image %s built in %s", localImage, time.Since(start).Round(time.Second))
}

// freePort reports whether port is free on every interface of the host.
func freePort(port int) bool {
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d %s", url, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, body)
	}
}

// stepResult is what one step did.
type stepResult struct {
	step    step
	skipped bool
	exit    int
	output  string
}

// jobRun is one run of the recipe's job.
type jobRun struct {
	t         *testing.T
	job       job
	alias     string
	svc       service
	workspace string
	env       []string // the job's env, FREEDOMPAY_URL rewritten to the published port
	sandbox   string   // FREEDOMPAY_URL
	merchant  *merchant
	steps     []stepResult
}

// startService creates and starts the service container as the runner
// does: on a network of the job's own, with the service's alias, its
// ports, its env and its options split into words, and waits until Docker
// says it is healthy.
func (r *jobRun) startService() {
	t := r.t
	t.Helper()
	name := fmt.Sprintf("fpm-gha-%d-%s", os.Getpid(), salt())
	docker(t, "network", "create", "--label", "freedompay-mock.test=recipes", name)
	t.Cleanup(func() { _ = exec.Command("docker", "network", "rm", name).Run() })

	args := []string{"create", "--name", name + "_" + r.alias, "--label", "freedompay-mock.test=recipes",
		"--network", name, "--network-alias", r.alias}
	for _, p := range r.svc.Ports {
		args = append(args, "-p", p)
	}
	opts, err := shellwords.Parse(r.svc.Options)
	if err != nil {
		t.Fatalf("options %q: %v", r.svc.Options, err)
	}
	args = append(args, opts...)
	env := os.Environ()
	for k, v := range r.svc.Env {
		noExpressions(t, "service env "+k, v)
		args = append(args, "-e", k) // the runner passes values through its environment
		env = append(env, k+"="+v)
	}
	args = append(args, localImage)
	cmd := exec.Command("docker", args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker refuses the service: docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	id := lastLine(string(out))
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := exec.Command("docker", "logs", "--tail", "60", id).CombinedOutput()
			t.Logf("service log:\n%s", logs)
		}
		_ = exec.Command("docker", "rm", "-f", id).Run()
	})
	docker(t, "start", id)

	start := time.Now()
	for {
		status := docker(t, "inspect", "--format", "{{if .Config.Healthcheck}}{{.State.Health.Status}}{{end}}", id)
		switch status {
		case "healthy":
			t.Logf("service healthy after %s", time.Since(start).Round(100*time.Millisecond))
			return
		case "":
			t.Fatalf("the service has no health check: the runner would not wait for it")
		case "unhealthy":
			t.Fatalf("the service is unhealthy: %s", docker(t, "inspect", "--format", "{{json .State.Health}}", id))
		}
		if time.Since(start) > healthWait {
			t.Fatalf("the service is %s, not healthy, after %s: %s", status, healthWait, docker(t, "inspect", "--format", "{{json .State.Health}}", id))
		}
		<-time.After(250 * time.Millisecond)
	}
}

// runSteps runs the job's steps in order: run: steps in bash, uses: steps
// and the "(replace)" steps as the test stands in for them.
func (r *jobRun) runSteps() {
	t := r.t
	t.Helper()
	failed := false
	for i, s := range r.job.Steps {
		res := stepResult{step: s}
		ok, err := shouldRun(s.If, r.workspace, failed)
		if err != nil {
			t.Fatalf("step %d (%s): %v", i+1, s.label(), err)
		}
		if !ok {
			res.skipped = true
			r.steps = append(r.steps, res)
			t.Logf("step %d (%s): skipped", i+1, s.label())
			continue
		}
		begin := time.Now()
		switch {
		case strings.HasSuffix(s.Name, "(replace)"):
			res.exit, res.output = r.replaced(s)
		case s.Uses != "":
			res.exit, res.output = r.uses(s)
		default:
			res.exit, res.output = r.bash(s)
		}
		if res.exit != 0 {
			failed = true
		}
		r.steps = append(r.steps, res)
		t.Logf("step %d (%s): exit %d in %s\n%s", i+1, s.label(), res.exit, time.Since(begin).Round(time.Millisecond), tail(res.output, 600))
	}
}

// bash runs a run: step as the runner does when no shell is named:
// bash -e on a file holding the script, in the workspace, with the job's
// and the step's env.
func (r *jobRun) bash(s step) (int, string) {
	noExpressions(r.t, "run: of "+s.label(), s.Run)
	if s.Shell != "" && s.Shell != "bash" {
		r.t.Fatalf("step %s: shell %q; the test runs bash only", s.label(), s.Shell)
	}
	script := filepath.Join(r.t.TempDir(), "step.sh")
	if err := os.WriteFile(script, []byte(s.Run), 0o644); err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	args := []string{"-e", script}
	if s.Shell == "bash" {
		args = []string{"--noprofile", "--norc", "-eo", "pipefail", script}
	}
	cmd := exec.CommandContext(ctx, "bash", args...)
	cmd.Dir = r.workspace
	cmd.Env = append(append([]string(nil), r.env...), envList(r.t, s)...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case ctx.Err() != nil:
		r.t.Fatalf("step %s did not end within %s\n%s", s.label(), stepTimeout, out)
	case errors.As(err, &exit):
		return exit.ExitCode(), string(out)
	}
	r.t.Fatalf("step %s: %v", s.label(), err)
	return -1, ""
}

// tail is the end of a step's output, short enough for the test's log.
func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func envList(t *testing.T, s step) []string {
	var out []string
	for k, v := range s.Env {
		noExpressions(t, "env "+k+" of "+s.label(), v)
		out = append(out, k+"="+v)
	}
	return out
}

// replaced stands in for the merchant's own steps: the first starts the
// notify endpoint (listening already: see TestGitHubRecipe), the second is
// the merchant's tests, which here only take the merchant's id and secret
// from the step's env.
func (r *jobRun) replaced(s step) (int, string) {
	if strings.HasPrefix(s.Name, "Start the merchant's notify endpoint") {
		return 0, "the test's merchant listens on 0.0.0.0:9000"
	}
	if s.Env["FREEDOMPAY_MERCHANT_ID"] != r.merchant.id || s.Env["FREEDOMPAY_SECRET_KEY"] != r.merchant.secret {
		return 1, fmt.Sprintf("the step's merchant is %q/%q, the scenario's %s/%s", s.Env["FREEDOMPAY_MERCHANT_ID"], s.Env["FREEDOMPAY_SECRET_KEY"], r.merchant.id, r.merchant.secret)
	}
	return 0, "the merchant's tests would run here against " + r.sandbox
}

// uses stands in for the actions the recipe uses: the checkout is the
// workspace already; the artifact and the report need their file, and the
// report needs tests in it (require_tests).
func (r *jobRun) uses(s step) (int, string) {
	action, _, _ := strings.Cut(s.Uses, "@")
	var path string
	switch action {
	case "actions/checkout":
		return 0, "checkout: the workspace is ready"
	case "actions/upload-artifact":
		path, _ = s.With["path"].(string)
	case "mikepenz/action-junit-report":
		path, _ = s.With["report_paths"].(string)
	default:
		r.t.Fatalf("step %s uses %s, which the test does not stand in for", s.label(), s.Uses)
	}
	raw, err := os.ReadFile(filepath.Join(r.workspace, path))
	if err != nil {
		return 1, err.Error()
	}
	if _, err := readJUnit(raw); err != nil {
		return 1, fmt.Sprintf("%s: %v", path, err)
	}
	return 0, path + ": JUnit XML with tests"
}

// junit is the verdict file, as a JUnit reader takes it.
type junit struct {
	XMLName  xml.Name `xml:"testsuites"`
	Failures string   `xml:"failures,attr"`
	Suites   []struct {
		Cases []struct {
			Name    string    `xml:"name,attr"`
			Failure *struct{} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func readJUnit(raw []byte) (junit, error) {
	var j junit
	if err := xml.Unmarshal(raw, &j); err != nil {
		return j, fmt.Errorf("not JUnit XML: %w", err)
	}
	n := 0
	for _, s := range j.Suites {
		n += len(s.Cases)
	}
	if n == 0 {
		return j, errors.New("no testcase in it")
	}
	return j, nil
}

// expectNames are the names of scenarios/ci.toml's [[expect]] tables.
func expectNames(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(repoRoot + "/scenarios/ci.toml")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	inExpect := false
	nameRe := regexp.MustCompile(`^name\s*=\s*"([^"]*)"`)
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			inExpect = line == "[[expect]]"
		}
		if m := nameRe.FindStringSubmatch(line); m != nil && inExpect {
			names = append(names, m[1])
		}
	}
	if len(names) != 3 {
		t.Fatalf("scenarios/ci.toml: %d [[expect]] names %q, want 3", len(names), names)
	}
	return names
}

func (r *jobRun) step(prefix string) stepResult {
	r.t.Helper()
	for _, s := range r.steps {
		if strings.HasPrefix(s.step.Name, prefix) {
			return s
		}
	}
	r.t.Fatalf("no step named %q…", prefix)
	return stepResult{}
}

// runJob runs the recipe's job once against a fresh service, with the
// merchant answering as mode says; withScenario puts the scenario the
// image ships as the merchant's own in the workspace, so the step that
// loads one runs too.
func runJob(t *testing.T, m *merchant, mode ackMode, withScenario bool) *jobRun {
	j, alias, svc := payoutsJob(t)
	svc.Image = localImage
	r := &jobRun{t: t, job: j, alias: alias, svc: svc, workspace: t.TempDir(), merchant: m}

	url := j.Env["FREEDOMPAY_URL"]
	if len(svc.Ports) != 1 || svc.Ports[0] != "8080:8080" || url != "http://localhost:8080" {
		t.Fatalf("ports %q, FREEDOMPAY_URL %q; the test knows 8080:8080 and http://localhost:8080", svc.Ports, url)
	}
	if !freePort(8080) {
		ln, err := net.Listen("tcp", ":0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		svc.Ports = []string{fmt.Sprintf("%d:8080", port)}
		url = fmt.Sprintf("http://localhost:%d", port)
		r.svc = svc
		t.Logf("port 8080 is taken here: the service is published on %d", port)
	}
	r.sandbox = url
	r.env = append(os.Environ(), "CI=true", "GITHUB_ACTIONS=true", "GITHUB_WORKSPACE="+r.workspace)
	for k, v := range j.Env {
		noExpressions(t, "job env "+k, v)
		if k == "FREEDOMPAY_URL" {
			v = url
		}
		r.env = append(r.env, k+"="+v)
	}
	if withScenario {
		raw, err := os.ReadFile(repoRoot + "/scenarios/ci.toml")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(r.workspace, "freedompay"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(r.workspace, "freedompay", "scenario.toml"), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m.mu.Lock()
	m.sandbox, m.mode, m.got = url, mode, nil
	m.mu.Unlock()

	r.startService()
	r.runSteps()
	return r
}

// TestGitHubRecipe runs examples/github-actions/merchant-ci.yml on the
// local Docker engine as the runner would: the service from the
// repository's image with the recipe's ports, env and options, then the
// steps, the merchant's own played by a notify endpoint in this test. A
// merchant that acknowledges gets a green job; one that does not gets a
// job that fails at the verdict.
func TestGitHubRecipe(t *testing.T) {
	if os.Getenv("FREEDOMPAY_MOCK_E2E_DOCKER") != "1" {
		t.Skip("set FREEDOMPAY_MOCK_E2E_DOCKER=1 to run the GitHub Actions recipe on a Docker engine")
	}
	if err := exec.Command("docker", "info").Run(); err != nil {
		t.Skip("no Docker engine answers: ", err)
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("the recipe's steps need curl, which is not installed here")
	}
	ln, err := net.Listen("tcp", "0.0.0.0:9000")
	if err != nil {
		t.Skipf("the recipe's merchant listens on port 9000, which is taken here: %v", err)
	}
	m := &merchant{id: "9970", secret: "test_secret_key"}
	srv := &http.Server{Handler: m, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	start := time.Now()
	buildImage(t)

	t.Run("a merchant that acknowledges", func(t *testing.T) {
		begin := time.Now()
		r := runJob(t, m, ackSigned, true)
		for i, s := range r.steps {
			if s.skipped {
				t.Errorf("step %d (%s) skipped, want run", i+1, s.step.label())
			} else if s.exit != 0 {
				t.Errorf("step %d (%s): exit %d, want 0\n%s", i+1, s.step.label(), s.exit, s.output)
			}
		}
		raw, err := os.ReadFile(filepath.Join(r.workspace, "freedompay-verdict.xml"))
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`<testsuites [^>]*failures="0"`).Match(raw) {
			t.Errorf("verdict: no <testsuites … failures=\"0\"\n%s", raw)
		}
		v, err := readJUnit(raw)
		if err != nil {
			t.Fatalf("verdict: %v\n%s", err, raw)
		}
		for _, want := range expectNames(t) {
			found := false
			for _, s := range v.Suites {
				for _, c := range s.Cases {
					if strings.Contains(c.Name, want) {
						found = true
						if c.Failure != nil {
							t.Errorf("verdict: testcase %q failed\n%s", c.Name, raw)
						}
					}
				}
			}
			if !found {
				t.Errorf("verdict: no testcase %q\n%s", want, raw)
			}
		}
		got := m.notifies()
		if len(got) == 0 {
			t.Fatalf("the merchant received no notify")
		}
		for _, n := range got {
			if n.fields["pg_order_id"] != "12345" || !n.signatureOK || n.host != "host.docker.internal:9000" || n.confirmed != "success" {
				t.Errorf("notify for order %q to Host %q: signature ok %v, payout_status2 said %q; want order 12345's, signed, to host.docker.internal:9000, confirmed success",
					n.fields["pg_order_id"], n.host, n.signatureOK, n.confirmed)
			}
		}
		// The sandbox found the merchant's signed ack a documented one: the
		// ack this test answers is what the recipe tells merchants to send.
		var log struct {
			Notifications []struct {
				State    string `json:"state"`
				Attempts []struct {
					Conforming bool   `json:"conforming"`
					Reason     string `json:"reason"`
				} `json:"attempts"`
			} `json:"notifications"`
		}
		getJSON(t, r.sandbox+"/_mock/notifications?order_id=12345", &log)
		if len(log.Notifications) != 1 || log.Notifications[0].State != "delivered" || len(log.Notifications[0].Attempts) != 1 || !log.Notifications[0].Attempts[0].Conforming {
			t.Errorf("the sandbox's notifies of order 12345: %+v; want one, delivered at the first attempt with a conforming ack", log.Notifications)
		}
		t.Logf("job ran in %s", time.Since(begin).Round(100*time.Millisecond))
	})

	t.Run("a merchant that does not acknowledge", func(t *testing.T) {
		begin := time.Now()
		r := runJob(t, m, ackNone, false)
		if s := r.step("Load the merchant's own scenario"); !s.skipped {
			t.Errorf("the scenario step ran without freedompay/scenario.toml in the workspace")
		}
		if len(m.notifies()) == 0 {
			t.Errorf("the merchant received no notify")
		}
		s := r.step("Fetch the sandbox's verdict")
		if s.skipped || s.exit == 0 {
			t.Fatalf("verdict step: skipped %v, exit %d; want it run and failing\n%s", s.skipped, s.exit, s.output)
		}
		raw, err := os.ReadFile(filepath.Join(r.workspace, "freedompay-verdict.xml"))
		if err != nil {
			t.Fatal(err)
		}
		v, err := readJUnit(raw)
		if err != nil {
			t.Fatalf("verdict: %v", err)
		}
		if v.Failures == "0" {
			t.Errorf("verdict: failures=\"0\" for a merchant that never acknowledged\n%s", raw)
		}
		if up := r.step("Keep the verdict"); up.skipped || up.exit != 0 {
			t.Errorf("after the failure the verdict is still kept: skipped %v, exit %d", up.skipped, up.exit)
		}
		t.Logf("job ran in %s", time.Since(begin).Round(100*time.Millisecond))
	})
	t.Logf("in all %s", time.Since(start).Round(time.Second))
}
