package tui

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/opsdeck/opsdeck/fleet/config"

	"github.com/charmbracelet/bubbles/key"
)

// KeyMap holds every binding of the dashboard. Its fields are filled from
// bindings, the one table of keys: help, the footer, the README key table
// and the [keys] config all come from that table.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom  key.Binding
	Open, Back, Filter, Sort, SortPrev       key.Binding
	Refresh                                  key.Binding
	Select, Restart, Snapshot, Drill         key.Binding
	Cancel, Output, Audit, History, Problems key.Binding
	Logs, Shell, TrustKey, Run               key.Binding
	Ack, Silence                             key.Binding
	Help, Quit, ForceQuit                    key.Binding
	Confirm, Deny, Force, Submit             key.Binding

	disabled map[string]string // [keys] name → why it is disabled
	commands map[string]string // a runbook command's key → its name (BindCommands)
}

// scope says where a binding is read: keys may repeat across scopes (enter
// opens a host on the fleet and confirms in a dialog), never within one.
type scope uint8

const (
	scopeMain   scope = 1 << iota // the fleet, the detail and the panels
	scopeDialog                   // a dialog or a prompt
)

// binding is one row of the table.
type binding struct {
	name      string // its [keys] name; "" = cannot be rebound
	group     string // its column in the help screen
	dangerous bool   // acts on hosts: disabled in read-only mode
	scopes    scope
	keys      []string
	label     string // the key as help shows it; "" = the keys joined with /
	desc      string // what it does, for the help screen and the README
	short     string // the same for the footer; "" = desc
	field     func(*KeyMap) *key.Binding
}

