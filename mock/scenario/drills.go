package scenario

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock/routes"
)

// Drills test a merchant on what goes wrong off the happy path. Each is
// chosen per payout or payment (drills = [...] on a payout, a payment or a
// rule) or for every payout ([drills] every = [...]).
const (
	DrillDuplicate  = "duplicate"    // the same notify twice: same salt, same signature
	DrillOutOfOrder = "out_of_order" // an earlier status's notify after the final one
	DrillLate       = "late"         // the notify only late_by after the status is final
	DrillLost       = "lost"         // no notify: the merchant must poll
	DrillEarly      = "early"        // the notify before the create request's reply
	DrillForged     = "forged"       // a notify signed with a wrong secret
	DrillTampered   = "tampered"     // a signed notify with a field changed afterwards
	DrillUnsigned   = "unsigned"     // a notify without pg_sig
	DrillReplayed   = "replayed"     // another merchant's genuine notify, sent here
)

// DrillNames lists the notify drills in the order they are reported.
func DrillNames() []string {
	return []string{DrillDuplicate, DrillOutOfOrder, DrillLate, DrillLost, DrillEarly,
		DrillForged, DrillTampered, DrillUnsigned, DrillReplayed}
}

// FaultNames lists the gateway faults, which a rule's drills (or [drills]
// every) may also name: the reply to the request that makes the payout is
// lost for certain.
func FaultNames() []string {
	return []string{FaultSystemError, FaultSlow, FaultReset, FaultHTTP502}
}

// IsFault reports whether a drill name is a gateway fault.
func IsFault(name string) bool { return slices.Contains(FaultNames(), name) }

// Hostile reports whether a drill sends a notify a correct merchant refuses.
func Hostile(drill string) bool {
	switch drill {
	case DrillForged, DrillTampered, DrillUnsigned, DrillReplayed:
		return true
	}
	return false
}

// Defaults of [Drills].
const (
	DefaultLateBy       = 30 * time.Second
	DefaultHostileAfter = time.Second
	DefaultSlowBy       = 5 * time.Second
)

// Drills is the [drills] table: drills for every payout, their timing, and
// faults on the merchant's own calls.
type Drills struct {
	// Every lists drills applied to every payout ("early" to those made
	// through the gateway).
	Every []string `toml:"every"`
	// LateBy is how long after its status is final a "late" notify comes.
	LateBy Duration `toml:"late_by"`
	// HostileAfter is how long after a payout appears its hostile notifies
	// (forged, tampered, unsigned, replayed) come.
	HostileAfter Duration `toml:"hostile_after"`
	Faults       Faults   `toml:"faults"`
}

// Faults are the gateway's faults on the merchant's own calls, each with a
// probability from 0 to 1, decided per request from the seed. The request
// is carried out first; only its reply is lost.
type Faults struct {
	SystemError float64  `toml:"system_error"` // a 9999 "system error" reply
	Slow        float64  `toml:"slow"`         // the reply comes slow_by late
	Reset       float64  `toml:"reset"`        // the connection is closed without a reply
	HTTP502     float64  `toml:"http_502"`     // HTTP 502 from a proxy in front of the gateway
	SlowBy      Duration `toml:"slow_by"`      // default 5s
	// Paths limits the faults to these gateway paths; default all of them.
	Paths []string `toml:"paths"`
}

// Fault kinds, as journalled.
const (
	FaultSystemError = "system_error"
	FaultSlow        = "slow"
	FaultReset       = "reset"
	FaultHTTP502     = "http_502"
)

// Pick returns the fault for a draw u in [0, 1): each kind takes its
// probability's share of [0, 1), in the order above; "" for none.
func (f Faults) Pick(u float64) string {
	for _, k := range []struct {
		p    float64
		name string
	}{{f.SystemError, FaultSystemError}, {f.Slow, FaultSlow}, {f.Reset, FaultReset}, {f.HTTP502, FaultHTTP502}} {
		if u < k.p {
			return k.name
		}
		u -= k.p
	}
	return ""
}

// On reports whether any fault may happen, and on path.
func (f Faults) On(path string) bool {
	if f.SystemError+f.Slow+f.Reset+f.HTTP502 == 0 {
		return false
	}
	return len(f.Paths) == 0 || slices.Contains(f.Paths, path)
}

// DrillsOf returns the drills of a payout with own drills: the scenario's
// [drills] every and its own, each once, in [DrillNames] order. gateway is
// false for a payout of the scenario file, which "early" does not apply to.
func DrillsOf(every, own []string, gateway bool) []string {
	var out []string
	for _, d := range append(DrillNames(), FaultNames()...) {
		if (d == DrillEarly || IsFault(d)) && !gateway {
			continue
		}
		if slices.Contains(every, d) || slices.Contains(own, d) {
			out = append(out, d)
		}
	}
	return out
}

