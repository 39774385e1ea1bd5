package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/actions/oncall"
	"github.com/opsdeck/opsdeck/fleet"
)

// quiet says why a host's check (by key) is not notified now: who
// acknowledged it, or the silence; "" when it is notified.
type quiet func(host, key string) string

// onCallQuiet is quiet for the on-call log as folded.
func onCallQuiet(cfg *fleet.Config, oc *oncall.Board, now time.Time) quiet {
	return func(host, key string) string {
		if a, ok := oc.Ack(host, key); ok {
			return "acknowledged by " + a.By
		}
		if h := findHost(cfg, host); h != nil {
			if s, ok := oc.Silenced(h, key, now); ok {
				return "silenced until " + s.Until.Local().Format("Jan 2 15:04") + " by " + s.By
			}
		}
		return ""
	}
}

// notifiedReport is rep with only the findings whose state is the one the
// record keeps as notified (cur): the held-back ones are left out.
func notifiedReport(rep Report, cur checkState) Report {
	out := rep
	out.Hosts = make([]HostReport, len(rep.Hosts))
	for i, h := range rep.Hosts {
		h.Findings = nil
		for _, fd := range rep.Hosts[i].Findings {
			if fd.State == fleet.OK || cur[h.Name+"/"+fd.Check] == fd.State.String() {
				h.Findings = append(h.Findings, fd)
			}
		}
		out.Hosts[i] = h
	}
	return out
}

// reminder is when a failing finding's state was first sent, and last.
type reminder struct {
	Since time.Time `json:"since"`
	At    time.Time `json:"at"`
}

// reminders are the check command's reminders, by record key.
type reminders map[string]reminder

// remindersName is the reminders among the record's values.
const remindersName = "check-reminders"

func (s *teamState) loadReminders() (reminders, error) {
	rems := reminders{}
	vs, shared, err := s.values()
	if err != nil {
		return rems, err
	}
	b, _, found, err := vs.Value(remindersName)
	if err != nil && shared {
		return rems, err
	}
	if found {
		_ = json.Unmarshal(b, &rems) // an unreadable file: no reminder yet
	}
	return rems, nil
}

func (s *teamState) saveReminders(rems reminders) error {
	b, _ := json.Marshal(rems)
	vs, _, err := s.values()
	if err != nil {
		return err
	}
	return vs.SetValue(remindersName, b)
}

// due says whether a finding unchanged in state is to be sent again now,
// and the line's tail: " still CRIT for 45m, not acknowledged".
func (r reminders) due(k string, state fleet.State, every map[fleet.State]time.Duration, now time.Time) (string, bool) {
	d := every[state]
	rem, ok := r[k]
	if !ok { // failing since before reminders were kept: from now
		r[k] = reminder{Since: now, At: now}
		return "", false
	}
	if d <= 0 || now.Sub(rem.At) < d {
		return "", false
	}
	r[k] = reminder{Since: rem.Since, At: now}
	return fmt.Sprintf(" still %s for %s, not acknowledged", state, fleet.FormatAge(now.Sub(rem.Since))), true
}

// sent notes that a finding's new state was sent now.
func (r reminders) sent(k, state string, now time.Time) {
	if state == "OK" {
		delete(r, k)
		return
	}
	r[k] = reminder{Since: now, At: now}
}

// keep drops the reminders of findings no longer failing among this run's
// hosts (ours); another run's stay.
func (r reminders) keep(cur checkState, ours map[string]bool) {
	for k := range r {
		host, _, _ := strings.Cut(k, "/")
		if st, ok := cur[k]; ours[host] && (!ok || st == "OK") {
			delete(r, k)
		}
	}
}

// renotifyOf reads [oncall] renotify as states.
func renotifyOf(cfg *fleet.Config) map[fleet.State]time.Duration {
	out := map[fleet.State]time.Duration{}
	for name, d := range cfg.OnCall.Renotify {
		if s, err := fleet.ParseState(name); err == nil {
			out[s] = d.Duration
		}
	}
	return out
}

// settleOnCall reads the on-call log and ends the acknowledgements whose
// check this pass saw OK, worse, or past their time.
func settleOnCall(st *teamState, cfg *fleet.Config, store *fleet.Store, now time.Time) (*oncall.Board, error) {
	log, err := st.onCall()
	if err != nil {
		return nil, err
	}
	d := &oncall.Desk{Log: log, Audit: st.audit, Operator: actions.Operator(), MaxSilence: cfg.OnCall.MaxSilence.Duration}
	if _, err := d.Refresh(now); err != nil {
		return nil, err
	}
	_, err = d.Settle(func(host string) ([]fleet.Check, bool) {
		s, ok := store.Status(host)
		if !ok {
			return nil, false
		}
		return judged(&s, answeredAt(&s, now))
	}, now)
	return d.View(), err
}

// ping tells a dead man's switch that a run completed.
func ping(ctx context.Context, rawURL string) error {
	return post(ctx, "heartbeat", rawURL, nil, nil)
}

