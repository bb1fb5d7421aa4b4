package sandbox

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/clock"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// A move of the clock reports its attempts within MaxRunBytes however many
// it made, each heavy (8 KiB of the merchant's fields, 2 KiB of answer),
// and counts them all.
func TestMoveReportBounded(t *testing.T) {
	mv := &move{}
	big := strings.Repeat("x", 8<<10)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5000 {
		mv.add([]notify.Attempt{{Notification: i, At: t0.Add(time.Duration(i) * time.Second), Answer: strings.Repeat("a", 2<<10),
			Fields: sign.Fields{{Name: "cart", Value: big}}}})
	}
	r, err := (&Sandbox{clock: clock.NewManual(t0)}).run(mv, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(r)
	if r.AttemptedTotal != 5000 || len(r.Attempted) == 0 || len(r.Attempted) >= 5000 {
		t.Fatalf("%d attempts reported of %d", len(r.Attempted), r.AttemptedTotal)
	}
	if len(body) > MaxRunBytes+MaxRunBytes/4 {
		t.Errorf("the report is %d bytes, over MaxRunBytes %d", len(body), MaxRunBytes)
	}
	if r.Attempted[0].Notification != 0 || r.Attempted[len(r.Attempted)-1].Notification != len(r.Attempted)-1 {
		t.Errorf("the first attempts are not the ones kept")
	}
}
