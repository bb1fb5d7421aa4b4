package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/freedompay-mock/freedompay-mock/mock/money"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// TestFullDiskLosesNoAcceptedPayout fills the state's disk (a file-size
// limit) while payouts are made, kills the sandbox with SIGKILL and starts
// it again without the limit: every payout answered ok is there, every
// payout whose save failed was answered 9999 and taken back, the failure
// was logged with the path and the OS error, and the balance adds up.
func TestFullDiskLosesNoAcceptedPayout(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the sandbox as a process three times")
	}
	if !canLimitFileSize {
		t.Skip("no file-size limit on this system")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	args := []string{"--state", dir, "--clock", "manual", "--state-interval", "1ms"}

	c := startChild(t, args...)
	before := balance(t, c.url)
	kill(c)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	limit := fi.Size() + 24<<10 // room for some payouts, not 150
	c = startChildEnv(t, []string{fmt.Sprintf("FREEDOMPAY_MOCK_TEST_FSIZE=%d", limit)}, args...)
	var ok, refused []string
	for i := range 150 {
		id := fmt.Sprintf("F-%d", i)
		fields := sign.Fields{{Name: "pg_merchant_id", Value: "9970"}, {Name: "pg_order_id", Value: id},
			{Name: "pg_amount", Value: "10"}, {Name: "pg_description", Value: "full disk"},
			{Name: "pg_payment_to", Value: "4405645000006150"}, {Name: "pg_post_link", Value: "http://127.0.0.1:9/notify"},
			{Name: "pg_salt", Value: "s" + id}}
		fields = append(fields, sign.Field{Name: "pg_sig", Value: sign.Sign("p2p2nonreg", fields, "test_secret_key")})
		got := post(t, c.url+"/g2g/p2p2nonreg", fields)
		switch code := got.Value("pg_error_code"); {
		case got.Value("pg_status") == "ok":
			ok = append(ok, id)
		case code == "9999":
			refused = append(refused, id)
			if d := got.Value("pg_error_description"); !strings.Contains(d, "could not save") || !strings.Contains(d, "file too large") {
				t.Errorf("the 9999 does not say why: %q", d)
			}
		default:
			t.Fatalf("payout %s: %v, want ok or 9999", id, got)
		}
	}
	if len(ok) == 0 || len(refused) == 0 {
		t.Fatalf("%d ok, %d refused with a %d-byte limit over a %d-byte state: the limit must let some payouts through and stop the rest",
			len(ok), len(refused), limit, fi.Size())
	}
	c.mu.Lock()
	log := c.log.String()
	c.mu.Unlock()
	if !strings.Contains(log, "state not saved") || !strings.Contains(log, dir) || !strings.Contains(log, "file too large") {
		t.Errorf("the failed save is not logged with the path and the OS error:\n%s", log)
	}
	kill(c)

	c = startChild(t, args...)
	have := map[string]money.Amount{}
	for _, p := range listPayouts(t, c.url) {
		if strings.HasPrefix(p.OrderID, "F-") {
			a, err := money.Parse(p.ToPay)
			if err != nil {
				t.Fatal(err)
			}
			have[p.OrderID] = a
		}
	}
	for _, id := range ok {
		if _, found := have[id]; !found {
			t.Errorf("payout %s was answered ok and is gone after the restart", id)
		}
	}
	for _, id := range refused {
		if _, found := have[id]; found {
			t.Errorf("payout %s was answered 9999 and taken back, yet the restart has it", id)
		}
	}
	var paid money.Amount
	for _, a := range have {
		paid += a
	}
	if after := balance(t, c.url); before-after != paid {
		t.Errorf("balance %s before and %s after, a difference of %s; the payouts resumed pay %s",
			before, after, before-after, paid)
	}
	t.Logf("%d payouts ok, %d answered 9999; %d resumed", len(ok), len(refused), len(have))
}

func kill(c *child) {
	_ = c.cmd.Process.Kill()
	_ = c.cmd.Wait()
}

func post(t *testing.T, url string, fields sign.Fields) sign.Fields {
	t.Helper()
	resp, err := http.Post(url, "application/x-www-form-urlencoded", strings.NewReader(wire.EncodeForm(fields)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := wire.DecodeXML(body)
	if err != nil {
		t.Fatalf("%s: %v\n%s", url, err, body)
	}
	return got
}

func balance(t *testing.T, base string) money.Amount {
	t.Helper()
	fields := sign.Fields{{Name: "pg_merchant_id", Value: "9970"}, {Name: "pg_currency", Value: "KZT"}, {Name: "pg_salt", Value: "balance"}}
	fields = append(fields, sign.Field{Name: "pg_sig", Value: sign.Sign("balance_status", fields, "test_secret_key")})
	got := post(t, base+"/g2g/balance_status", fields)
	a, err := money.Parse(got.Value("pg_balance"))
	if err != nil {
		t.Fatalf("balance_status: %v: %v", got, err)
	}
	return a
}

type listed struct {
	OrderID string `json:"order_id"`
	ToPay   string `json:"to_pay"`
}

func listPayouts(t *testing.T, base string) []listed {
	t.Helper()
	var all []listed
	for cursor := ""; ; {
		resp, err := http.Get(base + "/_mock/payouts?merchant_id=9970&limit=1000" + cursor)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Payouts    []listed `json:"payouts"`
			NextCursor string   `json:"next_cursor"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Payouts...)
		if page.NextCursor == "" {
			return all
		}
		cursor = "&cursor=" + page.NextCursor
	}
}
