// Package report turns a fleet's statuses into one report — hosts, their
// findings by key, the figures with the thresholds they are judged by, the
// exit status — and writes its formats: text, JSON, Nagios, Prometheus'
// exposition. check, serve-metrics and the notifications all read it.
package report

import (
	"sort"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// Finding is one check of one host.
type Finding struct {
	// Check is the check's words for people ("disk /var"); they may be
	// reworded. Key names it for code, outputs and the record:
	// "disk:/var", "service:nginx", "backup:pg-nightly", "host".
	Check   string          `json:"check"`
	Key     string          `json:"key"`
	Kind    fleet.CheckKind `json:"kind"`
	Subject string          `json:"subject,omitempty"`
	Cause   fleet.Cause     `json:"cause,omitempty"`
	State   fleet.State     `json:"state"`
	Reason  string          `json:"reason"`
	// Acknowledged and Silenced say who is on it or which silence covers
	// it: the state stays what it is.
	Acknowledged string `json:"acknowledged,omitempty"`
	Silenced     string `json:"silenced,omitempty"`
}

// HostReport is one host of the report.
type HostReport struct {
	Name   string      `json:"name"`
	State  fleet.State `json:"state"`
	Reason string      `json:"reason,omitempty"`
	// Behind is, for an UNREACHABLE host, the DOWN host it is behind (the
	// root problem, the one notified).
	Behind   string    `json:"unreachable_behind,omitempty"`
	Findings []Finding `json:"findings"`
	// Answered is when the host last answered (a sample or a failure),
	// and Poll how long that poll took: a reader of the exposition tells
	// old data from current by it.
	Answered time.Time     `json:"answered,omitzero"`
	Poll     time.Duration `json:"poll_ns,omitempty"`
}

// Inventory is how an inventory's last read went: Err "" when it was read.
type Inventory struct {
	Name string `json:"name"`
	Err  string `json:"error,omitempty"`
}

// Report is what one pass over the fleet found (check --json prints it).
type Report struct {
	Time  time.Time    `json:"time"`
	Worst fleet.State  `json:"worst"`
	Hosts []HostReport `json:"hosts"`
	// Notes are what went wrong in loading the fleet that did not stop
	// it (an inventory that failed, a host named twice): some hosts may be
	// missing, so the report is UNKNOWN at best.
	Notes       []string    `json:"notes,omitempty"`
	Inventories []Inventory `json:"inventories,omitempty"`
	// Figures are the hosts' measured values with their thresholds (the
	// JSON's; the textfile and Nagios take them apart).
	Figures []Point `json:"figures,omitempty"`
	// Poller says which poller judged it, when it is one of several.
	Poller *Poller `json:"poller,omitempty"`
}

// Poller is one poller of several: its shard ("2/4", "" for the whole
// fleet), its site, its version. The exposition says it, and labels
// every series with the site.
type Poller struct {
	Shard   string `json:"shard,omitempty"`
	Site    string `json:"site,omitempty"`
	Version string `json:"version"`
}

// Exit is the report's exit status: its worst state's, UNKNOWN at best
// when loading the fleet went wrong.
func (r *Report) Exit() int {
	if code := Exit(r.Worst); len(r.Notes) == 0 {
		return code
	}
	return AtLeastUnknown(Exit(r.Worst))
}

// Build is the report of every host of store, each judged as of its own
// answer (a long pass never makes its early answers look stale); verbose
// keeps the OK findings too.
func Build(store *fleet.Store, verbose bool) Report {
	now := time.Now()
	return Judged(store, verbose, func(st *fleet.HostStatus) time.Time { return AnsweredAt(st, now) })
}

// Judged is the report with each host judged as of at(host).
func Judged(store *fleet.Store, verbose bool, at func(*fleet.HostStatus) time.Time) Report {
	snap, _ := store.Snapshot()
	rep := Report{Time: time.Now().UTC(), Worst: fleet.OK}
	for i := range snap {
		if snap[i].Host.Elsewhere {
			continue // another shard's: polled here for the way to ours
		}
		hr := hostReport(&snap[i], at(&snap[i]), verbose)
		rep.Worst = fleet.Worse(rep.Worst, hr.State)
		rep.Hosts = append(rep.Hosts, hr)
	}
	return rep
}

func hostReport(st *fleet.HostStatus, at time.Time, verbose bool) HostReport {
	hl := fleet.Assess(st, at)
	hr := HostReport{Name: st.Host.Name, State: hl.State, Findings: []Finding{}, Poll: st.RTT}
	if st.Last != nil || st.Err != "" {
		hr.Answered = AnsweredAt(st, time.Time{}).UTC()
	}
	if hl.State != fleet.OK {
		hr.Reason = hl.Reason
	}
	if hl.State == fleet.Unreachable && st.Behind != nil {
		hr.Behind = st.Behind.Root
	}
	for _, c := range hl.Checks {
		if c.State != fleet.OK || verbose {
			hr.Findings = append(hr.Findings, FindingOf(c))
		}
	}
	if len(hl.Checks) == 0 && hl.State != fleet.OK {
		hr.Findings = append(hr.Findings, Finding{Check: fleet.HostCheck, Key: fleet.CheckKey(fleet.KindHost, ""),
			Kind: fleet.KindHost, Cause: hl.Cause, State: hl.State, Reason: hl.Reason})
	}
	return hr
}

// FindingOf is a check as the report says it.
func FindingOf(c fleet.Check) Finding {
	return Finding{Check: c.Name, Key: c.Key(), Kind: c.Kind, Subject: c.Subject, Cause: c.Cause, State: c.State, Reason: c.Reason}
}

// AnsweredAt is when the host's last observation was made (now when it
// has none): a host is judged as of its own answer.
func AnsweredAt(st *fleet.HostStatus, now time.Time) time.Time {
	switch {
	case st.Err != "":
		return st.ErrAt
	case st.Last != nil:
		return st.Last.At
	}
	return now
}

// Counts are how many hosts are in each state.
func (r *Report) Counts() map[fleet.State]int {
	counts := map[fleet.State]int{}
	for _, h := range r.Hosts {
		counts[h.State]++
	}
	return counts
}

// Loaded notes on the report what loading cfg said: its notes (the report
// is UNKNOWN at best with any) and how each inventory's last read went.
func (r *Report) Loaded(cfg *fleet.Config) {
	r.Notes = cfg.Notes
	r.Inventories = r.Inventories[:0]
	for name, err := range cfg.InventoryErrs {
		r.Inventories = append(r.Inventories, Inventory{Name: name, Err: err})
	}
	sort.Slice(r.Inventories, func(a, b int) bool { return r.Inventories[a].Name < r.Inventories[b].Name })
}

// Failing is the report with only the findings that are not OK (what
// check prints without -v).
func (r Report) Failing() Report {
	out := r
	out.Hosts = make([]HostReport, len(r.Hosts))
	for i, h := range r.Hosts {
		h.Findings = []Finding{}
		for _, f := range r.Hosts[i].Findings {
			if f.State != fleet.OK {
				h.Findings = append(h.Findings, f)
			}
		}
		out.Hosts[i] = h
	}
	return out
}