func (v *validator) checkDrillNames(line func() int, where string, names []string) {
	if len(names) == 0 { // most payouts; 40 000 of them made 11 MB of lists
		return
	}
	seen := map[string]bool{}
	all := append(DrillNames(), FaultNames()...)
	for _, d := range names {
		switch {
		case !slices.Contains(all, d):
			v.add(line(), "%s: unknown drill %q; want one of %s", where, d, strings.Join(all, ", "))
		case seen[d]:
			v.add(line(), "%s: drill %q is named twice", where, d)
		}
		seen[d] = true
	}
}

// checkDrillMix reports drills that cannot run together on one payout.
func (v *validator) checkDrillMix(line func() int, where string, every, own []string) {
	if len(every)+len(own) == 0 {
		return
	}
	ds := DrillsOf(every, own, true)
	for _, d := range []string{DrillDuplicate, DrillOutOfOrder, DrillLate, DrillEarly} {
		if slices.Contains(ds, DrillLost) && slices.Contains(ds, d) {
			v.add(line(), "%s: drills %q and %q exclude each other: a lost notify is never delivered", where, DrillLost, d)
		}
	}
	var faults []string
	for _, d := range ds {
		if IsFault(d) {
			faults = append(faults, d)
		}
	}
	if len(faults) > 1 {
		v.add(line(), "%s: one reply can be lost one way only; drills name %s", where, strings.Join(faults, " and "))
	}
}

func (v *validator) checkDrills(sc *Scenario) {
	d := sc.Drills
	everyLine := func() int { return v.loc.key("drills", 0, "every") }
	v.checkDrillNames(everyLine, "drills.every", d.Every)
	for _, x := range []struct {
		key string
		d   Duration
	}{{"late_by", d.LateBy}, {"hostile_after", d.HostileAfter}} {
		if p := x.d.problem(); p != "" {
			v.add(v.loc.key("drills", 0, x.key), "drills.%s: %s", x.key, p)
		} else if x.d.Duration < 0 {
			v.add(v.loc.key("drills", 0, x.key), "drills.%s is %s; want a positive duration", x.key, x.d)
		}
	}
	v.checkDrillMix(everyLine, "drills.every", d.Every, nil)
	for i, r := range sc.Rules {
		every := d.Every
		if r.IsPayment() {
			every = nil // [drills] every names payout drills
		}
		v.checkDrillMix(func() int { return v.loc.key("rules", i, "drills") }, fmt.Sprintf("rules[%d]", i), every, r.Drills)
	}
	for i, p := range sc.Payouts {
		v.checkDrillMix(func() int { return v.loc.key(sc.payoutsTable, i, "drills") }, fmt.Sprintf("payouts[%d]", i), d.Every, p.Drills)
	}
	f := d.Faults
	line := v.loc.key("drills", 0, "faults")
	sum := 0.0
	for _, p := range []struct {
		name string
		p    float64
	}{{FaultSystemError, f.SystemError}, {FaultSlow, f.Slow}, {FaultReset, f.Reset}, {FaultHTTP502, f.HTTP502}} {
		if p.p < 0 || p.p > 1 {
			v.add(line, "drills.faults.%s is %v; want a probability from 0 to 1", p.name, p.p)
		}
		sum += p.p
	}
	if sum > 1 {
		v.add(line, "drills.faults: the probabilities add up to %v; at most 1", math.Round(sum*1e6)/1e6)
	}
	if p := f.SlowBy.problem(); p != "" {
		v.add(line, "drills.faults.slow_by: %s", p)
	} else if f.SlowBy.Duration < 0 {
		v.add(line, "drills.faults.slow_by is %s; want a positive duration", f.SlowBy)
	}
	for _, p := range f.Paths {
		// A path the gateway does not serve would never see a fault.
		if msg := routes.Unknown(p); msg != "" {
			at := v.loc.key("drills.faults", 0, "paths")
			if at == 0 {
				at = line
			}
			v.add(at, "drills.faults.paths: %q %s", p, msg)
		}
	}
	uses := func(name string) bool {
		if slices.Contains(d.Every, name) {
			return true
		}
		for _, r := range sc.Rules {
			if slices.Contains(r.Drills, name) {
				return true
			}
		}
		for _, p := range sc.Payouts {
			if slices.Contains(p.Drills, name) {
				return true
			}
		}
		for _, p := range sc.Payments {
			if slices.Contains(p.Drills, name) {
				return true
			}
		}
		return false
	}
	if uses(DrillReplayed) && len(sc.Merchants) < 2 {
		v.add(line, "drill %q sends another merchant's genuine notify: the scenario needs a second [[merchants]] entry", DrillReplayed)
	}
}

func (d *Drills) applyDefaults() {
	if d.LateBy.Duration == 0 {
		d.LateBy.Duration = DefaultLateBy
	}
	if d.HostileAfter.Duration == 0 {
		d.HostileAfter.Duration = DefaultHostileAfter
	}
	if d.Faults.SlowBy.Duration == 0 {
		d.Faults.SlowBy.Duration = DefaultSlowBy
	}
}
