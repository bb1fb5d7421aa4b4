package wire

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Bounds of the lingering read after a 413 (see [WriteTooLarge]).
const (
	// LingerBytes is how much more of a body over its limit is read and
	// dropped after the 413, so a client that sends the whole body
	// before reading the answer gets to read it.
	LingerBytes = 64 << 20
	// LingerTime bounds that read.
	LingerTime = 5 * time.Second
)

// WriteTooLarge answers a body over limit bytes, declared by its
// Content-Length or found while reading it, with a 413 carrying body (of
// type contentType) and Connection: close. Many clients (Python's urllib,
// PHP's curl, most SDKs) send the whole body before they read: closing the
// connection while the body is still arriving makes the kernel reset it,
// and they see the reset instead of the 413. So the 413 is sent at once
// (reading and writing at the same time) and the rest of the body, up to
// LingerBytes within LingerTime, is read and dropped before the connection
// closes. A client that asked for 100-continue and declared a body over
// the limit is not sent it and will not send the body, and a body declared
// over LingerBytes would be cut anyway: there is nothing to wait for.
func WriteTooLarge(w http.ResponseWriter, r *http.Request, limit int64, contentType string, body []byte) {
	rc := http.NewResponseController(w)
	declared := r.ContentLength > limit // so nothing was read, and no 100 Continue sent
	waits := declared && strings.EqualFold(r.Header.Get("Expect"), "100-continue")
	linger := !waits && r.ContentLength <= LingerBytes && rc.EnableFullDuplex() == nil
	h := w.Header()
	h.Set("Connection", "close")
	h.Set("Content-Type", contentType)
	// Whole before the handler returns: the client reads it all while
	// the rest of its body is still read here.
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusRequestEntityTooLarge)
	_, _ = w.Write(body)
	if !linger || rc.Flush() != nil {
		return
	}
	_ = rc.SetReadDeadline(time.Now().Add(LingerTime))
	_, _ = io.CopyN(io.Discard, r.Body, LingerBytes)
}
