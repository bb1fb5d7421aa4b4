package notify

import (
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"strings"
)

// The loopback rewrite (--callback-loopback-host): a sandbox in a container
// (a CI job's service container, docker run beside an app on the host) is
// given post_links such as http://localhost:9000/hooks by a merchant's app
// that runs on the host, where localhost is the host. Inside the container
// localhost is the container itself, so those callbacks go to the loopback
// host instead, host.docker.internal in the image: same scheme, port, path
// and query, and a Host header naming the host dialled.

// ParseLoopbackHost reads --callback-loopback-host: a host name or an IP
// address, without a scheme or a port ("host.docker.internal",
// "172.17.0.1", "fd00::1" or "[fd00::1]"). "" is off. It returns the host
// as it is to be dialled (an IPv6 address without brackets).
func ParseLoopbackHost(s string) (string, error) {
	h := strings.TrimSpace(s)
	if h == "" {
		return "", nil
	}
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	if ip := net.ParseIP(h); ip != nil {
		return ip.String(), nil
	}
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if !isHostName(h) {
		return "", fmt.Errorf("callback loopback host %q: want a host name or IP address without a scheme or port, such as host.docker.internal", s)
	}
	return h, nil
}

// isHostName reports whether h is a host name a resolver can look up:
// at most 253 characters in labels of 1 to 63 letters, digits, hyphens and
// underscores (container names have them) that neither start nor end with
// a hyphen, the last one not all digits (999.1.1.1 and 0x7f.1 are no
// names, and no addresses either).
func isHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' ||
			strings.Trim(l, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" || strings.Trim(l, "-_") == "" {
			return false
		}
	}
	return strings.Trim(labels[len(labels)-1], "0123456789") != ""
}

// isLoopbackHost reports whether a URL's host (brackets taken off, as
// url.URL.Hostname gives it) names this machine's loopback interface:
// localhost (any case, with or without the root's dot), an address in
// 127.0.0.0/8, or ::1.
func isLoopbackHost(host string) bool {
	if i := strings.IndexByte(host, '%'); i >= 0 { // ::1%lo: the zone names an interface, the address is the same
		host = host[:i]
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	return strings.EqualFold(strings.TrimSuffix(host, "."), "localhost")
}

// rewriteLoopback sends u to host when u's host is a loopback one: its
// port, scheme, path and query stay. It reports whether it changed u.
func rewriteLoopback(u *url.URL, host string) bool {
	if host == "" || !isLoopbackHost(u.Hostname()) {
		return false
	}
	if port := u.Port(); port != "" {
		u.Host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		u.Host = "[" + host + "]"
	} else {
		u.Host = host
	}
	return true
}

// hostPort is where u is dialled: its host and port, the scheme's port
// when it names none.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// InContainer reports whether the file system root is a container's:
// /.dockerenv or /run/.containerenv exists, or PID 1's cgroup, or the
// mounts of the root, /etc/hosts or /etc/resolv.conf, name docker,
// containerd, kubepods or libpod. Only those mount points are read: on a
// host that runs containers, the mount table names docker too, for the
// containers' own mounts.
func InContainer(root fs.FS) bool {
	for _, marker := range []string{".dockerenv", "run/.containerenv"} {
		if _, err := fs.Stat(root, marker); err == nil {
			return true
		}
	}
	if cgroup, err := fs.ReadFile(root, "proc/1/cgroup"); err == nil && namesRuntime(string(cgroup)) {
		return true
	}
	mounts, err := fs.ReadFile(root, "proc/self/mountinfo")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(mounts), "\n") {
		// mountinfo: id parent major:minor root mount-point options ...
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		switch f[4] {
		case "/", "/etc/hosts", "/etc/resolv.conf", "/etc/hostname":
			if namesRuntime(line) {
				return true
			}
		}
	}
	return false
}

func namesRuntime(s string) bool {
	for _, word := range []string{"docker", "containerd", "kubepods", "libpod"} {
		if strings.Contains(s, word) {
			return true
		}
	}
	return false
}
