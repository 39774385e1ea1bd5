package fleet

import (
	"fmt"
	"strings"
	"time"
)

// Verdict is a host as a poller elsewhere judged it, read back (from
// Prometheus): its state, its cause and its checks by key with their
// figures, never its words. Assess returns it as it stands, STALE when it
// is not current; the words are composed here (Said), with the code the
// poller uses for its own.
type Verdict struct {
	State  State
	Cause  Cause  // the host's, when no check says it (DOWN, UNREACHABLE…)
	Behind string // the host an UNREACHABLE one is behind
	Checks []Check
	// At is when the host last answered its poller; Judged when its
	// poller last judged it (its last scrape); By names the poller
	// ("2/4 of site eu").
	At, Judged time.Time
	By         string
	// Within is how old Judged may be, when its poller is scraped less
	// often than its hosts are polled: two scrapes plus 10 s.
	Within time.Duration
	// Old says why the verdict is not current (its poller not scraped,
	// Prometheus not answering): the host is STALE with it.
	Old string
}

// Health is the verdict at now: STALE when Old says so or when its
// poller has not judged it for longer than h's StaleAge (two intervals
// plus the timeout) or Within, else what the poller said.
func (v *Verdict) Health(h *Host, now time.Time) Health {
	if v.Old != "" {
		return Health{State: Stale, Cause: CauseStale, Reason: v.Old}
	}
	if age := now.Sub(v.Judged); age > max(h.StaleAge(), v.Within) {
		return Health{State: Stale, Cause: CauseStale, Reason: fmt.Sprintf("poller %s has not judged it for %s", v.By, FormatAge(age))}
	}
	hl := Health{State: v.State, Cause: v.Cause, Checks: v.Checks, Polling: v.Cause == CausePolling}
	for _, c := range v.Checks {
		if !c.Pending && c.State > OK && (c.State > hl.State || hl.Reason == "" && c.State == hl.State) {
			hl.State, hl.Reason = c.State, c.Reason
		}
	}
	if hl.State != OK && hl.Reason == "" {
		hl.Reason = v.hostSaid()
	}
	return hl
}

// hostSaid is the words of a host-wide verdict (DOWN, UNREACHABLE…).
func (v *Verdict) hostSaid() string {
	switch v.Cause {
	case CauseUnreachable:
		return "behind " + v.Behind + " (its poller " + v.By + " says)"
	case CauseStale:
		return "its poller " + v.By + " has no new data of it"
	}
	words, ok := causeWords[v.Cause]
	if !ok {
		words = strings.ReplaceAll(v.Cause.String(), "_", " ")
	}
	return words + " (its poller " + v.By + " says)"
}

// causeWords are a check's words when its figures say no more than its
// cause.
var causeWords = map[Cause]string{
	CauseUnreadable: "could not be read", CauseNotInSource: "not in the source", CauseNotScraped: "not scraped",
	CauseSourceFailed: "source not answering", CauseNoBackup: "no backup found", CauseTooSmall: "too small",
	CauseNeverDrilled: "never drilled", CauseDrillOverdue: "drill overdue", CauseDrillFailed: "last drill failed",
	CauseDrillsUnknown: "drill history unknown", CauseLoginSetting: "lets more than keys in", CausePublicDB: "database port open beyond loopback",
	CauseUnexpectedPort: "unexpected port open", CauseUpdates: "updates pending", CauseReboot: "reboot required",
	CauseExpiring: "expires soon", CauseRefused: "connection refused", CauseNoBanner: "the port answers, SSH does not",
	CauseDown: "poll failed", CauseSlow: "answers, but too late", CauseKeyChanged: "host key changed (possible man-in-the-middle)",
	CausePolling: "first poll on its way", CauseNotPolled: "not polled", CauseFlapping: "FLAPPING (restarts again and again)", CauseCertInvalid: "invalid", CauseFillsUp: "full soon at its rate",
}

