package config

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/opsdeck/opsdeck/fleet"
)

// MaxRange is the most hosts one range may expand to: a typo such as
// web[1-100000] must not start a hundred thousand pollers.
const MaxRange = 10000

// ExpandRange expands a ClusterShell/Ansible node set: each [..] holds
// comma-separated values or ranges (01-40 or 01:40, zero padding kept);
// several brackets multiply, the leftmost varying slowest. A pattern
// without brackets is itself.
func ExpandRange(pattern string) ([]string, error) {
	out := []string{""}
	rest := pattern
	for rest != "" {
		i := strings.IndexByte(rest, '[')
		if i < 0 {
			if strings.IndexByte(rest, ']') >= 0 {
				return nil, errors.New("']' without '['")
			}
			out = appendEach(out, []string{rest})
			break
		}
		if strings.IndexByte(rest[:i], ']') >= 0 {
			return nil, errors.New("']' without '['")
		}
		j := strings.IndexByte(rest[i:], ']')
		if j < 0 {
			return nil, errors.New("'[' without ']'")
		}
		vals, err := rangeValues(rest[i+1 : i+j])
		if err != nil {
			return nil, err
		}
		if len(out)*len(vals) > MaxRange {
			return nil, fmt.Errorf("expands to more than %d hosts", MaxRange)
		}
		out = appendEach(appendEach(out, []string{rest[:i]}), vals)
		rest = rest[i+j+1:]
	}
	return out, nil
}

func appendEach(prefixes, vals []string) []string {
	out := make([]string, 0, len(prefixes)*len(vals))
	for _, p := range prefixes {
		for _, v := range vals {
			out = append(out, p+v)
		}
	}
	return out
}

// rangeValues expands the inside of one bracket: "01-03,07" → 01 02 03 07.
func rangeValues(s string) ([]string, error) {
	if s == "" {
		return nil, errors.New("empty []")
	}
	var out []string
	for _, item := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(item, "-")
		if !isRange {
			lo, hi, isRange = strings.Cut(item, ":")
		}
		if !isRange {
			hi = lo
		}
		a, errA := strconv.Atoi(lo)
		b, errB := strconv.Atoi(hi)
		switch {
		case errA != nil || errB != nil || a < 0 || lo == "" || hi == "":
			return nil, fmt.Errorf("%q is not a number or a range such as 01-40", item)
		case b < a:
			return nil, fmt.Errorf("range %q runs backwards", item)
		case b-a >= MaxRange || len(out)+b-a >= MaxRange:
			return nil, fmt.Errorf("expands to more than %d hosts", MaxRange)
		}
		width := 0
		if len(lo) > 1 && lo[0] == '0' { // zero padding, as written
			width = len(lo)
		}
		for n := a; n <= b; n++ {
			out = append(out, fmt.Sprintf("%0*d", width, n))
		}
	}
	return out, nil
}

// expandHosts replaces each host whose name is a range with one host per
// value. Its address may be the same range (10.0.1.[11-50]: zipped with
// the names), hold {name}, or be left out (the name is the address).
// Every expanded host's keys point at the entry it came from; src[i] is
// that entry's key path.
func expandHosts(c *fleet.Config) (src []string, ps fleet.Problems) {
	out := make([]fleet.Host, 0, len(c.Hosts))
	src = make([]string, 0, len(c.Hosts))
	ranged := false
	for k := range c.Hosts {
		h := &c.Hosts[k]
		at := fmt.Sprintf("hosts.%d", k)
		if !strings.Contains(h.Name, "[") && !strings.Contains(h.Name, "]") && !strings.Contains(h.Address, "[") && !strings.Contains(h.Address, "{name}") {
			out = append(out, *h) // one host, as written: nothing to copy
			src = append(src, at)
			continue
		}
		names, err := ExpandRange(h.Name)
		if err != nil {
			ps = append(ps, c.Origin.Problem(at+".name", hostKey(h, k)+".name", "host range %q: %v", h.Name, err))
			names = []string{strings.NewReplacer("[", "", "]", "").Replace(h.Name)}
		}
		addrs := make([]string, len(names))
		switch {
		case strings.Contains(h.Address, "[") && net.ParseIP(strings.Trim(h.Address, "[]")) == nil: // not [::1]
			a, err := ExpandRange(h.Address)
			switch {
			case err != nil:
				ps = append(ps, c.Origin.Problem(at+".address", hostKey(h, k)+".address", "address range %q: %v", h.Address, err))
			case len(a) != len(names):
				ps = append(ps, c.Origin.Problem(at+".address", hostKey(h, k)+".address",
					"address range %q expands to %d addresses for %d host names (%q)", h.Address, len(a), len(names), h.Name))
			default:
				addrs = a
			}
		default:
			for i, n := range names {
				addrs[i] = strings.ReplaceAll(h.Address, "{name}", n)
			}
		}
		ranged = ranged || len(names) > 1 || names[0] != h.Name
		for i, n := range names {
			e := cloneHost(h)
			e.Name, e.Address = n, addrs[i]
			out = append(out, e)
			src = append(src, at)
		}
	}
	if ranged {
		for i := range out {
			c.Origin.Alias(fmt.Sprintf("hosts.%d", i), fleet.Written{Path: src[i]})
		}
	}
	c.Hosts = out
	return src, ps
}

// cloneHost copies h with lists of its own: validation and roles change
// each expanded host's lists in place.
func cloneHost(h *fleet.Host) fleet.Host {
	e := *h
	e.Roles = append([]string(nil), h.Roles...)
	e.Tags = append([]string(nil), h.Tags...)
	e.Parents = append([]string(nil), h.Parents...)
	e.IdentityFiles = append([]string(nil), h.IdentityFiles...)
	e.Mounts = append([]string(nil), h.Mounts...)
	e.AllowedPorts = append([]int(nil), h.AllowedPorts...)
	e.Services = append([]fleet.Service(nil), h.Services...)
	e.Backups = append([]fleet.Backup(nil), h.Backups...)
	e.Certs = append([]fleet.Cert(nil), h.Certs...)
	if h.Thresholds != nil {
		t := *h.Thresholds
		e.Thresholds = &t
	}
	return e
}
