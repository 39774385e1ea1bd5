package fleet

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"
)

// validator collects every problem of a decoded config, located by key path.
type validator struct {
	src *Origin
	ps  Problems
}

func (v *validator) add(path, key, format string, args ...any) {
	v.ps = append(v.ps, v.src.Problem(path, key, format, args...))
}

// validate checks what the decoder cannot (meaning, references, ranges) and
// fills in defaults and effective limits. Problems come back in file order.
func (c *Config) validate() Problems {
	v := &validator{src: c.Origin}
	d := &c.Defaults
	v.port("defaults.port", "defaults.port", d.Port)
	v.interval("defaults.poll_interval", "defaults.poll_interval", d.PollInterval)
	v.timeout("defaults.timeout", "defaults.timeout", d.Timeout)
	switch d.KnownHostsPolicy {
	case "", "strict", "accept-new":
	default:
		v.add("defaults.known_hosts_policy", "defaults.known_hosts_policy",
			"unknown policy %q: use \"strict\" or \"accept-new\"", d.KnownHostsPolicy)
	}
	v.state(&c.State)
	v.sources(c)
	ownInterval := make([]bool, len(c.Hosts)) // set on the host itself
	for i := range c.Hosts {
		ownInterval[i] = c.Hosts[i].PollInterval.Duration > 0
	}
	global := DefaultLimits
	v.limits("thresholds", "thresholds", &c.Thresholds, &global)

	if len(c.Hosts) == 0 {
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
		for j := range c.Hosts[i].Backups {
			b := &c.Hosts[i].Backups[j]
			if _, ok := byName[b.DrillHost]; b.DrillHost != "" && !ok {
				v.add(fmt.Sprintf("hosts.%d.backups.%d.drill_host", i, j), backupKey(&c.Hosts[i], i, b, j)+".drill_host",
					"drill_host %q is not a configured host", b.DrillHost)
			}
		}
	}
	pollAtSource(c, ownInterval)
	return v.ps
}

// state checks [state]: a PostgreSQL URL with no password in it.
func (v *validator) state(s *StateStore) {
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

// sources checks [[sources]] and fills in their defaults.
func (v *validator) sources(c *Config) {
	for i := range c.Sources {
		s := &c.Sources[i]
		p := fmt.Sprintf("sources.%d", i)
		if s.Kind != "prometheus" {
			v.add(p+".kind", p+".kind", "unknown source kind %q: the one kind is \"prometheus\"", s.Kind)
		}
		if i > 0 {
			v.add(p, p, "one source only: hosts take their resources from one Prometheus")
		}
		if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.add(p+".url", p+".url", "url %q: use http://host:9090", s.URL)
		} else if URLHasPassword(s.URL) {
			v.add(p+".url", p+".url", "holds a password: keep it out of the config")
		}
		if s.Hosts == "" {
			s.Hosts = `up{job="node"}`
		}
		if !validSelector(s.Hosts) {
			v.add(p+".hosts", p+".hosts", "hosts %q: use a series selector such as up{job=\"node\"}", s.Hosts)
		}
		if s.InstanceLabel == "" {
			s.InstanceLabel = "instance"
		}
		if !validLabel(s.InstanceLabel) {
			v.add(p+".instance_label", p+".instance_label", "%q is not a label name", s.InstanceLabel)
		}
		s.Interval = firstDuration(s.Interval, Duration{}, DefaultSourceInterval)
		v.interval(p+".interval", p+".interval", s.Interval)
		s.Timeout = firstDuration(s.Timeout, Duration{}, 10*time.Second)
		v.timeout(p+".timeout", p+".timeout", s.Timeout)
		s.RateWindow = firstDuration(s.RateWindow, Duration{}, time.Minute)
	}
	for i := range c.Hosts {
		if r := c.Hosts[i].Resources; r != "" && r != "ssh" {
			v.add(fmt.Sprintf("hosts.%d.resources", i), hostKey(&c.Hosts[i], i)+".resources", "resources %q: the one value is \"ssh\" (keep this host off the Prometheus source)", r)
		}
	}
}

// DefaultSourceInterval is how often a Prometheus is asked: its usual
// scrape interval (asking more often returns the same samples).
const DefaultSourceInterval = 15 * time.Second