// Said is a check's reason composed from its kind, subject, cause, state
// and figures (Value, Limit, Unit), by the code that writes the poller's
// own: a threshold's "cpu 93% ≥ 90%", a service's "not running".
func Said(c Check) string {
	switch {
	case c.Cause == CauseOver && c.Unit != "":
		return heldCheck(c.Name, c.Value, c.Limit, c.Unit, Held{Alarm: c.State}).Reason
	case c.Kind == KindService && c.Cause != CauseUnreadable && c.Cause != CauseFlapping:
		sv, no := ServiceStatus{Name: c.Subject, Running: c.Cause != CauseNotRunning, State: "not running"}, false
		if c.Cause == CauseNotEnabled {
			sv.Enabled = &no
		}
		if c.Cause == CauseNoAutoRestart {
			sv.AutoRestart = &no
		}
		return ServiceCheck(&sv).Reason
	case c.Kind == KindBackup && c.Cause == CauseTooOld && c.Value > 0:
		return fmt.Sprintf("%s is %s old", c.Name, FormatAge(time.Duration(c.Value*float64(time.Second))))
	}
	if w, ok := causeWords[c.Cause]; ok {
		return c.Name + ": " + w
	}
	return c.Name + " " + c.State.String()
}

// Judged is one host's verdict as read back, with its figures (a sample
// of what the poller exported: percentages, no sizes).
type Judged struct {
	Name    string
	Verdict *Verdict
	Figures *Sample
}

// Judge records verdicts made elsewhere: a host the store does not have
// joins it as proto named so, marked Remote (known only from the
// pollers); old gives the verdict of each host of the store that list
// leaves out (nil: it keeps what it had; Gone: a Remote host leaves the
// store, its poller no longer having it).
func (s *Store) Judge(list []Judged, proto Host, old func(name string, had *Verdict) *Verdict) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version++ // what list has is stamped with it
	for i := range list {
		j := &list[i]
		e, ok := s.byName[j.Name]
		if !ok {
			h := proto
			h.Name, h.Remote = j.Name, true
			e = &entry{status: HostStatus{Host: &h}, cpu: newRing(HistoryLen), mem: newRing(HistoryLen)}
			s.hosts = append(s.hosts, e)
			s.byName[h.Name] = e
			s.shape++
		}
		st := &e.status
		st.Verdict, st.Err, st.Behind, st.Note = j.Verdict, "", nil, ""
		if j.Verdict.Behind != "" {
			st.Behind = &Behind{Root: j.Verdict.Behind, Via: j.Verdict.Behind, State: Down} // its root says since when
		}
		if j.Figures != nil && (st.Last == nil || !j.Figures.At.Equal(st.Last.At)) {
			st.Last = j.Figures
			if j.Figures.Known(MetricCPU) {
				e.cpu.push(j.Figures.CPU)
			}
			if j.Figures.Known(MetricMemory) {
				e.mem.push(j.Figures.MemPercent())
			}
		}
		e.ver = s.version
	}
	kept := s.hosts[:0]
	for _, e := range s.hosts {
		if e.ver != s.version && old != nil {
			v := old(e.status.Host.Name, e.status.Verdict)
			if v == Gone && e.status.Host.Remote {
				delete(s.byName, e.status.Host.Name)
				s.shape++
				continue
			}
			if v == Gone { // configured: it stays, STALE
				cp := Verdict{}
				if had := e.status.Verdict; had != nil {
					cp = *had
				}
				cp.Old, v = Gone.Old, &cp
			}
			if v != nil {
				e.status.Verdict, e.ver = v, s.version
			}
		}
		kept = append(kept, e)
	}
	clear(s.hosts[len(kept):])
	s.hosts = kept
}

// Gone is the verdict of a host its poller no longer has (see Judge).
var Gone = &Verdict{Old: "its poller no longer judges it (not in its fleet now?)"}

// keepRemote adds to hosts (a reloaded config's) the store's hosts known
// only from the pollers' series: a reload does not drop them.
func (s *Store) keepRemote(hosts []Host) []Host {
	named := make(map[string]bool, len(hosts))
	for i := range hosts {
		named[hosts[i].Name] = true
	}
	for _, e := range s.hosts {
		if e.status.Host.Remote && !named[e.status.Host.Name] {
			hosts = append(hosts[:len(hosts):len(hosts)], *e.status.Host)
		}
	}
	return hosts
}
