// Command merchant is a sample merchant service that pays money out through
// FreedomPay and takes card payments: it makes card payouts
// (/g2g/p2p2nonreg), polls their status (/g2g/payout_status2) and receives
// the payout notifies FreedomPay posts to its callback URL; its checkout
// (checkout.go) makes payments on FreedomPay's hosted page
// (init_payment.php), answers their check requests and result notifies and
// polls get_status3.php. It uses only the standard library and signs
// messages itself, as a merchant's own code would; copy what you need.
//
// Routes:
//
//	POST /pay       order_id, amount (optional): make a payout and poll it
//	POST /notify    FreedomPay's payout notify: verify, remember, acknowledge
//	GET  /seen      every payout notify received, as JSON
//	POST /checkout  order_id, amount, card (optional), hold=1 (optional: a
//	                two-step payment): take a card payment, playing the
//	                payer on the hosted page with plain HTTP
//	POST /check     FreedomPay's check request before a card is charged
//	POST /result    FreedomPay's result notify after it
//	GET  /paid      where the payer comes back after paying (also POST)
//	GET  /failed    where the payer comes back when the payment failed
//	POST /capture   order_id, amount (optional): capture a held checkout
//	POST /cancel    order_id: release a held checkout
//	POST /refund    order_id, amount (optional: all that remains): refund,
//	                never more than remains
//	GET  /payments  every checkout with the callbacks about it, as JSON
//
// Configuration comes from the environment; see configFromEnv.
package main

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
)

const (
	pathPayout = "/g2g/p2p2nonreg"     // payout to a card number
	pathStatus = "/g2g/payout_status2" // status of a payout
	maxBody    = 1 << 20               // bytes read from a reply or a notify
	// createAttempts bounds the tries of a payout request while the gateway
	// cannot be reached; the first wait is firstBackoff, doubling after that.
	createAttempts = 6
	firstBackoff   = 250 * time.Millisecond
	// stopWithin is how long a shutdown may take in all.
	stopWithin = 800 * time.Millisecond
)

func main() {
	// As PID 1 of a container the process gets no default action for
	// SIGTERM: without this it would ignore `docker stop` for 10 s.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	logger := log.New(os.Stdout, "", 0) // one "event key=value…" line per event, no prefix
	if err := run(ctx, os.Getenv, logger); err != nil {
		logger.Printf("fatal error=%q", err.Error())
		os.Exit(1)
	}
}

// run serves until ctx ends, then stops the server and returns nil.
func run(ctx context.Context, getenv func(string) string, logger *log.Logger) error {
	cfg, err := configFromEnv(getenv)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen) // synchronously: a busy port is an error here
	if err != nil {
		return err
	}
	m := newMerchant(ctx, cfg, logger)
	srv := &http.Server{Handler: m.routes(), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Printf("listening addr=%s", ln.Addr())

	if cfg.CreateOnStart {
		orderID := fmt.Sprintf("%s-%d", cfg.OrderPrefix, m.now().Unix())
		m.spawn(func() {
			if o, err := m.pay(ctx, orderID, cfg.Amount); err == nil {
				m.watch(o)
			}
		})
	}

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Printf("stopping")
	stopCtx, cancel := context.WithTimeout(context.Background(), stopWithin)
	defer cancel()
	if err := srv.Shutdown(stopCtx); err != nil {
		srv.Close() // requests still running after the deadline are cut
	}
	m.wait(stopCtx) // pollers end with ctx
	return nil
}

// config is the service's settings.
type config struct {
	GatewayURL    string // FreedomPay's base URL: the sandbox, or https://api.freedompay.kz
	MerchantID    string
	Secret        string // the payout secret: signs payout requests, replies and notifies
	PaymentSecret string // the payment secret (secret_key): signs everything of a payment
	Listen        string
	CallbackURL   string // sent as pg_post_link: where FreedomPay posts the notify
	PublicURL     string // where FreedomPay reaches this service: check, result and return URLs
	Card          string
	Amount        string
	OrderPrefix   string
	PollEvery     time.Duration // 0: no background polling (tests poll by hand)
	CreateOnStart bool
}

