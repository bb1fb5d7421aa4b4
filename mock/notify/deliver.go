package notify

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/redact"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// Bounds of a merchant's answer to a notify. An ack is a few hundred bytes;
// an answer over a bound is a failed attempt that says so, and is neither
// kept nor parsed whole.
const (
	// MaxAnswerHeader bounds the status line and headers of an answer
	// (the client's MaxResponseHeaderBytes).
	MaxAnswerHeader = 64 << 10
	// MaxAnswerBody bounds the body of an answer.
	MaxAnswerBody = 64 << 10
	// maxShownAnswer is how much of the body an attempt keeps.
	maxShownAnswer = 2 << 10
)

// Bounds of a <response> ack, checked while its tokens are walked, before
// any field is built: the ack is flat pg_* fields, so these leave room for
// nested ones and still keep flattening (whose names repeat every parent's)
// within a small multiple of the answer's size.
const (
	maxAckDepth    = 16             // elements open at once, the root included
	maxAckElements = wire.MaxFields // elements under the root, as the gateway's max_input_vars
	maxAckNames    = MaxAnswerBody  // bytes of the names the fields are signed under
)

// post sends n, a callback of kind k, once and reads the answer by k's
// rule. retry is false when trying again cannot help: the callback host is
// not allowed.
//
// A callback to the demo merchant (scenario.DemoPostLink), or to the demo
// shop (DemoShop) on a loopback host, is served in-process: no
// connection, so neither --callback-allow nor the loopback host applies to
// it. A URL on a loopback host goes to the loopback host
// (--callback-loopback-host) when one is set; --callback-allow is checked
// on the URL as the merchant gave it.
func (s *Scheduler) post(k *kind, n *Notification) (a Attempt, retry bool) {
	rd := redact.New(n.secret)
	a = Attempt{Fields: n.Fields.Redacted(rd)}
	defer func() { // what the attempt shows may quote the URL: its password masked
		a.SentTo, a.Error = redact.URLs(a.SentTo), redact.URLs(a.Error)
	}()
	body, ctype, err := encode(n.Fields, n.encoding)
	if err != nil {
		a.Error = err.Error()
		return a, true
	}
	ctx := s.sendCtx
	local := n.URL == scenario.DemoPostLink
	target, err := url.Parse(n.URL)
	if err != nil {
		a.Error = "bad " + k.Words.URL + ": " + err.Error()
		return a, true
	}
	given := target.Hostname()
	rewrite := ""
	// The demo shop on a loopback host is this sandbox's own: answered
	// in-process, so that it works whatever the loopback host (in a
	// container, localhost is not the host's).
	shop := !local && isLoopbackHost(given) && strings.HasPrefix(target.Path, DemoShop)
	switch {
	case local:
		target.RawQuery = "merchant_id=" + url.QueryEscape(n.MerchantID) // whose post_link it is
	case !shop && rewriteLoopback(target, s.cfg.LoopbackHost):
		rewrite, a.SentTo = s.cfg.LoopbackHost, target.String()
	}
	local = local || shop
	if s.cfg.Allow != nil && !local {
		var why string
		if rewrite != "" {
			why = s.cfg.Allow.checkLoopback(given)
		} else {
			ctx, why = s.cfg.Allow.check(ctx, n.URL)
		}
		if why != "" {
			a.Error = why
			return a, false
		}
	}
	method, reader := http.MethodPost, io.Reader(bytes.NewReader(body))
	if n.encoding == EncodingQuery {
		method, reader = http.MethodGet, nil
		if target.RawQuery != "" {
			target.RawQuery += "&"
		}
		target.RawQuery += string(body)
	}
	timeout := k.Timeout
	start := time.Now() // before the deadline is set: a timed-out attempt's latency is never under it
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, n.URL, reader)
	if err != nil {
		a.Error = "bad " + k.Words.URL + ": " + err.Error()
		return a, true
	}
	req.URL, req.Host = target, target.Host // the Host header names the host dialled
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("User-Agent", "freedompay-mock")
	var resp *http.Response
	switch {
	case shop:
		resp, err = s.shop.RoundTrip(req)
	case local:
		resp, err = s.local.RoundTrip(req)
	default:
		resp, err = s.client.Do(req)
	}
	if err != nil {
		a.LatencyMS = ms(time.Since(start))
		a.Error = describe(err, ctx, timeout)
		if headersOver(err) {
			a.Error = fmt.Sprintf("answer headers over %d KiB", MaxAnswerHeader>>10)
		} else {
			a.Reason = failure{err: unwrapURL(err), ctx: ctx.Err(), sent: target, given: given, rewrite: rewrite,
				timeout: timeout, inContainer: s.cfg.InContainer}.reason()
		}
		if errors.Is(err, errNotAllowed) {
			return a, false
		}
		return a, true
	}
	// One byte more than the bound tells an answer over it; the rest is
	// never read (closing the body drops the connection).
	answer, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswerBody+1))
	resp.Body.Close()
	a.LatencyMS = ms(time.Since(start))
	a.HTTPStatus = resp.StatusCode
	over := len(answer) > MaxAnswerBody
	// Masked whole, then cut: a card number or the secret the merchant
	// echoes is never shown, nor the part of one before the cut.
	a.Answer = wire.Shorten(rd.String(string(answer)), maxShownAnswer)
	if err != nil {
		a.Error = "reading the answer: " + describe(err, ctx, timeout)
		return a, true
	}
	if resp.StatusCode != http.StatusOK {
		a.Reason = fmt.Sprintf("HTTP %d", resp.StatusCode)
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			a.Reason += " (redirects are not followed)"
		}
		return a, true
	}
	if over {
		// Not an ack, whatever the ack setting: judging a cut answer
		// would judge something the merchant did not send.
		a.Reason = fmt.Sprintf("answer body over %d KiB", MaxAnswerBody>>10)
		return a, true
	}
	ans := k.Ack(n.callback(), answer)
	a.Conforming, a.Reason, a.Delivered = ans.Conforming, ans.Reason, ans.Ack != Refused
	if ans.Ack == Rejected || ans.Ack == Errored {
		a.Outcome = ans.Ack
	}
	return a, true
}

