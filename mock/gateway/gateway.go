// Package gateway serves FreedomPay's own routes. One adapter decodes every
// request, identifies the merchant, checks pg_sig, calls the route's handler
// and writes its fields (or its error) as signed XML; handlers never touch
// the ResponseWriter.
package gateway

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/page"
	"github.com/freedompay-mock/freedompay-mock/mock/redact"
	"github.com/freedompay-mock/freedompay-mock/mock/routes"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// DateTimeLayout is pg_datetime's ISO-8601 form with offset.
const DateTimeLayout = "2006-01-02T15:04:05-07:00"

// Config is what the gateway routes need.
type Config struct {
	Ledger   *ledger.Ledger
	Clock    clock.Clock
	Gen      *fixtures.Gen
	Settings scenario.Gateway
	Logger   *slog.Logger
	MaxBody  int64 // request body limit in bytes
	// Commit makes a payout (make) and hands it to the notify schedule,
	// the one way the sandbox changes state: it returns make's error as
	// it is; else, when the state is saved, once the change is saved, or
	// with why it could not be, after undo took the change back. Nil makes
	// and schedules nothing more (tests of the gateway alone).
	Commit func(make func() (ledger.CreatedPayout, error), undo func(ledger.CreatedPayout)) (ledger.CreatedPayout, error)
	// Journal records every request; nil records nothing.
	Journal *journal.Journal
	// Drills are the scenario's; Seed decides their faults.
	Drills scenario.Drills
	Seed   int64
	// Payments makes payments' changes; nil serves no payment page.
	Payments Payments
	// Cards makes card storage's changes; nil serves no card page.
	Cards Cards
	// PublicURL is the base of the pages replies name; "" takes the host
	// a request came to.
	PublicURL string
	// PaymentSettings are the scenario's [payments].
	PaymentSettings scenario.PaymentSettings
	// Early sends the notify of a payout with the drill "early" now and
	// returns after its first attempt (or when ctx ends).
	Early func(ctx context.Context, p ledger.Payout)
}

// Gateway answers the FreedomPay routes for one world: a scenario served
// with its ledger, journal and notify schedule. A scenario swap or a reset
// makes a new one; the routes, registered once by [Register], ask for the
// current one on every request.
type Gateway struct {
	cfg    Config
	loc    *time.Location
	page   *template.Template
	faults *faults
	stamp  atomic.Pointer[stamp] // the last pg_datetime made
	pages  *page.Templates
}

// stamp is a pg_datetime and the second it shows: a reply in the same
// second takes the same text instead of formatting it again.
type stamp struct {
	unix int64
	text string
}

// New returns the gateway for cfg.
func New(cfg Config) *Gateway {
	return &Gateway{cfg: cfg, loc: cfg.Settings.Location(), page: parsePage(), pages: paymentPages(),
		faults: &faults{seed: cfg.Seed, cfg: cfg.Drills.Faults, seen: map[string]int{}}}
}

// paymentPages are the payment pages' templates, parsed once.
var paymentPages = sync.OnceValue(page.New)

// secretFor picks the merchant secret a route is signed with.
type secretFor func(m ledger.Merchant) string

// secretOf is the secret that signs a route's requests and replies.
func (g *Gateway) secretOf(s routes.Secret) secretFor {
	switch s {
	case routes.SecretStatus:
		return g.statusSecret
	case routes.SecretPayment:
		return paymentSecret
	}
	return payoutSecret
}

func paymentSecret(m ledger.Merchant) string { return m.SecretKey }

func payoutSecret(m ledger.Merchant) string { return m.PayoutSecretKey }

// statusSecret follows gateway.status_secret (spec §8.5, assumed).
func (g *Gateway) statusSecret(m ledger.Merchant) string {
	if g.cfg.Settings.StatusSecret == scenario.SecretPayment {
		return m.SecretKey
	}
	return m.PayoutSecretKey
}

// call is one authenticated request as a handler sees it.
type call struct {
	made     bool   // the request made a payout
	fault    string // the drill fault its reply gets for certain
	ctx      context.Context
	fields   sign.Fields
	merchant ledger.Merchant
	now      time.Time
	script   string // the request's script name, e.g. "p2p2nonreg"
	r        *http.Request
	public   string // Config.PublicURL
	// groups hold the children of a reply's nested fields, by name: the
	// handler puts the field itself, empty, where it goes in the reply.
	groups map[string][]sign.Node
	// tail are fields a reply writes after pg_sig, signed all the same
	// (/g2g/status_v2's pg_datetime, as its schema orders it).
	tail sign.Fields
	// nodes, when not nil, are the whole reply, nested (cardstorage/list's
	// repeated <card>): the handler returns no fields.
	nodes []sign.Node
	// reply is room for a flat reply and its pg_salt and pg_sig, so that
	// a status reply needs no allocation of its own (the call is one).
	reply [10]sign.Field
}

