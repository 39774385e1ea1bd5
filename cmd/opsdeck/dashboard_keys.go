package main

// The dashboard's key map, from [keys] and the commands' keys: checked at
// every load (config check and a reload say its problems too).

import (
	"errors"
	"fmt"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/tui"
)

// keyProblems are the problems of c's key map, each at its file:line.
func keyProblems(c *fleet.Config) fleet.Problems {
	var ps fleet.Problems
	keys := tui.DefaultKeyMap()
	if kerr := keys.Rebind(c.Keys); kerr != nil {
		for _, e := range unjoin(kerr) {
			var ke *tui.KeyError
			if errors.As(e, &ke) {
				ps = append(ps, c.Origin.Problem("keys."+ke.Action, "keys."+ke.Action, "%s", ke.Msg))
			}
		}
	}
	for _, e := range keys.BindCommands(c) {
		ps = append(ps, c.Origin.Problem(e.Path, "commands["+e.Command+"].key", "%s", e.Msg))
	}
	return ps
}

// dashboardKeys is the key map of a config loaded without problems.
func dashboardKeys(c *fleet.Config) tui.KeyMap {
	keys := tui.DefaultKeyMap()
	_ = keys.Rebind(c.Keys)
	keys.BindCommands(c)
	return keys
}

// checkKeys refuses a reloaded config whose key map does not bind, as
// start does.
func checkKeys(c *fleet.Config) error {
	keys := tui.DefaultKeyMap()
	if err := keys.Rebind(c.Keys); err != nil {
		return fmt.Errorf("%s: [keys]: %w", c.Origin.File, err)
	}
	if ps := keyProblems(c); len(ps) > 0 {
		return ps
	}
	return nil
}

// unjoin is the errors an errors.Join holds (err alone else).
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
