package mock_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// The Go API of a test, one method per control route. Each example starts
// the default scenario on a manual clock at the same moment, so its output
// is the same at every run.

func start() *mock.Server {
	s, err := mock.Run(mock.Options{Clock: clock.NewManual(time.Date(2024, 11, 28, 11, 10, 3, 0, time.UTC))})
	if err != nil {
		panic(err)
	}
	return s
}

// Advance moves the clock and delivers what falls due on the way: the
// default scenario's payouts end at the start, after 5 s and after 30 s.
func ExampleServer_Advance() {
	s := start()
	defer s.Close()
	run, err := s.Advance(time.Minute)
	if err != nil {
		panic(err)
	}
	for _, a := range run.Attempted {
		fmt.Println(a.OrderID, a.At.Format(time.TimeOnly), a.Delivered)
	}
	fmt.Println(run.Now.Format(time.TimeOnly))
	// Output:
	// 1001 11:10:03 true
	// 1002 11:10:03 true
	// 12345 11:10:08 true
	// 1003 11:10:33 true
	// 11:11:03
}

// Drain moves the clock to each next event until nothing is pending.
func ExampleServer_Drain() {
	s := start()
	defer s.Close()
	run, err := s.Drain()
	fmt.Println(len(run.Attempted) > 0, err)
	// Output:
	// true <nil>
}

// Payouts lists payouts by merchant, order id and status, a page at a
// time; Payout shows one with its timeline and notifies.
func ExampleServer_Payouts() {
	s := start()
	defer s.Close()
	page, err := s.Payouts(sandbox.PayoutQuery{MerchantID: "9970", OrderID: "12345"})
	if err != nil {
		panic(err)
	}
	p := page.Payouts[0]
	fmt.Println(p.PaymentID, p.Status, p.Amount, len(p.Timeline))

	_, err = s.Payouts(sandbox.PayoutQuery{MerchantID: "997"})
	fmt.Println(sandbox.KindOf(err), err)
	// Output:
	// 7777777777 process 13441.50 2
	// not found merchant_id=997: the scenario has no such merchant
}

// Payout is GET /_mock/payouts/{id}: the payout with its notifies.
func ExampleServer_Payout() {
	s := start()
	defer s.Close()
	if _, err := s.Advance(10 * time.Second); err != nil {
		panic(err)
	}
	p, err := s.Payout(7777777777)
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Status, len(p.Notifications), p.Notifications[0].State)
	// Output:
	// success 1 delivered
}

// Notifications lists the notifies with their attempts and drills'
// verdicts.
func ExampleServer_Notifications() {
	s := start()
	defer s.Close()
	if _, err := s.Advance(10 * time.Second); err != nil {
		panic(err)
	}
	page, err := s.Notifications(sandbox.NotificationQuery{MerchantID: "9970", State: "delivered"})
	if err != nil {
		panic(err)
	}
	for _, n := range page.Notifications {
		fmt.Println(n.OrderID, n.Status, len(n.Attempts))
	}
	// Output:
	// 1001 ok 1
	// 1002 error 1
	// 12345 ok 1
}

// Requests is the journal of gateway requests: here a request signed with
// the wrong secret, and why its signature failed.
func ExampleServer_Requests() {
	s := start()
	defer s.Close()
	form := url.Values{"pg_merchant_id": {"9970"}, "pg_order_id": {"12345"}, "pg_salt": {"salt"}}
	form.Set("pg_sig", sign.SignValues("payout_status2", form, "payment_secret_key"))
	resp, err := http.PostForm(s.URL()+"/g2g/payout_status2", form)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	page, err := s.Requests(sandbox.RequestQuery{Outcome: "bad_signature"})
	if err != nil {
		panic(err)
	}
	e := page.Entries[0]
	fmt.Println(e.Path, e.Outcome)
	fmt.Println(e.Signature.Hints[0])
	// Output:
	// /g2g/payout_status2 bad_signature
	// signed with the merchant's payment secret_key; this route takes payout_secret_key
}

// Force ends a payout now with a status and sends its notify at once.
func ExampleServer_Force() {
	s := start()
	defer s.Close()
	f, err := s.Force(context.Background(), 7777777777, "error", 10000)
	if err != nil {
		panic(err)
	}
	fmt.Println(f.Payout.Status, f.Payout.ErrorCode, f.Notification.State)

	_, err = s.Force(context.Background(), 7777777777, "declined", 0)
	fmt.Println(sandbox.KindOf(err), err)
	// Output:
	// error 10000 delivered
	// bad request status "declined": want "success" or "error"
}

// Resend sends the notify of a payout's status again: FreedomPay may, and
// a merchant must acknowledge it again.
func ExampleServer_Resend() {
	s := start()
	defer s.Close()
	if _, err := s.Advance(10 * time.Second); err != nil {
		panic(err)
	}
	r, err := s.Resend(context.Background(), 7777777777)
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Notification.Status, r.Notification.State)
	// Output:
	// ok delivered
}

// Reset puts the sandbox back to the start of its scenario, the clock
// included.
func ExampleServer_Reset() {
	s := start()
	defer s.Close()
	if _, err := s.Advance(time.Hour); err != nil {
		panic(err)
	}
	r, err := s.Reset("")
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Scenario, r.Now.Format(time.TimeOnly))
	// Output:
	// default 11:10:03
}

// ReplaceScenario serves another scenario; one that does not validate is
// refused with every problem, and the one in force stays.
func ExampleServer_ReplaceScenario() {
	s := start()
	defer s.Close()
	_, err := s.ReplaceScenario([]byte("name = \"mine\"\n[[merchants]]\nid = \"1\"\npayout_secret_key = \"k\"\nbalanse = 10\n"), "")
	fmt.Println(sandbox.KindOf(err), s.Scenario().Name)
	c, err := s.ReplaceScenario([]byte("name = \"mine\"\n[[merchants]]\nid = \"1\"\npayout_secret_key = \"k\"\nbalance = 10\n"), "")
	fmt.Println(c.Scenario, err)
	// Output:
	// invalid scenario default
	// mine <nil>
}

// Verify checks the scenario's expectations, as a CI job's last step does.
func ExampleServer_Verify() {
	s := start()
	defer s.Close()
	r, err := s.Verify("")
	if err != nil {
		panic(err)
	}
	fmt.Println(r.OK)
	_, err = s.Verify("nobody")
	fmt.Println(sandbox.KindOf(err))
	// Output:
	// true
	// not found
}

// Ready, Seed and Scenario say what the server serves.
func ExampleServer_Ready() {
	s := start()
	defer s.Close()
	r := s.Ready()
	fmt.Println(r.Ready, r.Scenario, r.Clock, s.Seed())
	// Output:
	// true default manual 42
}
