package fleet

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// State is the health of a check or a host.
type State int

// States, in order of increasing severity for "worst first" sorting. DOWN
// ranks above CRIT: a host that stopped answering hides everything else.
// HOSTKEY (its SSH host key is not the one known_hosts holds: a possible
// man-in-the-middle) ranks above DOWN: opsdeck refuses to talk to it, and
// the operator must look before anything else.
// UNKNOWN (a check that could not be read) ranks below WARN, as in the
// monitoring plugins' max_state: it never hides a real finding. SLOW is a
// host that answers but whose poll did not finish in time: alive, its data
// late. UNREACHABLE is a host behind a parent that is DOWN (see Behind):
// its own state cannot be known, and the parent is the problem. It ranks
// below CRIT, so that forty hosts behind one bastion never hide a real
// finding of a host that answers.
const (
	OK State = iota
	Unknown
	Warn
	Slow
	Stale
	Unreachable
	Crit
	Down
	HostKey
)

var stateNames = [...]string{"OK", "UNKNOWN", "WARN", "SLOW", "STALE", "UNREACHABLE", "CRIT", "DOWN", "HOSTKEY"}

// Old reports whether a host in this state shows data that is not current
// (its last good data, drawn as old).
func (s State) Old() bool {
	return s == Slow || s == Stale || s == Down || s == HostKey || s == Unreachable
}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// ParseState is the state a name is of ("CRIT", "crit"); an error for
// none: a state kept as text (a record, a report) reads back as itself.
func ParseState(name string) (State, error) {
	for i, n := range stateNames {
		if strings.EqualFold(n, name) {
			return State(i), nil
		}
	}
	return Unknown, fmt.Errorf("no state %q", name)
}

// MarshalText writes a state as its name, in JSON and every record.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a state's name.
func (s *State) UnmarshalText(b []byte) error {
	st, err := ParseState(string(b))
	*s = st
	return err
}

// AllStates lists every state, mildest first.
var AllStates = []State{OK, Unknown, Warn, Slow, Stale, Unreachable, Crit, Down, HostKey}

// Worse returns the more severe of two states.
func Worse(a, b State) State { return max(a, b) }

// Check is one evaluated measurement: "disk /var 93% ≥ 90%".
type Check struct {
	// Kind, Subject and Cause are what the check is and why it is in its
	// state: code decides on them (Key names it); Name and Reason are for
	// people.
	Kind    CheckKind
	Subject string
	Cause   Cause
	Name    string // cpu, memory, swap, load, disk /var
	State   State
	Value   float64
	Limit   Pair
	Unit    string // "%" or "" (load per core)
	Reason  string
	// Pending: not checked yet (a heavy check after a host's first poll).
	// Shown as such; it does not count towards the host's state.
	Pending bool
	// NotApplicable: the check does not apply to this host (no sshd runs
	// here, no package manager is known). Its State is OK, its Reason
	// says why; it is shown as "n/a" and is never a finding.
	NotApplicable bool
}

// Health is the evaluated state of a host with the reason for it.
type Health struct {
	State  State
	Reason string
	Checks []Check
	// Polling: the host was never polled and nothing failed yet, its
	// first poll is on its way. State is Unknown (no verdict), but nothing
	// is wrong: it is drawn and counted as such, not as UNKNOWN.
	Polling bool
	// Cause is why the host as a whole is in its state when no check
	// says it (DOWN, STALE, SLOW, HOSTKEY, not polled): CauseNone else.
	Cause Cause
}

