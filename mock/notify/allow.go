package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
)

// AllowList is --callback-allow: the hosts callbacks may go to, as
// host-name globs ("*.shop.test", "merchant") and IP networks
// ("10.0.0.0/8", "127.0.0.1"). A host name no glob matches is still allowed
// when every address it resolves to lies in a network, and it is dialled at
// the address checked.
type AllowList struct {
	globs []string // lower case
	nets  []*net.IPNet
	text  string
}

// ParseAllowList reads a comma-separated list; "" gives nil, which allows
// every host.
func ParseAllowList(s string) (*AllowList, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	a := &AllowList{}
	var shown []string
	for _, item := range strings.Split(s, ",") {
		item = strings.ToLower(strings.TrimSpace(item))
		if item == "" {
			continue
		}
		shown = append(shown, item)
		if strings.Contains(item, "/") {
			_, n, err := net.ParseCIDR(item)
			if err != nil {
				return nil, fmt.Errorf("callback allow list: %q is not a network such as 10.0.0.0/8", item)
			}
			a.nets = append(a.nets, n)
			continue
		}
		if ip := net.ParseIP(item); ip != nil {
			bits := 8 * len(ip.To16())
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			a.nets = append(a.nets, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		if strings.Trim(item, "abcdefghijklmnopqrstuvwxyz0123456789.-_*") != "" {
			return nil, fmt.Errorf("callback allow list: %q is neither a host name glob (such as *.shop.test) nor an IP network", item)
		}
		a.globs = append(a.globs, item)
	}
	if len(shown) == 0 {
		return nil, nil
	}
	a.text = strings.Join(shown, ", ")
	return a, nil
}

var errNotAllowed = errors.New("refused by --callback-allow")

type allowKey struct{}

// check decides whether rawURL's host may be called. A host name that only
// the networks can allow is marked in the returned context, for the dialler
// to check the addresses it resolves to.
func (a *AllowList) check(ctx context.Context, rawURL string) (context.Context, string) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ctx, "" // the request fails with its own error
	}
	host := strings.ToLower(u.Hostname())
	for _, g := range a.globs {
		if ledger.Glob(g, host) {
			return ctx, ""
		}
	}
	if ip := net.ParseIP(host); ip != nil {
		if a.contains(ip) {
			return ctx, ""
		}
		return ctx, fmt.Sprintf("%v: %s is in none of: %s", errNotAllowed, host, a.text)
	}
	if len(a.nets) == 0 {
		return ctx, fmt.Sprintf("%v: host %q matches none of: %s", errNotAllowed, host, a.text)
	}
	return context.WithValue(ctx, allowKey{}, a), ""
}

// checkLoopback decides whether a post_link whose host is a loopback one
// may be called, as the merchant gave it, when it is sent to the loopback
// host (--callback-loopback-host) instead: a glob that matches the host, or
// a network that holds its address (127.0.0.1 or ::1 for localhost). The
// loopback host itself is the operator's choice and is not checked again,
// so an allow list of "localhost" or "127.0.0.1" keeps working in a
// container whose callbacks go to host.docker.internal.
func (a *AllowList) checkLoopback(host string) string {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, g := range a.globs {
		if ledger.Glob(g, host) {
			return ""
		}
	}
	ips := []net.IP{net.ParseIP(host)}
	if ips[0] == nil { // localhost
		ips = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	}
	for _, ip := range ips {
		if a.contains(ip) {
			return ""
		}
	}
	return fmt.Sprintf("%v: %s is in none of: %s", errNotAllowed, host, a.text)
}

func (a *AllowList) contains(ip net.IP) bool {
	for _, n := range a.nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// dialChecked dials addr; when ctx carries an allow list, only at an
// address it allows.
func dialChecked(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		a, _ := ctx.Value(allowKey{}).(*AllowList)
		if a == nil {
			return dial(ctx, network, addr)
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil {
			return nil, err
		}
		for _, ip := range ips {
			if a.contains(ip.IP) {
				return dial(ctx, network, net.JoinHostPort(ip.IP.String(), port))
			}
		}
		return nil, fmt.Errorf("%w: %s resolves to no address in: %s", errNotAllowed, host, a.text)
	}
}
