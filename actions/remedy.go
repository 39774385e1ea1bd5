package actions

import (
	"fmt"
	"slices"
	"strings"

	"github.com/opsdeck/opsdeck/fleet"
)

// Verb is what a remedy asks of the operator in the dashboard: the screen
// says it as its key (bound in [keys]), a report as its name.
type Verb string

// The verbs a remedy names, written {restart} in its text.
const (
	VerbRefresh  Verb = "refresh"
	VerbDrill    Verb = "drill"
	VerbAudit    Verb = "audit"
	VerbSnapshot Verb = "snapshot"
	VerbLogs     Verb = "logs"
	VerbRestart  Verb = "restart"
	VerbRun      Verb = "run" // a runbook command
)

// Verbs are every verb a remedy may name.
var Verbs = []Verb{VerbRefresh, VerbDrill, VerbAudit, VerbSnapshot, VerbLogs, VerbRestart, VerbRun}

// Remedy is what to do about a failing check, where it is known: the verb
// to use, the command to read it with, or the setting and the value to
// give it — named, never "the setting above"; then the team's runbook
// commands that are for its kind of check. Values in it are the host's
// own names, shown, never run. What to do is domain knowledge: the
// screen only says each verb as its key.
type Remedy struct {
	// Text is the advice, each verb in it written {verb}: "{restart} in
	// the host's detail restarts it". "" when nothing concrete is known.
	Text string
	// Runbook are the team's commands for the check's kind.
	Runbook []fleet.Command
}

// RemedyFor is the remedy of a host's failing check; sourceFailing says
// the shared source (Prometheus) its figures come from is failing.
func RemedyFor(st *fleet.HostStatus, chk fleet.Check, sourceFailing bool) Remedy {
	r := Remedy{Text: checkRemedy(st, chk, sourceFailing)}
	for _, cmd := range st.Host.Commands {
		if slices.Contains(cmd.For, chk.Kind.String()) {
			r.Runbook = append(r.Runbook, cmd)
		}
	}
	return r
}

// Say is the remedy in words, each verb said by say ("" when nothing is
// known): the advice, then "→ ! clean-journal (or J)" for the runbook.
func (r Remedy) Say(say func(Verb) string) string {
	todo := r.Text
	for _, v := range Verbs {
		todo = strings.ReplaceAll(todo, "{"+string(v)+"}", say(v))
	}
	var offer []string
	for _, cmd := range r.Runbook {
		s := say(VerbRun) + " " + cmd.Name
		if cmd.Key != "" {
			s += " (or " + cmd.Key + ")"
		}
		offer = append(offer, s)
	}
	if len(offer) == 0 {
		return todo
	}
	runbook := "→ " + strings.Join(offer, ", ")
	if todo == "" {
		return runbook
	}
	return todo + " " + runbook
}

// SayVerb says a verb as a report does, for whoever reads it away from
// the screen: "[restart]".
func SayVerb(v Verb) string { return "[" + string(v) + "]" }

// checkRemedy is what is known to do about a check whatever the
// config's commands.
func checkRemedy(st *fleet.HostStatus, chk fleet.Check, sourceFailing bool) string {
	h := st.Host
	subject := fleet.Sanitize(chk.Subject, 200)
	switch chk.Cause { // what the cause says whatever the kind
	case fleet.CauseNoBanner:
		return "sshd takes the connection but does not answer: the host is overloaded or sshd is hung; try its console"
	case fleet.CauseRefused:
		return "nothing listens on its SSH port: is sshd running? (from its console: systemctl status ssh)"
	case fleet.CauseStale:
		if sourceFailing && !h.Local() && h.Resources != "ssh" {
			return "its figures come from a shared source that is failing (the line under the header): they return with it"
		}
		return "polls stopped arriving: {refresh} polls it now"
	case fleet.CauseNotInSource:
		return `Prometheus has no figures of it: resources = "ssh" on the host reads them over SSH instead`
	case fleet.CauseNotScraped:
		return "Prometheus cannot scrape it: is its node_exporter running? (systemctl status prometheus-node-exporter)"
	}
	switch {
	case chk.Kind == fleet.KindDisk && chk.Cause == fleet.CauseFillsUp:
		return "see what grew in the last hours first: find " + subject + " -xdev -type f -mmin -360 -size +10M -printf '%s %p\\n' | sort -n | tail"
	case chk.Kind == fleet.KindInodes && chk.Cause == fleet.CauseFillsUp:
		return "see where new files pile up: find " + subject + " -xdev -mmin -360 | cut -d/ -f1-4 | sort | uniq -c | sort -n | tail"
	case chk.Kind == fleet.KindDisk && chk.Cause == fleet.CauseOver:
		return "see what grew: du -xh --max-depth=2 " + subject + " | sort -h | tail"
	case chk.Kind == fleet.KindInodes && chk.Cause == fleet.CauseOver:
		return "many small files: find " + subject + " -xdev -type f | cut -d/ -f1-4 | sort | uniq -c | sort -n | tail"
	case chk.Kind == fleet.KindMemory && chk.Cause == fleet.CauseOver:
		return "the biggest: ps aux --sort=-rss | head"
	case (chk.Kind == fleet.KindCPU || chk.Kind == fleet.KindLoad) && chk.Cause == fleet.CauseOver:
		return "the busiest: ps aux --sort=-%cpu | head"
	case chk.Kind == fleet.KindService:
		return serviceRemedy(h, chk.Subject, chk)
	case chk.Kind == fleet.KindBackup:
		return backupRemedy(chk)
	case chk.Kind == fleet.KindCert && chk.State != fleet.Unknown:
		return "renew or replace the certificate served at " + subject
	case chk.Kind == fleet.KindSecurity && st.Last != nil && st.Last.Security != nil:
		return securityRemedy(h, st.Last.Security, chk)
	}
	return ""
}

