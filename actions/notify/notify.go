// Package notify sends what changed in a fleet since the last run: to a
// Slack-compatible webhook, an Alertmanager, an ntfy topic or a command;
// reminders of what still fails; and a dead man's switch's heartbeat.
// What was sent is kept in the record by each check's key, so rewording a
// check sends nothing.
package notify

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/report"
)

// Timeout bounds the notifications after a pass.
const Timeout = 30 * time.Second

// Kinds are what a URL may be sent to.
var Kinds = []string{"slack", "alertmanager", "ntfy"}

// Quiet says why a host's check (by key) is not notified now (who
// acknowledged it, the silence, a restart by opsdeck); "" when it is.
type Quiet func(host, key string) string

// Options are where and how to notify.
type Options struct {
	URL  string // "" for none
	Kind string // one of Kinds ("" is slack)
	Cmd  string // a command the text is piped to; "" for none
	// Always: every failing finding on every run, not only changes.
	Always bool
	// Remind: a failing finding nobody acknowledged is sent again every
	// Remind[state] (none when 0).
	Remind map[fleet.State]time.Duration
	Quiet  Quiet // nil: nothing is quiet
}

// Send sends the findings of rep (every check, OK ones too) that changed
// state since the last run kept in rec (every failing finding with
// Always). The record is saved only once every notification went out, so
// a failed one is tried again next run.
//
// A finding Quiet names is held back: its change is not sent and the
// record keeps what was last sent, so the change goes out on the first
// run after the silence or acknowledgement ends, if it still holds. A
// finding that turns OK is always sent (no receiver keeps a stale alert
// open). held counts the changes held back.
func Send(ctx context.Context, rec Record, rep report.Report, o Options, now time.Time) (held int, err error) {
	prev, last, err := rec.load()
	if err != nil {
		return 0, err
	}
	rems, err := rec.loadReminders()
	if err != nil {
		return 0, err
	}
	migrate(&rep, prev, rems)
	r := &run{prev: prev, rems: rems, o: o, now: now, reasons: map[string]string{}}
	r.current(rep)
	held = r.holdBack(rep)
	rep = notified(rep, r.cur)
	r.others = r.splitOthers()
	changes := r.changes()
	text := fmt.Sprintf("opsdeck: worst %s\n%s", rep.Worst, strings.Join(changes, "\n"))
	if err := r.send(ctx, rep, text, len(changes) > 0, last); err != nil {
		return held, err
	}
	return held, r.save(rec)
}

// run is one notification run's working state.
type run struct {
	prev, cur, others State
	rems              reminders
	o                 Options
	now               time.Time
	ours              map[string]bool // this run's hosts
	quietNow          map[string]bool // record keys quiet now
	reasons           map[string]string
	behind            map[string]string // UNREACHABLE hosts: the DOWN host each is behind
	kept              map[string]bool   // checks of hosts that show none now: what was sent stands, nothing to say
}

// current is what rep says now, by record key.
func (r *run) current(rep report.Report) {
	r.cur, r.ours, r.behind = State{}, map[string]bool{}, map[string]string{}
	var old []string
	for _, h := range rep.Hosts {
		r.ours[h.Name] = true
		if h.Behind != "" {
			r.behind[h.Name] = h.Behind
		}
		hk := recordKey(h.Name, fleet.CheckKey(fleet.KindHost, ""))
		r.cur[hk], r.reasons[hk] = h.State, h.Reason
		for _, fd := range h.Findings {
			k := recordKey(h.Name, fd.Key)
			r.cur[k], r.reasons[k] = fd.State, fd.Reason
		}
		if h.State.Old() {
			old = append(old, h.Name)
		}
	}
	// A host DOWN, STALE or UNREACHABLE shows no checks: nothing is known
	// of them now, so what was sent of each stands (not "OK").
	if len(old) == 0 {
		return
	}
	keep := make(map[string]bool, len(old))
	for _, h := range old {
		keep[h] = true
	}
	r.kept = map[string]bool{}
	for k, was := range r.prev {
		if host, _ := splitKey(k); keep[host] {
			if _, now := r.cur[k]; !now {
				r.cur[k], r.kept[k] = was, true
			}
		}
	}
}

// quiet says why a host's check is not notified now ("" when it is): the
// caller's Quiet, or the host is UNREACHABLE behind a DOWN host, which is
// the one notified, to every receiver (Alertmanager too: an alert for a
// host behind would fire on its own when the parent's is acknowledged,
// silenced or resolved first).
func (r *run) quiet(host, key string) string {
	if b := r.behind[host]; b != "" {
		return "behind " + b
	}
	if r.o.Quiet == nil {
		return ""
	}
	return r.o.Quiet(host, key)
}

