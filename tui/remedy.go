package tui

import (
	"fmt"
	"strings"

	"github.com/opsdeck/opsdeck/fleet"
)

// remedy says what to do about a failing check, where it is known: the
// key to press, the command to read it with, or the setting and the value
// to give it — named, never "the setting above"; "" when nothing concrete
// is known. Values in it are the host's own names, shown, never run.
func remedy(c *common, st *fleet.HostStatus, chk fleet.Check) string {
	k, h, name, reason := c.keys, st.Host, chk.Name, chk.Reason
	field := func(prefix string) string { return fleet.Sanitize(strings.TrimPrefix(name, prefix), 200) }
	switch {
	case name == fleet.HostCheck && strings.Contains(reason, "banner"):
		return "sshd takes the connection but does not answer: the host is overloaded or sshd is hung; try its console"
	case name == fleet.HostCheck && strings.Contains(reason, "refused"):
		return "nothing listens on its SSH port: is sshd running? (from its console: systemctl status ssh)"
	case name == fleet.HostCheck && chk.State == fleet.Stale && c.banner != "" && !h.Local() && h.Resources != "ssh":
		return "its figures come from a shared source that is failing (the line under the header): they return with it"
	case name == fleet.HostCheck && chk.State == fleet.Stale:
		return "polls stopped arriving: " + k.Refresh.Help().Key + " polls it now"
	case strings.Contains(reason, "not in prometheus"), strings.Contains(reason, "has no series of it"):
		return `Prometheus has no figures of it: resources = "ssh" on the host reads them over SSH instead`
	case strings.Contains(reason, "up == 0"):
		return "Prometheus cannot scrape it: is its node_exporter running? (systemctl status prometheus-node-exporter)"
	case strings.HasPrefix(name, "disk "):
		return "see what grew: du -xh --max-depth=2 " + field("disk ") + " | sort -h | tail"
	case strings.HasPrefix(name, "inodes "):
		return "many small files: find " + field("inodes ") + " -xdev -type f | cut -d/ -f1-4 | sort | uniq -c | sort -n | tail"
	case name == "memory":
		return "the biggest: ps aux --sort=-rss | head"
	case name == "cpu", name == "load":
		return "the busiest: ps aux --sort=-%cpu | head"
	case strings.HasPrefix(name, "service "):
		return serviceRemedy(c, h, field("service "), chk)
	case strings.HasPrefix(name, "backup ") && strings.Contains(reason, "drill history unknown"):
		return "no verdict on its drills until their record is read; a shared record is read again as soon as it answers"
	case strings.HasPrefix(name, "backup ") && strings.Contains(reason, "restore-tested"), strings.Contains(reason, "drill") && !strings.Contains(reason, "fail"):
		return k.Drill.Help().Key + " in the host's detail runs a restore drill of the newest artefact"
	case strings.HasPrefix(name, "backup ") && strings.Contains(reason, "fail"):
		return "the last drill failed: its output is in the audit log (" + k.Audit.Help().Key + ")"
	case strings.HasPrefix(name, "backup "):
		return k.Snapshot.Help().Key + " in the host's detail takes one now; then find why the scheduled job did not"
	case strings.HasPrefix(name, "cert "):
		return "renew or replace the certificate served at " + field("cert ")
	}
	if st.Last == nil || st.Last.Security == nil {
		return ""
	}
	return securityRemedy(h, st.Last.Security, chk)
}

// serviceRemedy is what to do about a service that is down, flapping, or
// would not come back after a reboot or a crash: the command or setting
// of its kind.
func serviceRemedy(c *common, h *fleet.Host, name string, chk fleet.Check) string {
	k, reason := c.keys, chk.Reason
	var svc *fleet.Service
	for i := range h.Services {
		if h.Services[i].Name == name {
			svc = &h.Services[i]
		}
	}
	switch {
	case strings.Contains(reason, "FLAPPING"):
		return "it keeps dying: " + k.Logs.Help().Key + " in the host's detail follows its log, " + k.Restart.Help().Key + " restarts it"
	case chk.State == fleet.Crit:
		return k.Restart.Help().Key + " in the host's detail restarts it; its dialog shows what will run before it runs"
	case svc == nil:
		return ""
	case strings.Contains(reason, "not enabled at boot"):
		switch svc.Kind {
		case "systemd":
			return "it would not come back after a reboot: systemctl enable " + fleet.Sanitize(svc.Unit, 200)
		case "docker":
			return "it would not come back after a reboot: docker update --restart unless-stopped " + fleet.Sanitize(svc.Container, 200)
		}
	case strings.Contains(reason, "not restarted when it dies"):
		switch svc.Kind {
		case "systemd":
			return "set Restart=on-failure in its unit's [Service] (systemctl edit " + fleet.Sanitize(svc.Unit, 200) + "), then systemctl daemon-reload"
		case "docker":
			return "docker update --restart unless-stopped " + fleet.Sanitize(svc.Container, 200)
		case "pm2":
			return "start " + fleet.Sanitize(svc.Program, 200) + " with autorestart: true in its pm2 ecosystem file (not --no-autorestart), then pm2 save"
		}
	}
	return ""
}

// securityRemedy names what to change for a finding of the security
// checklist: the settings and their values, the ports, the command.
func securityRemedy(h *fleet.Host, s *fleet.SecurityStatus, chk fleet.Check) string {
	switch chk.Name {
	case "sshd":
		if chk.State == fleet.Unknown {
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
	case "updates":
		switch s.PkgManager {
		case "apt":
			return "apply them: apt-get update && apt-get upgrade"
		case "dnf":
			return "apply them: dnf upgrade"
		case "yum":
			return "apply them: yum update"
		}
	case "reboot":
		return "reboot it when its services allow (a kernel or library update waits for it)"
	case "database ports":
		var where []string
		for _, l := range fleet.PublicDBListeners(h, s) {
			where = append(where, fmt.Sprintf("%s (port %d)", h.DBPorts[l.Port], l.Port))
		}
		if len(where) == 0 {
			return ""
		}
		return "bind " + strings.Join(where, ", ") + " to 127.0.0.1, or firewall it from everyone but its clients"
	case "open ports":
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