// pollAtSource gives the hosts a Prometheus source covers its interval
// unless they set their own: their figures are no fresher than the
// source's, and their staleness is judged against it.
func pollAtSource(c *Config, own []bool) {
	if len(c.Sources) == 0 {
		return
	}
	for i := range c.Hosts {
		h := &c.Hosts[i]
		if !own[i] && !h.Local() && h.Resources != "ssh" && h.PollInterval.Duration < c.Sources[0].Interval.Duration {
			h.PollInterval = c.Sources[0].Interval
		}
	}
}

// validSelector accepts metric{matchers} or {matchers}, nothing after.
func validSelector(s string) bool {
	i := strings.IndexByte(s, '{')
	if i < 0 {
		return validLabel(s)
	}
	if !strings.HasSuffix(s, "}") || (i > 0 && !validLabel(strings.ReplaceAll(s[:i], ":", "_"))) {
		return false
	}
	return !strings.ContainsAny(s[i+1:len(s)-1], "{}")
}

func validLabel(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
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

func hostKey(h *Host, i int) string {
	if h.Name != "" {
		return fmt.Sprintf("hosts[%s]", h.Name)
	}
	return fmt.Sprintf("hosts[#%d]", i+1)
}

func (v *validator) host(c *Config, i int, global *Limits) {
	h, d := &c.Hosts[i], &c.Defaults
	p, key := fmt.Sprintf("hosts.%d", i), hostKey(h, i)
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
	for _, port := range h.AllowedPorts {
		if port < 1 || port > 65535 {
			v.add(p+".allowed_ports", key+".allowed_ports", "port %d is out of range 1-65535", port)
		}
	}
	for j, m := range h.Mounts {
		v.absolute(p+".mounts", fmt.Sprintf("%s.mounts[%d]", key, j), "mount", m)
	}
	// Effective values: host, then [defaults], then built-ins.
	h.PollInterval = firstDuration(h.PollInterval, d.PollInterval, DefaultPollInterval)
	h.Timeout = firstDuration(h.Timeout, d.Timeout, DefaultTimeout)
	// Port, user and identity files stay as written: the transport resolves
	// them with ~/.ssh/config in between (host, ssh_config, [defaults]).
	if h.Sudo == nil {
		s := d.Sudo
		h.Sudo = &s
	}
	if h.Security == nil {
		h.Security = d.Security
	}
	h.Limits = *global
	h.DBPorts = DefaultDBPorts
	if len(d.DBPorts) > 0 {
		h.DBPorts = map[int]string{}
		for _, port := range d.DBPorts {
			name := DefaultDBPorts[port]
			if name == "" {
				name = "database"
			}
			h.DBPorts[port] = name
		}
	}
	if h.Thresholds != nil {
		v.limits(p+".thresholds", key+".thresholds", h.Thresholds, &h.Limits)
	}
	names := map[string]bool{}
	for j := range h.Services {
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
	names = map[string]bool{}
	for j := range h.Backups {
		b := &h.Backups[j]
		bp, bk := fmt.Sprintf("%s.backups.%d", p, j), backupKey(h, i, b, j)
		v.unique(names, b.Name, bp, bk, "backup")
		v.kind(bp, bk, b.Kind, backupKinds, backupFields, map[string]string{
			"path": b.Path, "repo": b.Repo, "password_file": b.PasswordFile, "command": b.Command,
		})
		if b.MaxAge.Duration == 0 {
			b.MaxAge.Duration = DefaultMaxAge
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
}

func serviceKey(h *Host, hk string, s *Service, j int) string {
	if s.Name != "" {
		return fmt.Sprintf("%s.services[%s]", hk, s.Name)
	}
	return fmt.Sprintf("%s.services[#%d]", hk, j+1)
}

func backupKey(h *Host, i int, b *Backup, j int) string {
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

func (v *validator) jump(c *Config, i int, byName map[string]int) {
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

func (v *validator) limits(p, key string, t *Thresholds, out *Limits) {
	for _, m := range []struct {
		name    string
		l       Level
		dst     *Pair
		percent bool
	}{
		{"cpu", t.CPU, &out.CPU, true},
		{"memory", t.Memory, &out.Memory, true},
		{"disk", t.Disk, &out.Disk, true},
		{"inodes", t.Inodes, &out.Inodes, true},
		{"load", t.Load, &out.Load, false},
	} {
		mp, mk := p+"."+m.name, key+"."+m.name
		for _, x := range []struct {
			name string
			val  *float64
			dst  *float64
		}{{"warn", m.l.Warn, &m.dst.Warn}, {"crit", m.l.Crit, &m.dst.Crit}} {
			if x.val == nil {
				continue
			}
			switch {
			case math.IsNaN(*x.val) || math.IsInf(*x.val, 0):
				v.add(mp+"."+x.name, mk+"."+x.name, "must be a number, got %g", *x.val)
			case *x.val < 0:
				v.add(mp+"."+x.name, mk+"."+x.name, "must not be negative, got %g", *x.val)
			case m.percent && *x.val > 100:
				v.add(mp+"."+x.name, mk+"."+x.name, "is a percentage: must be at most 100, got %g", *x.val)
			default:
				*x.dst = *x.val
			}
		}
		if m.l.For != nil {
			m.dst.For = m.l.For.Duration
		}
		if m.l.Off != nil {
			m.dst.Off = *m.l.Off
		}
		if m.l.Clear != nil {
			switch c := *m.l.Clear; {
			case math.IsNaN(c) || math.IsInf(c, 0):
				v.add(mp+".clear", mk+".clear", "must be a number, got %g", c)
			case c < 0:
				v.add(mp+".clear", mk+".clear", "must not be negative, got %g", c)
			case c > m.dst.Warn:
				v.add(mp+".clear", mk+".clear", "clear (%g) must be at or below warn (%g): the alarm clears below it", c, m.dst.Warn)
			default:
				m.dst.Clear = c
			}
		}
		if m.dst.Warn >= m.dst.Crit {
			v.add(mp, mk, "warn (%g) must be below crit (%g)", m.dst.Warn, m.dst.Crit)
		}
	}
}

// name rejects control characters in a name shown on screen and in logs.
func (v *validator) name(p, key, s string) {
	if r, ok := controlChar(s); ok {
		v.add(p, key, "%q holds the control character %U", s, r)
	}
}

// absolute requires an absolute path (a relative one starting with '-'
// would be an option to find, restic or supervisorctl).
func (v *validator) absolute(p, key, what, s string) {
	if s != "" && !path.IsAbs(s) {
		v.add(p, key, "%s %q must be an absolute path", what, s)
	}
}

// notOption refuses a value that a command would read as an option.
func (v *validator) notOption(p, key, what, s string) {
	if strings.HasPrefix(s, "-") {
		v.add(p, key, "%s %q must not start with '-' (it would be read as an option)", what, s)
	}
}

// secret refuses credentials written into the config: they would be shown
// in confirmations and kept in the audit log.
func (v *validator) secret(p, key, s string) {
	if why := secretIn(s); why != "" {
		v.add(p, key, "looks like it holds %s: keep secrets out of the config (a password_file, or the environment on the host)", why)
	}
}

func (v *validator) port(p, key string, port int) {
	if port < 0 || port > 65535 {
		v.add(p, key, "port %d is out of range 1-65535", port)
	}
}

// MaxTimeout bounds a poll's timeout: a longer one hides a dead host.
const MaxTimeout = 10 * time.Minute

func (v *validator) timeout(p, key string, d Duration) {
	switch {
	case d.Duration < 0:
		v.add(p, key, "timeout must not be negative")
	case d.Duration > MaxTimeout:
		v.add(p, key, "timeout %s is over the maximum of %s", d, MaxTimeout)
	}
}

func (v *validator) interval(p, key string, d Duration) {
	if d.Duration != 0 && d.Duration < MinPollInterval {
		v.add(p, key, "poll interval %s is below the minimum of %s", d, MinPollInterval)
	}
}

func firstDuration(a, b Duration, def time.Duration) Duration {
	switch {
	case a.Duration > 0:
		return a
	case b.Duration > 0:
		return b
	}
	return Duration{def}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
