package mock_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// badCase is one hostile or broken request and what the gateway answers.
type badCase struct {
	name   string
	method string
	path   string
	ctype  string
	body   string
	header http.Header
	status int    // HTTP status wanted
	code   string // pg_error_code wanted; "" when the answer is not a FreedomPay error
}

const badPayoutSecret = "test_secret_key" // merchant 9970 of the default scenario

var orders int // a fresh order id for each payout the catalogue makes

// createFields are a valid card payout's fields for merchant 9970, changed
// by change before signing (so the signature holds).
func createFields(change func(sign.Fields) sign.Fields) sign.Fields {
	orders++
	f := sign.Fields{{Name: "pg_merchant_id", Value: "9970"}, {Name: "pg_order_id", Value: fmt.Sprintf("bad-%d", orders)}, {Name: "pg_amount", Value: "10"},
		{Name: "pg_description", Value: "d"}, {Name: "pg_payment_to", Value: "4405645000006150"},
		{Name: "pg_post_link", Value: "http://127.0.0.1:9/notify"}, {Name: "pg_salt", Value: "salt"}}
	if change != nil {
		f = change(f)
	}
	return append(f, sign.Field{Name: sign.FieldSig, Value: sign.Sign("p2p2nonreg", f, badPayoutSecret)})
}

func setField(name, value string) func(sign.Fields) sign.Fields {
	return func(f sign.Fields) sign.Fields {
		if _, ok := f.Get(name); ok {
			return f.With(name, value)
		}
		return append(f, sign.Field{Name: name, Value: value})
	}
}

func dropField(name string) func(sign.Fields) sign.Fields {
	return func(f sign.Fields) sign.Fields { return f.Without(name) }
}

func form(f sign.Fields) string { return wire.EncodeForm(f) }

func statusFields(id string) sign.Fields {
	f := sign.Fields{{Name: "pg_merchant_id", Value: "9970"}, {Name: "pg_order_id", Value: "12345"}, {Name: "pg_payment_id", Value: id}, {Name: "pg_salt", Value: "s"}}
	return append(f, sign.Field{Name: sign.FieldSig, Value: sign.Sign("payout_status2", f, badPayoutSecret)})
}

// multipartOf is fields as multipart parts with boundary x, unclosed.
func multipartOf(fields sign.Fields) string {
	var b strings.Builder
	for _, f := range fields {
		fmt.Fprintf(&b, "--x\r\nContent-Disposition: form-data; name=%q\r\n\r\n%s\r\n", f.Name, f.Value)
	}
	return b.String()
}

func xmlBody(inner string) string { return url.Values{"pg_xml": {inner}}.Encode() }

