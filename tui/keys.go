package tui

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/opsdeck/opsdeck/fleet"
)

// KeyMap holds every binding of the dashboard. It is the one definition:
// help, the README key table and the [keys] config all come from it.
type KeyMap struct {
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Top      key.Binding
	Bottom   key.Binding
	Open     key.Binding
	Back     key.Binding
	Filter   key.Binding
	Sort     key.Binding
	Refresh  key.Binding
	Restart  key.Binding
	Snapshot key.Binding
	Drill    key.Binding
	Select   key.Binding
	Audit    key.Binding
	Cancel   key.Binding
	Output   key.Binding
	Help     key.Binding
	Quit     key.Binding
	// ForceQuit (ctrl+c) always quits, even while typing; it cannot be
	// rebound.
	ForceQuit key.Binding
}

// DefaultKeyMap returns the built-in bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:        key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:      key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:    key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown:  key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		Top:       key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "first host")),
		Bottom:    key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "last host")),
		Open:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "host detail")),
		Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back / clear filter")),
		Filter:    key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Sort:      key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "sort")),
		Refresh:   key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "poll now")),
		Restart:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "restart service")),
		Snapshot:  key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "take snapshot")),
		Drill:     key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "restore drill")),
		Select:    key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "select host")),
		Audit:     key.NewBinding(key.WithKeys("L"), key.WithHelp("L", "audit log")),
		Cancel:    key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "cancel action")),
		Output:    key.NewBinding(key.WithKeys("O"), key.WithHelp("O", "action output (again: older runs)")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
	}
}

// actions maps the names used in [keys] to the bindings they rebind.
func (k *KeyMap) actions() map[string]*key.Binding {
	return map[string]*key.Binding{
		"up": &k.Up, "down": &k.Down, "page_up": &k.PageUp, "page_down": &k.PageDown,
		"top": &k.Top, "bottom": &k.Bottom, "open": &k.Open, "back": &k.Back,
		"filter": &k.Filter, "sort": &k.Sort, "refresh": &k.Refresh, "help": &k.Help,
		"quit": &k.Quit, "restart": &k.Restart, "snapshot": &k.Snapshot, "drill": &k.Drill, "select": &k.Select, "audit": &k.Audit, "cancel": &k.Cancel, "output": &k.Output,
	}
}

// KeyActions lists the action names [keys] accepts.
func KeyActions() []string {
	k := DefaultKeyMap()
	var names []string
	for n := range k.actions() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// KeyError is one problem with the [keys] table, tied to the action it is
// about so the caller can point at its line.
type KeyError struct {
	Action string
	Msg    string
}

func (e *KeyError) Error() string { return fmt.Sprintf("keys.%s: %s", e.Action, e.Msg) }

// Rebind applies a [keys] table: each action gets exactly the listed keys.
// Unknown actions, empty lists, ctrl+c and keys bound to two actions are
// reported together (errors.Join of *KeyError).
func (k *KeyMap) Rebind(cfg map[string][]string) error {
	acts := k.actions()
	var errs []error
	for _, name := range sortedNames(cfg) {
		keys := cfg[name]
		b, ok := acts[name]
		switch {
		case !ok:
			msg := fmt.Sprintf("unknown action %q", name)
			if s := fleet.Suggest(name, KeyActions()); s != "" {
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
			if strings.TrimSpace(kk) == "" {
				errs = append(errs, &KeyError{name, "empty key name"})
				bad = true
			}
		}
		if bad {
			continue
		}
		h := b.Help()
		b.SetKeys(keys...)
		b.SetHelp(strings.Join(keys, "/"), h.Desc)
	}
	// Conflicts are checked on the final map, defaults included.
	owner := map[string]string{}
	for _, name := range KeyActions() {
		for _, kk := range acts[name].Keys() {
			if other, dup := owner[kk]; dup {
				at := name
				if _, set := cfg[name]; !set {
					at = other
				}
				errs = append(errs, &KeyError{at, fmt.Sprintf("key %q is bound to both %q and %q", kk, other, name)})
				continue
			}
			owner[kk] = name
		}
	}
	return errors.Join(errs...)
}

// ShortHelp is the one-line help of the fleet view.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Open, k.Filter, k.Sort, k.Select, k.Restart, k.Audit, k.Help, k.Quit}
}

// FullHelp is the full help, in columns. Disabled bindings (read-only mode)
// are left out by the help view.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Open, k.Back, k.Filter, k.Sort, k.Refresh},
		{k.Select, k.Restart, k.Snapshot, k.Drill, k.Cancel, k.Output, k.Audit},
		{k.Help, k.Quit, k.ForceQuit},
	}
}

// SetReadOnly disables every action binding: help no longer shows them and
// key.Matches ignores them.
func (k *KeyMap) SetReadOnly(ro bool) {
	for _, b := range []*key.Binding{&k.Restart, &k.Snapshot, &k.Drill, &k.Select, &k.Cancel} {
		b.SetEnabled(!ro)
	}
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
	names := map[*key.Binding]string{}
	for n, bp := range k.actions() {
		names[bp] = n
	}
	for _, b2 := range []*key.Binding{&k.Up, &k.Down, &k.PageUp, &k.PageDown, &k.Top, &k.Bottom,
		&k.Open, &k.Back, &k.Filter, &k.Sort, &k.Refresh, &k.Select, &k.Restart, &k.Snapshot, &k.Drill, &k.Cancel, &k.Output, &k.Audit,
		&k.Help, &k.Quit, &k.ForceQuit} {
		ks := make([]string, len(b2.Keys()))
		for i, s := range b2.Keys() {
			if s == " " {
				s = "space"
			}
			ks[i] = "`" + s + "`"
		}
		name := names[b2]
		if name == "" {
			name = "(fixed)"
		} else {
			name = "`" + name + "`"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", strings.Join(ks, " "), b2.Help().Desc, name)
	}
	return b.String()
}
