package sshx

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/opsdeck/opsdeck/fleet/config"

	"github.com/kevinburke/ssh_config"
	"github.com/opsdeck/opsdeck/fleet"
)

// Resolve works out how to reach every SSH host of c, the way `ssh NAME`
// would: a host's own settings win, then ~/.ssh/config (or
// [defaults] ssh_config) for its address, then [defaults], then ssh's
// built-ins. The resolved endpoint is also written to each host for
// display.
func Resolve(c *fleet.Config) (map[string]*Target, error) {
	sc, path, err := loadSSHConfig(c.Defaults.SSHConfig)
	if err != nil {
		return nil, err
	}
	r := &resolver{cfg: c, ssh: sc, sshPath: path, done: map[string]*Target{}}
	for i := range c.Hosts {
		h := &c.Hosts[i]
		if h.Local() {
			continue
		}
		t, err := r.host(h, 0)
		if err != nil {
			return nil, fmt.Errorf("host %s: %w", h.Name, err)
		}
		h.Resolved = fleet.Endpoint{User: t.User, Addr: t.Addr, Via: via(t)}
		if t.Jump != nil && !strings.HasPrefix(t.Jump.Name, "ssh_config:") {
			h.Resolved.Jump = t.Jump.Name
		}
	}
	return r.done, nil
}

func via(t *Target) string {
	var hops []string
	for j := t.Jump; j != nil; j = j.Jump {
		hops = append(hops, j.Name)
	}
	return strings.Join(hops, " ← ")
}

// KnownHostsFiles is where host keys are read: [defaults] known_hosts, or
// ~/.ssh/known_hosts.
func KnownHostsFiles(c *fleet.Config) []string {
	if c.Defaults.KnownHosts != "" {
		return []string{ExpandHome(c.Defaults.KnownHosts)}
	}
	return []string{ExpandHome("~/.ssh/known_hosts")}
}

func loadSSHConfig(path string) (*ssh_config.Config, string, error) {
	explicit := path != ""
	if !explicit {
		path = "~/.ssh/config"
	}
	f, err := os.Open(ExpandHome(path))
	switch {
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		return nil, path, nil
	case err != nil:
		return nil, path, fmt.Errorf("ssh_config: %w", err)
	}
	defer f.Close()
	sc, err := ssh_config.Decode(f)
	if err != nil {
		return nil, path, fmt.Errorf("ssh_config %s: %w", path, err)
	}
	return sc, path, nil
}

type resolver struct {
	cfg     *fleet.Config
	ssh     *ssh_config.Config
	sshPath string // where ssh was read from, for messages
	done    map[string]*Target
}

// hostNameAt is where ssh_config gives alias its HostName: path:line, the
// first matching Host block's, as ssh reads it.
func (r *resolver) hostNameAt(alias string) string {
	for _, h := range r.ssh.Hosts {
		if !h.Matches(alias) {
			continue
		}
		for _, n := range h.Nodes {
			if kv, ok := n.(*ssh_config.KV); ok && strings.EqualFold(kv.Key, "HostName") {
				return fmt.Sprintf("%s:%d", r.sshPath, kv.Pos().Line)
			}
		}
	}
	return r.sshPath
}

func (r *resolver) get(alias, key string) string {
	if r.ssh == nil {
		return ""
	}
	v, err := r.ssh.Get(alias, key)
	if err != nil {
		return ""
	}
	return v
}

func (r *resolver) getAll(alias, key string) []string {
	if r.ssh == nil {
		return nil
	}
	v, err := r.ssh.GetAll(alias, key)
	if err != nil {
		return nil
	}
	return v
}

const maxHops = 8

func (r *resolver) host(h *fleet.Host, depth int) (*Target, error) {
	if t, ok := r.done[h.Name]; ok {
		return t, nil
	}
	if depth > maxHops {
		return nil, errors.New("jump chain too long")
	}
	d := &r.cfg.Defaults
	t, err := r.alias(h.Name, h.Address, h.Port, h.User, h.IdentityFiles, depth)
	if err != nil {
		return nil, err
	}
	if t.User == "" {
		t.User = d.User
	}
	if t.Port() == 0 {
		t.setPort(d.Port)
	}
	if len(t.IdentityFiles) == 0 {
		t.IdentityFiles = append([]string(nil), d.IdentityFiles...)
	}
	t.finish()
	if h.Jump == "" && h.ProxyJump != "" { // an inventory's jump host that is not in the fleet
		j, err := r.proxyJump(h.ProxyJump, depth)
		if err != nil {
			return nil, err
		}
		t.Jump = j
	}
	if h.Jump != "" { // an opsdeck jump wins over ssh_config's ProxyJump
		for i := range r.cfg.Hosts {
			if r.cfg.Hosts[i].Name == h.Jump {
				j, err := r.host(&r.cfg.Hosts[i], depth+1)
				if err != nil {
					return nil, fmt.Errorf("jump %s: %w", h.Jump, err)
				}
				t.Jump = j
			}
		}
	}
	r.done[h.Name] = t
	return t, nil
}