func badCases() []badCase {
	const create, status, urlenc = "/g2g/p2p2nonreg", "/g2g/payout_status2", "application/x-www-form-urlencoded"
	c := func(name string, f sign.Fields, code string) badCase {
		return badCase{name: name, path: create, ctype: urlenc, body: form(f), status: 200, code: code}
	}
	deep := strings.Repeat("<a>", 1000) + strings.Repeat("</a>", 1000)
	laughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><request><pg_merchant_id>&lol3;</pg_merchant_id></request>`
	many := sign.Fields{{Name: "pg_merchant_id", Value: "9970"}}
	for i := range 5000 {
		many = append(many, sign.Field{Name: fmt.Sprintf("pg_x%d", i), Value: "v"})
	}
	return []badCase{
		// Identity and signature.
		c("merchant id missing", createFields(dropField("pg_merchant_id")), "9403"),
		c("merchant id empty", createFields(setField("pg_merchant_id", "")), "9403"),
		c("merchant id not numeric", createFields(setField("pg_merchant_id", "99x")), "9403"),
		c("merchant unknown", createFields(setField("pg_merchant_id", "4242")), "9997"),
		c("merchant id duplicated", append(createFields(nil), sign.Field{Name: "pg_merchant_id", Value: "123456"}), "9403"),
		c("pg_sig missing", createFields(nil).Without("pg_sig"), "9403"),
		c("pg_sig empty", createFields(nil).With("pg_sig", ""), "9403"),
		c("pg_sig wrong", createFields(nil).With("pg_sig", "0123456789abcdef0123456789abcdef"), "9998"),
		c("pg_sig not hex", createFields(nil).With("pg_sig", "ЖЖЖ"), "9998"),
		c("field changed after signing", createFields(nil).With("pg_amount", "1000"), "9998"),
		// Order ids and descriptions.
		c("order id missing", createFields(dropField("pg_order_id")), "9403"),
		c("order id empty", createFields(setField("pg_order_id", "")), "9403"),
		c("order id 51 characters", createFields(setField("pg_order_id", strings.Repeat("o", 51))), "9403"),
		c("order id duplicated", createFields(func(f sign.Fields) sign.Fields { return append(f, sign.Field{Name: "pg_order_id", Value: "bad-2"}) }), "9403"),
		c("description 300 characters", createFields(setField("pg_description", strings.Repeat("d", 300))), "9403"),
		c("description not UTF-8", createFields(setField("pg_description", "caf\xe9")), "9403"),
		c("field name not UTF-8", createFields(setField("pg_\xff", "x")), "9403"),
		c("NUL in a value", createFields(setField("pg_description", "a\x00b")), "9403"),
		c("control character in the order id", createFields(setField("pg_order_id", "ab\x01c")), "9403"),
		c("U+FFFE in a value", createFields(setField("pg_description", "a\uFFFEb")), "9403"),
		// Amounts.
		c("amount missing", createFields(dropField("pg_amount")), "9403"),
		c("amount zero", createFields(setField("pg_amount", "0")), "9403"),
		c("amount negative", createFields(setField("pg_amount", "-5")), "9403"),
		c("amount huge", createFields(setField("pg_amount", "100000000")), "9403"),
		c("amount many decimals", createFields(setField("pg_amount", "10.123")), "9403"),
		c("amount not a number", createFields(setField("pg_amount", "ten")), "9403"),
		c("amount in exponent form", createFields(setField("pg_amount", "1e3")), "9403"),
		c("amount with spaces", createFields(setField("pg_amount", " 10")), "9403"),
		c("amount NaN", createFields(setField("pg_amount", "NaN")), "9403"),
		// Cards, links, currency.
		c("card with letters", createFields(setField("pg_payment_to", "4405abcd00006150")), "10032"),
		c("card too short", createFields(setField("pg_payment_to", "4405")), "10032"),
		c("card failing Luhn", createFields(setField("pg_payment_to", "4405645000006151")), "10032"),
		c("post_link missing", createFields(dropField("pg_post_link")), "9993"),
		c("post_link not a URL", createFields(setField("pg_post_link", "not a url")), "9403"),
		c("post_link ftp", createFields(setField("pg_post_link", "ftp://x/y")), "9403"),
		c("currency unknown", createFields(setField("pg_currency", "usd")), "9403"),
		// Status queries.
		{name: "payment id not numeric", path: status, ctype: urlenc, body: form(statusFields("abc")), status: 200, code: "9403"},
		{name: "payment id negative", path: status, ctype: urlenc, body: form(statusFields("-1")), status: 200, code: "9403"},
		{name: "payment id over int64", path: status, ctype: urlenc, body: form(statusFields("99999999999999999999")), status: 200, code: "9403"},
		{name: "payment id unknown", path: status, ctype: urlenc, body: form(statusFields("1")), status: 200, code: "11068"},
		// Content types and bodies.
		{name: "no content type", path: status, body: form(statusFields("7777777777")), status: 200, code: "9403"},
		{name: "text/plain", path: status, ctype: "text/plain", body: form(statusFields("7777777777")), status: 200, code: "9403"},
		{name: "JSON body", path: status, ctype: "application/json", body: `{"pg_merchant_id":"9970"}`, status: 200, code: "9403"},
		{name: "empty body", path: status, ctype: urlenc, status: 200, code: "9403"},
		{name: "bad percent escape", path: status, ctype: urlenc, body: "pg_merchant_id=%zz", status: 200, code: "9403"},
		{name: "multipart without boundary", path: status, ctype: "multipart/form-data", body: "--x\r\n", status: 200, code: "9403"},
		{name: "multipart cut short", path: status, ctype: "multipart/form-data; boundary=x",
			body: "--x\r\nContent-Disposition: form-data; name=\"pg_merchant_id\"\r\n\r\n9970\r\n--x\r\nContent-Disp", status: 200, code: "9403"},
		{name: "body over the limit", path: status, ctype: urlenc, body: "pg_x=" + strings.Repeat("a", mock.DefaultMaxBodyBytes), status: 413, code: "9403"},
		{name: "5000 fields", path: status, ctype: urlenc, body: form(many), status: 200, code: "9403"},
		// pg_xml.
		{name: "pg_xml with a DOCTYPE", path: status, ctype: urlenc, body: xmlBody(`<!DOCTYPE request SYSTEM "http://127.0.0.1:9/x.dtd"><request><pg_merchant_id>9970</pg_merchant_id></request>`), status: 200, code: "9403"},
		{name: "pg_xml entity expansion", path: status, ctype: urlenc, body: xmlBody(laughs), status: 200, code: "9403"},
		{name: "pg_xml nested 1000 deep", path: status, ctype: urlenc, body: xmlBody("<request>" + deep + "</request>"), status: 200, code: "9403"},
		{name: "pg_xml malformed", path: status, ctype: urlenc, body: xmlBody("<request><pg_merchant_id>9970"), status: 200, code: "9403"},
		{name: "pg_xml in windows-1251", path: status, ctype: urlenc, body: xmlBody(`<?xml version="1.0" encoding="windows-1251"?><request/>`), status: 200, code: "9403"},
		{name: "pg_xml, signed, with a second root after it", path: status, ctype: urlenc, body: xmlBody(string(wire.EncodeRequest(statusFields("7777777777"))) + "<request><pg_payment_id>1</pg_payment_id></request>"), status: 200, code: "9403"},
		{name: "pg_xml, signed, with text after the root", path: status, ctype: urlenc, body: xmlBody(string(wire.EncodeRequest(statusFields("7777777777"))) + "pg_payment_id=1"), status: 200, code: "9403"},
		{name: "pg_xml, signed, with a namespace prefix", path: status, ctype: urlenc, body: xmlBody(strings.Replace(string(wire.EncodeRequest(statusFields("7777777777"))), "pg_order_id>", "x:pg_order_id>", 2)), status: 200, code: "9403"},
		{name: "pg_xml empty", path: status, ctype: urlenc, body: xmlBody(""), status: 200, code: "9403"},
		// Methods, paths, headers.
		{name: "PUT", method: http.MethodPut, path: status, ctype: urlenc, body: form(statusFields("7777777777")), status: 405, code: "9403"},
		{name: "DELETE", method: http.MethodDelete, path: create, status: 405, code: "9403"},
		{name: "unknown path", path: "/g2g/payout_status3", ctype: urlenc, body: form(statusFields("7777777777")), status: 404, code: "9403"},
		// Requests that could be read two ways.
		{name: "two different Content-Types", path: status, ctype: urlenc, header: http.Header{"Content-Type": {"text/xml"}}, body: form(statusFields("7777777777")), status: 200, code: "9403"},
		{name: "Content-Encoding gzip on a plain body", path: status, ctype: urlenc, header: http.Header{"Content-Encoding": {"gzip"}}, body: form(statusFields("7777777777")), status: 200, code: "9403"},
		{name: "signed body, pg_ fields in the query too", path: status + "?pg_order_id=1001", ctype: urlenc, body: form(statusFields("7777777777")), status: 200, code: "9403"},
		{name: "pg.order_id beside pg_order_id (PHP reads both as pg_order_id)", path: status, ctype: urlenc, body: form(statusFields("7777777777")) + "&pg.order_id=1001", status: 200, code: "9403"},
		{name: "a leading space: ' pg_order_id' is pg_order_id to PHP", path: status, ctype: urlenc, body: form(statusFields("7777777777")) + "&+pg_order_id=1001", status: 200, code: "9403"},
		{name: "pg_order_id as a value and as a list", path: status, ctype: urlenc, body: form(statusFields("7777777777")) + "&pg_order_id%5B%5D=1001", status: 200, code: "9403"},
		{name: "pg[order_id beside pg_order_id (PHP reads an unmatched [ as _)", path: status, ctype: urlenc, body: form(statusFields("7777777777")) + "&pg%5Border_id=1001", status: 200, code: "9403"},
		{name: "pg.order_id in the query of a signed body", path: status + "?pg.order_id=1001", ctype: urlenc, body: form(statusFields("7777777777")), status: 200, code: "9403"},
		{name: "1 000 empty fields before the signed ones (PHP counts them)", path: status, ctype: urlenc, body: strings.Repeat("&", 1000) + form(statusFields("7777777777")), status: 200, code: "9403"},
		{name: "pg_x[a] as a value and as a group", path: status, ctype: urlenc, body: form(statusFields("7777777777")) + "&pg_x%5Ba%5D=1&pg_x%5Ba%5D%5Bb%5D=2", status: 200, code: "9403"},
		{name: "multipart part named twice", path: status, ctype: "multipart/form-data; boundary=x",
			body: multipartOf(statusFields("7777777777")) + "--x\r\nContent-Disposition: form-data; name=\"x\"; name=\"pg_order_id\"\r\n\r\n1001\r\n--x--\r\n", status: 200, code: "9403"},
		{name: "pg_xml with text before the root", path: status, ctype: urlenc, body: xmlBody("junk" + string(wire.EncodeRequest(statusFields("7777777777")))), status: 200, code: "9403"},
		c("post_link on port 99999", createFields(setField("pg_post_link", "http://127.0.0.1:99999/notify")), "9403"),
		c("post_link with a space in its query", createFields(setField("pg_post_link", "http://127.0.0.1:9/hooks?a b HTTP/1.0")), "9403"),
		c("post_link with a CR LF", createFields(setField("pg_post_link", "http://127.0.0.1:9/hooks\r\nX-Injected: 1")), "9403"),
		{name: "header over 1 MiB", path: status, ctype: urlenc, header: http.Header{"X-Junk": {strings.Repeat("j", 2<<20)}}, status: 431},
		{name: "query over 1 MiB", method: http.MethodGet, path: status + "?pg_x=" + strings.Repeat("q", 2<<20), status: 431},
	}
}

// TestBadInputCatalogue sends each hostile or broken request to a running
// sandbox: each gets FreedomPay's error (or a 4xx), none a 5xx or a dropped
// connection, and the sandbox answers a good request after every one.
func TestBadInputCatalogue(t *testing.T) {
	s := mock.RunT(t, mock.Options{ClockMode: "manual"})
	cases := badCases()
	if len(cases) < 40 {
		t.Fatalf("the catalogue has %d cases; it promises at least 40", len(cases))
	}
	good := form(statusFields("7777777777"))
	for _, bc := range cases {
		t.Run(bc.name, func(t *testing.T) {
			method := bc.method
			if method == "" {
				method = http.MethodPost
			}
			req, err := http.NewRequest(method, s.URL()+bc.path, strings.NewReader(bc.body))
			if err != nil {
				t.Fatal(err)
			}
			if bc.ctype != "" {
				req.Header.Set("Content-Type", bc.ctype)
			}
			for k, vs := range bc.header {
				req.Header[k] = append(req.Header[k], vs...)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != bc.status || resp.StatusCode >= 500 {
				t.Errorf("HTTP %d, want %d\n%.300s", resp.StatusCode, bc.status, body)
			}
			if bc.code != "" {
				got, err := wire.DecodeXML(body)
				if err != nil || got.Value("pg_status") != "error" || got.Value("pg_error_code") != bc.code {
					t.Errorf("answer %.300s: want a FreedomPay error %s", body, bc.code)
				}
			}
			after, err := http.Post(s.URL()+"/g2g/payout_status2", "application/x-www-form-urlencoded", strings.NewReader(good))
			if err != nil {
				t.Fatalf("the sandbox stopped answering: %v", err)
			}
			defer after.Body.Close()
			ok, _ := io.ReadAll(after.Body)
			if f, _ := wire.DecodeXML(ok); f.Value("pg_status") != "ok" {
				t.Errorf("a good request after it: %s", ok)
			}
		})
	}
}

// TestSlowClientsAreCutOff: a client that sends its headers, or its body,
// slower than the timeouts is disconnected, and others are served.
func TestSlowClientsAreCutOff(t *testing.T) {
	// The read and write limits equal, as their defaults are: the 408
	// must still arrive.
	s := mock.RunT(t, mock.Options{ClockMode: "manual", ReadHeaderTimeout: 200 * time.Millisecond, ReadTimeout: 400 * time.Millisecond, WriteTimeout: 400 * time.Millisecond})
	addr := strings.TrimPrefix(s.URL(), "http://")
	const post = "POST /g2g/payout_status2 HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
	for name, c := range map[string]struct{ start, want string }{
		"headers never end":         {"POST /g2g/payout_status2 HTTP/1.1\r\nHost: x\r\n", ""},
		"body never comes":          {post + "Content-Length: 100\r\n\r\npg_merchant_id=", "HTTP/1.1 408"},
		"chunks never end":          {post + "Transfer-Encoding: chunked\r\n\r\n5\r\npg_me\r\n", "HTTP/1.1 408"},
		"says it is over the limit": {post + "Content-Length: 2097152\r\n\r\npg_merchant_id=", "HTTP/1.1 413"},
	} {
		start := c.start
		t.Run(name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, start); err != nil {
				t.Fatal(err)
			}
			// A bound in case nothing comes: 25 times the timeouts,
			// so that only a server that never cuts the client off
			// reaches it, however busy the machine.
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			if c.want == "HTTP/1.1 413" {
				// Answered while the client has sent 15 bytes of the
				// 2 MiB it declared, and will send no more: the
				// server did not wait for the body.
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				if err != nil {
					t.Fatalf("no answer before the body: %v", err)
				}
				defer resp.Body.Close()
				data, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(data), "<pg_error_code>9403</pg_error_code>") {
					t.Errorf("answer: HTTP %d %.300q, want 413 with FreedomPay's 9403", resp.StatusCode, data)
				}
				return
			}
			rest, err := io.ReadAll(bufio.NewReader(conn)) // until the server closes
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("still connected after 10 s: the slow client was not cut off")
			}
			if !strings.HasPrefix(string(rest), c.want) || (c.want != "" && !strings.Contains(string(rest), "<pg_error_code>9403</pg_error_code>")) {
				t.Errorf("answer: %.300q, want %q with FreedomPay's 9403", rest, c.want)
			}
		})
	}
	resp, err := http.Post(s.URL()+"/g2g/payout_status2", "application/x-www-form-urlencoded", strings.NewReader(form(statusFields("7777777777"))))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// TestBigAndManyFieldRequestsStayCheap: a wrongly signed request with many
// fields is explained in bounded time, and what the journal keeps of big
// requests is bounded.
func TestBigAndManyFieldRequestsStayCheap(t *testing.T) {
	s := mock.RunT(t, mock.Options{ClockMode: "manual"})
	many := sign.Fields{{Name: "pg_merchant_id", Value: "9970"}, {Name: "pg_order_id", Value: "12345"}, {Name: "pg_payment_id", Value: "7777777777"}, {Name: "pg_salt", Value: "s"}}
	for i := range 990 {
		many = append(many, sign.Field{Name: fmt.Sprintf("x%d", i), Value: strings.Repeat("v", 900)})
	}
	many = append(many, sign.Field{Name: "pg_sig", Value: "00000000000000000000000000000000"})
	sent := form(many)
	before := allocated()
	resp, err := http.Post(s.URL()+"/g2g/payout_status2", "application/x-www-form-urlencoded", strings.NewReader(sent))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	cost := allocated() - before
	if !strings.Contains(string(body), "9998") {
		t.Errorf("a wrongly signed request of 1000 fields: %.200s, want 9998", body)
	}
	// The cost in bytes allocated (client and server both run in this
	// process), not in wall time: any input under 1 MiB, as this one of
	// about 900 KiB, is to cost at most 50 MB.
	t.Logf("a wrongly signed request of %d KiB and 1000 fields: %d KiB allocated", len(sent)>>10, cost>>10)
	if cost > 50<<20 {
		t.Errorf("a wrongly signed request of %d KiB and 1000 fields: %d MiB allocated, want at most 50 MiB", len(sent)>>10, cost>>20)
	}
	e := mock.Journal(s, journal.Filter{Outcome: journal.OutcomeBadSignature}).Entries
	if len(e) != 1 || len(e[0].Fields) > journal.MaxFields || e[0].Cut == 0 || len(e[0].Signature.SigningString) > journal.MaxSigning+40 {
		t.Fatalf("journal entry of a big request: %d fields, cut %d", len(e[0].Fields), e[0].Cut)
	}
	for _, f := range e[0].Fields {
		if len(f.Value) > journal.MaxValue+40 {
			t.Errorf("field %s kept at %d bytes", f.Name, len(f.Value))
		}
	}
	many = append(many[:len(many)-1], sign.Field{Name: "x_more", Value: "1"}, sign.Field{Name: "x_more2", Value: "1"}, sign.Field{Name: "x_more3", Value: "1"}, sign.Field{Name: "x_more4", Value: "1"},
		sign.Field{Name: "x_more5", Value: "1"}, sign.Field{Name: "x_more6", Value: "1"}, sign.Field{Name: "x_more7", Value: "1"}, sign.Field{Name: "pg_sig", Value: "0"})
	resp, err = http.Post(s.URL()+"/g2g/payout_status2", "application/x-www-form-urlencoded", strings.NewReader(form(many)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "at most 1000") {
		t.Errorf("1002 fields: %.200s", body)
	}
}

// TestControlInputIsNeverSettledSilently: control input that could be read
// two ways, or names what does not exist, is refused rather than guessed.
func TestControlInputIsNeverSettledSilently(t *testing.T) {
	s := mock.RunT(t, mock.Options{ClockMode: "manual"})
	start := s.Clock().Now()
	for _, c := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/_mock/clock/advance?by=1m", `{"by":"2m"}`, 400},
		{"POST", "/_mock/clock/advance?by=1m", `{"by":"1m"}`, 200},
		{"POST", "/_mock/clock/advance", `{"by":"1m"}` + strings.Repeat(" ", 70<<10), 413},
		{"POST", "/_mock/payouts/7777777777/status", `{"status":"success"}` + strings.Repeat(" ", 70<<10), 413},
		{"GET", "/_mock/payouts?status=sucess", "", 400},
		{"GET", "/_mock/payouts?merchant_id=99", "", 404},
		{"GET", "/_mock/notifications?merchant_id=99", "", 404},
		{"POST", "/_mock/clock/advance?by=0s&by=1h", "", 400},
		{"POST", "/_mock/clock/advance", `{"by":"0s","by":"1h"}`, 400},
		{"POST", "/_mock/clock/advance", `{"By":"2h"}`, 400},
		{"POST", "/_mock/clock/advance", `{"by":"1m","step":"1s"}`, 400},
		{"POST", "/_mock/payouts/7777777777/status?status=error", `{"status":"success"}`, 400},
		{"POST", "/_mock/payouts/7777777777/status", `{"status":"error","Error_Code":10001}`, 400},
		{"GET", "/_mock/payouts?status=process&status=success", "", 400},
		{"GET", "/_mock/payouts?colour=red", "", 400},
		{"GET", "/_mock/requests?merchant=9970", "", 400},
		{"GET", "/_mock/await?order_id=1001&payment_id=7777777777&status=success&timeout=1ms", "", 400},
		{"GET", "/_mock/clock?now=1", "", 400},
		{"POST", "/_mock/reset?merchant_id=123456%", "", 400},
		{"GET", "/_mock/payouts?status=%zz", "", 400},
		{"POST", "/_mock/reset", `{"merchant_id":"9971"}`, 400},
		{"GET", "/_mock/payouts", `{"merchant_id":"9971"}`, 400},
		{"GET", "/_mock/ui/view?x=1", "", 400},
		{"GET", "/_mock/payouts?merchant_id=9970&status=success", "", 200},
		{"GET", "/_mock/notifications?merchant_id=9970", "", 200},
	} {
		ctl(t, s, "", c.method, c.path, c.body, c.want, nil)
	}
	var clk struct{ Now time.Time }
	ctl(t, s, "", "GET", "/_mock/clock", "", 200, &clk)
	if got := clk.Now.Sub(start); got != time.Minute {
		t.Errorf("the clock moved %s; only the one advance that was not refused should have moved it 1m", got)
	}
}

// TestAwaitAnswersWhenItCannotWait: an await whose client half-closes, or
// that is open when the sandbox stops, ends with a reply that says why,
// never an empty one.
func TestAwaitAnswersWhenItCannotWait(t *testing.T) {
	await := "GET /_mock/await?order_id=nope&state=delivered&timeout=30s HTTP/1.1\r\nHost: x\r\n\r\n"
	read := func(t *testing.T, conn net.Conn) string {
		_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second)) // a bound, in case it never comes
		data, _ := io.ReadAll(conn)
		return string(data)
	}
	t.Run("half-close", func(t *testing.T) {
		s := mock.RunT(t, mock.Options{ClockMode: "manual"})
		conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL(), "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, _ = io.WriteString(conn, await)
		_ = conn.(*net.TCPConn).CloseWrite()
		if got := read(t, conn); !strings.HasPrefix(got, "HTTP/1.1 408") || !strings.Contains(got, "closed its side") {
			t.Errorf("await after a half-close: %.400q", got)
		}
	})
	t.Run("shutdown", func(t *testing.T) {
		// The clock request first, pipelined, so the connection is taken
		// before Close; the await then either waits or starts after Close
		// began: 503 both ways.
		for try := range 5 {
			s := mock.RunT(t, mock.Options{ClockMode: "manual"})
			conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL(), "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_, _ = io.WriteString(conn, "GET /_mock/clock HTTP/1.1\r\nHost: x\r\n\r\n"+await)
			br := bufio.NewReader(conn)
			first, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, first.Body)
			began := time.Now()
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			// An await held until Close's budget runs out would use all
			// of it; one that is cut short, as it must be, ends well
			// before. The margin is the whole budget, for busy machines.
			if took := time.Since(began); took >= mock.DefaultShutdownTimeout {
				t.Errorf("Close took %s with an await open: its whole budget", took)
			}
			_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
			rest, _ := io.ReadAll(br)
			if len(rest) == 0 {
				t.Logf("try %d: the connection was closed idle before the await was read; again", try)
				continue
			}
			if !strings.HasPrefix(string(rest), "HTTP/1.1 503") || !strings.Contains(string(rest), "shutting down") {
				t.Errorf("await open at shutdown: %.400q", rest)
			}
			return
		}
		t.Error("in 5 tries the await was never read before the shutdown")
	})
}

// TestSecretsNeverShown: a client may send a secret anywhere (as its salt,
// an order id, a path, a malformed field, another merchant's secret as a
// value); the logs, the journal, the lists and the dashboard never repeat
// it.
func TestSecretsNeverShown(t *testing.T) {
	var logs bytes.Buffer
	m := newMerchant(t, badPayoutSecret, ackOK)
	s, err := mock.Run(mock.Options{ClockMode: "manual", Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	secrets := []string{"test_secret_key", "payment_secret_key", "asflerjgsdfv"} // scenarios/default.toml
	post := func(path, body string) {
		resp, err := http.Post(s.URL()+path, "application/x-www-form-urlencoded", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	salted := statusFields("7777777777").With("pg_salt", "x-test_secret_key-x")
	post("/g2g/payout_status2", form(salted)) // 9998, explained
	post("/g2g/p2p2nonreg", form(createFields(func(f sign.Fields) sign.Fields {
		return f.With("pg_order_id", "payment_secret_key").With("pg_description", "asflerjgsdfv").With("pg_post_link", m.URL+"/test_secret_key")
	})))
	post("/test_secret_key/x", "a=b")
	post("/g2g/payout_status2", "pg_salt=test_secret_key%zz")
	post("/g2g/payout_status2", "pg_merchant_id=1&pg_x=asflerjgsdfv&pg_sig=0")
	if _, err := s.Drain(); err != nil {
		t.Fatal(err)
	}
	shown := map[string]string{}
	for _, path := range []string{"/_mock/requests", "/_mock/payouts", "/_mock/notifications", "/_mock/ui/view", "/_mock/verify"} {
		resp, err := http.Get(s.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		shown[path] = string(data)
	}
	if !strings.Contains(shown["/_mock/payouts"], `"order_id": "<secret:18 chars>"`) || !strings.Contains(shown["/_mock/requests"], "x-<secret:15 chars>-x") {
		t.Errorf("the payout or the salted request is missing, or not masked:\n%.2000s", shown["/_mock/payouts"])
	}
	if err := json.Unmarshal([]byte(shown["/_mock/requests"]), new(map[string]any)); err != nil {
		t.Errorf("the masked journal is not JSON: %v", err)
	}
	s.Close()
	shown["the log"] = logs.String()
	for where, text := range shown {
		for _, secret := range secrets {
			if i := strings.Index(text, secret); i >= 0 {
				t.Errorf("%s shows the secret %q: …%s…", where, secret, text[max(0, i-200):min(len(text), i+100)])
			}
		}
	}
}

// An await through Handler(), with no listener of the server's own, waits
// as through a started server: only a stopping server cuts it short.
func TestAwaitThroughHandler(t *testing.T) {
	s, err := mock.New(mock.Options{ClockMode: "manual"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	got := make(chan int, 1)
	go func() {
		resp, err := http.Get(ts.URL + "/_mock/await?path=/g2g/payout_status2&timeout=10s")
		if err != nil {
			got <- 0
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	resp, err := http.Post(ts.URL+"/g2g/payout_status2", "application/x-www-form-urlencoded", strings.NewReader(form(statusFields("7777777777"))))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code := <-got; code != 200 {
		t.Errorf("await through Handler(): HTTP %d, want 200", code)
	}
}