// backupRemedy is what to do about a backup: take one, drill it, read why
// its drill failed.
func backupRemedy(chk fleet.Check) string {
	switch chk.Cause {
	case fleet.CauseDrillsUnknown:
		return "no verdict on its drills until their record is read; a shared record is read again as soon as it answers"
	case fleet.CauseNeverDrilled, fleet.CauseDrillOverdue:
		return "{drill} in the host's detail runs a restore drill of the newest artefact"
	case fleet.CauseDrillFailed:
		return "the last drill failed: its output is in the audit log ({audit})"
	case fleet.CauseNoBackup, fleet.CauseTooOld, fleet.CauseTooSmall:
		return "{snapshot} in the host's detail takes one now; then find why the scheduled job did not"
	}
	return ""
}

// serviceRemedy is what to do about a service that is down, flapping, or
// would not come back after a reboot or a crash: the command or setting
// of its kind.
func serviceRemedy(h *fleet.Host, name string, chk fleet.Check) string {
	var svc *fleet.Service
	for i := range h.Services {
		if h.Services[i].Name == name {
			svc = &h.Services[i]
		}
	}
	switch {
	case chk.Cause == fleet.CauseFlapping:
		return "it keeps dying: {logs} in the host's detail follows its log, {restart} restarts it"
	case chk.Cause == fleet.CauseNotRunning:
		return "{restart} in the host's detail restarts it; its dialog shows what will run before it runs"
	}
	kind := (*fleet.ServiceKind)(nil)
	if svc != nil {
		kind = fleet.ServiceKindNamed(svc.Kind)
	}
	switch {
	case kind == nil:
	case chk.Cause == fleet.CauseNotEnabled && kind.Enable != nil:
		return "it would not come back after a reboot: " + fleet.Sanitize(kind.Enable(svc), 300)
	case chk.Cause == fleet.CauseNoAutoRestart && kind.AutoRestart != nil:
		return fleet.Sanitize(kind.AutoRestart(svc), 300)
	}
	return ""
}

// securityRemedy names what to change for a finding of the security
// checklist: the settings and their values, the ports, the command.
func securityRemedy(h *fleet.Host, s *fleet.SecurityStatus, chk fleet.Check) string {
	switch chk.Subject {
	case fleet.SecSSHD:
		if chk.Cause == fleet.CauseUnreadable {
			if h.Sudo == nil || !*h.Sudo {
				return "read them on the host as root: sshd -T; or sudo = true on the host lets opsdeck run sudo -n sshd -T"
			}
			return "read them on the host as root: sshd -T"
		}
		var set []string
		for _, f := range fleet.SSHDFindings(s.SSHD) {
			set = append(set, f.Key+" "+f.Want)
		}
		if len(set) == 0 {
			return ""
		}
		return "set " + strings.Join(set, " and ") + " in /etc/ssh/sshd_config (above any Match block), then reload sshd: systemctl reload ssh (sshd on Red Hat)"
	case fleet.SecUpdates:
		switch s.PkgManager {
		case "apt":
			return "apply them: apt-get update && apt-get upgrade"
		case "dnf":
			return "apply them: dnf upgrade"
		case "yum":
			return "apply them: yum update"
		}
	case fleet.SecReboot:
		return "reboot it when its services allow (a kernel or library update waits for it)"
	case fleet.SecDBPorts:
		var where []string
		for _, l := range fleet.PublicDBListeners(h, s) {
			where = append(where, fmt.Sprintf("%s (port %d)", h.DBPorts[l.Port], l.Port))
		}
		if len(where) == 0 {
			return ""
		}
		return "bind " + strings.Join(where, ", ") + " to 127.0.0.1, or firewall it from everyone but its clients"
	case fleet.SecOpenPorts:
		ports := fleet.UnexpectedPorts(h, s)
		if len(ports) == 0 {
			return ""
		}
		allowed := fmt.Sprint(h.AllowedPorts)
		for _, p := range ports {
			_, n, _ := strings.Cut(p, "/")
			allowed = strings.TrimSuffix(allowed, "]") + " " + n + "]"
		}
		return "stop or bind to 127.0.0.1 what listens on " + strings.Join(ports, ", ") + "; if meant to be open: allowed_ports = " +
			strings.ReplaceAll(allowed, " ", ", ")
	}
	return ""
}
