package config

import (
	"fmt"
	"net"
	"strings"

	"github.com/opsdeck/opsdeck/fleet"
)

func hostKey(h *fleet.Host, i int) string {
	if h.Name != "" {
		return fmt.Sprintf("hosts[%s]", h.Name)
	}
	return fmt.Sprintf("hosts[#%d]", i+1)
}

func (v *validator) host(c *fleet.Config, i int, global *fleet.Limits) {
	h, d := &c.Hosts[i], &c.Defaults
	p, key := fmt.Sprintf("hosts.%d", i), hostKey(h, i)
	v.reach(h, p, key)
	v.certs(h, p, key)
	for _, port := range h.AllowedPorts {
		if port < 1 || port > 65535 {
			v.add(p+".allowed_ports", key+".allowed_ports", "port %d is out of range 1-65535", port)
		}
	}
	for j, m := range h.Mounts {
		v.absolute(p+".mounts", fmt.Sprintf("%s.mounts[%d]", key, j), "mount", m)
	}
	effective(h, d, global)
	if h.Thresholds != nil {
		v.limits(p+".thresholds", key+".thresholds", h.Thresholds, &h.Limits)
	}
	names := map[string]bool{}
	for j := range h.Services {
		v.service(h, j, p, key, names)
	}
	v.commands(h, p, key)
	names = map[string]bool{}
	for j := range h.Backups {
		v.backup(h, i, j, p, names)
	}
}

// reach checks how a host is reached: its address, port, interval,
// timeout and jump host.
func (v *validator) reach(h *fleet.Host, p, key string) {
	if h.Address == "" {
		h.Address = h.Name // an alias, as with `ssh NAME`
	}
	if why := AddressProblem(h.Address); why != "" {
		v.add(p+".address", key+".address", "address %q %s", h.Address, why)
	}
	v.port(p+".port", key+".port", h.Port)
	v.interval(p+".poll_interval", key+".poll_interval", h.PollInterval)
	v.timeout(p+".timeout", key+".timeout", h.Timeout)
	if h.Local() && h.Jump != "" {
		v.add(p+".jump", key+".jump", "a host with address = \"local\" is this machine and cannot be reached through jump %q", h.Jump)
	}
}

// certs checks a host's TLS endpoints and gives their default days.
func (v *validator) certs(h *fleet.Host, p, key string) {
	for j, c := range h.Certs {
		cp, ck := fmt.Sprintf("%s.certs.%d", p, j), fmt.Sprintf("%s.certs[%d]", key, j)
		if _, port, err := net.SplitHostPort(c.Endpoint); err != nil || port == "" {
			v.add(cp, ck+".endpoint", "endpoint %q must be host:port", c.Endpoint)
		}
		if c.WarnDays == 0 {
			h.Certs[j].WarnDays = 14
		}
		if c.CritDays == 0 {
			h.Certs[j].CritDays = 3
		}
		if h.Certs[j].CritDays >= h.Certs[j].WarnDays || c.WarnDays < 0 || c.CritDays < 0 {
			v.add(cp, ck, "crit_days (%d) must be below warn_days (%d)", h.Certs[j].CritDays, h.Certs[j].WarnDays)
		}
	}
}

// effective gives a host its effective values: its own, then
// [defaults], then the built-ins. Port, user and identity files stay as
// written: the transport resolves them with ~/.ssh/config in between
// (host, ssh_config, [defaults]).
func effective(h *fleet.Host, d *fleet.Defaults, global *fleet.Limits) {
	h.PollInterval = firstDuration(h.PollInterval, d.PollInterval, fleet.DefaultPollInterval)
	h.Timeout = firstDuration(h.Timeout, d.Timeout, fleet.DefaultTimeout)
	if h.Sudo == nil {
		s := d.Sudo
		h.Sudo = &s
	}
	if h.Security == nil {
		h.Security = d.Security
	}
	h.Limits = *global
	h.DBPorts = fleet.DefaultDBPorts
	if len(d.DBPorts) > 0 {
		h.DBPorts = map[int]string{}
		for _, port := range d.DBPorts {
			name := fleet.DefaultDBPorts[port]
			if name == "" {
				name = "database"
			}
			h.DBPorts[port] = name
		}
	}
}

