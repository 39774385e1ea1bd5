package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/opsdeck/opsdeck/fleet"
)

// The merge order, written once: a host's own keys, then its roles in the
// order it lists them, then [defaults] (applied by validation), then the
// built-ins. Lists of named things (services, backups, certs) are joined by
// name and the first definition of a name in that order wins; tags, mounts
// and allowed_ports are unions; every other key is taken from the first of
// host, roles that sets it. Each merged key points at where it was written.

// applyRoles merges each host's roles into it. src[i] is the key path of
// the entry host i was written in (its range's entry, or an inventory's).
func applyRoles(c *fleet.Config, src []string) fleet.Problems {
	var ps fleet.Problems
	names := sortedKeys(c.Roles)
	for _, r := range names {
		if r == "" || strings.ContainsFunc(r, func(x rune) bool { return x <= ' ' || x == 0x7f }) {
			ps = append(ps, c.Origin.Problem("roles."+r, "roles."+r, "role name %q must not be empty or hold spaces or control characters", r))
		}
		role := c.Roles[r]
		for key, set := range map[string]bool{"name": role.Name != "", "address": role.Address != "", "roles": len(role.Roles) > 0} {
			if set {
				ps = append(ps, c.Origin.Problem("roles."+r+"."+key, "roles."+r+"."+key, "a role has no %s: it is a host's own", key))
			}
		}
	}
	merged := map[string]int{} // a range's entry and roles → its first host, merged
	for i := range c.Hosts {
		h := &c.Hosts[i]
		var roles []string
		for j, r := range h.Roles {
			if _, ok := c.Roles[r]; !ok {
				msg := fmt.Sprintf("unknown role %q", r)
				if s := Suggest(r, names); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				} else if len(names) > 0 {
					msg += ": the roles are " + strings.Join(names, ", ")
				}
				ps = append(ps, c.Origin.Problem(fmt.Sprintf("hosts.%d.roles", i), fmt.Sprintf("%s.roles[%d]", hostKey(h, i), j), "%s", msg))
				continue
			}
			if !slices.Contains(roles, r) {
				roles = append(roles, r)
			}
		}
		if len(roles) == 0 {
			continue
		}
		// The hosts of one range entry merge alike: the first is merged,
		// the others take its result and where each value came from.
		key := src[i] + "|" + strings.Join(roles, ",")
		if j, ok := merged[key]; ok && src[i] != "inventory" {
			name, addr, from := h.Name, h.Address, h.From
			*h = cloneHost(&c.Hosts[j])
			h.Name, h.Address, h.From = name, addr, from
			c.Origin.ShareAliases(fmt.Sprintf("hosts.%d", j), fmt.Sprintf("hosts.%d", i))
			continue
		}
		merged[key] = i
		mergeRoles(c, i, src[i], roles)
	}
	return ps
}

// mergeRoles merges roles, in order, into host i written at at.
func mergeRoles(c *fleet.Config, i int, at string, roles []string) {
	h := &c.Hosts[i]
	hp := fmt.Sprintf("hosts.%d", i)
	hv := reflect.ValueOf(h).Elem()
	rt := reflect.TypeOf(fleet.Role{})
	for f := 0; f < rt.NumField(); f++ {
		field := rt.Field(f)
		tag, _, _ := strings.Cut(field.Tag.Get("toml"), ",")
		dst := hv.FieldByName(field.Name)
		switch tag {
		case "-", "name", "address", "roles": // not a role's (set by load, or the host's own)
		case "services", "backups", "certs", "commands":
			joinByName(c, hp, at, tag, dst, roles, field.Name)
		case "tags", "mounts", "allowed_ports":
			for _, r := range roles {
				role := c.Roles[r]
				src := reflect.ValueOf(&role).Elem().FieldByName(field.Name)
				for k := 0; k < src.Len(); k++ {
					if !sliceHas(dst, src.Index(k)) {
						dst.Set(reflect.Append(dst, src.Index(k)))
					}
				}
				if dst.Len() > 0 && !hostSet(c, at+"."+tag) && src.Len() > 0 {
					c.Origin.Alias(hp+"."+tag, fleet.Written{Path: "roles." + r + "." + tag})
				}
			}
		case "thresholds":
			mergeThresholds(c, h, hp, at, roles)
		default:
			if !dst.IsZero() {
				continue
			}
			for _, r := range roles {
				role := c.Roles[r]
				if v := reflect.ValueOf(&role).Elem().FieldByName(field.Name); !v.IsZero() {
					dst.Set(v)
					c.Origin.Alias(hp+"."+tag, fleet.Written{Path: "roles." + r + "." + tag})
					break
				}
			}
		}
	}
}