// configFromEnv reads the settings; every variable has a default that works
// with the sandbox's default scenario in docker compose.
func configFromEnv(getenv func(string) string) (config, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	cfg := config{
		GatewayURL: strings.TrimRight(env("FREEDOMPAY_URL", "http://sandbox:8080"), "/"),
		MerchantID: env("MERCHANT_ID", "9970"),
		Secret:     env("PAYOUT_SECRET", "test_secret_key"), // merchant 9970's in the sandbox's default scenario
		// Merchant 9970's secret_key in the sandbox's default scenario.
		PaymentSecret: env("PAYMENT_SECRET", "payment_secret_key"),
		Listen:        env("LISTEN", ":8000"),
		CallbackURL:   env("CALLBACK_URL", "http://merchant:8000/notify"),
		PublicURL:     strings.TrimRight(env("PUBLIC_URL", "http://merchant:8000"), "/"),
		Card:          env("CARD", "4405645000006150"),
		Amount:        env("AMOUNT", "1000"),
		OrderPrefix:   env("ORDER_PREFIX", "order"),
	}
	var err error
	if cfg.PollEvery, err = time.ParseDuration(env("POLL_EVERY", "1s")); err != nil || cfg.PollEvery <= 0 {
		return cfg, fmt.Errorf("POLL_EVERY=%q: want a positive Go duration such as 1s", getenv("POLL_EVERY"))
	}
	if cfg.CreateOnStart, err = strconv.ParseBool(env("CREATE_ON_START", "1")); err != nil {
		return cfg, fmt.Errorf("CREATE_ON_START=%q: want 1 or 0", getenv("CREATE_ON_START"))
	}
	return cfg, nil
}

// merchant is the service: its payouts and the notifies it has received,
// its checkouts and their callbacks.
type merchant struct {
	cfg    config
	log    *log.Logger
	client *http.Client
	payer  *http.Client    // the payer's browser on the hosted page: follows no redirect by itself
	ctx    context.Context // background polling stops when it ends
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error // backoff waits; tests record them

	mu       sync.Mutex
	orders   map[string]*order // by payment id
	handled  map[string]bool   // "payment id/status" of every verified notify
	seen     []seenNotify
	payments map[string]*payment // checkouts, by order id
	orderIDs []string            // the checkouts' order ids, oldest first
	closing  bool
	wg       sync.WaitGroup
}

// order is one payout as the merchant knows it.
type order struct {
	OrderID, PaymentID string
	Status             string // pg_payment_status last seen by polling
	Notified           string // pg_status of the last verified notify: ok or error
	Final              bool   // polling has seen success or error
}

// seenNotify is one notify received, for GET /seen.
type seenNotify struct {
	OrderID     string    `json:"order_id"`
	PaymentID   string    `json:"payment_id"`
	Status      string    `json:"status"`
	SignatureOK bool      `json:"signature_ok"`
	Duplicate   bool      `json:"duplicate"`
	ReceivedAt  time.Time `json:"received_at"`
}

func newMerchant(ctx context.Context, cfg config, logger *log.Logger) *merchant {
	return &merchant{
		cfg: cfg, log: logger, ctx: ctx,
		client:   &http.Client{Timeout: 30 * time.Second},
		payer:    newPayer(),
		now:      time.Now,
		sleep:    sleepCtx,
		orders:   map[string]*order{},
		handled:  map[string]bool{},
		payments: map[string]*payment{},
	}
}

func (m *merchant) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /pay", m.handlePay)
	mux.HandleFunc("POST /notify", m.handleNotify)
	mux.HandleFunc("GET /seen", m.handleSeen)
	mux.HandleFunc("POST /checkout", m.handleCheckout)
	mux.HandleFunc("POST /check", m.handleCheck)
	mux.HandleFunc("POST /result", m.handleResult)
	for _, route := range []string{"GET /paid", "POST /paid", "GET /failed", "POST /failed"} {
		mux.HandleFunc(route, m.handleBack) // the method is the merchant's pg_success_url_method
	}
	mux.HandleFunc("GET /payments", m.handlePayments)
	mux.HandleFunc("POST /capture", m.handleCapture)
	mux.HandleFunc("POST /cancel", m.handleCancel)
	mux.HandleFunc("POST /refund", m.handleRefund)
	return mux
}