// base is the sandbox's URL as the client reached it, for pages.
func (c *call) base() string { return cmp.Or(c.public, baseOf(c.r)) }

// adapter serves one signed route: it decodes the request, identifies the
// merchant, checks pg_sig, calls the route's handler on the gateway of the
// world served now and writes the reply signed, or the error.
type adapter struct {
	current func() *Gateway
	route   routes.Route
	h       func(*Gateway, *call) (sign.Fields, error)
}

func (a *adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g := a.current()
	start := time.Now()
	script := a.route.Script
	if a.route.Path == "/g2g/payment_page/" {
		script = g.cfg.PaymentSettings.PageScriptName() // open point 1
	}
	log := &reqLog{l: g.cfg.Logger, path: r.URL.Path}
	rec := &record{r: r, start: start, at: g.cfg.Clock.Now()}

	req, err := wire.Decode(r, g.cfg.MaxBody)
	if errors.Is(err, wire.ErrSlowBody) {
		log.Warn("request body too slow")
		// The read and write limits run out together: without time of
		// its own the 408 would never reach the client.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(5 * time.Second))
		g.writeError(w, rec, http.StatusRequestTimeout, wire.Errorf(wire.CodeValidation,
			"Request body not received within the read timeout (--read-timeout)"))
		return
	}
	if errors.Is(err, wire.ErrTooLarge) {
		log.Warn("request body over the limit", slog.Int64("limit_bytes", g.cfg.MaxBody))
		g.tooLarge(w, r, rec)
		return
	}
	if err != nil {
		g.reject(w, rec, log, err)
		return
	}
	rec.fields, rec.encoding = req.Fields, req.Encoding
	log.encoding = req.Encoding

	secretOf := g.secretOf(a.route.Secret)
	m, err := g.authenticate(req.Fields, script, secretOf, log, rec)
	if err != nil {
		if a.route.Secret == routes.SecretPayment {
			err = wire.InPaymentWords(err)
		}
		g.reject(w, rec, log, err)
		return
	}
	log.merchant = m.ID
	now := g.cfg.Clock.Now()
	c := &call{ctx: r.Context(), fields: req.Fields, merchant: m, now: now, script: script, r: r, public: g.cfg.PublicURL}
	fields, err := a.h(g, c)
	rec.made = c.made
	secret := secretOf(m)
	var body []byte
	var buf *[]byte // body's buffer, from replyBufs
	if err == nil { // first: errors.As would cost the reply an allocation
		switch {
		case c.nodes != nil:
			rec.reply, body = g.signedTree(script, secret, c.nodes, c.tail...)
		case len(c.groups) == 0 && c.tail == nil:
			rec.reply = fields
			buf = replyBufs.Get().(*[]byte)
			body = g.appendSigned((*buf)[:0], script, secret, fields)
		default:
			rec.reply, body = g.signedTree(script, secret, tree(fields, c.groups), c.tail...)
		}
		if log.enabled(slog.LevelInfo) { // time.Since only for a line written
			log.Info("gateway reply", slog.String("status", "ok"), slog.Duration("took", time.Since(start)))
		}
	} else if e, ok := asWireError(err); ok {
		log.Info("gateway error", slog.Int("code", e.Code), slog.String("description", e.Description))
		rec.err = e
		if e.Signed && g.cfg.Settings.SignErrorsOn() {
			body = g.signed(script, secret, append(e.Fields(), g.datetime(now)))
		} else {
			body = e.Encode()
		}
	} else {
		log.Error("handler failed", slog.Any("err", err))
		rec.err = wire.NewError(wire.CodeSystem)
		body = rec.err.Encode()
	}
	fault := c.fault
	if fault == "" {
		fault = g.faults.pick(m.ID, r.URL.Path, req.Fields.Value("pg_order_id"))
	}
	if fault != "" {
		log.Info("drill fault", slog.String("fault", fault), slog.String("order_id", req.Fields.Value("pg_order_id")))
		rec.fault = fault
		g.answerWithFault(w, r, rec, fault, body)
		return
	}
	if a.route.Kind == routes.KindPaymentBrowser && err == nil {
		// payment.php is a browser's form: on to the payment page.
		http.Redirect(w, r, fields.Value("pg_redirect_url"), http.StatusFound)
		g.record(rec, http.StatusFound)
		return
	}
	writeXML(w, http.StatusOK, body)
	g.record(rec, http.StatusOK)
	if buf != nil && cap(body) <= maxPooledReply { // written: the buffer is free again
		*buf = body
		replyBufs.Put(buf)
	}
}

