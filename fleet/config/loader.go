package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/pelletier/go-toml/v2"
)

// Load reads, decodes and validates the configuration file at path, with
// its inventories. Any error is a Problems listing everything found, each
// with file:line:col.
func Load(path string) (*fleet.Config, error) { return new(Loader).Load(path) }

// Parse decodes and validates a configuration, with its inventories; file
// names it in messages (and is where relative inventory paths start).
//
// When the document decodes but has problems (unknown keys, bad values,
// broken references), Parse returns the config together with the Problems,
// so a caller can add its own (key bindings) and report everything at once.
// The config must not be used when err is non-nil.
func Parse(file string, data []byte) (*fleet.Config, error) { return new(Loader).Parse(file, data) }

// Loader loads a configuration again and again (a reload, an inventory
// refresh) and keeps each inventory's last good list: an inventory that
// hangs, fails or prints garbage never empties the fleet; the config's
// Notes say so.
type Loader struct {
	// Context bounds the inventories' commands besides their own
	// timeouts; nil is context.Background().
	Context context.Context
	// Shard keeps a poller's share of the fleet (fleet.Shard.Take), after
	// the whole fleet was checked; the zero Shard keeps every host.
	Shard fleet.Shard

	mu   sync.Mutex
	last map[string]invResult // each inventory's last good read, by name
}

// Load reads the file at path and parses it (see Parse).
func (l *Loader) Load(path string) (*fleet.Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return l.Parse(path, data)
}

// Parse is the package's Parse, keeping the inventories' last good lists.
func (l *Loader) Parse(file string, data []byte) (*fleet.Config, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 BOM, as some editors write
	src := fleet.NewOrigin(file, indexPositions(data))
	if ps := checkValueKinds(src, data); len(ps) > 0 {
		return nil, ps
	}
	var c fleet.Config
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var ps fleet.Problems
	if err := dec.Decode(&c); err != nil {
		var strict *toml.StrictMissingError
		if !errors.As(err, &strict) {
			return nil, decodeProblems(file, err) // undecodable: nothing more to check
		}
		ps = decodeProblems(file, err) // unknown keys: the rest decoded, keep checking
	}
	c.Origin = src
	hostSrc, eps := expandHosts(&c)
	ps = append(ps, eps...)
	setFrom(&c, hostSrc)
	ips, invSrc := l.inventories(&c, filepath.Dir(file))
	ps = append(ps, ips...)
	hostSrc = append(hostSrc, invSrc...)
	ps = append(ps, applyRoles(&c, hostSrc)...)
	joinGlobalCommands(&c)
	ps = append(ps, validate(&c)...)
	if len(ps) > 0 {
		ps.Sort()
		return &c, ps
	}
	c.Hosts = l.Shard.Take(c.Hosts)
	return &c, nil
}

// inventories adds the hosts of c's inventories: each read now, or its
// last good list when the read fails (said in c.Notes). A host already
// defined (in the file, an earlier inventory) keeps its first definition,
// said once.
func (l *Loader) inventories(c *fleet.Config, dir string) (fleet.Problems, []string) {
	var ps fleet.Problems
	var src []string
	if len(c.Inventories) == 0 {
		return nil, nil
	}
	ctx := l.Context
	if ctx == nil {
		ctx = context.Background()
	}
	byName := map[string]string{}
	for i := range c.Hosts {
		byName[c.Hosts[i].Name] = c.Hosts[i].From
	}
	for k := range c.Inventories {
		inv := &c.Inventories[k]
		if p := inventoryProblem(inv); p != "" {
			ps = append(ps, c.Origin.Problem(fmt.Sprintf("inventory.%d", k), fmt.Sprintf("inventory[%s]", InventoryName(inv)), "%s", p))
			continue
		}
		name := InventoryName(inv)
		hosts, err := readInventory(ctx, inv, dir)
		l.mu.Lock()
		if l.last == nil {
			l.last = map[string]invResult{}
		}
		prev, had := l.last[name]
		switch {
		case err == nil:
			hosts, err = checkInventoryHosts(hosts)
		}
		if err == nil {
			l.last[name] = invResult{hosts: hosts, at: time.Now()}
		}
		l.mu.Unlock()
		if c.InventoryErrs == nil {
			c.InventoryErrs = map[string]string{}
		}
		c.InventoryErrs[name] = ""
		if err != nil {
			c.InventoryErrs[name] = fleet.Sanitize(err.Error(), 300)
			msg := fmt.Sprintf("inventory %s: %s", name, fleet.Sanitize(err.Error(), 300))
			if had {
				msg += fmt.Sprintf("; keeping its last good list (%d host(s), read %s)", len(prev.hosts), prev.at.Format("15:04:05"))
				hosts = prev.hosts
			} else {
				msg += "; none of its hosts are watched until it answers"
			}
			c.Notes = append(c.Notes, msg)
		}
		if left := leftOut(hosts); left != "" {
			c.Left = append(c.Left, fmt.Sprintf("inventory %s: %s", name, left))
		}
		for _, h := range inventoryHosts(c, inv, hosts) {
			if first, dup := byName[h.Name]; dup {
				c.Notes = append(c.Notes, fmt.Sprintf("host %s of %s is already defined at %s: the first definition is kept", h.Name, h.From, first))
				continue
			}
			byName[h.Name] = h.From
			c.Origin.Alias(fmt.Sprintf("hosts.%d", len(c.Hosts)), fleet.Written{File: h.From})
			c.Hosts = append(c.Hosts, h)
			src = append(src, "inventory")
		}
	}
	return ps, src
}

