package config

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/opsdeck/opsdeck/fleet"
)

// Show prints host i's effective values, each with where it was
// written (`sshd -T`, `nginx -T`, `kubectl config view` for a fleet).
func Show(w io.Writer, c *fleet.Config, i int) {
	h := &c.Hosts[i]
	p := fmt.Sprintf("hosts.%d", i)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "# %s, defined at %s\n", fleet.Sanitize(h.Name, 64), h.From)
	line := func(key, value string, paths ...string) {
		own := p + "." + key
		if _, raw, _, ok := c.Origin.Exact(own); !ok && raw == "" && !inventoryKeys[key] {
			own = "" // an inventory host's key the inventory does not give
		}
		fmt.Fprintf(tw, "%s\t= %s\t# %s\n", key, fleet.Sanitize(value, 200), whence(c, append([]string{own}, paths...)...))
	}
	port, user := h.Port, h.User
	if port == 0 {
		port = c.Defaults.Port
	}
	if user == "" {
		user = c.Defaults.User
	}
	line("address", h.Address)
	line("port", orDefault(port), "defaults.port")
	line("user", user, "defaults.user")
	line("jump", h.Jump)
	line("proxy_jump", h.ProxyJump)
	line("parents", strings.Join(h.Parents, ", "))
	line("env", h.Env)
	line("roles", strings.Join(h.Roles, ", "))
	line("tags", strings.Join(h.Tags, ", "))
	ids := h.IdentityFiles
	if len(ids) == 0 {
		ids = c.Defaults.IdentityFiles
	}
	line("identity_files", strings.Join(ids, ", "), "defaults.identity_files")
	line("poll_interval", h.PollInterval.String(), "defaults.poll_interval")
	line("timeout", h.Timeout.String(), "defaults.timeout")
	line("sudo", fmt.Sprint(h.Sudo != nil && *h.Sudo), "defaults.sudo")
	line("security", fmt.Sprint(h.SecurityOn()), "defaults.security")
	line("mounts", strings.Join(h.Mounts, ", "))
	line("resources", h.Resources)
	for _, r := range fleet.Resources {
		key, lim := "thresholds."+r.Name, *r.Limit(&h.Limits)
		fmt.Fprintf(tw, "%s\t= warn %g, crit %g\t# %s\n", key, lim.Warn, lim.Crit,
			whence(c, p+"."+key+".warn", p+"."+key+".crit", p+"."+key, key+".warn", key+".crit", key))
	}
	for j, s := range h.Services {
		fmt.Fprintf(tw, "services[%s]\t= %s %s\t# %s\n", fleet.Sanitize(s.Name, 64), s.Kind, fleet.Sanitize(s.Unit+s.Program+s.Container+s.Pattern, 80), whence(c, fmt.Sprintf("%s.services.%d", p, j)))
	}
	for j, b := range h.Backups {
		fmt.Fprintf(tw, "backups[%s]\t= %s, max_age %s\t# %s\n", fleet.Sanitize(b.Name, 64), b.Kind, b.MaxAge.String(), whence(c, fmt.Sprintf("%s.backups.%d", p, j)))
	}
	for j, ct := range h.Certs {
		fmt.Fprintf(tw, "certs[%s]\t= warn %dd, crit %dd\t# %s\n", fleet.Sanitize(ct.Endpoint, 80), ct.WarnDays, ct.CritDays, whence(c, fmt.Sprintf("%s.certs.%d", p, j)))
	}
	tw.Flush()
}

// inventoryKeys are the keys an inventory gives a host.
var inventoryKeys = map[string]bool{"address": true, "port": true, "user": true, "env": true, "tags": true, "identity_files": true, "roles": true,
	"jump": true, "proxy_jump": true}

func orDefault(port int) string {
	if port == 0 {
		return "(ssh_config, else 22)"
	}
	return fmt.Sprint(port)
}

// whence is where the first of paths that was written was written:
// file:line (and the role or the table it belongs to), the inventory, or
// built-in.
func whence(c *fleet.Config, paths ...string) string {
	for _, path := range paths {
		if path == "" {
			continue
		}
		file, raw, pos, ok := c.Origin.Exact(path)
		if !ok && raw == "" && file != "" {
			return file // an inventory's value
		}
		if !ok {
			continue
		}
		where := fmt.Sprintf("%s:%d", file, pos.Line)
		switch top, rest, _ := strings.Cut(raw, "."); top {
		case "roles":
			role, _, _ := strings.Cut(rest, ".")
			where += " (role " + role + ")"
		case "defaults", "thresholds":
			where += " ([" + top + "])"
		}
		return where
	}
	return "built-in"
}