// holdBack keeps, for each quiet finding, what was last sent in its place
// (nothing when nothing was): its change is not news. A host's own line
// is quiet when it is, or when every failing finding of the host is.
func (r *run) holdBack(rep report.Report) (held int) {
	r.quietNow = map[string]bool{}
	if r.o.Quiet == nil && len(r.behind) == 0 {
		return 0
	}
	hostKey := fleet.CheckKey(fleet.KindHost, "")
	allQuiet := map[string]bool{}
	for _, h := range rep.Hosts {
		n, quiet := 0, 0
		for _, fd := range h.Findings {
			if fd.State != fleet.OK && fd.Key != hostKey {
				n++
				if r.quiet(h.Name, fd.Key) != "" {
					quiet++
				}
			}
		}
		allQuiet[h.Name] = n > 0 && quiet == n
	}
	for k, state := range r.cur {
		host, key := splitKey(k)
		if state == fleet.OK || r.quiet(host, key) == "" && !(key == hostKey && allQuiet[host]) {
			continue
		}
		r.quietNow[k] = true
		was, ok := r.prev[k]
		switch {
		case ok && was == state:
			continue // no change to hold back
		case ok:
			r.cur[k] = was
		default:
			delete(r.cur, k)
		}
		held++
	}
	return held
}

// notified is rep with only the findings whose state is the one the
// record keeps as notified (cur): the held-back ones are left out.
func notified(rep report.Report, cur State) report.Report {
	out := rep
	out.Hosts = make([]report.HostReport, len(rep.Hosts))
	for i, h := range rep.Hosts {
		h.Findings = nil
		for _, fd := range rep.Hosts[i].Findings {
			if s, ok := cur[recordKey(h.Name, fd.Key)]; fd.State == fleet.OK || ok && s == fd.State {
				h.Findings = append(h.Findings, fd)
			}
		}
		out.Hosts[i] = h
	}
	return out
}

// splitOthers takes out of prev what another run keeps in a shared
// record (a team's database, two configs on one state directory): its
// hosts are neither this run's changes nor dropped from what it saves.
func (r *run) splitOthers() State {
	others := State{}
	for k, v := range r.prev {
		if host, _ := splitKey(k); !r.ours[host] {
			others[k] = v
			delete(r.prev, k)
		}
	}
	return others
}

// changes are the lines to send: each change of state, each reminder due
// (each failing finding with Always), in key order.
func (r *run) changes() []string {
	keys := map[string]bool{}
	for k := range r.cur {
		keys[k] = true
	}
	for k := range r.prev {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var lines []string
	for _, k := range sorted {
		if line, ok := r.change(k); ok {
			lines = append(lines, line)
		}
	}
	return lines
}

// change is the line of record key k, if it is to be sent.
func (r *run) change(k string) (string, bool) {
	was, now := r.prev[k], r.cur[k] // absent: OK
	if r.kept[k] {
		return "", false // nothing is known of it now: no change, no reminder
	}
	name := strings.Replace(k, "/", ": ", 1)
	if was == now && now != fleet.OK && !r.quietNow[k] {
		if tail, due := r.rems.due(k, now, r.o.Remind, r.now); due {
			return name + tail, true
		}
	}
	if was == now && !(r.o.Always && now != fleet.OK && !r.quietNow[k]) {
		return "", false
	}
	line := fmt.Sprintf("%s %s (was %s)", name, now, was)
	if why := r.reasons[k]; why != "" && now != fleet.OK {
		line += " — " + why
	}
	r.rems.sent(k, now, r.now)
	return line, true
}

// send sends text (changed: it holds a change) and the alerts.
func (r *run) send(ctx context.Context, rep report.Report, text string, changed bool, last time.Time) error {
	var errs []error
	switch {
	case r.o.URL == "":
	case r.o.Kind == "alertmanager":
		// Alertmanager wants firing alerts again before they expire, and
		// resolved ones once: every run, changed or not.
		errs = append(errs, postAlerts(ctx, r.o.URL, alertsFor(rep, r.prev, r.cur, r.now, last)))
	case !changed:
	case r.o.Kind == "ntfy":
		errs = append(errs, postNtfy(ctx, r.o.URL, rep.Worst, text))
	default:
		errs = append(errs, postWebhook(ctx, r.o.URL, text))
	}
	if r.o.Cmd != "" && changed {
		errs = append(errs, runCmd(ctx, r.o.Cmd, text))
	}
	return errors.Join(errs...)
}

// save keeps what was sent, with the other runs' entries, and the
// reminders. An OK check is kept by its absence (a host's own line
// stays: it says the host was seen).
func (r *run) save(rec Record) error {
	for k, v := range r.others {
		r.cur[k] = v
	}
	hostKey := fleet.CheckKey(fleet.KindHost, "")
	for k, v := range r.cur {
		if _, key := splitKey(k); v == fleet.OK && key != hostKey {
			delete(r.cur, k)
		}
	}
	r.rems.keep(r.cur, r.ours)
	if err := rec.saveReminders(r.rems); err != nil {
		return err
	}
	return rec.save(r.cur)
}

// RemindOf reads [oncall] renotify as states.
func RemindOf(cfg *fleet.Config) map[fleet.State]time.Duration {
	out := map[fleet.State]time.Duration{}
	for name, d := range cfg.OnCall.Renotify {
		if s, err := fleet.ParseState(name); err == nil {
			out[s] = d.Duration
		}
	}
	return out
}
