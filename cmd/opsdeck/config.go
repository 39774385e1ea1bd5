package main

import (
	"errors"
	"fmt"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/tui"
	"github.com/spf13/cobra"
)

func newConfigCmd(g *globals) *cobra.Command {
	cfg := &cobra.Command{
		Use:   "config",
		Short: "Work with the configuration file",
		Example: `  opsdeck config check
  opsdeck config check --config fleet.toml`,
	}
	check := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and print every problem",
		Long: `Validate the configuration file: syntax, unknown keys, types, references
between hosts, thresholds and key bindings. Every problem is printed as
file:line:column: key: what is wrong. Exits 1 when there is any problem.`,
		Example: `  opsdeck config check
  opsdeck config check --config ./config.example.toml
  OPSDECK_CONFIG=fleet.toml opsdeck config check`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			loc, err := fleet.Locate(g.config)
			if err != nil {
				return withCode(exitRuntime, err)
			}
			c, _, err := loadConfig(loc)
			if err != nil {
				var ps fleet.Problems
				if errors.As(err, &ps) {
					for _, p := range ps {
						fmt.Fprintln(out, p.Error())
					}
					fmt.Fprintf(out, "%s: %d problem(s)\n", describe(loc), len(ps))
					return withCode(exitRuntime, errSilent)
				}
				return withCode(exitRuntime, err)
			}
			local := 0
			for i := range c.Hosts {
				if c.Hosts[i].Local() {
					local++
				}
			}
			fmt.Fprintf(out, "%s: OK — %d host(s): %d local, %d over SSH\n", describe(loc), len(c.Hosts), local, len(c.Hosts)-local)
			return nil
		},
	}
	cfg.AddCommand(check)
	return cfg
}

func describe(l fleet.Located) string {
	if l.Path == "" {
		return "embedded default"
	}
	return l.Path
}

// loadConfig loads the configuration and the key map it defines; problems
// of both come back together as fleet.Problems.
func loadConfig(loc fleet.Located) (*fleet.Config, tui.KeyMap, error) {
	keys := tui.DefaultKeyMap()
	c, err := fleet.LoadLocated(loc)
	var ps fleet.Problems
	if err != nil && (c == nil || !errors.As(err, &ps)) {
		return nil, keys, err // unreadable or undecodable
	}
	if kerr := keys.Rebind(c.Keys); kerr != nil {
		for _, e := range unjoin(kerr) {
			var ke *tui.KeyError
			if errors.As(e, &ke) {
				ps = append(ps, c.Origin.Problem("keys."+ke.Action, "keys."+ke.Action, "%s", ke.Msg))
			}
		}
	}
	if len(ps) > 0 {
		ps.Sort()
		return nil, keys, ps
	}
	return c, keys, nil
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
