package notify

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"
)

func TestRewriteLoopback(t *testing.T) {
	const to = "host.docker.internal"
	for in, want := range map[string]string{
		"http://localhost:9000/hooks/post?a=1&b=2":  "http://host.docker.internal:9000/hooks/post?a=1&b=2",
		"http://LOCALHOST.:9000/p":                  "http://host.docker.internal:9000/p",
		"https://127.0.0.1/p":                       "https://host.docker.internal/p",
		"http://127.1.2.3:81/p/":                    "http://host.docker.internal:81/p/",
		"http://[::1]:9000/p":                       "http://host.docker.internal:9000/p",
		"http://user:pw@localhost:9000/p%2Fq?x=%20": "http://user:pw@host.docker.internal:9000/p%2Fq?x=%20",
		"http://merchant:9000/p":                    "",
		"http://localhost.shop.test/p":              "",
		"http://10.0.0.1:9000/p":                    "",
		"http://[::2]:9000/p":                       "",
		"http://[::1%25lo]:9000/p":                  "http://host.docker.internal:9000/p",
	} {
		u, err := url.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if rewriteLoopback(u, to) {
			got = u.String()
		}
		if got != want {
			t.Errorf("rewriteLoopback(%s): got %q, want %q", in, got, want)
		}
	}
	u, _ := url.Parse("http://localhost:9000/p")
	if rewriteLoopback(u, "") {
		t.Errorf("rewriteLoopback with no loopback host changed the URL to %s", u)
	}
	u, _ = url.Parse("http://127.0.0.1:9000/p")
	if rewriteLoopback(u, "fd00::1"); u.String() != "http://[fd00::1]:9000/p" {
		t.Errorf("to an IPv6 host: got %s, want http://[fd00::1]:9000/p", u)
	}
}

func TestParseLoopbackHost(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "",
		"  ":                    "",
		"host.docker.internal":  "host.docker.internal",
		"Host.Docker.Internal.": "host.docker.internal",
		"172.17.0.1":            "172.17.0.1",
		"[fd00::1]":             "fd00::1",
		"fd00::1":               "fd00::1",
		"gateway_1":             "gateway_1",
	} {
		got, err := ParseLoopbackHost(in)
		if err != nil || got != want {
			t.Errorf("ParseLoopbackHost(%q): got %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"http://host.docker.internal", "host.docker.internal:8080", "a b", "host/x", "..", ".x", "-x", "a..b", strings.Repeat("a", 254),
		"999.1.1.1", "0", "1.2.3", "0x7f.1", "_", "x-", "a.-b", strings.Repeat("a", 64) + ".test"} {
		if got, err := ParseLoopbackHost(bad); err == nil || !strings.Contains(err.Error(), "host.docker.internal") {
			t.Errorf("ParseLoopbackHost(%q): got %q, %v; want an error with an example", bad, got, err)
		}
	}
}

// FuzzParseLoopbackHost: a host it takes is one a URL can carry, and the
// rewrite to it keeps the URL's port, path and query.
func FuzzParseLoopbackHost(f *testing.F) {
	for _, s := range []string{"host.docker.internal", "[fd00::1]", "172.17.0.1", "a:b", "", "x.", "%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseLoopbackHost(s)
		if err != nil || h == "" {
			return
		}
		u, _ := url.Parse("http://localhost:9000/hooks/post?x=1")
		if !rewriteLoopback(u, h) {
			t.Fatalf("%q: localhost not rewritten", h)
		}
		back, err := url.Parse(u.String())
		if err != nil {
			t.Fatalf("%q: the rewritten URL %s does not parse: %v", h, u, err)
		}
		if back.Port() != "9000" || back.Path != "/hooks/post" || back.RawQuery != "x=1" || !strings.EqualFold(back.Hostname(), h) {
			t.Fatalf("%q: rewritten to %s: host %q port %q path %q query %q", h, u, back.Hostname(), back.Port(), back.Path, back.RawQuery)
		}
	})
}

