package notify

import (
	"strings"
	"testing"
	"time"
)

func TestCheckSavedSchedule(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	payouts := map[int64]SavedPayout{
		7: {MerchantID: "9970", Steps: 2, Revision: 1},
		8: {MerchantID: "9971", Steps: 1},
	}
	note := func(id int, pid int64, merchant string) SavedNotice {
		return SavedNotice{Notification: Notification{ID: id, PaymentID: pid, MerchantID: merchant, Status: "ok", State: StateDelivered, CreatedAt: t0}, Kept: true}
	}
	good := State{LastID: 2, Notifications: []SavedNotice{note(1, 7, "9970"), note(2, 8, "9971")},
		Steps: []SavedStep{
			{Due: t0, PaymentID: 7, MerchantID: "9970", Step: 1, Revision: 1},
			{Due: t0, PaymentID: 7, MerchantID: "9970", Step: 5, Revision: 0}, // of the timeline before a forced status: let go when due
			{Due: t0, PaymentID: 7, MerchantID: "9970", Step: -1, Drill: "forged"},
			{Due: t0, PaymentID: 7, MerchantID: "9970", Step: -1, FollowUp: 1},
		}}
	if errs := Check(good, payouts); len(errs) != 0 {
		t.Fatalf("Check(a schedule the sandbox writes) = %v, want no problem", errs)
	}
	cases := []struct {
		name   string
		change func(st *State)
		want   string
	}{
		{"a step past the timeline", func(st *State) { st.Steps[0].Step = 2 }, "steps[0].step: 2 is not a step of payout 7's timeline (0..1)"},
		{"a negative step", func(st *State) { st.Steps[1].Step = -3 }, "steps[1].step: -3 is not a step of a timeline"},
		{"a step of no payout", func(st *State) { st.Steps[0].PaymentID = 9 }, "steps[0].payment_id: 9 is not a payout of the state"},
		{"a step of another merchant", func(st *State) { st.Steps[0].MerchantID = "9971" }, `steps[0].merchant_id: "9971", but payout 7 is merchant "9970"'s`},
		{"a drill that sends nothing", func(st *State) { st.Steps[2].Drill = "late" }, `steps[2].drill: "late" is not a drill that sends a notify of its own`},
		{"a follow-up of nothing", func(st *State) { st.Steps[3].FollowUp = 2; st.Notifications = st.Notifications[:1] }, "steps[3].follow_up: names notification 2"},
		{"an unknown state", func(st *State) { st.Notifications[0].State = "lost" }, `notifications[0].state: "lost" is not a notify state`},
		{"an unknown status", func(st *State) { st.Notifications[1].Status = "success" }, `notifications[1].status: "success" is not a notify's pg_status`},
		{"an id used twice", func(st *State) { st.Notifications[1].ID = 1 }, "notifications[1].id: 1 is also notifications[0]'s"},
		{"an id past last_id", func(st *State) { st.LastID = 1 }, "notifications[1].id: 2 is out of range 1..last_id (1)"},
		{"a notification of no payout", func(st *State) { st.Notifications[1].PaymentID = 9 }, "notifications[1].payment_id: 9 is not a payout of the state"},
		{"an unknown drill", func(st *State) { st.Notifications[0].Drill = "haunted" }, `notifications[0].drill: "haunted" is not a drill`},
		{"a negative count let go", func(st *State) { st.Dropped = map[string]int64{"9970": -2} }, `dropped["9970"]: -2 is negative`},
		{"a URL that is not", func(st *State) { st.Notifications[0].URL = "ftp://h/x" }, `notifications[0].url: "ftp://h/x": want an absolute http(s) URL`},
		{"no creation time", func(st *State) { st.Notifications[0].CreatedAt = time.Time{} }, "notifications[0].created_at: is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := good
			st.Steps = append([]SavedStep(nil), good.Steps...)
			st.Notifications = append([]SavedNotice(nil), good.Notifications...)
			c.change(&st)
			errs := Check(st, payouts)
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), c.want) {
				t.Errorf("Check = %v, want one problem saying %q", errs, c.want)
			}
		})
	}
}
