package sandbox

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/freedompay-mock/freedompay-mock/mock/gateway"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
)

// loopbackOnly lets notifies go to loopback addresses only.
func loopbackOnly() *notify.AllowList {
	a, err := notify.ParseAllowList("127.0.0.1/32")
	if err != nil {
		panic(err)
	}
	return a
}

// gatewayHandler serves s's FreedomPay routes.
func gatewayHandler(s *Sandbox) http.Handler {
	r := mux.NewRouter()
	gateway.Register(r, s.Gateway)
	return r
}
