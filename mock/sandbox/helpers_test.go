package sandbox

import (
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
