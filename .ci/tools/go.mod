// Tools that .ci/run uses to lint the CI files: actionlint for GitHub
// workflows, and gitlabschema (here) for GitLab CI files. A module of its
// own, so the sandbox's go.mod holds none of them; GoReleaser has its own
// in goreleaser/.
module github.com/freedompay-mock/freedompay-mock/ci-tools

go 1.26

tool github.com/rhysd/actionlint/cmd/actionlint

require (
	github.com/mattn/go-shellwords v1.0.12
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3
	sigs.k8s.io/yaml v1.6.0
)

require (
	github.com/bmatcuk/doublestar/v4 v4.10.0 // indirect
	github.com/clipperhouse/uax29/v2 v2.7.0 // indirect
	github.com/fatih/color v1.19.0 // indirect
	github.com/mattn/go-colorable v0.1.14 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
	github.com/mattn/go-runewidth v0.0.21 // indirect
	github.com/rhysd/actionlint v1.7.12 // indirect
	github.com/robfig/cron/v3 v3.0.1 // indirect
	go.yaml.in/yaml/v2 v2.4.2 // indirect
	go.yaml.in/yaml/v4 v4.0.0-rc.3 // indirect
	golang.org/x/sync v0.20.0 // indirect
	golang.org/x/sys v0.42.0 // indirect
	golang.org/x/text v0.14.0 // indirect
)