// Evaluate turns a sample into checks against the limits. held are the
// metrics' alarms over time (HostStatus.Held); a metric missing from it is
// judged on this sample alone.
func Evaluate(s *Sample, l Limits, held Alarms, fill Forecasts) []Check {
	checks := make([]Check, 0, 4+len(s.Disks))
	for i := range Resources { // host-wide: cpu, memory, load
		r := &Resources[i]
		if p := *r.Limit(&l); r.Value != nil && !p.Off {
			v, _ := r.Value(s)
			checks = append(checks, identify(metricCheck(s, r.Metric, r.Name, v, p, r.Unit, held), r.Kind, "", s.UnknownCause[r.Metric]))
		}
	}
	if !s.Known(MetricDisk) && !l.Disk.Off {
		checks = append(checks, identify(Check{Name: "disk", State: Unknown, Reason: "disk: " + s.Unknown[MetricDisk]}, KindDisk, "", s.UnknownCause[MetricDisk]))
	}
	for _, d := range s.Disks {
		for i := range Resources { // per mount: disk, inodes
			r := &Resources[i]
			p := *r.Limit(&l)
			if r.Mount == nil || p.Off {
				continue
			}
			name := r.Name + " " + d.Mount
			if v, ok := r.Mount(d); ok {
				h, kept := held.Get(r.Name, d.Mount)
				c := identify(threshold(name, v, p, r.Unit, s.At, h, kept), r.Kind, d.Mount, CauseNone)
				checks = append(checks, forecastCheck(c, held, fill, d.Mount))
			} else if d.Err != "" && r.Kind == KindDisk { // said once, on its space
				checks = append(checks, identify(Check{Name: name, State: Unknown, Reason: name + ": " + d.Err}, r.Kind, d.Mount, d.ErrCause))
			}
		}
	}
	for i := range s.Services {
		checks = append(checks, ServiceCheck(&s.Services[i]))
	}
	return checks
}

// ServiceCheck evaluates a service: CRIT when not running, WARN when it is
// flapping, not started at boot or not restarted when it dies.
func ServiceCheck(sv *ServiceStatus) Check {
	c := Check{Kind: KindService, Subject: sv.Name, Name: "service " + sv.Name, State: OK}
	state := sv.State
	if state == "" {
		state = "UNKNOWN"
	}
	switch {
	case sv.Err != "":
		c.State, c.Cause, c.Reason = Unknown, CauseUnreadable, "service "+sv.Name+": "+sv.Err
	case !sv.Running:
		c.State, c.Cause, c.Reason = Crit, CauseNotRunning, "service "+sv.Name+" "+state
		if sv.Detail != "" {
			c.Reason += " (" + sv.Detail + ")"
		}
	case sv.Recent >= FlapRestarts:
		c.State, c.Cause, c.Reason = Warn, CauseFlapping, fmt.Sprintf("service %s FLAPPING: restarted %d× in %d min", sv.Name, sv.Recent, int(FlapWindow.Minutes()))
	case sv.Enabled != nil && !*sv.Enabled:
		c.State, c.Cause, c.Reason = Warn, CauseNotEnabled, "service "+sv.Name+" is not enabled at boot"
	case sv.AutoRestart != nil && !*sv.AutoRestart:
		c.State, c.Cause, c.Reason = Warn, CauseNoAutoRestart, "service "+sv.Name+" is not restarted when it dies"
	default:
		c.Reason = "service " + sv.Name + " " + state
	}
	return c
}

func metricCheck(s *Sample, m Metric, name string, v float64, p Pair, unit string, held Alarms) Check {
	if !s.Known(m) {
		return Check{Name: name, State: Unknown, Limit: p, Unit: unit, Reason: name + ": " + s.Unknown[m]}
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return Check{Name: name, State: Unknown, Limit: p, Unit: unit, Reason: name + ": value is not a number"}
	}
	h, ok := held.Get(name, "")
	return threshold(name, v, p, unit, s.At, h, ok)
}

// identify gives a resource check its kind and subject, and its cause: an
// UNKNOWN one's (unknown: the sample's, else unreadable), CauseOver for a
// WARN or CRIT one.
func identify(c Check, k CheckKind, subject string, unknown Cause) Check {
	c.Kind, c.Subject = k, subject
	switch {
	case c.State == Unknown && unknown != CauseNone:
		c.Cause = unknown
	case c.State == Unknown:
		c.Cause = CauseUnreadable
	case c.State != OK:
		c.Cause = CauseOver
	}
	return c
}

// threshold judges v against p with the metric's alarm over time h, or on
// v alone when no alarm was kept (ok false: a sample judged by itself).
func threshold(name string, v float64, p Pair, unit string, at time.Time, h Held, ok bool) Check {
	if !ok || h.Last.Before(at) {
		h = h.Next(v, at, p, 0)
	}
	return heldCheck(name, v, p, unit, h)
}

// FormatValue prints a percentage without decimals and a load with two.
func FormatValue(v float64, unit string) string {
	if unit == "%" {
		return fmt.Sprintf("%.0f%%", math.Floor(v))
	}
	return fmt.Sprintf("%.2f", v)
}