// hostSet says whether the host's own entry writes the key at path.
func hostSet(c *fleet.Config, path string) bool { return c.Origin.Has(path) }

func sliceHas(s, v reflect.Value) bool {
	for k := 0; k < s.Len(); k++ {
		if s.Index(k).Interface() == v.Interface() {
			return true
		}
	}
	return false
}

// joinByName joins the roles' named items (services, backups, certs) to
// the host's: the first definition of a name in merge order wins, and the
// items are listed roles first, in order, then the host's own; an item
// the host redefines takes the role's place.
func joinByName(c *fleet.Config, hp, at, tag string, dst reflect.Value, roles []string, field string) {
	type item struct {
		v    reflect.Value
		from string // its key path as written
	}
	own := map[string]item{}
	for k := 0; k < dst.Len(); k++ {
		own[itemName(dst.Index(k))] = item{dst.Index(k), fmt.Sprintf("%s.%s.%d", at, tag, k)}
	}
	var list []item
	seen := map[string]bool{}
	add := func(it item) {
		name := itemName(it.v)
		if name == "" { // unnamed: validation reports it where it was written
			list = append(list, it)
			return
		}
		if seen[name] {
			return
		}
		seen[name] = true
		if o, ok := own[name]; ok {
			it = o
		}
		list = append(list, it)
	}
	for _, r := range roles {
		role := c.Roles[r]
		src := reflect.ValueOf(&role).Elem().FieldByName(field)
		for k := 0; k < src.Len(); k++ {
			add(item{src.Index(k), fmt.Sprintf("roles.%s.%s.%d", r, tag, k)})
		}
	}
	for k := 0; k < dst.Len(); k++ {
		add(item{dst.Index(k), fmt.Sprintf("%s.%s.%d", at, tag, k)})
	}
	out := reflect.MakeSlice(dst.Type(), 0, len(list))
	for k, it := range list {
		out = reflect.Append(out, it.v)
		c.Origin.Alias(fmt.Sprintf("%s.%s.%d", hp, tag, k), fleet.Written{Path: it.from})
	}
	dst.Set(out)
}

// itemName is the name a list item is joined by: a service's or backup's
// name, a certificate's endpoint.
func itemName(v reflect.Value) string {
	if f := v.FieldByName("Name"); f.IsValid() && v.Type() != reflect.TypeOf(fleet.Cert{}) {
		return f.String()
	}
	return v.FieldByName("Endpoint").String()
}

// mergeThresholds takes each level value (warn, crit, for, clear, off of
// each metric) from the host, else the first role that sets it.
func mergeThresholds(c *fleet.Config, h *fleet.Host, hp, at string, roles []string) {
	var have []*fleet.Thresholds
	for _, r := range roles {
		if t := c.Roles[r].Thresholds; t != nil {
			have = append(have, t)
		}
	}
	if len(have) == 0 {
		return
	}
	if h.Thresholds == nil {
		h.Thresholds = &fleet.Thresholds{}
	}
	dst := reflect.ValueOf(h.Thresholds).Elem()
	tt := dst.Type()
	for m := 0; m < tt.NumField(); m++ {
		metric, _, _ := strings.Cut(tt.Field(m).Tag.Get("toml"), ",")
		lv := dst.Field(m)
		if !c.Origin.Has(at + ".thresholds." + metric) { // the metric's table is the first role's that has it
			for _, r := range roles {
				if c.Origin.Has("roles." + r + ".thresholds." + metric) {
					c.Origin.Alias(hp+".thresholds."+metric, fleet.Written{Path: "roles." + r + ".thresholds." + metric})
					break
				}
			}
		}
		for k := 0; k < lv.NumField(); k++ {
			key, _, _ := strings.Cut(lv.Type().Field(k).Tag.Get("toml"), ",")
			if !lv.Field(k).IsNil() {
				continue
			}
			for _, r := range roles {
				t := c.Roles[r].Thresholds
				if t == nil {
					continue
				}
				if v := reflect.ValueOf(t).Elem().Field(m).Field(k); !v.IsNil() {
					lv.Field(k).Set(v)
					c.Origin.Alias(fmt.Sprintf("%s.thresholds.%s.%s", hp, metric, key), fleet.Written{Path: fmt.Sprintf("roles.%s.thresholds.%s.%s", r, metric, key)})
					break
				}
			}
		}
	}
}
