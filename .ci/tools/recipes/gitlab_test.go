package recipes_test

import (
	"os"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestGitLabRecipeAgrees: the GitLab job starts the same image with the
// same scenario and clock as the GitHub one, and does the same with it:
// drain the clock, fetch the JUnit verdict, fail on a failed expectation.
// The GitHub recipe runs on Docker (TestGitHubRecipe); this keeps the
// GitLab one from drifting away from it.
func TestGitLabRecipeAgrees(t *testing.T) {
	gh, _, svc := payoutsJob(t)
	raw, err := os.ReadFile(repoRoot + "/examples/gitlab/.gitlab-ci.yml")
	if err != nil {
		t.Fatal(err)
	}
	var gl struct {
		Payouts struct {
			Variables map[string]string `json:"variables"`
			Services  []struct {
				Name      string            `json:"name"`
				Alias     string            `json:"alias"`
				Variables map[string]string `json:"variables"`
			} `json:"services"`
			Script      []string `json:"script"`
			AfterScript []string `json:"after_script"`
			Artifacts   struct {
				Reports struct {
					JUnit string `json:"junit"`
				} `json:"reports"`
			} `json:"artifacts"`
		} `json:"payouts"`
	}
	if err := yaml.Unmarshal(raw, &gl); err != nil {
		t.Fatalf("examples/gitlab/.gitlab-ci.yml: %v", err)
	}
	job := gl.Payouts
	if len(job.Services) != 1 {
		t.Fatalf("GitLab job payouts: %d services, want 1", len(job.Services))
	}
	gs := job.Services[0]
	if gs.Name != svc.Image {
		t.Errorf("GitLab service image %q, GitHub's %q", gs.Name, svc.Image)
	}
	for _, k := range []string{"FREEDOMPAY_MOCK_SCENARIO", "FREEDOMPAY_MOCK_CLOCK"} {
		if gs.Variables[k] != svc.Env[k] || svc.Env[k] == "" {
			t.Errorf("%s: GitLab %q, GitHub %q; want the same, set", k, gs.Variables[k], svc.Env[k])
		}
	}
	if want := "http://" + gs.Alias + ":8080"; job.Variables["FREEDOMPAY_URL"] != want {
		t.Errorf("GitLab FREEDOMPAY_URL %q, want %q (the service's alias)", job.Variables["FREEDOMPAY_URL"], want)
	}

	var ghRun []string
	for _, s := range gh.Steps {
		ghRun = append(ghRun, s.Run)
	}
	glScript := strings.Join(append(append([]string(nil), job.Script...), job.AfterScript...), "\n")
	for _, want := range []string{
		`-X POST "$FREEDOMPAY_URL/_mock/clock/drain"`,
		`-o freedompay-verdict.xml "$FREEDOMPAY_URL/_mock/verify?format=junit"`,
		`grep -q '<testsuites [^>]*failures="0"' freedompay-verdict.xml`,
	} {
		if !strings.Contains(strings.Join(ghRun, "\n"), want) {
			t.Errorf("the GitHub recipe's steps do not say %s", want)
		}
		if !strings.Contains(glScript, want) {
			t.Errorf("the GitLab job's script does not say %s", want)
		}
	}
	if job.Artifacts.Reports.JUnit != "freedompay-verdict.xml" {
		t.Errorf("GitLab junit report %q, want freedompay-verdict.xml", job.Artifacts.Reports.JUnit)
	}
}
