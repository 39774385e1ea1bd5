package config

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// DefaultCommandTimeout bounds a runbook command that sets none.
const DefaultCommandTimeout = time.Minute

// How many hosts a runbook command runs on at once ([defaults] parallel):
// by default, and at most.
const (
	DefaultParallel = 16
	MaxParallel     = 256
)

// joinGlobalCommands gives every host the [[commands]] it does not have
// by name already (its own and its roles' win), each pointing at its line.
func joinGlobalCommands(c *fleet.Config) {
	if len(c.Commands) == 0 {
		return
	}
	for i := range c.Hosts {
		h := &c.Hosts[i]
		for k, cmd := range c.Commands {
			if slices.ContainsFunc(h.Commands, func(x fleet.Command) bool { return x.Name == cmd.Name }) {
				continue
			}
			c.Origin.Alias(fmt.Sprintf("hosts.%d.commands.%d", i, len(h.Commands)), fleet.Written{Path: fmt.Sprintf("commands.%d", k)})
			h.Commands = append(h.Commands, cmd)
		}
	}
}

// commands checks a host's runbook commands: a name each (once), a kind,
// a command whose placeholders are known and stand bare (opsdeck quotes
// their values), no secret, a bounded timeout, checks it is for that
// exist. Defaults are filled in.
func (v *validator) commands(h *fleet.Host, p, key string) {
	names := map[string]bool{}
	for j := range h.Commands {
		cmd := &h.Commands[j]
		cp, ck := fmt.Sprintf("%s.commands.%d", p, j), fmt.Sprintf("%s.commands[%s]", key, cmd.Name)
		v.unique(names, cmd.Name, cp, ck, "command")
		v.name(cp+".name", ck+".name", cmd.Name)
		switch cmd.Kind {
		case "inspect", "change":
		case "":
			v.add(cp, ck+".kind", `missing required key "kind": "inspect" (changes nothing) or "change"`)
		default:
			v.add(cp+".kind", ck+".kind", `unknown kind %q: "inspect" (changes nothing) or "change"`, cmd.Kind)
		}
		if cmd.Command == "" {
			v.add(cp, ck+".command", `missing required key "command"`)
		}
		if ph := unknownPlaceholder(cmd.Command, fleet.CommandPlaceholders); ph != "" {
			v.add(cp+".command", ck+".command", "unknown placeholder %s: the placeholders are {host} and {address}", ph)
		}
		if ph := quotedAmong(cmd.Command, fleet.CommandPlaceholders); ph != "" {
			v.add(cp+".command", ck+".command", "%s stands inside quotes: write it bare (opsdeck quotes the value itself)", ph)
		}
		v.secret(cp+".command", ck+".command", cmd.Command)
		if cmd.Timeout.Duration == 0 {
			cmd.Timeout.Duration = DefaultCommandTimeout
		}
		v.timeout(cp+".timeout", ck+".timeout", cmd.Timeout)
		for _, f := range cmd.For {
			if kinds := fleet.CheckKindNames(); !slices.Contains(kinds, f) {
				v.add(cp+".for", ck+".for", "%q is no check kind: use one of %v", f, kinds)
			}
		}
		if k := cmd.Key; k != "" && (len(k) > 16 || strings.TrimSpace(k) == "" || fleet.Sanitize(k, 16) != k || strings.ContainsAny(k, " \t")) {
			v.add(cp+".key", ck+".key", "key %q: name one key as [keys] does (\"J\", \"ctrl+j\", \"f5\")", fleet.Sanitize(k, 16))
		}
		if cmd.ReadOnlyOK && cmd.Kind == "change" {
			v.add(cp+".read_only_ok", ck+".read_only_ok", "a change command never runs in read-only mode")
		}
		if cmd.Sudo == nil {
			cmd.Sudo = h.Sudo
		}
	}
}

// onCall checks the [oncall] limits: a longest silence of at least a
// minute, reminders per state of at least a minute.
func (v *validator) onCall(o *fleet.OnCallConfig) {
	if d := o.MaxSilence.Duration; d != 0 && d < time.Minute {
		v.add("oncall.max_silence", "oncall.max_silence", "%s is too short for a silence: at least 1m", d)
	}
	if o.MaxSilence.Duration == 0 {
		o.MaxSilence.Duration = fleet.DefaultMaxSilence
	}
	for state, d := range o.Renotify {
		p := "oncall.renotify." + state
		if s, err := fleet.ParseState(state); err != nil || s == fleet.OK {
			v.add(p, p, "%q is no failing state: use WARN, CRIT, DOWN, UNKNOWN, STALE, SLOW or HOSTKEY", state)
		}
		if d.Duration < time.Minute {
			v.add(p, p, "reminding every %s is too often: at least 1m", d)
		}
	}
	v.windows(o.Windows)
}

// windows checks [[oncall.windows]]: a name of its own, globs that are
// globs, and a schedule that opens.
func (v *validator) windows(ws []fleet.Window) {
	seen := map[string]bool{}
	for i := range ws {
		w := &ws[i]
		p := fmt.Sprintf("oncall.windows.%d", i)
		key := fmt.Sprintf("oncall.windows[%s]", w.Name)
		switch {
		case strings.TrimSpace(w.Name) == "":
			v.add(p, fmt.Sprintf("oncall.windows[#%d].name", i+1), "missing required key \"name\"")
		case seen[w.Name]:
			v.add(p+".name", key+".name", "another window is named %q", w.Name)
		}
		seen[w.Name] = true
		for field, globs := range map[string][]string{"hosts": w.Hosts, "tags": w.Tags, "roles": w.Roles, "envs": w.Envs, "checks": w.Checks} {
			for _, g := range globs {
				if _, err := path.Match(g, ""); err != nil {
					v.add(p+"."+field, key+"."+field, "%q is not a glob: %v", g, err)
				}
			}
		}
		if _, err := w.Rule(); err != nil {
			field := "from"
			switch {
			case strings.HasPrefix(err.Error(), "until"):
				field = "until"
			case strings.HasPrefix(err.Error(), "weekday"):
				field = "weekdays"
			case strings.HasPrefix(err.Error(), "day "):
				field = "days"
			case strings.HasPrefix(err.Error(), "time_zone"):
				field = "time_zone"
			case strings.HasPrefix(err.Error(), "no day"):
				field = "days"
			}
			v.add(p+"."+field, key+"."+field, "%v", err)
		}
	}
}
