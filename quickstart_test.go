//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// The front page's quick start and tour are run as a newcomer would run them,
// so README.md cannot drift from the product. In the sections named by
// readmeSections, every code block tagged sh is one of:
//
//	```sh           a step: run in order with the section's other steps in one
//	                bash session, as typed into one terminal
//	```sh server    starts the sandbox; the test runs it in the background on a
//	                free loopback port, waits for its "listening" log line, and
//	                runs the section's steps against it (once per server block)
//	```sh docker    needs a Docker engine and the published image: run only with
//	                FREEDOMPAY_MOCK_E2E_DOCKER=1
//	```sh network   needs the internet (git clone, go install @latest): not run
//
// Inside a step, a line "# → text" says what the output shows: some line of
// the block's output (stdout and stderr together) holds text, after the line
// the previous "# →" matched; "…" stands for any run of characters. A step
// fails when any of its commands exits non-zero. The blocks say
// http://localhost:8080; the test puts the sandbox's own address there.

// readmeSections are the front page's headings whose blocks are run.
var readmeSections = []string{"Quick start", "A 60-second tour"}

// readmeBlock is one fenced sh block of README.md.
type readmeBlock struct {
	file    string
	section string
	line    int // the line of its opening fence
	tags    map[string]bool
	text    string
	expect  []string
}

func (b readmeBlock) String() string { return fmt.Sprintf("%s:%d", b.file, b.line) }

var expectLine = regexp.MustCompile(`^\s*# → (.*)$`)

// readmeBlocks returns the sh blocks of the sections of a page, in order.
func readmeBlocks(t *testing.T, path string, sections []string) []readmeBlock {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var (
		blocks  []readmeBlock
		section string
		cur     *readmeBlock
		inFence bool
	)
	for i, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "```") {
			if inFence {
				if cur != nil {
					blocks = append(blocks, *cur)
					cur = nil
				}
				inFence = false
				continue
			}
			inFence = true
			info := strings.Fields(strings.TrimPrefix(line, "```"))
			if section == "" || len(info) == 0 || info[0] != "sh" {
				continue
			}
			cur = &readmeBlock{file: path, section: section, line: i + 1, tags: map[string]bool{}}
			for _, tag := range info[1:] {
				switch tag {
				case "server", "docker", "network":
					cur.tags[tag] = true
				default:
					t.Errorf("README.md:%d: sh block tagged %q; want server, docker or network", i+1, tag)
				}
			}
			continue
		}
		if inFence {
			if cur != nil {
				cur.text += line + "\n"
				if m := expectLine.FindStringSubmatch(line); m != nil {
					cur.expect = append(cur.expect, m[1])
				}
			}
			continue
		}
		if h, ok := strings.CutPrefix(line, "## "); ok {
			section = ""
			for _, s := range sections {
				if strings.HasPrefix(h, s) {
					section = s
				}
			}
		}
	}
	return blocks
}

func TestReadmeQuickStart(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the README's blocks need %s, which is not installed", tool)
		}
	}
	runPage(t, "README.md", readmeSections)
}

// runPage runs the sh blocks of the sections of a page, each section's
// steps against a sandbox its server block starts.
func runPage(t *testing.T, path string, sections []string) {
	blocks := readmeBlocks(t, path, sections)
	for _, section := range sections {
		var servers, steps []readmeBlock
		for _, b := range blocks {
			switch {
			case b.section != section:
			case b.tags["network"]:
				t.Logf("%s (%s) needs the internet: not run", b, section)
			case b.tags["server"]:
				servers = append(servers, b)
			case b.tags["docker"]:
				t.Logf("%s (%s) needs Docker and is not a server block: not run", b, section)
			default:
				steps = append(steps, b)
			}
		}
		runnable := 0
		for _, s := range servers {
			if !s.tags["docker"] {
				runnable++
			}
		}
		if runnable == 0 || len(steps) == 0 {
			t.Fatalf("%s section %q: %d server block(s) without Docker and %d step(s); want at least one of each (was a heading renamed?)",
				path, section, runnable, len(steps))
		}
		for _, srv := range servers {
			t.Run(fmt.Sprintf("%s/%s", section, srv), func(t *testing.T) {
				var url string
				if srv.tags["docker"] {
					url = startDockerBlock(t, srv)
				} else {
					url = startServerBlock(t, srv)
				}
				runSteps(t, steps, url)
			})
		}
	}
}