// ---- The signature -------------------------------------------------------

// sign returns FreedomPay's pg_sig of a message:
//
//	md5(script_name;value_1;…;value_n;secret), lowercase hex
//
// The values are those of every field except pg_sig (pg_salt included,
// empty ones kept), ordered by field name in plain byte order (PHP's ksort);
// a field sent twice gives its values in order. Nested fields must be
// flattened first (see decodeXML); payout forms are flat.
func sign(script string, fields url.Values, secret string) string {
	names := make([]string, 0, len(fields))
	for name := range fields {
		if name != "pg_sig" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	parts := []string{script}
	for _, name := range names {
		parts = append(parts, fields[name]...)
	}
	parts = append(parts, secret)
	sum := md5.Sum([]byte(strings.Join(parts, ";")))
	return hex.EncodeToString(sum[:])
}

// verify reports whether a message carries the pg_sig sign computes.
func verify(script string, fields url.Values, secret string) bool {
	got := fields.Get("pg_sig")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sign(script, fields, secret))) == 1
}

// scriptName is the first item of the signing string: the last segment of
// the path a message is sent to, query ignored. A request to
// /g2g/payout_status2 is signed with "payout_status2"; a notify posted to
// http://merchant:8000/notify with "notify", and so is our answer to it.
func scriptName(path string) string {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	path = strings.TrimRight(path, "/") // a trailing "/" is undocumented: the last non-empty segment
	return path[strings.LastIndexByte(path, '/')+1:]
}

// newSalt is pg_salt: a fresh random string in every message, so that no
// two messages carry the same signature.
func newSalt() string { return rand.Text() }

// xmlNode is an element of a pg_* message in XML.
type xmlNode struct {
	XMLName xml.Name
	Text    string    `xml:",chardata"`
	Nodes   []xmlNode `xml:",any"`
}

// decodeXML reads the fields of a message in XML: the children of the root
// element (<response> in a reply, <request> in a pg_xml field). A nested
// leaf is renamed parent + tag + its position among its siblings as %03d,
// recursively, which is how FreedomPay flattens a message before signing.
func decodeXML(data []byte) (url.Values, error) {
	var root xmlNode
	if err := xml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	fields := url.Values{}
	var flatten func(prefix string, nodes []xmlNode)
	flatten = func(prefix string, nodes []xmlNode) {
		for i, n := range nodes {
			name := fmt.Sprintf("%s%s%03d", prefix, n.XMLName.Local, i+1)
			if len(n.Nodes) == 0 {
				fields.Add(name, n.Text)
			} else {
				flatten(name, n.Nodes)
			}
		}
	}
	for _, n := range root.Nodes {
		if len(n.Nodes) == 0 {
			fields.Add(n.XMLName.Local, n.Text) // top-level fields keep their names
		} else {
			flatten(n.XMLName.Local, n.Nodes)
		}
	}
	return fields, nil
}

// ---- Calling FreedomPay --------------------------------------------------

// refusal is a reply with pg_status other than ok.
type refusal struct{ Code, Description string }

func (r *refusal) Error() string { return r.Code + " " + r.Description }

