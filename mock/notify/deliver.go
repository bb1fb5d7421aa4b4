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

	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// maxAnswer bounds how much of a merchant's answer is read, and
// maxShownAnswer how much of it an attempt keeps.
const (
	maxAnswer      = 64 << 10
	maxShownAnswer = 2 << 10
)

// post sends n once and judges the answer. retry is false when trying again
// cannot help: the callback host is not allowed.
func (s *Scheduler) post(n *Notification) (a Attempt, retry bool) {
	a = Attempt{Fields: sign.MaskSecrets(n.Fields, n.secret)}
	body, ctype, err := encode(n.Fields, s.cfg.Settings.Encoding)
	if err != nil {
		a.Error = err.Error()
		return a, true
	}
	ctx := s.sendCtx
	if s.cfg.Allow != nil {
		var why string
		if ctx, why = s.cfg.Allow.check(ctx, n.URL); why != "" {
			a.Error = why
			return a, false
		}
	}
	timeout := s.cfg.Settings.Timeout.Duration
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.URL, bytes.NewReader(body))
	if err != nil {
		a.Error = "bad post_link: " + err.Error()
		return a, true
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("User-Agent", "freedompay-mock")
	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		a.LatencyMS = ms(time.Since(start))
		a.Error = describe(err, ctx, timeout)
		if errors.Is(err, errNotAllowed) {
			return a, false
		}
		return a, true
	}
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	resp.Body.Close()
	a.LatencyMS = ms(time.Since(start))
	a.HTTPStatus = resp.StatusCode
	a.Answer = truncate(string(answer), maxShownAnswer)
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
	a.Conforming, a.Reason = CheckAck(answer, n.script, n.secret)
	a.Delivered = a.Conforming || s.cfg.Settings.Ack != scenario.AckStrict
	return a, true
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

// encode writes the notify body in the configured encoding.
func encode(fields sign.Fields, encoding string) (body []byte, contentType string, err error) {
	switch encoding {
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
	if err != nil {
		return false, fmt.Sprintf("HTTP 200 but the body is not XML: %q", truncate(string(trimmed), 60))
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

// rootOf returns the root element's name and its direct text.
func rootOf(body []byte) (name, text string, err error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var b strings.Builder
	depth := 0
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

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
