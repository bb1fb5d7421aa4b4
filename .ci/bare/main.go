// Command bare is the yardstick of the load script: a bare net/http
// handler that parses the form and writes a fixed payout_status2 reply,
// nothing else. The sandbox's figures are given as ratios against it.
package main

import (
	"flag"
	"log"
	"net/http"
)

const reply = `<?xml version="1.0" encoding="utf-8"?>
<response><pg_merchant_id>9970</pg_merchant_id><pg_payment_id>7777777777</pg_payment_id><pg_status>ok</pg_status><pg_payment_status>success</pg_payment_status><pg_order_id>12345</pg_order_id><pg_amount>13441.5</pg_amount><pg_net_amount>13441.5</pg_net_amount><pg_datetime>2024-11-28T11:10:03+00:00</pg_datetime><pg_salt>FdsmjkonfzxsDF</pg_salt><pg_sig>aac04fa34ae2e48c9e44efea48cb4b6b</pg_sig></response>`

func main() {
	addr := flag.String("addr", "127.0.0.1:18400", "listen address")
	flag.Parse()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.PostForm.Get("pg_merchant_id") == "" {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		_, _ = w.Write([]byte(reply))
	})
	log.Fatal(http.ListenAndServe(*addr, nil))
}
