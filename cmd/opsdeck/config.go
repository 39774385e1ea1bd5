package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/opsdeck/opsdeck/fleet/config"
	"github.com/opsdeck/opsdeck/fleet/probe"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/spf13/cobra"
)

func newConfigCmd(g *globals) *cobra.Command {
	cfg := &cobra.Command{
		Use:   "config",
		Short: "Work with the configuration file",
		Example: `  opsdeck config check
  opsdeck config check --config fleet.toml
  opsdeck config hosts --json
  opsdeck config show web07`,
	}
	var offline bool
	check := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration, test each connection, print every problem",
		Long: `Validate the configuration file: syntax, unknown keys, types, references
between hosts, thresholds and key bindings. Every problem is printed as
file:line:column: key: what is wrong.

Then connect to every SSH host the way the dashboard does (same keys,
known_hosts, ~/.ssh/config and jump hosts) and report each: reachable, or
why not (refused, timeout, DNS, auth failed, host key unknown or CHANGED,
jump host down). --offline skips the connections.

Exits 1 when there is any problem.`,
		Example: `  opsdeck config check
  opsdeck config check --config ./config.example.toml --offline
  OPSDECK_CONFIG=fleet.toml opsdeck config check`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConfigCheck(cmd.Context(), g, offline, cmd.OutOrStdout())
		},
	}
	check.Flags().BoolVar(&offline, "offline", false, "validate only; do not connect to the hosts")
	cfg.AddCommand(check, newConfigHostsCmd(g), newConfigShowCmd(g))
	return cfg
}

// runConfigCheck validates the config g names and, unless offline,
// tests each SSH host's connection; every problem is printed.
func runConfigCheck(ctx context.Context, g *globals, offline bool, out io.Writer) error {
	loc, err := fleet.Locate(g.config)
	if err != nil {
		return withCode(exitRuntime, err)
	}
	c, err := loadConfig(loc)
	var ps fleet.Problems
	switch {
	case errors.As(err, &ps):
		for _, p := range ps {
			fmt.Fprintln(out, p.Error())
		}
		fmt.Fprintf(out, "%s: %d problem(s)\n", loc.Describe(), len(ps))
		return withCode(exitRuntime, errSilent)
	case err != nil:
		return withCode(exitRuntime, err)
	}
	for _, n := range c.Notes {
		fmt.Fprintf(out, "%s: %s\n", loc.Describe(), n)
	}
	if len(c.Notes) > 0 {
		fmt.Fprintf(out, "%s: %d inventory problem(s)\n", loc.Describe(), len(c.Notes))
		return withCode(exitRuntime, errSilent)
	}
	for _, l := range c.Left {
		fmt.Fprintf(out, "%s: %s\n", loc.Describe(), l)
	}
	local := 0
	for i := range c.Hosts {
		if c.Hosts[i].Local() {
			local++
		}
	}
	fmt.Fprintf(out, "%s: OK — %d host(s): %d local, %d over SSH\n", loc.Describe(), len(c.Hosts), local, len(c.Hosts)-local)
	if offline || local == len(c.Hosts) {
		return nil
	}
	if failed := probe.TestConnections(ctx, out, c); failed > 0 {
		fmt.Fprintf(out, "%d of %d SSH host(s) unreachable\n", failed, len(c.Hosts)-local)
		return withCode(exitRuntime, errSilent)
	}
	return nil
}

// configOf locates and loads the configuration g names.
func configOf(g *globals) (fleet.Located, *fleet.Config, error) {
	loc, err := fleet.Locate(g.config)
	if err != nil {
		return loc, nil, err
	}
	cfg, err := loadConfig(loc)
	return loc, cfg, err
}

// loadConfig loads the configuration, its key map checked; problems of
// both come back together as fleet.Problems.
func loadConfig(loc fleet.Located) (*fleet.Config, error) {
	return loadConfigWith(new(config.Loader), loc)
}

// loadConfigWith is loadConfig through a loader that a reload uses again
// (it keeps the inventories' last good lists).
func loadConfigWith(l *config.Loader, loc fleet.Located) (*fleet.Config, error) {
	c, err := l.LoadLocated(loc)
	var ps fleet.Problems
	if err != nil && (c == nil || !errors.As(err, &ps)) {
		return nil, err // unreadable or undecodable
	}
	ps = append(ps, keyProblems(c)...)
	if len(ps) > 0 {
		ps.Sort()
		return nil, ps
	}
	return c, nil
}
