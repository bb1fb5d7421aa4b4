package control

import (
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
)

// The Host check. Without an admin token, the only thing between a web
// page and the control API is the browser's same-origin rule, and DNS
// rebinding gets round it: a page served from a name its author controls
// re-points that name to 127.0.0.1, and the browser then sends the page's
// requests to the sandbox as same-origin ones (Origin and Host both name
// the author's host), reading the answers, the dashboard's form token
// included. What such a page cannot choose is the Host: it is always the
// page's own name, a public one. So without a token the control API and
// the dashboard answer only the names a sandbox is reached by on a
// machine, a Docker network or a cluster, and those the operator lists in
// --allowed-hosts. Gateway routes and the demo merchant's post_link are not
// control routes and are not checked.

// ParseAllowedHosts reads --allowed-hosts: comma-separated host names and
// globs ("ci-runner", "*.corp.example"; "*" stands for any run of
// characters, so "*" alone allows every Host). Names are compared without
// case, port or trailing dot. IP literals are accepted and have no effect:
// every IP literal is allowed. "" gives nil.
func ParseAllowedHosts(s string) ([]string, error) {
	var globs []string
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(item)), ".")
		if item == "" {
			continue
		}
		if _, err := netip.ParseAddr(strings.Trim(item, "[]")); err == nil {
			continue
		}
		if strings.Trim(item, "abcdefghijklmnopqrstuvwxyz0123456789.-_*") != "" {
			return nil, fmt.Errorf("--allowed-hosts: %.100q is not a host name or a glob such as *.corp.example (give names without scheme or port)", item)
		}
		if !slices.Contains(globs, item) {
			globs = append(globs, item)
		}
	}
	return globs, nil
}

// HostAllowed reports whether the control API answers a request whose
// Host header is hostport when the sandbox has no admin token: an IP
// literal, a local name (localName), or a name one of the globs
// (ParseAllowedHosts) matches. A request without a Host (HTTP/1.0 from a
// program; a browser always sends one) is allowed.
func HostAllowed(hostport string, globs []string) bool {
	host, dotted := hostName(hostport)
	if host == "" {
		return true
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	if localName(host, dotted) {
		return true
	}
	for _, g := range globs {
		if ledger.Glob(g, host) {
			return true
		}
	}
	return false
}

// hostName is the host of a Host header in lower case, without its port,
// brackets or trailing dot; dotted reports a trailing dot ("sandbox." is
// a top-level domain, not a service name).
func hostName(hostport string) (host string, dotted bool) {
	h := hostport
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i > 0 {
			h = h[1:i]
		}
	} else if strings.Count(h, ":") == 1 {
		h = h[:strings.IndexByte(h, ':')]
	}
	h = strings.ToLower(h)
	return strings.TrimSuffix(h, "."), strings.HasSuffix(h, ".")
}

// localName reports whether host is a name no web page's author can point
// at the sandbox: localhost, a single label (a Docker or compose service
// name, an alias), a name under a suffix that public DNS does not answer
// (.localhost, .internal with host.docker.internal, .local, .lan,
// .home.arpa, .test, .localdomain, .svc and Kubernetes' .cluster.local),
// and the names reserved for documentation, which only IANA answers
// for (example.com, .net and .org, and the names under them: Go's
// httptest.NewRequest sends Host example.com).
func localName(host string, dotted bool) bool {
	if !strings.Contains(host, ".") {
		return !dotted || host == "localhost"
	}
	switch host {
	case "example.com", "example.net", "example.org":
		return true
	}
	for _, suffix := range []string{".localhost", ".internal", ".local", ".lan", ".home.arpa", ".test", ".localdomain", ".svc",
		".example.com", ".example.net", ".example.org"} {
		if strings.HasSuffix(host, suffix) && len(host) > len(suffix) {
			return true
		}
	}
	return false
}

// hostRefusal says why a request for Host is refused and how to allow it.
func hostRefusal(hostport string) string {
	host, _ := hostName(hostport)
	return fmt.Sprintf("this sandbox has no admin token, so its control API and dashboard answer only local names, and Host %.100q is not one: "+
		"this guards against DNS rebinding, where a web page on a name pointed at the sandbox could drive it. "+
		"To use the name, start the sandbox with --allowed-hosts %.100s (FREEDOMPAY_MOCK_ALLOWED_HOSTS; a glob such as *.corp.example works, * allows any Host), "+
		"or set --admin-token; see docs/control-api.md", hostport, host)
}

// checkHost refuses, with 403 host_not_allowed, a request whose Host
// HostAllowed does not allow: the dashboard's page as a page, the rest in
// JSON.
func checkHost(globs []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if HostAllowed(r.Host, globs) {
			next.ServeHTTP(w, r)
			return
		}
		msg := hostRefusal(r.Host)
		if (r.URL.Path == uiPath || r.URL.Path == uiPath+"/") && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			renderPage(w, http.StatusForbidden, uiPage{Problem: "T" + strings.TrimPrefix(msg, "t") + "."}) // a sentence, as the page's other refusals
			return
		}
		writeErr(w, r, refuse(sandbox.HostNotAllowed, "%s", msg))
	})
}