func TestInContainer(t *testing.T) {
	mount := func(point, source string) string {
		return "1234 1 0:52 / " + point + " rw,relatime - overlay overlay rw,lowerdir=" + source + "\n"
	}
	for _, c := range []struct {
		name string
		fs   fstest.MapFS
		want bool
	}{
		{"nothing", fstest.MapFS{}, false},
		{"dockerenv", fstest.MapFS{".dockerenv": {}}, true},
		{"podman", fstest.MapFS{"run/.containerenv": {}}, true},
		{"cgroup v1", fstest.MapFS{"proc/1/cgroup": {Data: []byte("12:memory:/docker/0123abcd\n")}}, true},
		{"kubernetes", fstest.MapFS{"proc/1/cgroup": {Data: []byte("11:cpu:/kubepods/burstable/pod1/abc\n")}}, true},
		{"host cgroup", fstest.MapFS{"proc/1/cgroup": {Data: []byte("0::/init.scope\n")}}, false},
		{"root on overlay", fstest.MapFS{"proc/self/mountinfo": {Data: []byte(mount("/", "/var/lib/docker/overlay2/l/X"))}}, true},
		{"resolv.conf", fstest.MapFS{"proc/self/mountinfo": {Data: []byte("1 2 8:1 /var/lib/containerd/io/resolv.conf /etc/resolv.conf rw - ext4 /dev/sda1 rw\n")}}, true},
		// A host that runs containers lists their mounts, elsewhere.
		{"docker host", fstest.MapFS{"proc/1/cgroup": {Data: []byte("0::/init.scope\n")},
			"proc/self/mountinfo": {Data: []byte("25 1 8:1 / / rw - ext4 /dev/sda1 rw\n" + mount("/var/lib/docker/overlay2/X/merged", "/var/lib/docker/overlay2/l/Y"))}}, false},
	} {
		if got := InContainer(c.fs); got != c.want {
			t.Errorf("%s: InContainer got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestFailureReasons(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	noHost := func(name string) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}}
	}
	u := func(s string) *url.URL { p, _ := url.Parse(s); return p }
	yes, no := func() bool { return true }, func() bool { return false }
	for _, c := range []struct {
		name string
		f    failure
		want string
	}{
		{"refused", failure{err: refused, sent: u("http://127.0.0.1:9000/p"), given: "127.0.0.1", inContainer: no},
			"connection refused: nothing listens at 127.0.0.1:9000"},
		{"refused in a container", failure{err: refused, sent: u("http://127.0.0.1:9000/p"), given: "127.0.0.1", inContainer: yes},
			"connection refused: nothing listens at 127.0.0.1:9000; 127.0.0.1 inside a container is the container itself: set FREEDOMPAY_MOCK_CALLBACK_LOOPBACK_HOST=host.docker.internal and start the container with --add-host=host.docker.internal:host-gateway"},
		{"localhost in a container", failure{err: refused, sent: u("http://localhost/p"), given: "localhost", inContainer: yes},
			"connection refused: nothing listens at localhost:80; localhost inside a container is the container itself: set FREEDOMPAY_MOCK_CALLBACK_LOOPBACK_HOST=host.docker.internal and start the container with --add-host=host.docker.internal:host-gateway"},
		{"another host in a container", failure{err: refused, sent: u("http://merchant:8000/p"), given: "merchant", inContainer: yes},
			"connection refused: nothing listens at merchant:8000"},
		{"refused on the host", failure{err: refused, sent: u("http://host.docker.internal:9000/p"), given: "localhost", rewrite: "host.docker.internal", inContainer: yes},
			"nothing listens on host.docker.internal:9000: the merchant must listen on 0.0.0.0, not 127.0.0.1"},
		{"loopback host unknown", failure{err: noHost("host.docker.internal"), sent: u("http://host.docker.internal:9000/p"), given: "localhost", rewrite: "host.docker.internal", inContainer: yes},
			"host.docker.internal does not resolve: start the container with --add-host=host.docker.internal:host-gateway"},
		{"no such host", failure{err: noHost("shop.test"), sent: u("https://shop.test/p"), given: "shop.test", inContainer: yes},
			"no such host: shop.test does not resolve"},
		{"timeout", failure{err: errors.New("context deadline exceeded"), ctx: context.DeadlineExceeded, sent: u("https://shop.test/p"), given: "shop.test", timeout: 10 * time.Second, inContainer: no},
			"timed out after 10s: no answer from shop.test:443"},
		{"reset", failure{err: &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, sent: u("http://shop.test/p"), given: "shop.test", inContainer: no},
			"the connection to shop.test:80 was closed before an answer came"},
		{"shutdown", failure{err: context.Canceled, ctx: context.Canceled, sent: u("http://shop.test/p"), inContainer: no}, ""},
		{"not allowed", failure{err: errNotAllowed, sent: u("http://shop.test/p"), inContainer: no}, ""},
	} {
		if got := c.f.reason(); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

func TestAllowListOfALoopbackPostLink(t *testing.T) {
	for list, allowed := range map[string][]string{
		"127.0.0.1":         {"127.0.0.1", "localhost", "LOCALHOST.", "localhost."},
		"localhost":         {"localhost", "LOCALHOST.", "localhost."},
		"127.0.0.0/8":       {"127.0.0.1", "127.9.9.9", "localhost", "LOCALHOST.", "localhost."},
		"::1":               {"::1", "localhost", "LOCALHOST.", "localhost."},
		"*.test,10.0.0.0/8": {},
	} {
		a, err := ParseAllowList(list)
		if err != nil {
			t.Fatal(err)
		}
		for _, host := range []string{"127.0.0.1", "127.9.9.9", "localhost", "LOCALHOST.", "localhost.", "::1"} {
			want := false
			for _, h := range allowed {
				want = want || h == host
			}
			if why := a.checkLoopback(host); (why == "") != want {
				t.Errorf("allow %q, post_link host %s: got %q, want allowed %v", list, host, why, want)
			}
		}
	}
}

// Notifies never go through the environment's HTTP_PROXY: through a proxy,
// --callback-allow would check the proxy's address, not the post_link's,
// and a rewritten loopback callback would leave the job's host.
func TestNotifiesUseNoProxy(t *testing.T) {
	s := New(Config{})
	tr, ok := s.client.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("the default client's transport is %T, want *http.Transport", s.client.Transport)
	}
	if tr.Proxy != nil {
		t.Error("the notify transport takes a proxy (HTTP_PROXY from the environment); want none")
	}
}
