package mock_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// A merchant's test: start the sandbox on the default scenario with a clock
// the test moves, ask for a payout's status, move time, ask again. Moving
// the clock delivers the notifies that fall due on the way, each dated when
// it fell due, before Advance returns (here to the scenario's demo
// merchant); s.Advance does the same and also returns the attempts.
func Example() {
	c := clock.NewManual(time.Date(2024, 11, 28, 11, 10, 3, 0, time.UTC))
	s, err := mock.Run(mock.Options{Clock: c})
	if err != nil {
		panic(err)
	}
	defer s.Close()

	status := func() string {
		form := url.Values{
			"pg_merchant_id": {"9970"}, "pg_order_id": {"12345"},
			"pg_payment_id": {"7777777777"}, "pg_salt": {"any random string"},
		}
		form.Set("pg_sig", sign.SignValues("payout_status2", form, "test_secret_key"))
		resp, err := http.PostForm(s.URL()+"/g2g/payout_status2", form)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		reply, _ := wire.DecodeXML(body)
		if !sign.Verify("payout_status2", reply, "test_secret_key") {
			return "reply signature does not verify"
		}
		return reply.Value("pg_payment_status")
	}

	fmt.Println(status())
	c.Advance(time.Minute)
	fmt.Println(status())
	page, err := s.Notifications(sandbox.NotificationQuery{OrderID: "12345"})
	if err != nil {
		panic(err)
	}
	for _, n := range page.Notifications {
		fmt.Println(n.State, n.Attempts[0].At.Format(time.TimeOnly))
	}
	// Output:
	// process
	// success
	// delivered 11:10:08
}

// A test waits for what the code under test does in another goroutine (here,
// polling a payout's status), as a CI job would with GET /_mock/await.
func ExampleServer_Await() {
	s, err := mock.Run(mock.Options{Clock: clock.NewManual(time.Date(2024, 11, 28, 11, 10, 3, 0, time.UTC))})
	if err != nil {
		panic(err)
	}
	defer s.Close()

	go func() { // the merchant's code under test
		form := url.Values{"pg_merchant_id": {"9970"}, "pg_order_id": {"12345"}, "pg_salt": {"salt"}}
		form.Set("pg_sig", sign.SignValues("payout_status2", form, "test_secret_key"))
		if resp, err := http.PostForm(s.URL()+"/g2g/payout_status2", form); err == nil {
			resp.Body.Close()
		}
	}()

	res, err := s.Await(context.Background(), "path=/g2g/payout_status2&order_id=12345&min=1&timeout=10s")
	fmt.Println(res.OK, err)
	// Output:
	// true <nil>
}