// bindings is the one table of keys.
var bindings = []binding{
	{name: "up", group: "move", scopes: scopeMain | scopeDialog, keys: []string{"up", "k"}, label: "↑/k", desc: "up", field: func(k *KeyMap) *key.Binding { return &k.Up }},
	{name: "down", group: "move", scopes: scopeMain | scopeDialog, keys: []string{"down", "j"}, label: "↓/j", desc: "down", field: func(k *KeyMap) *key.Binding { return &k.Down }},
	{name: "page_up", group: "move", scopes: scopeMain, keys: []string{"pgup", "ctrl+b"}, label: "pgup", desc: "page up", field: func(k *KeyMap) *key.Binding { return &k.PageUp }},
	{name: "page_down", group: "move", scopes: scopeMain, keys: []string{"pgdown", "ctrl+f"}, label: "pgdn", desc: "page down", field: func(k *KeyMap) *key.Binding { return &k.PageDown }},
	{name: "top", group: "move", scopes: scopeMain, keys: []string{"home", "g"}, desc: "first row", field: func(k *KeyMap) *key.Binding { return &k.Top }},
	{name: "bottom", group: "move", scopes: scopeMain, keys: []string{"end", "G"}, desc: "last row", field: func(k *KeyMap) *key.Binding { return &k.Bottom }},
	{name: "open", group: "view", scopes: scopeMain, keys: []string{"enter"}, desc: "open (host detail, audit record)", short: "open", field: func(k *KeyMap) *key.Binding { return &k.Open }},
	{name: "back", group: "view", scopes: scopeMain | scopeDialog, keys: []string{"esc"}, desc: "close / clear filter / dismiss message", short: "back", field: func(k *KeyMap) *key.Binding { return &k.Back }},
	{name: "filter", group: "view", scopes: scopeMain, keys: []string{"/"}, desc: "filter (name, env, tag, crit, !ok)", short: "filter", field: func(k *KeyMap) *key.Binding { return &k.Filter }},
	{name: "sort", group: "view", scopes: scopeMain, keys: []string{"o", ">"}, desc: "sort by next column", short: "sort", field: func(k *KeyMap) *key.Binding { return &k.Sort }},
	{name: "sort_previous", group: "view", scopes: scopeMain, keys: []string{"<"}, desc: "sort by previous column", field: func(k *KeyMap) *key.Binding { return &k.SortPrev }},
	{name: "refresh", group: "view", scopes: scopeMain, keys: []string{"R"}, desc: "poll now", field: func(k *KeyMap) *key.Binding { return &k.Refresh }},
	{name: "select", group: "act", scopes: scopeMain, keys: []string{" "}, label: "space", desc: "select host (for a rolling restart)", short: "select", field: func(k *KeyMap) *key.Binding { return &k.Select }},
	{name: "restart", group: "act", dangerous: true, scopes: scopeMain, keys: []string{"r"}, desc: "restart service", field: func(k *KeyMap) *key.Binding { return &k.Restart }},
	{name: "snapshot", group: "act", dangerous: true, scopes: scopeMain, keys: []string{"n"}, desc: "take snapshot", field: func(k *KeyMap) *key.Binding { return &k.Snapshot }},
	{name: "drill", group: "act", dangerous: true, scopes: scopeMain, keys: []string{"d"}, desc: "restore drill", field: func(k *KeyMap) *key.Binding { return &k.Drill }},
	{name: "run", group: "act", scopes: scopeMain, keys: []string{"!"}, desc: "runbook commands for the host, the selection or the filter", short: "run", field: func(k *KeyMap) *key.Binding { return &k.Run }},
	// cancel stays on in read-only mode: what runs there (an inspect
	// command with read_only_ok) must be stoppable.
	{name: "cancel", group: "act", scopes: scopeMain, keys: []string{"x"}, desc: "cancel action", field: func(k *KeyMap) *key.Binding { return &k.Cancel }},
	{name: "shell", group: "act", dangerous: true, scopes: scopeMain, keys: []string{"s"}, desc: "shell on the host (system ssh, audited)", short: "shell", field: func(k *KeyMap) *key.Binding { return &k.Shell }},
	{name: "trust_key", group: "act", dangerous: true, scopes: scopeMain, keys: []string{"T"}, desc: "trust a HOSTKEY host's new key (typed confirmation, audited)", short: "trust key", field: func(k *KeyMap) *key.Binding { return &k.TrustKey }},
	{name: "ack", group: "act", scopes: scopeMain, keys: []string{"a"}, desc: "acknowledge the problem (a note; shared, audited; not in read-only mode)", short: "ack", field: func(k *KeyMap) *key.Binding { return &k.Ack }},
	{name: "silence", group: "act", scopes: scopeMain, keys: []string{"m"}, desc: "silence the host(s) for a while (a maintenance; shared, audited; not in read-only mode)", short: "silence", field: func(k *KeyMap) *key.Binding { return &k.Silence }},
	{name: "output", group: "act", scopes: scopeMain, keys: []string{"O"}, desc: "action output (again: older runs)", short: "output", field: func(k *KeyMap) *key.Binding { return &k.Output }},
	{name: "audit", group: "act", scopes: scopeMain, keys: []string{"L"}, desc: "audit log", field: func(k *KeyMap) *key.Binding { return &k.Audit }},
	{name: "logs", group: "view", scopes: scopeMain, keys: []string{"l"}, desc: "follow the selected service's log (in a host's detail)", short: "log", field: func(k *KeyMap) *key.Binding { return &k.Logs }},
	{name: "problems", group: "view", scopes: scopeMain, keys: []string{"p"}, desc: "problems: every failing check, since when, what to do", short: "problems", field: func(k *KeyMap) *key.Binding { return &k.Problems }},
	{name: "history", group: "view", scopes: scopeMain, keys: []string{"H"}, desc: "history of state changes (of the host in its detail)", short: "history", field: func(k *KeyMap) *key.Binding { return &k.History }},
	{name: "confirm", group: "dialog", scopes: scopeDialog, keys: []string{"y", "enter"}, desc: "run (in a dialog)", short: "run", field: func(k *KeyMap) *key.Binding { return &k.Confirm }},
	{name: "deny", group: "dialog", scopes: scopeDialog, keys: []string{"n"}, desc: "do not run (in a dialog)", short: "cancel", field: func(k *KeyMap) *key.Binding { return &k.Deny }},
	{name: "force", group: "dialog", scopes: scopeDialog, keys: []string{"f"}, desc: "try anyway on a DOWN host", short: "try anyway", field: func(k *KeyMap) *key.Binding { return &k.Force }},
	{group: "dialog", scopes: scopeDialog, keys: []string{"enter"}, desc: "keep the filter, submit a typed confirmation", short: "done", field: func(k *KeyMap) *key.Binding { return &k.Submit }},
	{name: "help", group: "app", scopes: scopeMain, keys: []string{"?"}, desc: "help", field: func(k *KeyMap) *key.Binding { return &k.Help }},
	{name: "quit", group: "app", scopes: scopeMain, keys: []string{"q"}, desc: "close / quit", short: "quit", field: func(k *KeyMap) *key.Binding { return &k.Quit }},
	{group: "app", scopes: scopeMain | scopeDialog, keys: []string{"ctrl+c"}, desc: "quit at once", short: "quit", field: func(k *KeyMap) *key.Binding { return &k.ForceQuit }},
}

func (b binding) footer() string {
	if b.short != "" {
		return b.short
	}
	return b.desc
}

func bindingLabel(keys []string) string {
	shown := make([]string, len(keys))
	for i, k := range keys {
		if k == " " {
			k = "space"
		}
		shown[i] = k
	}
	return strings.Join(shown, "/")
}

