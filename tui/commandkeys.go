package tui

import (
	"fmt"

	"github.com/opsdeck/opsdeck/fleet"
)

// CommandKeyError is a runbook command's key that cannot be bound, at the
// config path of the command that asks for it.
type CommandKeyError struct {
	Path, Command, Key, Msg string
}

func (e *CommandKeyError) Error() string {
	return fmt.Sprintf("commands[%s].key: %s", e.Command, e.Msg)
}

// BindCommands binds the runbook commands' keys (key = "J" on a command):
// each runs its command on what ! would run it on. A key the dashboard
// already uses (after [keys]), ctrl+c, or one key for two commands is
// refused; the errors point at the command's line.
func (k *KeyMap) BindCommands(c *fleet.Config) []*CommandKeyError {
	k.commands = map[string]string{}
	taken := map[string]string{}
	for _, b := range bindings {
		if b.scopes&scopeMain != 0 {
			for _, kk := range b.field(k).Keys() {
				taken[kk] = b.desc
			}
		}
	}
	var errs []*CommandKeyError
	seen := map[[2]string]bool{}
	for i := range c.Hosts {
		for j, cmd := range c.Hosts[i].Commands {
			if cmd.Key == "" || seen[[2]string{cmd.Key, cmd.Name}] {
				continue
			}
			seen[[2]string{cmd.Key, cmd.Name}] = true
			path := fmt.Sprintf("hosts.%d.commands.%d.key", i, j)
			msg := ""
			if other, ok := k.commands[cmd.Key]; ok {
				msg = fmt.Sprintf("key %q already runs the command %q", cmd.Key, other)
			} else if cmd.Key == "ctrl+c" {
				msg = "ctrl+c always quits and cannot be bound"
			} else if what, ok := taken[cmd.Key]; ok {
				msg = fmt.Sprintf("key %q is the dashboard's %q (rebind that in [keys], or pick another)", cmd.Key, what)
			}
			if msg != "" {
				errs = append(errs, &CommandKeyError{Path: path, Command: cmd.Name, Key: cmd.Key, Msg: msg})
				continue
			}
			k.commands[cmd.Key] = cmd.Name
		}
	}
	return errs
}

// commandFor is the runbook command a key press runs, if any.
func (k *KeyMap) commandFor(pressed string) (string, bool) {
	name, ok := k.commands[pressed]
	return name, ok
}
