package config

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/opsdeck/opsdeck/fleet"
)

// validator collects every problem of a decoded config, located by key path.
type validator struct {
	src  *fleet.Origin
	ps   fleet.Problems
	seen map[string]int // a problem written once (in a role, a range) is said once: its index in ps
	more []int          // how many more hosts share problem i
}

// add records a problem. One written in a role or a range shows on every
// host that takes it: it is said once, with how many more hosts share it.
func (v *validator) add(path, key, format string, args ...any) {
	p := v.src.Problem(path, key, format, args...)
	if p.Line > 0 {
		k := fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Msg)
		if v.seen == nil {
			v.seen = map[string]int{}
		}
		if i, dup := v.seen[k]; dup {
			v.more[i]++
			return
		}
		v.seen[k] = len(v.ps)
	}
	v.ps = append(v.ps, p)
	v.more = append(v.more, 0)
}

// problems are the problems found, each shared one saying so.
func (v *validator) problems() fleet.Problems {
	for i, n := range v.more {
		if n > 0 {
			v.ps[i].Msg += fmt.Sprintf(" (and %d more host(s) with the same line)", n)
		}
	}
	return v.ps
}

// validate checks what the decoder cannot (meaning, references, ranges) and
// fills in defaults and effective limits. Problems come back in file order.
func validate(c *fleet.Config) fleet.Problems {
	v := &validator{src: c.Origin}
	d := &c.Defaults
	v.port("defaults.port", "defaults.port", d.Port)
	v.interval("defaults.poll_interval", "defaults.poll_interval", d.PollInterval)
	v.timeout("defaults.timeout", "defaults.timeout", d.Timeout)
	if d.Parallel < 0 || d.Parallel > MaxParallel {
		v.add("defaults.parallel", "defaults.parallel", "parallel %d: a runbook command runs on 1 to %d hosts at once", d.Parallel, MaxParallel)
	}
	if d.Parallel == 0 {
		d.Parallel = DefaultParallel
	}
	switch d.KnownHostsPolicy {
	case "", "strict", "accept-new":
	default:
		v.add("defaults.known_hosts_policy", "defaults.known_hosts_policy",
			"unknown policy %q: use \"strict\" or \"accept-new\"", d.KnownHostsPolicy)
	}
	v.state(&c.State)
	v.onCall(&c.OnCall)
	v.sources(c)
	ownInterval := make([]bool, len(c.Hosts)) // set on the host itself
	for i := range c.Hosts {
		ownInterval[i] = c.Hosts[i].PollInterval.Duration > 0
	}
	global := fleet.DefaultLimits
	v.limits("thresholds", "thresholds", &c.Thresholds, &global)

	if len(c.Hosts) == 0 && len(c.Inventories) == 0 { // an inventory may be empty until it answers
		v.add("", "hosts", "no hosts: add at least one [[hosts]] table")
	}
	byName := map[string]int{}
	for i := range c.Hosts {
		h := &c.Hosts[i]
		p := fmt.Sprintf("hosts.%d", i)
		key := hostKey(h, i)
		switch {
		case strings.TrimSpace(h.Name) == "":
			v.add(p, key+".name", "missing required key \"name\"")
		case strings.ContainsFunc(h.Name, func(r rune) bool { return r < ' ' || r == 0x7f || r == ' ' }):
			v.add(p+".name", key+".name", "host name %q must not contain spaces or control characters", h.Name)
		default:
			if j, dup := byName[h.Name]; dup {
				v.add(p+".name", key+".name", "duplicate host name %q (first defined at line %d)", h.Name, c.Origin.Pos(fmt.Sprintf("hosts.%d.name", j)).Line)
			} else {
				byName[h.Name] = i
			}
		}
		v.host(c, i, &global)
	}
	for i := range c.Hosts {
		v.jump(c, i, byName)
		v.parents(c, i, byName)
		for j := range c.Hosts[i].Backups {
			b := &c.Hosts[i].Backups[j]
			if _, ok := byName[b.DrillHost]; b.DrillHost != "" && !ok {
				v.add(fmt.Sprintf("hosts.%d.backups.%d.drill_host", i, j), backupKey(&c.Hosts[i], i, b, j)+".drill_host",
					"drill_host %q is not a configured host", b.DrillHost)
			}
		}
	}
	pollAtSource(c, ownInterval)
	return v.problems()
}

// state checks [state]: a PostgreSQL URL with no password in it.
func (v *validator) state(s *fleet.StateStore) {
	if s.URL != "" {
		if why := StateURLProblem(s.URL); why != "" {
			v.add("state.url", "state.url", "%s", why)
		} else if URLHasPassword(s.URL) {
			v.add("state.url", "state.url", "holds a password: keep it out of the config (password_file, $PGPASSWORD or ~/.pgpass)")
		}
	}
	if s.PasswordFile != "" && s.URL == "" {
		v.add("state.password_file", "state.password_file", "password_file without url: it is the database's password")
	}
	v.absolute("state.password_file", "state.password_file", "password_file", s.PasswordFile)
}

// URLHasPassword says whether a URL carries a password, in its user
// information or as a password parameter.
func URLHasPassword(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	_, has := u.User.Password()
	return has || u.Query().Has("password")
}

// StateURLProblem says what is wrong with a state database URL, "" when
// it is a usable postgres:// URL.
func StateURLProblem(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "not a URL: use postgres://user@host:5432/dbname"
	case u.Scheme != "postgres" && u.Scheme != "postgresql":
		return fmt.Sprintf("scheme %q: the state database is PostgreSQL, postgres://user@host:5432/dbname", u.Scheme)
	case u.Host == "" && u.Query().Get("host") == "":
		return "no host: use postgres://user@host:5432/dbname"
	}
	return ""
}