// DefaultKeyMap returns the built-in bindings.
func DefaultKeyMap() KeyMap {
	var k KeyMap
	for _, b := range bindings {
		label := b.label
		if label == "" {
			label = bindingLabel(b.keys)
		}
		*b.field(&k) = key.NewBinding(key.WithKeys(b.keys...), key.WithHelp(label, b.footer()))
	}
	return k
}

// KeyActions lists the action names [keys] accepts.
func KeyActions() []string {
	var names []string
	for _, b := range bindings {
		if b.name != "" {
			names = append(names, b.name)
		}
	}
	sort.Strings(names)
	return names
}

func lookup(name string) (binding, bool) {
	for _, b := range bindings {
		if b.name == name && name != "" {
			return b, true
		}
	}
	return binding{}, false
}

// KeyError is one problem with the [keys] table, tied to the action it is
// about so the caller can point at its line.
type KeyError struct {
	Action string
	Msg    string
}

func (e *KeyError) Error() string { return fmt.Sprintf("keys.%s: %s", e.Action, e.Msg) }

// Rebind applies a [keys] table: each action gets exactly the listed keys.
// Unknown actions, empty lists, ctrl+c and keys bound to two actions of one
// scope are reported together (errors.Join of *KeyError).
func (k *KeyMap) Rebind(cfg map[string][]string) error {
	var errs []error
	for _, name := range sortedNames(cfg) {
		keys := cfg[name]
		b, ok := lookup(name)
		switch {
		case !ok:
			msg := fmt.Sprintf("unknown action %q", name)
			if s := config.Suggest(name, KeyActions()); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				msg += "; actions are " + strings.Join(KeyActions(), ", ")
			}
			errs = append(errs, &KeyError{name, msg})
			continue
		case len(keys) == 0:
			errs = append(errs, &KeyError{name, "needs at least one key"})
			continue
		}
		bad := false
		for _, kk := range keys {
			if kk == "ctrl+c" {
				errs = append(errs, &KeyError{name, "ctrl+c always quits and cannot be rebound"})
				bad = true
			}
			if strings.TrimSpace(kk) == "" && kk != " " {
				errs = append(errs, &KeyError{name, "empty key name"})
				bad = true
			}
		}
		if bad {
			continue
		}
		kb := b.field(k)
		kb.SetKeys(keys...)
		kb.SetHelp(bindingLabel(keys), b.footer())
	}
	// Conflicts are checked on the final map, defaults included, within
	// each scope.
	for _, sc := range []scope{scopeMain, scopeDialog} {
		owner := map[string]string{}
		for _, b := range bindings {
			if b.scopes&sc == 0 || b.name == "" {
				continue
			}
			for _, kk := range b.field(k).Keys() {
				other, dup := owner[kk]
				if !dup {
					owner[kk] = b.name
					continue
				}
				at, with := b.name, other
				if _, set := cfg[b.name]; !set {
					at, with = other, b.name
				}
				errs = append(errs, &KeyError{at, fmt.Sprintf("key %q is bound to both %q and %q", kk, at, with)})
			}
		}
	}
	return errors.Join(errs...)
}

// SetReadOnly disables every dangerous binding, with the reason shown when
// one of its keys is pressed and in the help screen. key.Matches ignores a
// disabled binding.
func (k *KeyMap) SetReadOnly(why string) {
	k.disabled = map[string]string{}
	for _, b := range bindings {
		if b.dangerous {
			b.field(k).SetEnabled(why == "")
			if why != "" {
				k.disabled[b.name] = why
			}
		}
	}
}

// disabledBy reports the disabled binding a key press is for, if any: its
// description and why it is off.
func (k *KeyMap) disabledBy(pressed string) (desc, why string, ok bool) {
	for _, b := range bindings {
		why, off := k.disabled[b.name]
		if !off {
			continue
		}
		for _, kk := range b.field(k).Keys() {
			if kk == pressed {
				return b.desc, why, true
			}
		}
	}
	return "", "", false
}

func sortedNames(m map[string][]string) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// KeyTable renders the bindings as a Markdown table for the README.
func (k KeyMap) KeyTable() string {
	var b strings.Builder
	b.WriteString("| key | action | `[keys]` name |\n|---|---|---|\n")
	for _, d := range bindings {
		kb := d.field(&k)
		ks := make([]string, len(kb.Keys()))
		for i, s := range kb.Keys() {
			if s == " " {
				s = "space"
			}
			ks[i] = "`" + s + "`"
		}
		name := "(fixed)"
		if d.name != "" {
			name = "`" + d.name + "`"
		}
		desc := d.desc
		if d.dangerous {
			desc += " (off in read-only mode)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", strings.Join(ks, " "), desc, name)
	}
	return b.String()
}
