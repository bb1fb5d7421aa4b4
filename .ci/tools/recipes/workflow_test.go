// Package recipes_test runs the CI recipes under examples/ as the CI
// services would: the GitHub Actions workflow on a Docker engine
// (FREEDOMPAY_MOCK_E2E_DOCKER=1), and checks that the GitLab job says the
// same things about the sandbox as the GitHub one.
package recipes_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// repoRoot is the sandbox's repository, seen from .ci/tools/recipes.
const repoRoot = "../../.."

const githubRecipe = repoRoot + "/examples/github-actions/merchant-ci.yml"

// workflow is the part of a GitHub Actions workflow the recipe uses.
type workflow struct {
	Jobs map[string]job `json:"jobs"`
}

type job struct {
	Env      map[string]string  `json:"env"`
	Services map[string]service `json:"services"`
	Steps    []step             `json:"steps"`
}

type service struct {
	Image   string            `json:"image"`
	Ports   []string          `json:"ports"`
	Env     map[string]string `json:"env"`
	Options string            `json:"options"`
}

type step struct {
	Name  string            `json:"name"`
	If    string            `json:"if"`
	Run   string            `json:"run"`
	Uses  string            `json:"uses"`
	Env   map[string]string `json:"env"`
	With  map[string]any    `json:"with"`
	Shell string            `json:"shell"`
}

// label names a step in messages: its name, else what it runs or uses.
func (s step) label() string {
	switch {
	case s.Name != "":
		return s.Name
	case s.Uses != "":
		return s.Uses
	}
	return strings.SplitN(strings.TrimSpace(s.Run), "\n", 2)[0]
}

// payoutsJob reads the recipe's job "payouts" and its one service.
func payoutsJob(t *testing.T) (job, string, service) {
	t.Helper()
	raw, err := os.ReadFile(githubRecipe)
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(raw, &w); err != nil {
		t.Fatalf("%s: %v", githubRecipe, err)
	}
	j, ok := w.Jobs["payouts"]
	if !ok {
		t.Fatalf("%s: no job payouts", githubRecipe)
	}
	if len(j.Services) != 1 {
		t.Fatalf("%s: job payouts has %d services, want 1", githubRecipe, len(j.Services))
	}
	for name, s := range j.Services {
		return j, name, s
	}
	panic("unreachable")
}

var (
	exprRe      = regexp.MustCompile(`^\$\{\{\s*(.*?)\s*\}\}$`)
	hashFilesRe = regexp.MustCompile(`^hashFiles\('([^']+)'\)\s*!=\s*''$`)
)

// shouldRun decides a step's if: as the runner would for the conditions
// the recipe uses: no condition means success(); !cancelled() and always()
// run after a failure too; hashFiles('path') != ” asks whether the file is
// in the workspace (and, holding no status function, implies success()).
// Any other expression counts as true.
func shouldRun(cond, workspace string, failed bool) (bool, error) {
	cond = strings.TrimSpace(cond)
	if m := exprRe.FindStringSubmatch(cond); m != nil {
		cond = m[1]
	}
	switch {
	case cond == "" || cond == "success()":
		return !failed, nil
	case cond == "!cancelled()" || cond == "always()":
		return true, nil
	case cond == "failure()":
		return failed, nil
	}
	if m := hashFilesRe.FindStringSubmatch(cond); m != nil {
		_, err := os.Stat(filepath.Join(workspace, m[1]))
		return err == nil && !failed, nil
	}
	// An expression this test does not evaluate (github.*, env.*): the
	// step runs, so that a step the recipe adds is not silently left out.
	return true, nil
}

// noExpressions fails when a value still holds a ${{ }} expression: the
// test has no GitHub context to substitute it from.
func noExpressions(t *testing.T, where, s string) {
	t.Helper()
	if strings.Contains(s, "${{") {
		t.Fatalf("%s holds a ${{ }} expression this test cannot substitute: %q", where, s)
	}
}

func TestShouldRun(t *testing.T) {
	ws := t.TempDir()
	if err := os.MkdirAll(filepath.Join(ws, "freedompay"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "freedompay", "scenario.toml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cond   string
		failed bool
		want   bool
	}{
		{"", false, true},
		{"", true, false},
		{"${{ !cancelled() }}", true, true},
		{"always()", true, true},
		{"hashFiles('freedompay/scenario.toml') != ''", false, true},
		{"hashFiles('freedompay/other.toml') != ''", false, false},
		{"hashFiles('freedompay/scenario.toml') != ''", true, false},
		{"${{ github.event_name == 'push' }}", false, true},
	} {
		got, err := shouldRun(tc.cond, ws, tc.failed)
		if err != nil || got != tc.want {
			t.Errorf("shouldRun(%q, failed %v) = %v, %v; want %v", tc.cond, tc.failed, got, err, tc.want)
		}
	}
}

// TestGitHubRecipeShape needs no Docker: the recipe parses into what the
// Docker test runs, with no expression in a run: the test could not
// substitute.
func TestGitHubRecipeShape(t *testing.T) {
	j, _, svc := payoutsJob(t)
	if svc.Image != "ghcr.io/freedompay-mock/freedompay-mock:latest" {
		t.Errorf("service image %q, want ghcr.io/freedompay-mock/freedompay-mock:latest", svc.Image)
	}
	for i, s := range j.Steps {
		noExpressions(t, fmt.Sprintf("step %d (%s) run:", i+1, s.label()), s.Run)
		for k, v := range s.Env {
			noExpressions(t, fmt.Sprintf("step %d (%s) env %s", i+1, s.label(), k), v)
		}
		if (s.Run == "") == (s.Uses == "") {
			t.Errorf("step %d (%s): want exactly one of run: and uses:", i+1, s.label())
		}
	}
	var replace int
	for _, s := range j.Steps {
		if strings.HasSuffix(s.Name, "(replace)") {
			replace++
		}
	}
	if replace != 2 {
		t.Errorf("%d steps marked (replace), want 2 (the merchant's app and its tests)", replace)
	}
}
