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
	add := func(name string, st State, reason string) {
		out = append(out, Check{Name: name, State: st, Reason: reason})
	}
	if s.ListenErr != "" {
		add("listening ports", Unknown, "listening ports: "+s.ListenErr)
	} else {
		var public, unexpected []string
		allowed := map[int]bool{}
		for _, p := range h.AllowedPorts {
			allowed[p] = true
		}
		seen := map[string]bool{}
		for _, l := range s.Listeners {
			where := net.JoinHostPort(strings.Trim(l.Addr, "[]"), fmt.Sprint(l.Port))
			if db, ok := h.DBPorts[l.Port]; ok && !Loopback(l.Addr) && l.Proto == "tcp" {
				if !seen["db"+where] {
					public = append(public, fmt.Sprintf("%s listening on %s", db, where))
					seen["db"+where] = true
				}
			}
			if len(h.AllowedPorts) > 0 && !allowed[l.Port] && !Loopback(l.Addr) {
				k := fmt.Sprintf("%s/%d", l.Proto, l.Port)
				if !seen[k] {
					unexpected = append(unexpected, k)
					seen[k] = true
				}
			}
		}
		switch {
		case len(public) > 0:
			add("database ports", Crit, strings.Join(public, "; "))
		default:
			add("database ports", OK, "no database port open beyond loopback")
		}
		if len(h.AllowedPorts) > 0 {
			sort.Strings(unexpected)
			if len(unexpected) > 0 {
				add("open ports", Warn, "ports open that allowed_ports does not list: "+strings.Join(unexpected, ", "))
			} else {
				add("open ports", OK, "only allowed ports open")
			}
		}
	}
	if s.SSHDErr != "" {
		add("sshd", Unknown, "sshd settings: "+s.SSHDErr)
	} else if s.SSHD != nil {
		var bad []string
		if strings.EqualFold(s.SSHD["passwordauthentication"], "yes") {
			bad = append(bad, "PasswordAuthentication yes")
		}
		if strings.EqualFold(s.SSHD["permitrootlogin"], "yes") {
			bad = append(bad, "PermitRootLogin yes")
		}
		if len(bad) > 0 {
			add("sshd", Warn, "sshd: "+strings.Join(bad, ", ")+" (from "+s.SSHDFrom+")")
		} else {
			add("sshd", OK, "sshd: keys only (from "+s.SSHDFrom+")")
		}
	}
	switch {
	case s.UpdatesErr != "":
		add("updates", Unknown, "updates: "+s.UpdatesErr)
	case s.PkgManager == "":
	case s.Security > 0:
		add("updates", Warn, fmt.Sprintf("%d security update(s) pending (%d in all)", s.Security, s.Pending))
	case s.Pending > 0:
		add("updates", Warn, fmt.Sprintf("%d update(s) pending", s.Pending))
	default:
		add("updates", OK, "up to date")
	}
	if s.Reboot {
		add("reboot", Warn, "reboot required")
	}
	return out
}

// CertCheck evaluates a TLS endpoint's certificate: no handshake, a name
// mismatch, an untrusted chain or expiry is CRIT; expiry within warn_days
// is WARN, within crit_days CRIT. The reason shows the expiry date.
func CertCheck(c *Cert, st *CertStatus, now time.Time) Check {
	name := "cert " + c.Endpoint
	switch {
	case st == nil:
		return Check{Name: name, State: Unknown, Reason: name + ": not checked yet", Pending: true}
	case st.Err != "":
		return Check{Name: name, State: Crit, Reason: name + ": " + st.Err}
	}
	expiry := st.NotAfter.UTC().Format("2006-01-02")
	left := st.NotAfter.Sub(now)
	days := int(left.Hours() / 24)
	switch {
	case left <= 0:
		return Check{Name: name, State: Crit, Reason: fmt.Sprintf("%s expired on %s", name, expiry)}
	case st.NameErr != "":
		return Check{Name: name, State: Crit, Reason: fmt.Sprintf("%s: %s (expires %s)", name, st.NameErr, expiry)}
	case st.TrustErr != "":
		return Check{Name: name, State: Crit, Reason: fmt.Sprintf("%s: not trusted: %s (expires %s)", name, st.TrustErr, expiry)}
	case left < time.Duration(c.CritDays)*24*time.Hour:
		return Check{Name: name, State: Crit, Reason: fmt.Sprintf("%s expires on %s, in %d day(s)", name, expiry, days)}
	case left < time.Duration(c.WarnDays)*24*time.Hour:
		return Check{Name: name, State: Warn, Reason: fmt.Sprintf("%s expires on %s, in %d day(s)", name, expiry, days)}
	}
	return Check{Name: name, State: OK, Reason: fmt.Sprintf("%s valid until %s (%s)", name, expiry, st.Issuer)}
}
