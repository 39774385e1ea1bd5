package oncall

import (
	"fmt"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/report"
)

// Quiet says why a host's check (by key) is not notified now: who
// acknowledged it, the silence, a restart by opsdeck; "" when it is.
type Quiet = func(host, key string) string

// Quiet is what the board holds back: acknowledged checks, and silenced
// ones of the hosts host finds.
func (b *Board) Quiet(host func(string) *fleet.Host, now time.Time) Quiet {
	return func(name, key string) string {
		if a, ok := b.Ack(name, key); ok {
			return "acknowledged by " + a.By
		}
		if h := host(name); h != nil {
			if s, ok := b.Silenced(h, key, now); ok {
				return s.Says(now, nil)
			}
		}
		return ""
	}
}

// RestartWindow is how long after opsdeck restarted a service its failure
// is taken for the restart's own.
const RestartWindow = 2 * time.Minute

// RestartsQuiet holds back a service's failure while opsdeck restarts it
// (its intent recorded, no result yet) and for RestartWindow after: it is
// expected, and audited.
func RestartsQuiet(audit actions.AuditLog, now time.Time) Quiet {
	recent := map[string]string{}
	if es, err := audit.Recent(200); err == nil {
		for _, e := range es {
			if e.Kind == actions.KindRestart && (e.Outcome == actions.Started || now.Sub(e.Time) < RestartWindow) {
				recent[e.Host+"\x00"+fleet.CheckKey(fleet.KindService, e.Target)] = "restarted by " + e.Operator + " at " + e.Time.Local().Format("15:04:05")
			}
		}
	}
	return func(host, key string) string { return recent[host+"\x00"+key] }
}

// Chain is the first reason any of qs gives.
func Chain(qs ...Quiet) Quiet {
	return func(host, key string) string {
		for _, q := range qs {
			if why := q(host, key); why != "" {
				return why
			}
		}
		return ""
	}
}

// Annotate says on each finding of rep who acknowledged it or which
// silence covers it (b nil: nothing). The states stay what they are.
func (b *Board) Annotate(rep *report.Report, host func(string) *fleet.Host, now time.Time) {
	for i := range rep.Hosts {
		hr := &rep.Hosts[i]
		h := host(hr.Name)
		for j := range hr.Findings {
			fd := &hr.Findings[j]
			if a, ok := b.Ack(hr.Name, fd.Key); ok {
				fd.Acknowledged = fmt.Sprintf("%s: %s", a.By, a.Note)
			}
			if h == nil {
				continue
			}
			if s, ok := b.Silenced(h, fd.Key, now); ok && s.Window != "" {
				fd.Silenced = fmt.Sprintf("in window %s until %s", s.Window, s.Until.Format(time.RFC3339))
			} else if ok {
				fd.Silenced = fmt.Sprintf("%s until %s (%s: %s)", s.ID, s.Until.Format(time.RFC3339), s.By, s.Note)
			}
		}
	}
}

// Judged is a host's checks as evaluated at, for ending acknowledgements;
// ok is false when there is nothing to judge a check by: not polled yet,
// or the host does not answer (DOWN, SLOW, STALE, HOSTKEY): its checks
// are unknown then, not OK, and its acknowledgements are left as they are
// until it answers again (one of its own DOWN state ends then).
func Judged(s *fleet.HostStatus, at time.Time) ([]fleet.Check, bool) {
	if s.Last == nil && s.Err == "" {
		return nil, false
	}
	hl := fleet.Assess(s, at)
	if hl.Polling || hl.State.Old() {
		return nil, false
	}
	return hl.Findings(), true
}

// SettleStore ends the acknowledgements whose check store shows OK, worse,
// or past their time, each host judged as of at(host).
func (d *Desk) SettleStore(store *fleet.Store, at func(*fleet.HostStatus) time.Time, now time.Time) ([]*Ack, error) {
	return d.Settle(func(host string) ([]fleet.Check, bool) {
		s, ok := store.Status(host)
		if !ok {
			return nil, false
		}
		return Judged(&s, at(&s))
	}, now)
}

// SilenceOf names the silence a host of store is under now, for the
// audit ("" for none).
func (d *Desk) SilenceOf(store *fleet.Store) func(string) string {
	return func(host string) string {
		st, ok := store.Status(host)
		if !ok {
			return ""
		}
		if s, ok := d.View().SilenceOfHost(st.Host, time.Now()); ok {
			return s.ID
		}
		return ""
	}
}
