package gateway

import (
	"context"
	"encoding/binary"
	"hash/fnv"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// faults decides the drill faults on the merchant's own calls. The draw of
// a request depends on the seed, the merchant, the path, the order id and
// how many such requests came before, not on other merchants' requests, so
// each merchant's run is the same whatever runs beside it.
type faults struct {
	seed int64
	cfg  scenario.Faults

	mu   sync.Mutex
	seen map[string]int
}

// pick returns the fault for a request, "" for none.
func (f *faults) pick(merchant, path, order string) string {
	if !f.cfg.On(path) {
		return ""
	}
	key := merchant + "\x00" + path + "\x00" + order
	f.mu.Lock()
	f.seen[key]++
	n := f.seen[key]
	f.mu.Unlock()
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(f.seed))
	h.Write(b[:])
	h.Write([]byte(key + "\x00" + strconv.Itoa(n)))
	z := h.Sum64() // FNV mixes the last bytes poorly into the high bits: finish as splitmix64 does
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	u := float64(z>>11) / (1 << 53)
	return f.cfg.Pick(u)
}

// badGateway is what a proxy in front of the gateway answers when the
// gateway behind it fails.
const badGateway = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

// answerWithFault journals a request the fault drill picked, carried out
// already, and answers it as the fault says. The journal has it at once,
// before a slow reply's wait, so the merchant's next calls come after it.
func (g *Gateway) answerWithFault(w http.ResponseWriter, r *http.Request, rec *record, fault string, body []byte) {
	switch fault {
	case scenario.FaultSystemError:
		e := wire.NewError(wire.CodeSystem)
		rec.err = e
		g.record(rec, http.StatusOK)
		writeXML(w, http.StatusOK, e.Encode())
	case scenario.FaultSlow:
		g.record(rec, http.StatusOK)
		t := time.NewTimer(g.cfg.Drills.Faults.SlowBy.Duration)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
		writeXML(w, http.StatusOK, body)
	case scenario.FaultHTTP502:
		g.record(rec, http.StatusBadGateway)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(badGateway))
	default: // reset: no reply, the connection closes
		g.record(rec, 0)
		panic(http.ErrAbortHandler)
	}
}

// early waits, for a payout with the drill "early", until its notify's
// first attempt is made, so it reaches the merchant before the reply.
func (g *Gateway) early(ctx context.Context, p ledger.Payout) {
	if g.cfg.Early != nil && slices.Contains(p.Drills, scenario.DrillEarly) {
		g.cfg.Early(ctx, p)
	}
}
