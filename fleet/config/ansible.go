package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/opsdeck/opsdeck/fleet"
)

// ansibleGroup is a group of `ansible-inventory --list` (and of every
// dynamic inventory's --list): its hosts, child groups and variables.
type ansibleGroup struct {
	Hosts    []string       `json:"hosts"`
	Children []string       `json:"children"`
	Vars     map[string]any `json:"vars"`
}

// parseAnsible reads the JSON of an Ansible inventory: every host of every
// group, with the vars of its groups (parents first) under its own host
// vars; each group it is in, children resolved, is a tag ("all" and
// "ungrouped" are not).
func parseAnsible(data []byte) ([]invHost, error) {
	groups, hostVars, err := ansibleGroups(data)
	if err != nil {
		return nil, err
	}
	// Each group's ancestors, nearest last: parents' vars first.
	parents := map[string][]string{}
	hostGroups := map[string][]string{} // host → groups it is directly in
	for name, g := range groups {
		for _, ch := range g.Children {
			parents[ch] = append(parents[ch], name)
		}
		for _, h := range g.Hosts {
			hostGroups[h] = append(hostGroups[h], name)
		}
	}
	for h := range hostVars {
		if _, ok := hostGroups[h]; !ok {
			hostGroups[h] = []string{"ungrouped"}
		}
	}
	names := make([]string, 0, len(hostGroups))
	for h := range hostGroups {
		names = append(names, h)
	}
	sort.Strings(names)
	out := make([]invHost, 0, len(names))
	for _, name := range names {
		h, err := ansibleHost(name, hostGroups[name], parents, groups, hostVars[name])
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	linkJumps(out)
	return out, nil
}

// linkJumps turns each host's jump, as ssh's arguments name it
// ([user@]host[:port]), into the inventory host it is: by name, or by
// address and port (a user, when given, must be that host's too). A jump
// that is no host of the inventory stays a ProxyJump of its own.
func linkJumps(hosts []invHost) {
	for i := range hosts {
		spec := hosts[i].Jump
		if spec == "" {
			continue
		}
		hosts[i].Jump = ""
		user, host, port := jumpSpec(spec)
		for j := range hosts {
			o := &hosts[j]
			addr := o.Address
			if addr == "" {
				addr = o.Name
			}
			if j == i || (o.Name != host && addr != host) || (port != 0 && o.Port != port && !(o.Port == 0 && port == 22)) ||
				(user != "" && o.User != "" && o.User != user) {
				continue
			}
			hosts[i].Jump = o.Name
			break
		}
		if hosts[i].Jump == "" {
			hosts[i].ProxyJump = spec
		}
	}
}

// ansibleGroups reads the JSON of ansible-inventory --list: its groups,
// and its hosts' own vars (_meta.hostvars).
func ansibleGroups(data []byte) (map[string]*ansibleGroup, map[string]map[string]any, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, nil, fmt.Errorf("not an Ansible inventory's JSON: %w", jsonProblem(data, err))
	}
	var meta struct {
		HostVars map[string]map[string]any `json:"hostvars"`
	}
	groups := map[string]*ansibleGroup{}
	for name, msg := range raw {
		if name == "_meta" {
			if err := json.Unmarshal(msg, &meta); err != nil {
				return nil, nil, fmt.Errorf("_meta: %w", jsonProblem(msg, err))
			}
			continue
		}
		var g ansibleGroup
		if err := json.Unmarshal(msg, &g); err != nil {
			// an old script's group may be a bare list of hosts
			if err2 := json.Unmarshal(msg, &g.Hosts); err2 != nil {
				return nil, nil, fmt.Errorf("group %q: %w", name, jsonProblem(msg, err))
			}
		}
		groups[name] = &g
	}
	return groups, meta.HostVars, nil
}

// ansibleHost is a host of the inventory, its vars those of its groups
// from the roots down, then its own.
func ansibleHost(name string, direct []string, parents map[string][]string, groups map[string]*ansibleGroup, own map[string]any) (invHost, error) {
	sort.Strings(direct)
	all := ancestry(direct, parents)
	vars := map[string]any{}
	for _, g := range all {
		if gr := groups[g]; gr != nil {
			for k, v := range gr.Vars {
				vars[k] = v
			}
		}
	}
	for k, v := range own {
		vars[k] = v
	}
	h := invHost{Name: name, Env: str(vars["opsdeck_env"]), Group: direct[0]}
	h.Address, _ = firstVar(vars, ansibleAddr)
	h.User, _ = firstVar(vars, ansibleUser)
	key, _ := firstVar(vars, ansibleKey)
	h.Identity = expandHome(key)
	if p, which := firstVar(vars, ansiblePort); which != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return h, fmt.Errorf("host %q: %s %q is not a number", name, which, p)
		}
		h.Port = n
	}
	switch conn := ansibleConnection(str(vars["ansible_connection"])); conn {
	case "ssh":
	case "local":
		h.Address = fleet.LocalAddress
	default:
		h.Skip = "ansible_connection " + conn
	}
	var args []string
	for _, n := range ansibleArgs {
		if v := str(vars[n]); v != "" {
			args = append(args, v)
		}
	}
	if len(args) > 0 {
		jump, err := sshJump(strings.Join(args, " "))
		if err != nil {
			return h, fmt.Errorf("host %q: %w", name, err)
		}
		h.Jump = jump
	}
	for _, g := range all {
		if g != "all" && g != "ungrouped" {
			h.Tags = append(h.Tags, g)
		}
	}
	return h, nil
}

// ancestry is the groups a host is in through children: the roots first,
// then down to its own groups (the order Ansible applies group vars).
func ancestry(direct []string, parents map[string][]string) []string {
	depth := map[string]int{}
	var walk func(g string, d int)
	walk = func(g string, d int) {
		if old, seen := depth[g]; seen && old >= d {
			return
		}
		depth[g] = d
		if d > 64 {
			return // a cycle in a broken inventory
		}
		for _, p := range parents[g] {
			walk(p, d+1)
		}
	}
	for _, g := range direct {
		walk(g, 0)
	}
	out := make([]string, 0, len(depth))
	for g := range depth {
		out = append(out, g)
	}
	sort.Slice(out, func(a, b int) bool {
		if depth[out[a]] != depth[out[b]] {
			return depth[out[a]] > depth[out[b]]
		}
		return out[a] < out[b]
	})
	return out
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// jsonProblem says where JSON went wrong: line and column, and what.
func jsonProblem(data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := int64(-1)
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 {
		return err
	}
	line, col := 1, 1
	for _, c := range data[:min(int(off), len(data))] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}
