package notify

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/freedompay-mock/freedompay-mock/fixtures"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// DemoShop is where the demo shop takes payment callbacks: DemoShop +
// "check" for the check request, DemoShop + "result" for the result
// notify, DemoShop + "card" for a card-storage notify, as absolute URLs
// on the sandbox's own address.
const DemoShop = "/_mock/demo/shop/"

// demoShop is the sandbox's own shop for payments: it answers a check
// request or a result notify as a careful merchant does, checking pg_sig
// with the payment secret of the merchant whose payment the callback
// names, under the script name of its own URL, and answers a signed
// <response>: ok when the signature verifies, rejected when it does not.
// It lets a first payment run with nothing else running.
type demoShop struct {
	ledger *ledger.Ledger
	log    *slog.Logger
}

func (d *demoShop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req, err := wire.Decode(r, maxDemoBody)
	if err != nil {
		http.Error(w, "demo shop: not a payment callback: "+err.Error(), http.StatusBadRequest)
		return
	}
	fields := req.Fields
	script := sign.ScriptName(r.URL.Path)
	order := wire.Shorten(fields.Value("pg_order_id"), maxDemoLogValue)
	id, _ := fixtures.ParseID(fields.Value("pg_payment_id"))
	p, ok := d.ledger.Payment(id)
	if script == "card" {
		// A card-storage notify names no payment: the merchant it says.
		p = ledger.Payment{MerchantID: fields.Value("pg_merchant_id")}
		_, ok = d.ledger.Merchant(p.MerchantID)
	}
	if !ok || (script != "check" && script != "result" && script != "card") {
		http.Error(w, "demo shop: no payment of the sandbox has this pg_payment_id, or the URL ends in none of check, result and card", http.StatusNotFound)
		return
	}
	m, _ := d.ledger.Merchant(p.MerchantID)
	status, description := "ok", "payment "+script+" accepted"
	if ex := sign.Explain(script, fields, m.SecretKey); !ex.OK {
		status, description = "rejected", "signature does not verify"
	}
	d.log.Info(fmt.Sprintf("demo shop: %s for order %s: %s", script, order, status), "merchant_id", p.MerchantID,
		"payment_id", p.PaymentID, "pg_result", wire.Shorten(fields.Value("pg_result"), maxDemoLogValue))
	answer := sign.Fields{
		{Name: "pg_status", Value: status},
		{Name: "pg_description", Value: description},
		{Name: "pg_salt", Value: demoSalt(fields)},
	}
	answer = append(answer, sign.Field{Name: sign.FieldSig, Value: sign.Sign(script, answer, m.SecretKey)})
	w.Header().Set("Content-Type", wire.ContentType)
	_, _ = w.Write(wire.Encode(answer))
}
