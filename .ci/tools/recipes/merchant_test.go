package recipes_test

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// sign is pg_sig: MD5 of the script name, the values of every field but
// pg_sig in name order, and the secret, joined by ";".
func sign(script string, fields map[string]string, secret string) string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		if k != "pg_sig" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	parts := []string{script}
	for _, k := range names {
		parts = append(parts, fields[k])
	}
	sum := md5.Sum([]byte(strings.Join(append(parts, secret), ";")))
	return hex.EncodeToString(sum[:])
}

// scriptName is the last non-empty segment of a URL path.
func scriptName(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	return segs[len(segs)-1]
}

func salt() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// signedXML is a <response> of the given fields, pg_sig added.
func signedXML(script string, fields map[string]string, secret string) string {
	fields["pg_sig"] = sign(script, fields, secret)
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><response>`)
	for _, k := range names {
		fmt.Fprintf(&b, "<%s>", k)
		_ = xml.EscapeText(&b, []byte(fields[k]))
		fmt.Fprintf(&b, "</%s>", k)
	}
	b.WriteString("</response>")
	return b.String()
}

// flatXML reads the fields of a flat <response>.
func flatXML(body []byte) (map[string]string, error) {
	var doc struct {
		Fields []struct {
			XMLName xml.Name
			Value   string `xml:",chardata"`
		} `xml:",any"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, f := range doc.Fields {
		out[f.XMLName.Local] = f.Value
	}
	return out, nil
}

// ackMode is how the merchant answers a notify.
type ackMode int

const (
	ackSigned ackMode = iota // confirms the status, then a signed ok
	ackNone                  // HTTP 500, no ack: the notify is not delivered
)

// received is one notify the merchant got.
type received struct {
	fields      map[string]string
	host        string
	signatureOK bool
	confirmed   string // what payout_status2 said, or why it failed
}

// merchant is the app the recipe's "(replace)" steps start: it listens on
// 0.0.0.0:9000, verifies each notify's pg_sig with its secret and the last
// segment of its URL, confirms the payout with a signed payout_status2 to
// the sandbox, and answers a signed ack.
type merchant struct {
	id, secret string
	sandbox    string // FREEDOMPAY_URL
	mode       ackMode

	mu  sync.Mutex
	got []received
}

func (m *merchant) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(1 << 20); err != nil && err != http.ErrNotMultipart {
		http.Error(w, "unreadable notify: "+err.Error(), http.StatusBadRequest)
		return
	}
	fields := map[string]string{}
	for k, v := range r.PostForm {
		fields[k] = v[0]
	}
	script := scriptName(r.URL.Path)
	rec := received{fields: fields, host: r.Host, signatureOK: fields["pg_sig"] != "" && sign(script, fields, m.secret) == fields["pg_sig"]}
	defer func() {
		m.mu.Lock()
		m.got = append(m.got, rec)
		m.mu.Unlock()
	}()
	if m.mode == ackNone {
		http.Error(w, "the merchant is down", http.StatusInternalServerError)
		return
	}
	if !rec.signatureOK {
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprint(w, signedXML(script, map[string]string{"pg_status": "rejected", "pg_description": "bad signature", "pg_salt": salt()}, m.secret))
		return
	}
	rec.confirmed = m.confirm(fields)
	w.Header().Set("Content-Type", "application/xml")
	fmt.Fprint(w, signedXML(script, map[string]string{"pg_status": "ok", "pg_description": "payout notify accepted", "pg_salt": salt()}, m.secret))
}

// confirm asks the sandbox for the payout's status, as a careful merchant
// does before trusting a notify, and returns its pg_payment_status or what
// went wrong.
func (m *merchant) confirm(notify map[string]string) string {
	req := map[string]string{
		"pg_merchant_id": notify["pg_merchant_id"],
		"pg_order_id":    notify["pg_order_id"],
		"pg_payment_id":  notify["pg_payment_id"],
		"pg_salt":        salt(),
	}
	req["pg_sig"] = sign("payout_status2", req, m.secret)
	form := url.Values{}
	for k, v := range req {
		form.Set(k, v)
	}
	c := http.Client{Timeout: 30 * time.Second}
	resp, err := c.PostForm(m.sandbox+"/g2g/payout_status2", form)
	if err != nil {
		return "error: " + err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	got, err := flatXML(body)
	if err != nil {
		return fmt.Sprintf("error: HTTP %d, not XML: %v: %s", resp.StatusCode, err, body)
	}
	if got["pg_status"] != "ok" || sign("payout_status2", got, m.secret) != got["pg_sig"] {
		return fmt.Sprintf("error: HTTP %d, unsigned or not ok: %s", resp.StatusCode, body)
	}
	return got["pg_payment_status"]
}

func (m *merchant) notifies() []received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]received(nil), m.got...)
}

func TestSignVectors(t *testing.T) {
	a := map[string]string{"pg_merchant_id": "9970", "pg_order_id": "12345", "pg_payment_id": "7777777777", "pg_salt": "FdsmjkonfzxsDF"}
	if got := sign("payout_status2", a, "test_secret_key"); got != "aac04fa34ae2e48c9e44efea48cb4b6b" {
		t.Errorf("vector A: got %s, want aac04fa34ae2e48c9e44efea48cb4b6b", got)
	}
	d := map[string]string{"pg_description": "Success message", "pg_merchant_id": "123456", "pg_salt": "d35c2d6142891f3cf1119c115af837b0", "pg_status": "ok"}
	if got := sign(scriptName("/hooks/post/"), d, "asflerjgsdfv"); got != "579736010e22a4cac4de3f787fe0fbdc" {
		t.Errorf("vector D: got %s, want 579736010e22a4cac4de3f787fe0fbdc", got)
	}
	back, err := flatXML([]byte(signedXML("post", d, "asflerjgsdfv")))
	if err != nil || back["pg_sig"] != "579736010e22a4cac4de3f787fe0fbdc" || back["pg_description"] != "Success message" {
		t.Errorf("signedXML round trip: %v, %v", back, err)
	}
}
