package notify

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// maxDemoBody bounds a notify the demo merchant reads: a notify is well
// under a kilobyte.
const maxDemoBody = 64 << 10

// maxDemoLogValue bounds a value the demo merchant's log line quotes.
const maxDemoLogValue = 256

// demoMerchant is the sandbox's own merchant (scenario.DemoPostLink): it
// reads a payout notify as a careful merchant does, checking pg_sig with
// the payout secret of the merchant the notify names and the script name
// of its own URL, and answers with a signed <response>: pg_status ok when
// the signature verifies, rejected when it does not (HTTP 200 either way:
// sending the same notify again cannot change the answer). Notifies to it
// are delivered in-process; it is served over HTTP at the same path too.
//
// One demo merchant stands in for every merchant of the scenario. The
// query parameter merchant_id, when given, says whose post_link it is (the
// sandbox gives it on every notify it delivers in-process): a notify that
// names another merchant is refused, as a careful merchant refuses another
// merchant's notify replayed to it.
type demoMerchant struct {
	ledger *ledger.Ledger
	log    *slog.Logger
}

// ServeHTTP answers one notify.
func (d *demoMerchant) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "the demo merchant takes payout notifies: POST them here", http.StatusMethodNotAllowed)
		return
	}
	req, err := wire.Decode(r, maxDemoBody)
	if err != nil {
		d.log.Info("demo merchant: a request that is no notify", "error", wire.Shorten(err.Error(), 4*maxDemoLogValue))
		http.Error(w, "demo merchant: not a payout notify: "+err.Error(), http.StatusBadRequest)
		return
	}
	fields := req.Fields
	// Values quoted in the log are cut short: anyone may post here, and a
	// 64 KiB order id must not make a log line of megabytes.
	order, merchantID := wire.Shorten(fields.Value("pg_order_id"), maxDemoLogValue), fields.Value("pg_merchant_id")
	log := d.log.With("merchant_id", wire.Shorten(merchantID, maxDemoLogValue), "order_id", order,
		"payment_id", wire.Shorten(fields.Value("pg_payment_id"), maxDemoLogValue))
	script := sign.ScriptName(r.URL.Path) // the last segment of the merchant's own URL, as the spec says
	owner := merchantID
	if pin := r.URL.Query().Get("merchant_id"); pin != "" {
		owner = pin
		log = log.With("post_link_of", wire.Shorten(pin, maxDemoLogValue))
	}
	m, known := d.ledger.Merchant(owner)
	var refused, detail string // the answer says refused; the log adds detail
	switch _, signed := fields.Get(sign.FieldSig); {
	case !known:
		refused = "the merchant is not one of the scenario's" // unsigned: no secret to sign with
	case owner != merchantID:
		// A fixed text: the answer is signed, and words taken from the
		// request would let anyone have a chosen text signed.
		refused = "the notify names another merchant than this post_link's"
	case !signed:
		refused = "pg_sig is missing"
	default:
		if ex := sign.Explain(script, fields, m.PayoutSecretKey); !ex.OK {
			refused, detail = "signature does not verify", ex.String()
		}
	}
	status, description := "ok", "payout notify accepted"
	if refused != "" {
		status, description = "rejected", refused
		if detail != "" {
			log = log.With("signature", wire.Shorten(detail, 4*maxDemoLogValue))
		}
		log.Info(fmt.Sprintf("demo merchant: payout notify for order %s refused: %s", order, refused))
	} else {
		log.Info(fmt.Sprintf("demo merchant: payout notify for order %s, pg_status %s, signature ok", order, wire.Shorten(fields.Value("pg_status"), maxDemoLogValue)))
	}
	answer := sign.Fields{
		{Name: "pg_status", Value: status},
		{Name: "pg_description", Value: description},
		{Name: "pg_salt", Value: demoSalt(fields)},
	}
	if known {
		answer = append(answer, sign.Field{Name: sign.FieldSig, Value: sign.Sign(script, answer, m.PayoutSecretKey)})
	}
	w.Header().Set("Content-Type", wire.ContentType)
	_, _ = w.Write(wire.Encode(answer))
}

// demoSalt is the demo merchant's pg_salt for its answer to a notify: made
// from the notify's own salt, so a run gives the same answers every time
// without drawing from the sandbox's seeded generator, whose draws give
// the notifies their salts.
func demoSalt(notify sign.Fields) string {
	sum := md5.Sum([]byte("demo merchant;" + notify.Value("pg_salt") + ";" + notify.Value("pg_payment_id")))
	return hex.EncodeToString(sum[:])[:16]
}

// inProcess is the transport of notifies to the demo merchant: the request
// is served by the handler, without a connection.
type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		defer req.Body.Close()
	}
	rec := &recorder{header: http.Header{}}
	t.h.ServeHTTP(rec, req)
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	return &http.Response{
		Status: strconv.Itoa(rec.code) + " " + http.StatusText(rec.code), StatusCode: rec.code,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: rec.header, Body: io.NopCloser(bytes.NewReader(rec.body.Bytes())),
		ContentLength: int64(rec.body.Len()), Request: req,
	}, nil
}

// recorder is the http.ResponseWriter an in-process answer is written to.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}
