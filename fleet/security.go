package fleet

import (
	"fmt"
	"net"
	"sort"
	"strings"
	"time"
)

// SecurityEvery is how often the security checklist is read: package
// managers and sshd -T cost more than /proc.
const SecurityEvery = 5 * time.Minute

// Loopback reports whether a listening address only accepts local
// connections.
func Loopback(addr string) bool {
	addr = strings.TrimPrefix(strings.TrimSuffix(addr, "]"), "[")
	addr = strings.TrimPrefix(addr, "::ffff:")
	if i := strings.IndexByte(addr, '%'); i >= 0 {
		addr = addr[:i]
	}
	ip := net.ParseIP(addr)
	return ip != nil && ip.IsLoopback()
}

// SecurityChecks evaluates the security checklist of a host.
func SecurityChecks(h *Host, s *SecurityStatus) []Check {
	if s == nil {
		return nil
	}
	var out []Check
	add := func(name string, st State, cause Cause, reason string) {
		if st == OK {
			cause = CauseNone
		}
		out = append(out, Check{Kind: KindSecurity, Subject: name, Cause: cause, Name: name, State: st, Reason: reason})
	}
	if s.ListenErr != "" {
		add(SecListening, Unknown, CauseUnreadable, "listening ports: "+s.ListenErr)
	} else {
		var public []string
		for _, l := range PublicDBListeners(h, s) {
			public = append(public, fmt.Sprintf("%s listening on %s", h.DBPorts[l.Port], net.JoinHostPort(l.Addr, fmt.Sprint(l.Port))))
		}
		switch {
		case len(public) > 0:
			add(SecDBPorts, Crit, CausePublicDB, strings.Join(public, "; "))
		default:
			add(SecDBPorts, OK, CauseNone, "no database port open beyond loopback")
		}
		if len(h.AllowedPorts) > 0 {
			if unexpected := UnexpectedPorts(h, s); len(unexpected) > 0 {
				add(SecOpenPorts, Warn, CauseUnexpectedPort, "ports open that allowed_ports does not list: "+strings.Join(unexpected, ", "))
			} else {
				add(SecOpenPorts, OK, CauseNone, "only allowed ports open")
			}
		}
	}
	switch {
	case s.SSHDAbsent:
		out = append(out, Check{Kind: KindSecurity, Subject: SecSSHD, Cause: CauseNotApplicable, Name: SecSSHD, State: OK, NotApplicable: true, Reason: "sshd: not running here"})
	case s.SSHDErr != "":
		add(SecSSHD, Unknown, CauseUnreadable, "sshd settings: "+s.SSHDErr)
	case s.SSHD != nil:
		var bad []string
		for _, f := range SSHDFindings(s.SSHD) {
			bad = append(bad, f.Key+" "+f.Have)
		}
		if len(bad) > 0 {
			add(SecSSHD, Warn, CauseLoginSetting, "sshd: "+strings.Join(bad, ", ")+" (from "+s.SSHDFrom+")")
		} else {
			add(SecSSHD, OK, CauseNone, "sshd: keys only (from "+s.SSHDFrom+")")
		}
	}
	switch {
	case s.UpdatesErr != "":
		add(SecUpdates, Unknown, CauseUnreadable, "updates: "+s.UpdatesErr)
	case s.PkgManager == "" && s.UpdatesRead:
		out = append(out, Check{Kind: KindSecurity, Subject: SecUpdates, Cause: CauseNotApplicable, Name: SecUpdates, State: OK, NotApplicable: true, Reason: "updates: not checked (no apt/dnf)"})
	case s.PkgManager == "":
	case s.Security > 0:
		add(SecUpdates, Warn, CauseUpdates, fmt.Sprintf("%d security update(s) pending (%d in all)", s.Security, s.Pending))
	case s.Pending > 0:
		add(SecUpdates, Warn, CauseUpdates, fmt.Sprintf("%d update(s) pending", s.Pending))
	default:
		add(SecUpdates, OK, CauseNone, "up to date")
	}
	if s.Reboot {
		add(SecReboot, Warn, CauseReboot, "reboot required")
	}
	return out
}