// alias resolves one destination through ssh_config. Explicit values (port,
// user, files) win over ssh_config's.
func (r *resolver) alias(name, alias string, port int, usr string, files []string, depth int) (*Target, error) {
	hostname := r.get(alias, "HostName")
	if hostname == "" {
		hostname = alias
	}
	hostname = strings.ReplaceAll(hostname, "%h", alias)
	if why := config.AddressProblem(hostname); why != "" {
		if hostname != alias { // from ssh_config: point at its line
			return nil, fmt.Errorf("%s: HostName %q %s", r.hostNameAt(alias), hostname, why)
		}
		return nil, fmt.Errorf("address %q %s", hostname, why)
	}
	if port == 0 {
		if p, err := strconv.Atoi(r.get(alias, "Port")); err == nil {
			port = p
		}
	}
	if usr == "" {
		usr = r.get(alias, "User")
	}
	if len(files) == 0 {
		for _, f := range r.getAll(alias, "IdentityFile") {
			if f != "" && f != "~/.ssh/identity" {
				files = append(files, f)
			}
		}
	}
	t := &Target{Name: name, Addr: net.JoinHostPort(hostname, strconv.Itoa(port)), User: usr,
		IdentityFiles: append([]string(nil), files...)}
	if pj := r.get(alias, "ProxyJump"); pj != "" && pj != "none" {
		j, err := r.proxyJump(pj, depth)
		if err != nil {
			return nil, err
		}
		t.Jump = j
	}
	return t, nil
}

// proxyJump resolves a ProxyJump list, hops in order: the last one is
// the target's jump host.
func (r *resolver) proxyJump(pj string, depth int) (*Target, error) {
	var prev *Target
	for _, hop := range strings.Split(pj, ",") {
		j, err := r.hop(strings.TrimSpace(hop), depth+1)
		if err != nil {
			return nil, fmt.Errorf("ProxyJump %s: %w", hop, err)
		}
		if prev != nil {
			j.Jump = prev
		}
		prev = j
	}
	return prev, nil
}

// hop resolves one ProxyJump element: an opsdeck host by name, else an
// ssh_config alias as [user@]host[:port].
func (r *resolver) hop(spec string, depth int) (*Target, error) {
	for i := range r.cfg.Hosts {
		if r.cfg.Hosts[i].Name == spec && !r.cfg.Hosts[i].Local() {
			return r.host(&r.cfg.Hosts[i], depth)
		}
	}
	if depth > maxHops {
		return nil, errors.New("jump chain too long")
	}
	usr, hostport := "", spec
	if i := strings.LastIndex(spec, "@"); i >= 0 {
		usr, hostport = spec[:i], spec[i+1:]
	}
	host, port := hostport, 0
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		host = h
		port, _ = strconv.Atoi(p)
	}
	t, err := r.alias("ssh_config:"+host, host, port, usr, nil, depth)
	if err != nil {
		return nil, err
	}
	if len(t.IdentityFiles) == 0 { // ssh would offer the same keys to the jump host
		t.IdentityFiles = append([]string(nil), r.cfg.Defaults.IdentityFiles...)
	}
	t.finish()
	return t, nil
}

// Port is the target's port, 0 when not yet known.
func (t *Target) Port() int {
	_, p, err := net.SplitHostPort(t.Addr)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p)
	return n
}

func (t *Target) setPort(p int) {
	if h, _, err := net.SplitHostPort(t.Addr); err == nil && p > 0 {
		t.Addr = net.JoinHostPort(h, strconv.Itoa(p))
	}
}

// finish applies ssh's built-ins: port 22, the current user.
func (t *Target) finish() {
	if t.Port() == 0 {
		t.setPort(22)
	}
	if t.User == "" {
		if u, err := user.Current(); err == nil {
			t.User = u.Username
		}
	}
	for i, f := range t.IdentityFiles {
		t.IdentityFiles[i] = filepath.Clean(ExpandHome(f))
	}
}