// call sends a request to FreedomPay signed with secret (the payout secret
// for payouts, the payment secret for payments) and returns the reply's
// fields. A reply with pg_status=ok must be signed with the same script
// name and secret; error replies come back as a *refusal (authentication
// errors are not signed, so there is nothing to check on them).
func (m *merchant) call(ctx context.Context, path, secret string, fields url.Values) (url.Values, error) {
	script := scriptName(path)
	req := url.Values{"pg_merchant_id": {m.cfg.MerchantID}, "pg_salt": {newSalt()}}
	for name, v := range fields {
		req[name] = v
	}
	req.Set("pg_sig", sign(script, req, secret))
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, m.cfg.GatewayURL+path, strings.NewReader(req.Encode()))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := m.client.Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("%s: reading the reply: %w", path, err)
	}
	reply, err := decodeXML(body) // replies are HTTP 200 even for business errors
	if err != nil {
		return nil, fmt.Errorf("%s: HTTP %d, not a FreedomPay reply: %w", path, resp.StatusCode, err)
	}
	if reply.Get("pg_status") != "ok" {
		return nil, &refusal{Code: reply.Get("pg_error_code"), Description: reply.Get("pg_error_description")}
	}
	if !verify(script, reply, secret) {
		return nil, fmt.Errorf("%s: the reply's pg_sig does not verify", path)
	}
	return reply, nil
}

// create asks for a payout to the configured card and returns its payment
// id. While the gateway cannot be reached (it may still be starting) the
// request is tried again after a growing wait; once a request may have
// reached it, never: a second payout request could pay twice.
func (m *merchant) create(ctx context.Context, orderID, amount string) (string, error) {
	fields := url.Values{
		"pg_order_id":    {orderID},
		"pg_amount":      {amount},
		"pg_description": {"Payout " + orderID},
		"pg_payment_to":  {m.cfg.Card},
		"pg_post_link":   {m.cfg.CallbackURL},
	}
	wait := firstBackoff
	for attempt := 1; ; attempt++ {
		reply, err := m.call(ctx, pathPayout, m.cfg.Secret, fields)
		if err == nil {
			return reply.Get("pg_payment_id"), nil
		}
		var op *net.OpError
		if !errors.As(err, &op) || op.Op != "dial" || attempt == createAttempts {
			return "", err
		}
		m.log.Printf("retry order_id=%s attempt=%d in=%s error=%s", logValue(orderID), attempt, wait, logValue(err.Error()))
		if err := m.sleep(ctx, wait); err != nil {
			return "", err
		}
		wait *= 2
	}
}

// pay makes a payout and starts tracking it.
func (m *merchant) pay(ctx context.Context, orderID, amount string) (*order, error) {
	paymentID, err := m.create(ctx, orderID, amount)
	var r *refusal
	switch {
	case errors.As(err, &r):
		m.log.Printf("refused order_id=%s code=%s description=%q", logValue(orderID), logValue(r.Code), r.Description)
		return nil, err
	case err != nil:
		m.log.Printf("failed order_id=%s error=%s", logValue(orderID), logValue(err.Error()))
		return nil, err
	}
	m.log.Printf("created order_id=%s payment_id=%s", logValue(orderID), logValue(paymentID))
	return m.track(orderID, paymentID), nil
}

// track returns the order of a payment id, recording it if it is new (a
// notify may arrive before the payout request's reply).
func (m *merchant) track(orderID, paymentID string) *order {
	m.mu.Lock()
	defer m.mu.Unlock()
	o := m.orders[paymentID]
	if o == nil {
		o = &order{PaymentID: paymentID}
		m.orders[paymentID] = o
	}
	if o.OrderID == "" {
		o.OrderID = orderID
	}
	return o
}

// pollOnce asks for the payout's status, logs a change, and reports
// whether the status is final.
func (m *merchant) pollOnce(ctx context.Context, o *order) (final bool, err error) {
	reply, err := m.call(ctx, pathStatus, m.cfg.Secret, url.Values{"pg_order_id": {o.OrderID}, "pg_payment_id": {o.PaymentID}})
	if err != nil {
		return false, err
	}
	status := reply.Get("pg_payment_status") // process, success or error
	final = status == "success" || status == "error"
	m.mu.Lock()
	changed, first := status != o.Status, final && !o.Final
	o.Status = status
	o.Final = o.Final || final
	byNotify := o.Notified == notifyStatus(status)
	m.mu.Unlock()
	if changed {
		m.log.Printf("status order_id=%s payment_id=%s status=%s", logValue(o.OrderID), logValue(o.PaymentID), logValue(status))
	}
	if first {
		m.log.Printf("final order_id=%s status=%s by_poll=true by_notify=%t", logValue(o.OrderID), logValue(status), byNotify)
	}
	return final, nil
}