// startServerBlock runs a server block in the background with
// FREEDOMPAY_MOCK_ADDR on a free loopback port and returns the URL the
// sandbox logs once it listens. The block's process group is stopped with
// SIGTERM when the test ends.
func startServerBlock(t *testing.T, b readmeBlock) string {
	t.Helper()
	cmd := exec.Command("bash", "--noprofile", "--norc", "-c", b.text)
	cmd.Env = append(os.Environ(), "FREEDOMPAY_MOCK_ADDR=127.0.0.1:0", "FREEDOMPAY_MOCK_LOG_FORMAT=text")
	return startBackground(t, b, cmd, func(line string) (string, bool) {
		m := regexp.MustCompile(`msg="freedompay-mock listening" url=(\S+)`).FindStringSubmatch(line)
		if m == nil {
			return "", false
		}
		return m[1], true
	})
}

// startDockerBlock runs a docker server block, its "-p 8080:8080" published on
// a free loopback port instead, when FREEDOMPAY_MOCK_E2E_DOCKER=1, an engine
// answers and the image is present; else the test is skipped saying why.
func startDockerBlock(t *testing.T, b readmeBlock) string {
	t.Helper()
	if os.Getenv("FREEDOMPAY_MOCK_E2E_DOCKER") != "1" {
		t.Skipf("%s needs Docker: set FREEDOMPAY_MOCK_E2E_DOCKER=1 to run it", b)
	}
	if err := exec.Command("docker", "info").Run(); err != nil {
		t.Skipf("%s needs Docker, and no engine answers (docker info: %v)", b, err)
	}
	image := regexp.MustCompile(`ghcr\.io/\S+`).FindString(b.text)
	if err := exec.Command("docker", "image", "inspect", image).Run(); err != nil {
		t.Skipf("%s runs image %s, which is not here: docker build -t %s .", b, image, image)
	}
	if !strings.Contains(b.text, "-p 8080:8080") {
		t.Fatalf("%s: want a docker run publishing -p 8080:8080:\n%s", b, b.text)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	text := strings.Replace(b.text, "-p 8080:8080", fmt.Sprintf("-p 127.0.0.1:%d:8080", port), 1)
	cmd := exec.Command("bash", "--noprofile", "--norc", "-c", text)
	return startBackground(t, b, cmd, func(line string) (string, bool) {
		return fmt.Sprintf("http://127.0.0.1:%d", port), strings.Contains(line, `msg="freedompay-mock listening"`)
	})
}

// startBackground starts cmd in its own process group and reads its output
// until ready finds the line saying it serves. It fails the test with the
// output when the command ends first.
func startBackground(t *testing.T, b readmeBlock, cmd *exec.Cmd, ready func(line string) (string, bool)) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		cmd.Wait()
	})
	var log bytes.Buffer
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if url, ok := ready(sc.Text()); ok {
			go io.Copy(io.Discard, r) // the server's later log
			return url
		}
	}
	t.Fatalf("%s ended before the sandbox listened:\n%s\n%s", b, b.text, log.String())
	return ""
}

const stepMark, failMark = "\x1eSTEP ", "\x1eFAILED "

