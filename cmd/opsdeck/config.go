package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/fleet/config"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/tui"
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
			for _, n := range c.Notes {
				fmt.Fprintf(out, "%s: %s\n", describe(loc), n)
			}
			if len(c.Notes) > 0 {
				fmt.Fprintf(out, "%s: %d inventory problem(s)\n", describe(loc), len(c.Notes))
				return withCode(exitRuntime, errSilent)
			}
			local := 0
			for i := range c.Hosts {
				if c.Hosts[i].Local() {
					local++
				}
			}
			fmt.Fprintf(out, "%s: OK — %d host(s): %d local, %d over SSH\n", describe(loc), len(c.Hosts), local, len(c.Hosts)-local)
			if offline || local == len(c.Hosts) {
				return nil
			}
			if failed := testConnections(cmd.Context(), out, c); failed > 0 {
				fmt.Fprintf(out, "%d of %d SSH host(s) unreachable\n", failed, len(c.Hosts)-local)
				return withCode(exitRuntime, errSilent)
			}
			return nil
		},
	}
	check.Flags().BoolVar(&offline, "offline", false, "validate only; do not connect to the hosts")
	cfg.AddCommand(check, newConfigHostsCmd(g), newConfigShowCmd(g))
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
// configOf locates and loads the configuration g names.
func configOf(g *globals) (fleet.Located, *fleet.Config, tui.KeyMap, error) {
	loc, err := fleet.Locate(g.config)
	if err != nil {
		return loc, nil, tui.KeyMap{}, err
	}
	cfg, keys, err := loadConfig(loc)
	return loc, cfg, keys, err
}

func loadConfig(loc fleet.Located) (*fleet.Config, tui.KeyMap, error) {
	return loadConfigWith(new(config.Loader), loc)
}

// loadConfigWith is loadConfig through a loader that a reload uses again
// (it keeps the inventories' last good lists).
func loadConfigWith(l *config.Loader, loc fleet.Located) (*fleet.Config, tui.KeyMap, error) {
	keys := tui.DefaultKeyMap()
	c, err := l.LoadLocated(loc)
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
	for _, e := range keys.BindCommands(c) {
		ps = append(ps, c.Origin.Problem(e.Path, "commands["+e.Command+"].key", "%s", e.Msg))
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

// testConnections polls every SSH host once, the way the dashboard does
// (connect, then the light probe within the host's timeout), prints one
// line per host and returns the failures.
func testConnections(ctx context.Context, out io.Writer, c *fleet.Config) int {
	conn, err := connect(c)
	if err != nil {
		fmt.Fprintln(out, "FAIL  ", err)
		return 1
	}
	defer conn.Close()
	failed := 0
	if src := conn.prom; src != nil {
		conn.prom = nil // the SSH side is tested below, as without a source
		src.Refresh(ctx)
		if st := src.Status(); st.Err != "" {
			failed++
			fmt.Fprintf(out, "FAIL  %s: %s\n", st.Name, st.Err)
		} else {
			var absent []string
			for i := range c.Hosts {
				if h := &c.Hosts[i]; promMayCover(h) && src.Absent(ctx, h.Name) {
					absent = append(absent, h.Name)
				}
			}
			fmt.Fprintf(out, "ok    %s: %d of %d host(s) found", st.Name, src.Covered(), len(c.Hosts))
			if len(absent) > 0 {
				more := ""
				if len(absent) > 3 {
					absent, more = absent[:3], fmt.Sprintf(" and %d more", len(absent)-3)
				}
				fmt.Fprintf(out, "; not in it, so polled over SSH: %s%s", strings.Join(absent, ", "), more)
			}
			fmt.Fprintln(out)
		}
	}
	store := fleet.NewStore(c.Hosts)
	poller := fleet.NewPoller(c, store, func(h *fleet.Host) (fleet.Source, string) {
		if h.Local() {
			return nil, "local"
		}
		return conn.checks(h), ""
	})
	defer poller.Close()
	poller.Once(ctx, fleet.Light)
	snap, _ := store.Snapshot()
	for i := range snap {
		st, h := &snap[i], snap[i].Host
		if h.Local() {
			continue
		}
		where := h.Endpoint()
		if h.Resolved.Via != "" {
			where += " via " + h.Resolved.Via
		}
		if st.Err != "" || st.Last == nil {
			failed++
			fmt.Fprintf(out, "FAIL  %s  %s: %s\n", h.Name, where, fleet.Sanitize(st.Err, fleet.MaxText))
			continue
		}
		fmt.Fprintf(out, "ok    %s  %s  %s\n", h.Name, where, st.RTT.Round(time.Millisecond))
	}
	return failed
}
