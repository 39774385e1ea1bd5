package main

import (
	"encoding/json"
	"fmt"

	"github.com/opsdeck/opsdeck/fleet/config"
	"github.com/opsdeck/opsdeck/fleet/sshx"
	"github.com/spf13/cobra"
)

func newConfigHostsCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "hosts",
		Short: "List the expanded fleet: every host, how it is reached, where it was defined",
		Long: `List every host of the fleet after roles, ranges and inventories: its
address, port and user as opsdeck connects (the host, its roles,
~/.ssh/config, [defaults]), its roles, tags and env, and where it was
defined (file:line, or the inventory and group). Inventory problems are
printed on stderr; exits 1 when there are any.`,
		Example: `  opsdeck config hosts
  opsdeck config hosts --json | jq -r '.[] | select(.env == "prod") | .name'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, c, err := configOf(g)
			if err != nil {
				return withCode(exitConfig, err)
			}
			lines, err := sshx.HostLines(c)
			if err != nil {
				return withCode(exitConfig, err)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(lines); err != nil {
					return err
				}
			} else {
				sshx.WriteHostLines(out, lines)
			}
			for _, n := range append(append([]string(nil), c.Left...), c.Notes...) {
				fmt.Fprintln(cmd.ErrOrStderr(), n)
			}
			if len(c.Notes) > 0 {
				return withCode(exitRuntime, errSilent)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: a list of {name, address, port, user, roles, tags, env, source}")
	return cmd
}

func newConfigShowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "show HOST",
		Short: "Print a host's effective configuration, each value with where it was written",
		Long: `Print every effective value of one host after roles, ranges, inventories
and [defaults], each with where it came from: file:line of the host, of
the role or of [defaults], the inventory, or "built-in".`,
		Example: `  opsdeck config show web07`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, c, err := configOf(g)
			if err != nil {
				return withCode(exitConfig, err)
			}
			for i := range c.Hosts {
				if c.Hosts[i].Name == args[0] {
					config.Show(cmd.OutOrStdout(), c, i)
					return nil
				}
			}
			names := make([]string, len(c.Hosts))
			for i := range c.Hosts {
				names[i] = c.Hosts[i].Name
			}
			msg := fmt.Sprintf("no host %q in the fleet", args[0])
			if s := config.Suggest(args[0], names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return withCode(exitConfig, fmt.Errorf("%s", msg))
		},
	}
}
