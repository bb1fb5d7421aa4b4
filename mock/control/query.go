package control

import (
	"net/http"

	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
)

// requests answers the journal of gateway requests, filtered by path,
// merchant_id, order_id, payment_id and outcome, a page at a time.
func (h *handlers) requests(r *http.Request) (any, error) {
	q := r.URL.Query()
	pg, err := sandbox.ReadPage(q)
	if err != nil {
		return nil, err
	}
	return h.sb.Requests(sandbox.RequestQuery{MerchantID: q.Get("merchant_id"), Path: q.Get("path"), OrderID: q.Get("order_id"),
		PaymentID: q.Get("payment_id"), Outcome: q.Get("outcome"), Page: pg})
}

// await long-polls until the condition of its query holds (200) or the
// timeout passes (408), answering with the verdict either way (503 when
// the sandbox stops first). It looks at the state again only when the
// sandbox's awaits wake it; at most --max-awaits are open at once, more
// are a 503 with Retry-After.
func (h *handlers) await(r *http.Request) (any, error) {
	res, err := h.sb.Await(r.Context(), r.URL.RawQuery)
	switch k := sandbox.KindOf(err); {
	case err == nil:
		return res, nil
	case k == sandbox.Timeout, k == sandbox.Stopping:
		return statusReply{kinds[k].status, awaitFailed{Awaited: res, Error: err.Error(), Code: kinds[k].code}}, nil
	}
	return nil, err
}

// awaitFailed is an await that did not hold: its last verdict, with the
// error and code every failure carries.
type awaitFailed struct {
	sandbox.Awaited
	Error string `json:"error"`
	Code  string `json:"code"`
}

// verify answers the verdict on the scenario's expectations (200 either
// way; "ok" tells), as JSON or, with format=junit, as JUnit XML for a CI
// system's test report (a pipeline in any language fetches it with curl).
func (h *handlers) verify(r *http.Request) (any, error) {
	q := r.URL.Query()
	format := q.Get("format")
	if format != "" && format != "json" && format != "junit" {
		return nil, badRequest("format=%s: want json (the default) or junit", format)
	}
	rep, err := h.sb.Verify(q.Get("merchant_id"))
	if err != nil || format != "junit" {
		return rep, err
	}
	return junitReply{rep}, nil
}