// PublicDBListeners are the host's database ports (db_ports) listening on
// TCP beyond loopback, each address once.
func PublicDBListeners(h *Host, s *SecurityStatus) []Listener {
	var out []Listener
	seen := map[Listener]bool{}
	for _, l := range s.Listeners {
		l.Addr = strings.Trim(l.Addr, "[]")
		if _, db := h.DBPorts[l.Port]; db && l.Proto == "tcp" && !Loopback(l.Addr) && !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}

// UnexpectedPorts are the ports open beyond loopback that the host's
// allowed_ports does not list, as "tcp/8080", sorted; none when it lists
// no ports.
func UnexpectedPorts(h *Host, s *SecurityStatus) []string {
	if len(h.AllowedPorts) == 0 {
		return nil
	}
	allowed := map[int]bool{}
	for _, p := range h.AllowedPorts {
		allowed[p] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, l := range s.Listeners {
		k := fmt.Sprintf("%s/%d", l.Proto, l.Port)
		if !allowed[l.Port] && !Loopback(l.Addr) && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// SSHDSetting is an sshd setting the checklist wants otherwise: Key as
// sshd_config spells it, the value the host has and the one to set.
type SSHDSetting struct{ Key, Have, Want string }

// SSHDFindings are the settings of sshd's effective configuration (keys in
// lower case, as sshd -T prints them) that let in more than keys.
func SSHDFindings(kv map[string]string) []SSHDSetting {
	var out []SSHDSetting
	if v := kv["passwordauthentication"]; strings.EqualFold(v, "yes") {
		out = append(out, SSHDSetting{"PasswordAuthentication", v, "no"})
	}
	if v := kv["permitrootlogin"]; strings.EqualFold(v, "yes") {
		out = append(out, SSHDSetting{"PermitRootLogin", v, "prohibit-password"})
	}
	return out
}

// CertCheck evaluates a TLS endpoint's certificate: no handshake, a name
// mismatch, an untrusted chain or expiry is CRIT; expiry within warn_days
// is WARN, within crit_days CRIT. The reason shows the expiry date.
func CertCheck(c *Cert, st *CertStatus, now time.Time) Check {
	name := "cert " + c.Endpoint
	check := func(state State, cause Cause, reason string) Check {
		return Check{Kind: KindCert, Subject: c.Endpoint, Cause: cause, Name: name, State: state, Reason: reason}
	}
	switch {
	case st == nil:
		k := check(Unknown, CauseUnreadable, name+": not checked yet")
		k.Pending = true
		return k
	case st.Err != "":
		return check(Crit, CauseCertInvalid, name+": "+st.Err)
	}
	expiry := st.NotAfter.UTC().Format("2006-01-02")
	left := st.NotAfter.Sub(now)
	days := int(left.Hours() / 24)
	switch {
	case left <= 0:
		return check(Crit, CauseCertInvalid, fmt.Sprintf("%s expired on %s", name, expiry))
	case st.NameErr != "":
		return check(Crit, CauseCertInvalid, fmt.Sprintf("%s: %s (expires %s)", name, st.NameErr, expiry))
	case st.TrustErr != "":
		return check(Crit, CauseCertInvalid, fmt.Sprintf("%s: not trusted: %s (expires %s)", name, st.TrustErr, expiry))
	case left < time.Duration(c.CritDays)*24*time.Hour:
		return check(Crit, CauseExpiring, fmt.Sprintf("%s expires on %s, in %d day(s)", name, expiry, days))
	case left < time.Duration(c.WarnDays)*24*time.Hour:
		return check(Warn, CauseExpiring, fmt.Sprintf("%s expires on %s, in %d day(s)", name, expiry, days))
	}
	return check(OK, CauseNone, fmt.Sprintf("%s valid until %s (%s)", name, expiry, st.Issuer))
}