// headersOver tells the client's error for an answer whose headers pass
// its MaxResponseHeaderBytes. net/http has no error value for it, only this
// text (transport.go, "server response headers exceeded %d bytes").
func headersOver(err error) bool {
	return strings.Contains(err.Error(), "response headers exceeded")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func describe(err error, ctx context.Context, timeout time.Duration) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("timeout: no answer within %s", timeout)
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return "cut at shutdown"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// encode writes a callback's body in its encoding; for EncodingQuery, the
// query, with no content type.
func encode(fields sign.Fields, encoding string) (body []byte, contentType string, err error) {
	switch encoding {
	case EncodingQuery:
		return []byte(wire.EncodeForm(fields)), "", nil
	case scenario.EncodingMultipart:
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for _, f := range fields {
			if err := mw.WriteField(f.Name, f.Value); err != nil {
				return nil, "", err
			}
		}
		if err := mw.Close(); err != nil {
			return nil, "", err
		}
		return b.Bytes(), mw.FormDataContentType(), nil
	case scenario.EncodingXML:
		v := url.Values{wire.FieldXML: {string(wire.EncodeRequest(fields))}}
		return []byte(v.Encode()), "application/x-www-form-urlencoded", nil
	}
	return []byte(wire.EncodeForm(fields)), "application/x-www-form-urlencoded", nil
}

// CheckAck judges a merchant's HTTP 200 answer to a notify sent to a URL
// whose script name is script. Two answers conform: the docs' bare
// <pg_status>ok</pg_status>, and the SDK's <response> with pg_status=ok and a
// pg_sig that verifies with the same script name and the payout secret.
func CheckAck(body []byte, script, secret string) (conforming bool, reason string) {
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
		return false, "HTTP 200 but empty body"
	case trimmed[0] == '{' || trimmed[0] == '[':
		return false, "HTTP 200 but JSON body"
	}
	root, text, err := rootOf(trimmed)
	var shape *shapeError
	if errors.As(err, &shape) {
		return false, "HTTP 200 but " + shape.Error()
	}
	if err != nil {
		return false, fmt.Sprintf("HTTP 200 but the body is not XML: %q", wire.Shorten(string(trimmed), 60))
	}
	switch root {
	case "pg_status":
		if strings.TrimSpace(text) != "ok" {
			return false, fmt.Sprintf("<pg_status> is %q, not \"ok\"", strings.TrimSpace(text))
		}
		return true, ""
	case "response":
		fields, err := wire.DecodeXML(trimmed)
		if err != nil {
			return false, "HTTP 200 but the <response> does not parse"
		}
		if st := fields.Value("pg_status"); st != "ok" {
			return false, fmt.Sprintf("<response> has pg_status %q, not \"ok\"", st)
		}
		if _, ok := fields.Get(sign.FieldSig); !ok {
			return false, "<response> is not signed: pg_sig is missing"
		}
		if ex := sign.Explain(script, fields, secret); !ex.OK {
			return false, "signature of the reply does not verify: " + ex.String()
		}
		return true, ""
	}
	return false, fmt.Sprintf("HTTP 200 but the XML root is <%s>, not <pg_status> or <response>", root)
}

// shapeError says how an answer passes the bounds of an ack.
type shapeError struct{ what string }

func (e *shapeError) Error() string { return e.what }

// rootOf returns the root element's name and its direct text. It walks the
// whole root and fails with a *shapeError, before anything is built from
// it, when the root holds more than an ack can: nesting deeper than
// maxAckDepth, more than maxAckElements elements under the root, or names
// that flatten (each field's name repeats its parents', see
// sign.FlattenNodes) to more than maxAckNames bytes.
func rootOf(body []byte) (name, text string, err error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var b strings.Builder
	depth := 0
	elements := 0
	// path[i] is the length of the flattened name of the element open at
	// depth i+2 (the root's children are at depth 2); names sums them.
	var path [maxAckDepth]int
	names := 0
	for {
		tok, err := d.Token()
		if err != nil {
			if name != "" && errors.Is(err, io.EOF) {
				return name, b.String(), nil
			}
			return "", "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				name = t.Name.Local
			}
			depth++
			if depth >= 2 {
				elements++
			}
			switch {
			case depth > maxAckDepth:
				return "", "", &shapeError{fmt.Sprintf("the answer nests elements more than %d deep: not an ack", maxAckDepth)}
			case elements > maxAckElements:
				return "", "", &shapeError{fmt.Sprintf("the answer has more than %d elements under its root: not an ack", maxAckElements)}
			case depth >= 2:
				n := len(t.Name.Local) + 3 // and the index FlattenNodes adds
				if depth > 2 {
					n += path[depth-3]
				}
				path[depth-2] = n
				if names += n; names > maxAckNames {
					return "", "", &shapeError{fmt.Sprintf("the answer's field names come to more than %d KiB as signed: not an ack", maxAckNames>>10)}
				}
			}
		case xml.EndElement:
			depth--
			if depth == 0 {
				return name, b.String(), nil
			}
		case xml.CharData:
			if depth == 1 {
				b.Write(t)
			}
		}
	}
}
