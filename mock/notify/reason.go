package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
	"time"
)

// failure is an attempt that got no answer, as reason reads it.
type failure struct {
	err     error    // the client's error
	ctx     error    // the attempt's context's error, if it ended
	sent    *url.URL // where the attempt went
	given   string   // the post_link's host, as the merchant gave it
	rewrite string   // the loopback host, when the attempt went there instead
	timeout time.Duration
	// inContainer reports whether the sandbox runs in a container; asked
	// only for an attempt to a loopback host.
	inContainer func() bool
}

// reason says in words why an attempt got no answer, for the attempt's
// reason, the log and the dashboard; the client's own error stays in the
// attempt's error. It is "" when the error says it well enough already.
func (f failure) reason() string {
	where := hostPort(f.sent)
	var why string
	var dns *net.DNSError
	switch {
	case errors.Is(f.ctx, context.Canceled), errors.Is(f.err, errNotAllowed):
		return ""
	case errors.Is(f.ctx, context.DeadlineExceeded):
		why = fmt.Sprintf("timed out after %s: no answer from %s", f.timeout, where)
	case errors.As(f.err, &dns):
		if f.rewrite != "" && dns.Name == f.rewrite {
			if f.inContainer() {
				return fmt.Sprintf("%s does not resolve: start the container with --add-host=%s:host-gateway", f.rewrite, f.rewrite)
			}
			return fmt.Sprintf("%s does not resolve: it is --callback-loopback-host, where callbacks to localhost go", f.rewrite)
		}
		if dns.IsNotFound {
			why = fmt.Sprintf("no such host: %s does not resolve", dns.Name)
		} else {
			why = fmt.Sprintf("looking up %s failed: %s", dns.Name, dns.Err)
		}
	case errors.Is(f.err, syscall.ECONNREFUSED):
		if f.rewrite != "" {
			return fmt.Sprintf("nothing listens on %s: the merchant must listen on 0.0.0.0, not 127.0.0.1", where)
		}
		why = "connection refused: nothing listens at " + where
	case errors.Is(f.err, syscall.EHOSTUNREACH), errors.Is(f.err, syscall.ENETUNREACH):
		why = "no route to " + where
	case errors.Is(f.err, syscall.ECONNRESET), errors.Is(f.err, io.EOF), errors.Is(f.err, io.ErrUnexpectedEOF):
		why = "the connection to " + where + " was closed before an answer came"
	default:
		var op *net.OpError
		if !errors.As(f.err, &op) || op.Op != "dial" {
			return ""
		}
		why = "could not connect to " + where
	}
	if f.rewrite == "" && isLoopbackHost(f.given) && f.inContainer() {
		why += fmt.Sprintf("; %s inside a container is the container itself: set FREEDOMPAY_MOCK_CALLBACK_LOOPBACK_HOST=host.docker.internal and start the container with --add-host=host.docker.internal:host-gateway", f.given)
	}
	return why
}

// unwrapURL is the error under the client's *url.Error.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