// replyBufs holds the buffers replies are written in on the hot path, each
// used again once its reply is written (not after a drill fault, which may
// write later).
var replyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// maxPooledReply bounds the buffers kept for use again.
const maxPooledReply = 64 << 10

// asWireError is errors.As for the gateway's error type.
func asWireError(err error) (*wire.Error, bool) {
	var e *wire.Error
	ok := errors.As(err, &e)
	return e, ok
}

// authenticate identifies the merchant and checks pg_sig. Its errors are
// unsigned: the caller is not (yet) known to be who it claims. A signature
// that does not check out is explained in rec.
func (g *Gateway) authenticate(fields sign.Fields, script string, secretOf secretFor, log *reqLog, rec *record) (ledger.Merchant, error) {
	mid, ok := fields.Get("pg_merchant_id")
	if !ok || mid == "" {
		return ledger.Merchant{}, unsigned(wire.Missing("pg_merchant_id"))
	}
	if !fixtures.IsDigits(mid) {
		return ledger.Merchant{}, unsigned(wire.Malformed("pg_merchant_id", "want digits"))
	}
	m, ok := g.cfg.Ledger.Merchant(mid)
	if !ok {
		return ledger.Merchant{}, wire.NewError(wire.CodeBadMerchant)
	}
	rec.merchant, rec.identified = m, true
	secret := secretOf(m)
	for _, f := range []string{"pg_salt", sign.FieldSig} {
		if v, ok := fields.Get(f); !ok || v == "" {
			if f == sign.FieldSig {
				rec.explain = g.explain(script, fields, secret, m, rec.r)
			}
			return ledger.Merchant{}, unsigned(wire.Missing(f))
		}
	}
	if sign.Verify(script, fields, secret) {
		return m, nil
	}
	if g.cfg.Settings.AcceptSigWithoutEmpty && sign.Verify(script, withoutEmpty(fields), secret) {
		return m, nil
	}
	rec.explain = g.explain(script, fields, secret, m, rec.r)
	// The journal keeps the whole explanation; a log line holds its start,
	// so a megabyte of field values cannot make megabytes of log.
	log.Warn("bad signature", slog.String("merchant", m.ID), slog.String("explain", wire.Shorten(rec.explain.String(), maxLogValue)))
	return ledger.Merchant{}, wire.NewError(g.cfg.Settings.BadSignatureCode)
}

// explain says why fields' pg_sig is not the one secret gives, with card
// numbers masked, naming the merchant's other secret, or another
// merchant's, when that one fits, and the URL the request came to when the
// client signed with it.
func (g *Gateway) explain(script string, fields sign.Fields, secret string, m ledger.Merchant, r *http.Request) *sign.Explanation {
	t := sign.Tries{Names: requestURLs(r)}
	// A secret read from a .env file or a config value often keeps the
	// line's end or a space.
	for _, ws := range []string{secret + "\n", secret + "\r\n", secret + " ", " " + secret} {
		t.Secrets = append(t.Secrets, sign.Secret{Key: ws, Hint: "signed with the secret and a space or line end around it (" +
			strconv.Quote(strings.Replace(ws, secret, "…", 1)) + "): trim the secret where it is read"})
	}
	if m.SecretKey != secret {
		t.Secrets = append(t.Secrets, sign.Secret{Key: m.SecretKey, Hint: "signed with the merchant's payment secret_key; this route takes payout_secret_key"})
	} else if m.PayoutSecretKey != secret {
		t.Secrets = append(t.Secrets, sign.Secret{Key: m.PayoutSecretKey, Hint: "signed with the merchant's payout_secret_key; payment routes take the payment secret_key"})
	}
	for _, id := range g.cfg.Ledger.MerchantIDs() {
		if o, ok := g.cfg.Ledger.Merchant(id); ok && id != m.ID {
			hint := "signed with the secret of merchant " + id + ", but pg_merchant_id is " + m.ID
			t.Secrets = append(t.Secrets, sign.Secret{Key: o.PayoutSecretKey, Hint: hint}, sign.Secret{Key: o.SecretKey, Hint: hint})
		}
		if len(t.Secrets) >= sign.MaxTries { // ExplainTrying tries no more
			break
		}
	}
	ex := sign.ExplainTrying(script, fields, secret, t)
	ex.SigningString = maskQuoted(ex.SigningString, fields)
	if len(ex.Hints) == 1 && ex.Hints[0] == sign.HintNoMistakeFound {
		ex.Hints[0] = "no common mistake reproduces this pg_sig: most likely it was made with another secret than merchant " + m.ID +
			"'s in this scenario (" + redact.Secret(secret) + "), or a value changed after signing; compare the signing string with your own, field by field"
	}
	// A hint names a field added after signing: a card number sent as a
	// field's name, by mistake, is masked there too.
	for i, h := range ex.Hints {
		ex.Hints[i] = redact.Cards(h)
	}
	return &ex
}