// service checks service j of a host (names: the names seen so far).
func (v *validator) service(h *fleet.Host, j int, p, key string, names map[string]bool) {
	s := &h.Services[j]
	sp, sk := fmt.Sprintf("%s.services.%d", p, j), serviceKey(h, key, s, j)
	v.unique(names, s.Name, sp, sk, "service")
	v.kind(sp, sk, s.Kind, serviceKinds, serviceFields, map[string]string{
		"unit": s.Unit, "program": s.Program, "container": s.Container,
		"pattern": s.Pattern, "conf": s.Conf, "restart": s.Restart, "log": s.Log,
	})
	v.name(sp+".name", sk+".name", s.Name)
	for _, f := range []struct{ key, val string }{{"unit", s.Unit}, {"program", s.Program}, {"container", s.Container}} {
		v.notOption(sp+"."+f.key, sk+"."+f.key, f.key, f.val)
		v.name(sp+"."+f.key, sk+"."+f.key, f.val)
	}
	v.absolute(sp+".conf", sk+".conf", "conf", s.Conf)
	v.secret(sp+".restart", sk+".restart", s.Restart)
	v.secret(sp+".log", sk+".log", s.Log)
	if s.Sudo == nil {
		s.Sudo = h.Sudo
	}
}

// backup checks backup j of host i (names: the names seen so far).
func (v *validator) backup(h *fleet.Host, i, j int, p string, names map[string]bool) {
	b := &h.Backups[j]
	bp, bk := fmt.Sprintf("%s.backups.%d", p, j), backupKey(h, i, b, j)
	v.unique(names, b.Name, bp, bk, "backup")
	v.kind(bp, bk, b.Kind, backupKinds, backupFields, map[string]string{
		"path": b.Path, "repo": b.Repo, "password_file": b.PasswordFile, "command": b.Command,
	})
	if b.MaxAge.Duration == 0 {
		b.MaxAge.Duration = fleet.DefaultMaxAge
	}
	if b.MinSize < 0 {
		v.add(bp+".min_size", bk+".min_size", "min_size must not be negative")
	}
	v.name(bp+".name", bk+".name", b.Name)
	v.absolute(bp+".path", bk+".path", "path", b.Path)
	v.absolute(bp+".password_file", bk+".password_file", "password_file", b.PasswordFile)
	v.notOption(bp+".repo", bk+".repo", "repo", b.Repo)
	v.secret(bp+".repo", bk+".repo", b.Repo)
	for _, f := range []struct{ key, val string }{{"command", b.Command}, {"snapshot", b.Snapshot},
		{"restore", b.Restore}, {"verify", b.Verify}, {"cleanup", b.Cleanup}} {
		v.secret(bp+"."+f.key, bk+"."+f.key, f.val)
		if ph := quotedPlaceholder(f.val); ph != "" && f.key != "command" && f.key != "snapshot" {
			v.add(bp+"."+f.key, bk+"."+f.key, "%s stands inside quotes: write it bare (opsdeck quotes the value itself; inside quotes a file name from the host could run as code)", ph)
		}
	}
}

func serviceKey(h *fleet.Host, hk string, s *fleet.Service, j int) string {
	if s.Name != "" {
		return fmt.Sprintf("%s.services[%s]", hk, s.Name)
	}
	return fmt.Sprintf("%s.services[#%d]", hk, j+1)
}

func backupKey(h *fleet.Host, i int, b *fleet.Backup, j int) string {
	hk := hostKey(h, i)
	if b.Name != "" {
		return fmt.Sprintf("%s.backups[%s]", hk, b.Name)
	}
	return fmt.Sprintf("%s.backups[#%d]", hk, j+1)
}

func (v *validator) unique(seen map[string]bool, name, p, key, what string) {
	switch {
	case name == "":
		v.add(p, key+".name", "missing required key \"name\"")
	case seen[name]:
		v.add(p+".name", key+".name", "duplicate %s name %q on this host", what, name)
	}
	seen[name] = true
}