// notifyStatus is the notify's pg_status for a final payout status.
func notifyStatus(paymentStatus string) string {
	switch paymentStatus {
	case "success":
		return "ok"
	case "error":
		return "error"
	}
	return "-"
}

// watch polls the payout in the background until its status is final.
func (m *merchant) watch(o *order) {
	if m.cfg.PollEvery <= 0 {
		return
	}
	m.spawn(func() {
		tick := time.NewTicker(m.cfg.PollEvery)
		defer tick.Stop()
		var lastErr string
		for {
			final, err := m.pollOnce(m.ctx, o)
			if final || m.ctx.Err() != nil {
				return
			}
			if err != nil && err.Error() != lastErr { // once per kind of failure, not every tick
				lastErr = err.Error()
				m.log.Printf("poll order_id=%s error=%s", logValue(o.OrderID), logValue(lastErr))
			}
			select {
			case <-m.ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
}

// paid reports whether the payout is known to be paid out: by a verified
// notify or by polling. A notify that fails verification never counts.
func (m *merchant) paid(paymentID string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	o := m.orders[paymentID]
	return o != nil && (o.Notified == "ok" || o.Status == "success")
}

// ---- HTTP handlers -------------------------------------------------------

// handlePay makes a payout: POST /pay with order_id and, optionally, amount.
func (m *merchant) handlePay(w http.ResponseWriter, r *http.Request) {
	orderID, amount := r.FormValue("order_id"), r.FormValue("amount")
	if orderID == "" || len(orderID) > 50 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "order_id: want 1 to 50 characters"})
		return
	}
	if amount == "" {
		amount = m.cfg.Amount
	}
	o, err := m.pay(r.Context(), orderID, amount)
	var ref *refusal
	switch {
	case errors.As(err, &ref):
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": "refused: " + ref.Error(),
			"code": ref.Code, "description": ref.Description})
		return
	case err != nil:
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
		return
	}
	m.watch(o)
	// status is the reply's pg_status ("ok": the payout exists); the
	// payout's own status (process, success, error) comes by polling.
	writeJSON(w, http.StatusOK, map[string]string{"order_id": o.OrderID, "payment_id": o.PaymentID, "status": "ok"})
}

// handleNotify receives a payout notify. It is signed with the payout
// secret under the script name of our callback URL, and must be answered
// HTTP 200 with pg_status=ok, or FreedomPay sends it again. The same notify
// may come more than once: handling must be idempotent.
func (m *merchant) handleNotify(w http.ResponseWriter, r *http.Request) {
	// The script name is the last segment of the URL FreedomPay called. If a
	// proxy rewrites paths in front of this service, use the last segment
	// of CALLBACK_URL instead.
	script := scriptName(r.URL.Path)
	fields, err := decodeNotify(w, r)
	n := seenNotify{
		OrderID:    fields.Get("pg_order_id"),
		PaymentID:  fields.Get("pg_payment_id"),
		Status:     fields.Get("pg_status"), // ok (paid out) or error (failed)
		ReceivedAt: m.now().UTC(),
	}
	n.SignatureOK = err == nil && verify(script, fields, m.cfg.Secret)

	if n.SignatureOK {
		n.Duplicate = m.notified(n)
	}
	m.mu.Lock()
	m.seen = append(m.seen, n)
	m.mu.Unlock()

	sig, ack := "ok", "ok"
	if !n.SignatureOK {
		sig, ack = "bad", "rejected"
	}
	m.log.Printf("notify order_id=%s payment_id=%s status=%s signature=%s ack=%s duplicate=%t",
		logValue(n.OrderID), logValue(n.PaymentID), logValue(n.Status), sig, ack, n.Duplicate)

	switch {
	case n.SignatureOK && n.Duplicate:
		m.ack(w, http.StatusOK, script, m.cfg.Secret, "ok", "Already processed")
	case n.SignatureOK:
		m.ack(w, http.StatusOK, script, m.cfg.Secret, "ok", "Accepted")
	case err != nil:
		m.ack(w, http.StatusBadRequest, script, m.cfg.Secret, "rejected", "Undecodable notify")
	case fields.Get("pg_sig") == "":
		m.ack(w, http.StatusBadRequest, script, m.cfg.Secret, "rejected", "Missing signature")
	default:
		m.ack(w, http.StatusBadRequest, script, m.cfg.Secret, "rejected", "Invalid signature")
	}
}