// requestURLs are the URLs a client may have signed with instead of the
// script name: the one it sent the request to, and FreedomPay's own
// addresses with the same path (a client configured for production).
func requestURLs(r *http.Request) []string {
	if r == nil {
		return nil
	}
	path := r.URL.Path
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return []string{scheme + "://" + r.Host + path, "https://api.freedompay.kz" + path, "https://api.freedompay.uz" + path,
		"https://api.freedompay.kg" + path, "https://api.paybox.money" + path, path[min(1, len(path)):]}
}

func (g *Gateway) reject(w http.ResponseWriter, rec *record, log *reqLog, err error) {
	var e *wire.Error
	if !errors.As(err, &e) {
		e = wire.NewError(wire.CodeSystem)
	}
	log.Info("gateway error", slog.Int("code", e.Code), slog.String("description", e.Description))
	g.writeError(w, rec, http.StatusOK, e)
}

// writeError writes an unsigned error reply and records the request.
func (g *Gateway) writeError(w http.ResponseWriter, rec *record, status int, e *wire.Error) {
	writeXML(w, status, e.Encode())
	rec.err = e
	g.record(rec, status)
}

// tooLarge answers a body over --max-body with FreedomPay's error in a 413
// that a client sending its whole body first can read (see
// [wire.WriteTooLarge]).
func (g *Gateway) tooLarge(w http.ResponseWriter, r *http.Request, rec *record) {
	e := wire.Errorf(wire.CodeValidation, "Request body exceeds %d bytes (--max-body)", g.cfg.MaxBody)
	rec.err = e
	g.record(rec, http.StatusRequestEntityTooLarge)
	wire.WriteTooLarge(w, r, g.cfg.MaxBody, wire.ContentType, e.Encode())
}

// signed appends a fresh pg_salt and the pg_sig of the whole reply.
func (g *Gateway) signed(script, secret string, fields sign.Fields) []byte {
	return wire.Encode(g.salted(script, secret, fields))
}

// appendSigned is signed writing the reply after b.
func (g *Gateway) appendSigned(b []byte, script, secret string, fields sign.Fields) []byte {
	return wire.AppendEncode(b, g.salted(script, secret, fields))
}

// salted appends a fresh pg_salt and the pg_sig of the whole reply to fields.
func (g *Gateway) salted(script, secret string, fields sign.Fields) sign.Fields {
	fields = append(fields, sign.Field{Name: "pg_salt", Value: g.cfg.Gen.Salt()})
	return append(fields, sign.Field{Name: sign.FieldSig, Value: sign.Sign(script, fields, secret)})
}

// signedTree is signed for a reply whose fields nest: pg_sig is over the
// flattened fields (sign.FlattenNodes, payments.md §3.3 and vector M), the
// XML nests; tail comes after pg_sig, signed with the rest. It returns
// the flattened fields too, for the journal.
func (g *Gateway) signedTree(script, secret string, nodes []sign.Node, tail ...sign.Field) (sign.Fields, []byte) {
	nodes = append(nodes, sign.Node{Name: "pg_salt", Value: g.cfg.Gen.Salt()})
	flat := sign.FlattenNodes(nodes)
	sig := sign.Sign(script, append(flat[:len(flat):len(flat)], tail...), secret)
	nodes = append(nodes, sign.Node{Name: sign.FieldSig, Value: sig})
	for _, f := range tail {
		nodes = append(nodes, sign.Node{Name: f.Name, Value: f.Value})
	}
	flat = append(flat, sign.Field{Name: sign.FieldSig, Value: sig})
	return append(flat, tail...), wire.EncodeTree(nodes)
}

