package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const schemaPath = "../../schema/gitlab-ci.json"

func checkFile(t *testing.T, yml string) (int, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".gitlab-ci.yml")
	if err := os.WriteFile(path, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"-schema", schemaPath, path}, &stdout, &stderr)
	return code, stdout.String() + stderr.String()
}

func TestExampleHoldsToSchema(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-schema", schemaPath, "../../../examples/gitlab/.gitlab-ci.yml"}, &stdout, &stderr); code != 0 {
		t.Fatalf("the GitLab example: exit %d, want 0\n%s%s", code, stdout.String(), stderr.String())
	}
}

// The check can fail: GitLab files that GitLab would refuse are refused.
func TestBrokenFilesAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name, yml, want string
	}{
		{"unknown job keyword", "test:\n  script: [\"true\"]\n  scirpt: [\"false\"]\n", "scirpt"},
		{"service without a name", "test:\n  services:\n    - alias: freedompay\n  script: [\"true\"]\n", "name"},
		{"junit report as a number", "test:\n  script: [\"true\"]\n  artifacts:\n    reports:\n      junit: 3\n", "junit"},
		{"artifacts when misspelt", "test:\n  script: [\"true\"]\n  artifacts:\n    when: allways\n", "artifacts/when"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := checkFile(t, tc.yml)
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s", code, out)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("the refusal does not mention %q:\n%s", tc.want, out)
			}
		})
	}
}

func TestUnreadableInputs(t *testing.T) {
	if code, out := checkFile(t, "test: [unclosed\n"); code != 2 {
		t.Errorf("not YAML: exit %d, want 2\n%s", code, out)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-schema", "no-such-schema.json", "x.yml"}, &stdout, &stderr); code != 2 {
		t.Errorf("missing schema: exit %d, want 2", code)
	}
}