// notified records a verified notify on its payout and reports whether it
// is a repeat: the same payment id and status seen before.
func (m *merchant) notified(n seenNotify) (duplicate bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := n.PaymentID + "/" + n.Status
	duplicate, m.handled[key] = m.handled[key], true
	if o := m.orders[n.PaymentID]; o != nil {
		o.Notified = n.Status
	} else if n.PaymentID != "" {
		m.orders[n.PaymentID] = &order{OrderID: n.OrderID, PaymentID: n.PaymentID, Notified: n.Status}
	}
	return duplicate
}

// decodeNotify reads a notify's fields: an urlencoded or multipart form, or
// the whole message as XML in a pg_xml field. Only the body counts: fields
// of the callback URL's query string are not part of the signed message.
func decodeNotify(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	var err error
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		err = r.ParseMultipartForm(maxBody) // fills r.PostForm too
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		return nil, err
	}
	if x := r.PostForm.Get("pg_xml"); x != "" {
		return decodeXML([]byte(x))
	}
	return r.PostForm, nil
}

// ack answers a notify as the official SDK does: a <response> with
// pg_status, pg_description and a fresh pg_salt, signed like the notify (same
// script name and secret: the payout secret for a payout notify, the
// payment secret for a payment's callbacks). FreedomPay also accepts a bare
// <pg_status>ok</pg_status> to a payout notify. Only HTTP 200 counts as
// delivered: a refusal is answered 400, so a genuine notify we could not
// verify (a wrong secret here) is sent again rather than lost.
func (m *merchant) ack(w http.ResponseWriter, code int, script, secret, status, description string) {
	fields := url.Values{"pg_status": {status}, "pg_description": {description}, "pg_salt": {newSalt()}}
	fields.Set("pg_sig", sign(script, fields, secret))
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n<response>")
	for _, name := range []string{"pg_status", "pg_description", "pg_salt", "pg_sig"} {
		b.WriteString("<" + name + ">")
		xml.EscapeText(&b, []byte(fields.Get(name)))
		b.WriteString("</" + name + ">")
	}
	b.WriteString("</response>\n")
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(code)
	io.WriteString(w, b.String())
}

// handleSeen lists every payout notify received, oldest first.
func (m *merchant) handleSeen(w http.ResponseWriter, _ *http.Request) {
	m.mu.Lock()
	seen := append([]seenNotify{}, m.seen...)
	m.mu.Unlock()
	writeJSON(w, http.StatusOK, seen)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// ---- Plumbing ------------------------------------------------------------

// spawn runs f in a goroutine that wait waits for; none starts once the
// service is stopping.
func (m *merchant) spawn(f func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closing {
		return
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		f()
	}()
}

// wait waits for the background goroutines, at most until ctx ends.
func (m *merchant) wait(ctx context.Context) {
	m.mu.Lock()
	m.closing = true
	m.mu.Unlock()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// logValue keeps a log line one line of key=value pairs: a value with a
// space, quote, "=" or control character (a forged notify may send any) is
// quoted.
func logValue(s string) string {
	if strings.ContainsFunc(s, func(r rune) bool {
		return r == ' ' || r == '"' || r == '=' || !unicode.IsPrint(r)
	}) {
		return strconv.Quote(s)
	}
	return s
}