// teamOnCall is the record's on-call log, found on each use: a database
// that did not answer at start is used once it does.
type teamOnCall struct{ st *teamState }

func (t teamOnCall) Append(r oncall.Record) (bool, error) {
	l, err := t.st.onCall()
	if err != nil {
		return false, err
	}
	return l.Append(r)
}

func (t teamOnCall) Read(since time.Time) ([]oncall.Record, error) {
	l, err := t.st.onCall()
	if err != nil {
		return nil, err
	}
	return l.Read(since)
}

func (t teamOnCall) Where() string { return t.st.audit.Where() }

// startDesk keeps the dashboard's view of the on-call log fresh: read
// every interval (a team sees each other's within a poll), and, when
// settle is set, the acknowledgements whose check got OK, worse or old
// ended (a read-only wall screen writes nothing: the operators'
// dashboards, check and serve-metrics do). It stops with ctx; wait
// returns once it has.
func startDesk(ctx context.Context, st *teamState, cfg *fleet.Config, store *fleet.Store, every time.Duration, settle bool, logger *slog.Logger) (*oncall.Desk, func()) {
	d := &oncall.Desk{Log: teamOnCall{st}, Audit: st.audit, Operator: actions.Operator(), MaxSilence: cfg.OnCall.MaxSilence.Duration}
	done := make(chan struct{})
	go func() {
		defer close(done)
		failing := false
		for {
			now := time.Now()
			_, err := d.Refresh(now)
			if err == nil && settle {
				_, err = d.Settle(func(host string) ([]fleet.Check, bool) {
					s, ok := store.Status(host)
					if !ok {
						return nil, false
					}
					return judged(&s, now)
				}, now)
			}
			if (err != nil) != failing {
				failing = err != nil
				logger.Warn("on-call log", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(every):
			}
		}
	}()
	return d, func() { <-done }
}

// silenceOf names the silence a host is under now, for the audit.
func silenceOf(d *oncall.Desk, store *fleet.Store) func(string) string {
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

// annotate says on each finding of rep who acknowledged it or which
// silence covers it (oc nil: nothing).
func annotate(rep *Report, host func(string) *fleet.Host, oc *oncall.Board, now time.Time) {
	for i := range rep.Hosts {
		hr := &rep.Hosts[i]
		h := host(hr.Name)
		for j := range hr.Findings {
			fd := &hr.Findings[j]
			if a, ok := oc.Ack(hr.Name, fd.Key); ok {
				fd.Acknowledged = fmt.Sprintf("%s: %s", a.By, a.Note)
			}
			if h == nil {
				continue
			}
			if s, ok := oc.Silenced(h, fd.Key, now); ok {
				fd.Silenced = fmt.Sprintf("%s until %s (%s: %s)", s.ID, s.Until.Format(time.RFC3339), s.By, s.Note)
			}
		}
	}
}

// chainQuiet is the first reason any of qs gives.
func chainQuiet(qs ...quiet) quiet {
	return func(host, key string) string {
		for _, q := range qs {
			if why := q(host, key); why != "" {
				return why
			}
		}
		return ""
	}
}

// restartWindow is how long after opsdeck restarted a service its
// failure is taken for the restart's own.
const restartWindow = 2 * time.Minute

// restartsQuiet holds back a service's failure while opsdeck restarts it
// (its intent recorded, no result yet) and for restartWindow after: it is
// expected, and audited.
func restartsQuiet(audit actions.AuditLog, now time.Time) quiet {
	recent := map[string]string{}
	if es, err := audit.Recent(200); err == nil {
		for _, e := range es {
			if e.Kind == "restart" && (e.Outcome == actions.Started || now.Sub(e.Time) < restartWindow) {
				recent[e.Host+"\x00"+fleet.CheckKey(fleet.KindService, e.Target)] = "restarted by " + e.Operator + " at " + e.Time.Local().Format("15:04:05")
			}
		}
	}
	return func(host, key string) string { return recent[host+"\x00"+key] }
}

// configHost finds a host of cfg by name.
func configHost(cfg *fleet.Config) func(string) *fleet.Host {
	return func(name string) *fleet.Host { return findHost(cfg, name) }
}

// storeHost finds a host of the store by name (the fleet as reloaded).
func storeHost(store *fleet.Store) func(string) *fleet.Host {
	return func(name string) *fleet.Host {
		if st, ok := store.Status(name); ok {
			return st.Host
		}
		return nil
	}
}

// judged is a host's checks as evaluated at, for ending acknowledgements;
// ok is false when there is nothing to judge a check by: not polled yet,
// or the host does not answer (DOWN, SLOW, STALE, HOSTKEY): its checks
// are unknown then, not OK, and its acknowledgements are left as they are
// until it answers again (one of its own DOWN state ends then).
func judged(s *fleet.HostStatus, at time.Time) ([]fleet.Check, bool) {
	if s.Last == nil && s.Err == "" {
		return nil, false
	}
	hl := fleet.Assess(s, at)
	if hl.Polling || hl.State.Old() {
		return nil, false
	}
	return hl.Findings(), true
}