// StaleAfter is how many poll intervals (plus the poll timeout: see
// Host.StaleAge) may pass without new data before a host's metrics are
// STALE.
const StaleAfter = 2

// Assess evaluates a host's status at time now: UNREACHABLE behind a
// parent that is DOWN, unless it answered since; DOWN when its last poll
// failed (SLOW when the host answered but the poll ran out of time), UNKNOWN when it never answered, STALE when its data is older than
// Host.StaleAge, else the worst of its checks.
func Assess(st *HostStatus, now time.Time) Health {
	switch {
	case st.Verdict != nil:
		return st.Verdict.Health(st.Host, now)
	case st.unreachable(now):
		return Health{State: Unreachable, Cause: CauseUnreachable, Reason: st.Behind.Reason(nil)}
	case st.lastFailed():
		reason := st.Err
		if st.Last != nil {
			reason += "; last data " + FormatAge(now.Sub(st.Last.At)) + " ago"
		}
		if st.Slow {
			return Health{State: Slow, Cause: CauseSlow, Reason: "answers, but too late: " + reason}
		}
		if k := st.KeyChange; k != nil {
			return Health{State: HostKey, Cause: CauseKeyChanged, Reason: "host key changed (possible man-in-the-middle): now " + k.New + ", known_hosts holds " +
				k.Old + " at " + k.File + ":" + fmt.Sprint(k.Line)}
		}
		cause := st.ErrCause
		if cause == CauseNone {
			cause = CauseDown
		}
		return Health{State: Down, Cause: cause, Reason: reason}
	case st.Last == nil:
		if st.Note != "" {
			return Health{State: Unknown, Cause: CauseNotPolled, Reason: st.Note}
		}
		return Health{State: Unknown, Cause: CausePolling, Reason: "no data yet", Polling: true}
	}
	if st.Stale(now) {
		return Health{State: Stale, Cause: CauseStale, Reason: "no new data for " + FormatAge(now.Sub(st.Last.At))}
	}
	checks := Evaluate(st.Last, st.Host.Limits, st.Held, st.Fill)
	checks = append(checks, backupChecks(st, now)...)
	checks = append(checks, SecurityChecks(st.Host, st.Last.Security)...)
	checks = append(checks, certChecks(st, now)...)
	h := Health{State: OK, Checks: checks}
	for _, c := range checks {
		if c.Pending {
			continue
		}
		if c.State > h.State || (c.State == h.State && c.State != OK && h.Reason == "") {
			h.State, h.Reason = c.State, c.Reason
		}
	}
	return h
}

// Stale says whether the host's data is too old to be shown as current
// at now (see Host.StaleAge); false without data. The one test of it: the
// screen, the events, check's figures and the assessment all ask here.
func (st *HostStatus) Stale(now time.Time) bool {
	return st.Last != nil && st.Last.Stale(st.Host, now)
}

// Stale says whether a sample of h is too old to show as current at now.
func (s *Sample) Stale(h *Host, now time.Time) bool { return now.After(s.StaleAt(h)) }

// StaleAt is when a sample of h turns too old to show as current.
func (s *Sample) StaleAt(h *Host) time.Time { return s.At.Add(h.StaleAge()) }

// FormatAge renders a duration the way an operator reads it at a glance:
// "4s", "3m", "2h", "9d".
func FormatAge(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

func certChecks(st *HostStatus, now time.Time) []Check {
	var out []Check
	for i := range st.Host.Certs {
		c := &st.Host.Certs[i]
		var got *CertStatus
		for j := range st.Last.Certs {
			if st.Last.Certs[j].Endpoint == c.Endpoint {
				got = &st.Last.Certs[j]
			}
		}
		out = append(out, CertCheck(c, got, now))
	}
	return out
}

// Findings are the host's checks, or when it has none (DOWN, STALE, not
// polled yet) one check of its own state, keyed "host": what an
// acknowledgement or a silence of it names.
func (h Health) Findings() []Check {
	if len(h.Checks) > 0 {
		return h.Checks
	}
	return []Check{{Kind: KindHost, Name: HostCheck, State: h.State, Reason: h.Reason, Cause: h.Cause}}
}