// runSteps runs the steps in one bash session against url and checks each
// one's exit statuses and "# →" lines.
func runSteps(t *testing.T, steps []readmeBlock, url string) {
	t.Helper()
	hostPort := strings.TrimPrefix(url, "http://")
	var script strings.Builder
	script.WriteString("exec 2>&1\nset -o pipefail\n")
	fmt.Fprintf(&script, "trap 'printf \"\\n%s%%s\\n\" \"$?\"' ERR\n", failMark)
	for i, b := range steps {
		text := strings.ReplaceAll(b.text, "http://localhost:8080", url)
		text = strings.ReplaceAll(text, "localhost:8080", hostPort)
		fmt.Fprintf(&script, "printf '\\n%s%d\\n'\n%s", stepMark, i, text)
	}
	file := filepath.Join(t.TempDir(), "steps.sh")
	if err := os.WriteFile(file, []byte(script.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", "--noprofile", "--norc", file).CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	parts := strings.Split(string(out), stepMark)
	if len(parts) != len(steps)+1 {
		t.Fatalf("the session printed %d step marks, want %d:\n%s", len(parts)-1, len(steps), out)
	}
	for i, b := range steps {
		_, output, _ := strings.Cut(parts[i+1], "\n")
		if strings.Contains(output, failMark) {
			t.Errorf("%s: a command failed; the block:\n%s\noutput:\n%s",
				b, b.text, shorten(strings.ReplaceAll(output, failMark, "→ exit status ")))
			continue
		}
		if miss := missingExpectation(b.expect, output); miss != "" {
			t.Errorf("%s: %s; the block:\n%s\noutput:\n%s", b, miss, b.text, shorten(output))
		}
	}
}

// shorten keeps the first and last 25 lines of a long output.
func shorten(output string) string {
	lines := strings.Split(output, "\n")
	if len(lines) <= 60 {
		return output
	}
	return strings.Join(lines[:25], "\n") + fmt.Sprintf("\n[… %d lines …]\n", len(lines)-50) + strings.Join(lines[len(lines)-25:], "\n")
}

// missingExpectation says which expectation the output does not show, in
// order, or "" when it shows them all.
func missingExpectation(expect []string, output string) string {
	lines := strings.Split(output, "\n")
	at := 0
	for _, e := range expect {
		found := false
		for ; at < len(lines); at++ {
			if matchesWithEllipsis(lines[at], e) {
				found, at = true, at+1
				break
			}
		}
		if !found {
			return fmt.Sprintf("no output line shows %q (after the lines the expectations before it matched)", e)
		}
	}
	return ""
}

// matchesWithEllipsis reports whether line holds the parts of pattern between
// its "…", in order.
func matchesWithEllipsis(line, pattern string) bool {
	for _, part := range strings.Split(pattern, "…") {
		i := strings.Index(line, part)
		if i < 0 {
			return false
		}
		line = line[i+len(part):]
	}
	return true
}

func TestMatchesWithEllipsis(t *testing.T) {
	for _, c := range []struct {
		line, pattern string
		want          bool
	}{
		{`  "status": "process",`, `"status": "process",`, true},
		{`signing string: p2p2nonreg;1000;x;http://a/b;s;<secret:15 chars>`, `p2p2nonreg;1000;…;s;<secret:15 chars>`, true},
		{`freedompay-mock v1.2.3`, `freedompay-mock …`, true},
		{`b a`, `a…b`, false},
		{`"status": "success",`, `"status": "process",`, false},
	} {
		if got := matchesWithEllipsis(c.line, c.pattern); got != c.want {
			t.Errorf("matchesWithEllipsis(%q, %q) = %v, want %v", c.line, c.pattern, got, c.want)
		}
	}
	if got := missingExpectation([]string{"b", "a"}, "a\nb\n"); got == "" {
		t.Errorf("expectations out of order: got no complaint, want one")
	}
}

// TestDocsLinks checks every relative link of README.md and docs/*.md: the
// file exists, and a #fragment into a Markdown file names one of its headings.
func TestDocsLinks(t *testing.T) {
	files, err := filepath.Glob("docs/*.md")
	if err != nil || len(files) == 0 {
		t.Fatalf("docs/*.md: %v, %d files", err, len(files))
	}
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, file := range append([]string{"README.md"}, files...) {
		for _, l := range proseLines(t, file) {
			for _, m := range link.FindAllStringSubmatch(l.text, -1) {
				target := m[1]
				if regexp.MustCompile(`^[a-z]+:`).MatchString(target) {
					continue
				}
				path, frag, _ := strings.Cut(target, "#")
				resolved := file
				if path != "" {
					resolved = filepath.Join(filepath.Dir(file), path)
				}
				if _, err := os.Stat(resolved); err != nil {
					t.Errorf("%s:%d: link %s: %v", file, l.n, target, err)
					continue
				}
				if frag != "" && strings.HasSuffix(resolved, ".md") && !headingAnchors(t, resolved)[frag] {
					t.Errorf("%s:%d: link %s: %s has no heading #%s", file, l.n, target, resolved, frag)
				}
			}
		}
	}
}

type numberedLine struct {
	n    int
	text string
}

// proseLines returns a Markdown file's lines outside code fences and HTML
// comments.
func proseLines(t *testing.T, file string) []numberedLine {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []numberedLine
	fence, comment := false, false
	for i, l := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(l, "```"):
			fence = !fence
		case fence:
		case comment || strings.HasPrefix(l, "<!--"):
			comment = !strings.Contains(l, "-->")
		default:
			out = append(out, numberedLine{i + 1, l})
		}
	}
	return out
}

// headingAnchors returns the anchors GitHub gives a file's headings: lower
// case, punctuation other than - and _ dropped, spaces as -.
func headingAnchors(t *testing.T, file string) map[string]bool {
	anchors := map[string]bool{}
	drop := regexp.MustCompile(`[^\p{L}\p{N}_\- ]`)
	for _, l := range proseLines(t, file) {
		if h := regexp.MustCompile(`^#+ (.*)`).FindStringSubmatch(l.text); h != nil {
			a := strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(strings.TrimSpace(h[1])), ""), " ", "-")
			anchors[a] = true
		}
	}
	return anchors
}

// TestPaymentsWalkthrough runs docs/payments.md's walkthrough as the
// README's tour is run.
func TestPaymentsWalkthrough(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "go", "sed", "grep"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the walkthrough needs %s, which is not installed", tool)
		}
	}
	runPage(t, "docs/payments.md", []string{"A walkthrough with curl", "Two-step payments", "Saving a card", "Recurring charges"})
}