// kind checks a kind against its table of required fields, and that no
// field meant for another kind is set (it would be silently ignored).
func (v *validator) kind(p, key, kind string, kinds, fields map[string][]string, values map[string]string) {
	if kind == "" {
		v.add(p, key+".kind", "missing required key \"kind\" (one of %s)", strings.Join(sortedKeys(kinds), ", "))
		return
	}
	need, ok := kinds[kind]
	if !ok {
		msg := fmt.Sprintf("unknown kind %q: use one of %s", kind, strings.Join(sortedKeys(kinds), ", "))
		if s := Suggest(kind, sortedKeys(kinds)); s != "" {
			msg = fmt.Sprintf("unknown kind %q (did you mean %q?)", kind, s)
		}
		v.add(p+".kind", key+".kind", "%s", msg)
		return
	}
	for _, f := range need {
		if strings.TrimSpace(values[f]) == "" {
			v.add(p, key+"."+f, "missing required key %q for kind %q", f, kind)
		}
	}
	for _, f := range sortedKeys(fields) {
		if values[f] != "" && !contains(fields[f], kind) {
			v.add(p+"."+f, key+"."+f, "key %q is not used by kind %q (it is for %s)", f, kind, strings.Join(fields[f], ", "))
		}
	}
}

func (v *validator) jump(c *fleet.Config, i int, byName map[string]int) {
	h := &c.Hosts[i]
	if h.Jump == "" {
		return
	}
	p, key := fmt.Sprintf("hosts.%d.jump", i), hostKey(h, i)+".jump"
	j, ok := byName[h.Jump]
	if !ok {
		msg := fmt.Sprintf("jump host %q is not a configured host", h.Jump)
		if s := Suggest(h.Jump, sortedKeys(byName)); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		v.add(p, key, "%s", msg)
		return
	}
	if c.Hosts[j].Local() {
		v.add(p, key, "jump host %q is address = \"local\"; jump through an SSH host", h.Jump)
		return
	}
	chain := []string{h.Name}
	seen := map[string]bool{h.Name: true}
	for next := h.Jump; next != ""; {
		chain = append(chain, next)
		if seen[next] {
			v.add(p, key, "jump cycle: %s", strings.Join(chain, " → "))
			return
		}
		seen[next] = true
		k, ok := byName[next]
		if !ok {
			return // reported on that host
		}
		next = c.Hosts[k].Jump
	}
}

// parents checks a host's parents: hosts of the fleet, not itself, and no
// cycle through parents and jump hosts (a host behind itself would never
// be judged).
func (v *validator) parents(c *fleet.Config, i int, byName map[string]int) {
	h := &c.Hosts[i]
	for k, name := range h.Parents {
		p, key := fmt.Sprintf("hosts.%d.parents.%d", i, k), hostKey(h, i)+".parents"
		j, ok := byName[name]
		switch {
		case name == h.Name:
			v.add(p, key, "host %q is its own parent", name)
			continue
		case !ok:
			msg := fmt.Sprintf("parent %q is not a configured host", name)
			if s := Suggest(name, sortedKeys(byName)); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			v.add(p, key, "%s", msg)
			continue
		}
		if path := parentCycle(c, byName, j, h.Name); path != nil {
			v.add(p, key, "parent cycle: %s", strings.Join(append([]string{h.Name}, path...), " → "))
		}
	}
}

// parentCycle is the path from host j up its parents and jump hosts back to
// the host named to, nil when there is none.
func parentCycle(c *fleet.Config, byName map[string]int, j int, to string) []string {
	seen := map[int]bool{}
	var walk func(k int) []string
	walk = func(k int) []string {
		h := &c.Hosts[k]
		if h.Name == to {
			return []string{h.Name}
		}
		if seen[k] {
			return nil
		}
		seen[k] = true
		ups := append([]string{h.Jump}, h.Parents...)
		for _, up := range ups {
			if n, ok := byName[up]; ok && up != "" {
				if rest := walk(n); rest != nil {
					return append([]string{h.Name}, rest...)
				}
			}
		}
		return nil
	}
	return walk(j)
}