// leftOut says which hosts opsdeck cannot reach and leaves out, by why:
// "2 hosts left out: win[1-2] (ansible_connection winrm)"; "" for none.
func leftOut(hosts []invHost) string {
	by := map[string][]string{}
	n := 0
	for _, h := range hosts {
		if h.Skip != "" {
			by[h.Skip] = append(by[h.Skip], h.Name)
			n++
		}
	}
	if n == 0 {
		return ""
	}
	var parts []string
	for _, why := range sortedKeys(by) {
		names := by[why]
		if len(names) > 8 {
			names = append(names[:8:8], fmt.Sprintf("… %d more", len(by[why])-8))
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", strings.Join(names, " "), why))
	}
	return fmt.Sprintf("%d host(s) left out, opsdeck reaches hosts over SSH: %s", n, strings.Join(parts, ", "))
}

// inventoryProblem says what is wrong with an [[inventory]] table.
func inventoryProblem(inv *fleet.Inventory) string {
	switch inv.Kind {
	case "ansible":
		if (inv.Path == "") == (len(inv.Command) == 0) {
			return "an ansible inventory reads one of path (an INI or YAML inventory, a directory of them, or the JSON of ansible-inventory --list) or command (an argv that prints the JSON)"
		}
	case "ssh_config":
		if len(inv.Command) > 0 {
			return "an ssh_config inventory reads a file: path (default ~/.ssh/config), not a command"
		}
	case "file_sd":
		if inv.Path == "" || len(inv.Command) > 0 {
			return "a file_sd inventory reads path (Prometheus file_sd JSON or YAML)"
		}
	case "":
		return `missing required key "kind": one of ansible, file_sd, ssh_config`
	default:
		msg := fmt.Sprintf("unknown kind %q: use one of ansible, file_sd, ssh_config", inv.Kind)
		if s := Suggest(inv.Kind, []string{"ansible", "file_sd", "ssh_config"}); s != "" {
			msg = fmt.Sprintf("unknown kind %q (did you mean %q?)", inv.Kind, s)
		}
		return msg
	}
	if inv.Match != "" && inv.Kind != "ssh_config" {
		return "match narrows an ssh_config inventory; use filter (tags) for the others"
	}
	if inv.Timeout.Duration < 0 || inv.Timeout.Duration > MaxTimeout {
		return fmt.Sprintf("timeout %s must be between 0 and %s", inv.Timeout.Duration, MaxTimeout)
	}
	return ""
}

// checkInventoryHosts refuses an inventory whose values would not pass the
// config's own checks: a name or address that holds control characters,
// or that ssh would read as an option; an identity file that is not an
// absolute path. The first problem fails the read (the last good list is
// kept).
func checkInventoryHosts(hosts []invHost) ([]invHost, error) {
	for _, h := range hosts {
		addr := h.Address
		if addr == "" {
			addr = h.Name
		}
		switch {
		case h.Name == "":
			return nil, errors.New("a host without a name")
		case AddressProblem(h.Name) != "":
			return nil, fmt.Errorf("host name %q %s", h.Name, AddressProblem(h.Name))
		case AddressProblem(addr) != "":
			return nil, fmt.Errorf("host %s: address %q %s", h.Name, addr, AddressProblem(addr))
		case h.Identity != "" && !filepath.IsAbs(h.Identity):
			return nil, fmt.Errorf("host %s: identity file %q must be an absolute path", h.Name, h.Identity)
		case h.Port < 0 || h.Port > 65535:
			return nil, fmt.Errorf("host %s: port %d is out of range 1-65535", h.Name, h.Port)
		}
		if r, bad := controlChar(h.User + h.Env + fmt.Sprint(h.Tags)); bad {
			return nil, fmt.Errorf("host %s: a value holds the control character %U", h.Name, r)
		}
	}
	return hosts, nil
}