// tree is a reply's fields as nodes, a field named in groups holding its
// children.
func tree(fields sign.Fields, groups map[string][]sign.Node) []sign.Node {
	out := make([]sign.Node, 0, len(fields)+2) // room for pg_salt and pg_sig
	for _, f := range fields {
		out = append(out, sign.Node{Name: f.Name, Value: f.Value, Children: groups[f.Name]})
	}
	return out
}

// datetime is pg_datetime for t, to the second in the gateway's time zone.
func (g *Gateway) datetime(t time.Time) sign.Field {
	sec := t.Unix() // DateTimeLayout shows whole seconds: one text per second
	if s := g.stamp.Load(); s != nil && s.unix == sec {
		return sign.Field{Name: "pg_datetime", Value: s.text}
	}
	s := &stamp{unix: sec, text: t.In(g.loc).Format(DateTimeLayout)}
	g.stamp.Store(s)
	return sign.Field{Name: "pg_datetime", Value: s.text}
}

func (g *Gateway) healthcheck(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"status":"ok","time":%q}`+"\n", g.cfg.Clock.Now().In(g.loc).Format(time.RFC3339))
}

// maskQuoted masks what the journal masks of a request's fields (card
// numbers, URL passwords) in a text that quotes them, a signing string: by
// redact.Quoted, field by field.
func maskQuoted(s string, fields sign.Fields) string {
	for _, f := range fields {
		s = redact.Quoted(s, f.Name, f.Value)
	}
	return s
}

// baseOf is the sandbox's base URL as the client reached it.
func baseOf(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	host := r.Host
	if len(host) > maxHost || host == "" {
		// A name no host has (net/http checks its characters, not its
		// length): the address the request came in on instead, so that
		// a page URL kept with a payment stays small.
		host = "localhost"
		if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
			host = a.String()
		}
	}
	return scheme + "://" + host
}

// maxHost bounds the Host a reply's URLs are built on: a DNS name (253)
// and a port.
const maxHost = 253 + len(":65535")

// xmlType is shared by every reply: net/http only reads it.
var xmlType = []string{wire.ContentType}

func writeXML(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = xmlType
	h["Date"] = httpDate()
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// httpDate is the Date header net/http would write, made once a second
// rather than once a reply: formatting it took about a microsecond of each
// reply under load. net/http only reads it.
func httpDate() []string {
	now := time.Now()
	sec := now.Unix()
	if d := dateHeader.Load(); d != nil && d.unix == sec {
		return d.value
	}
	d := &dateStamp{unix: sec, value: []string{now.UTC().Format(http.TimeFormat)}}
	dateHeader.Store(d)
	return d.value
}

var dateHeader atomic.Pointer[dateStamp]

type dateStamp struct {
	unix  int64
	value []string
}

func unsigned(e *wire.Error) *wire.Error {
	e.Signed = false
	return e
}

func withoutEmpty(fields sign.Fields) sign.Fields {
	var out sign.Fields
	for _, f := range fields {
		if f.Value != "" {
			out = append(out, f)
		}
	}
	return out
}

// reqLog is a request's log: the path, then the encoding and the merchant
// once known, go before each line's own attributes. A line is made only at
// a level the logger is enabled for, and the attributes are typed (no
// boxing), so a sandbox under load with --log-level warn pays nothing for
// the lines it does not write.
type reqLog struct {
	l                        *slog.Logger
	path, encoding, merchant string // encoding and merchant: "" until known
}

// maxLogValue bounds the bytes of a value a request's log line quotes from
// the request.
const maxLogValue = 1024

func (r *reqLog) enabled(level slog.Level) bool { return r.l.Enabled(context.Background(), level) }

func (r *reqLog) log(level slog.Level, msg string, attrs ...slog.Attr) {
	if !r.enabled(level) {
		return
	}
	var buf [8]slog.Attr
	all := append(buf[:0], slog.String("path", wire.Shorten(r.path, maxLogValue)))
	if r.encoding != "" {
		all = append(all, slog.String("encoding", r.encoding))
	}
	if r.merchant != "" {
		all = append(all, slog.String("merchant", r.merchant))
	}
	r.l.LogAttrs(context.Background(), level, msg, append(all, attrs...)...)
}

func (r *reqLog) Info(msg string, attrs ...slog.Attr)  { r.log(slog.LevelInfo, msg, attrs...) }
func (r *reqLog) Warn(msg string, attrs ...slog.Attr)  { r.log(slog.LevelWarn, msg, attrs...) }
func (r *reqLog) Error(msg string, attrs ...slog.Attr) { r.log(slog.LevelError, msg, attrs...) }
