package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/config"
	"github.com/opsdeck/opsdeck/fleet/sshx"
	"github.com/spf13/cobra"
)

// hostLine is one host of `config hosts`: how opsdeck reaches it and where
// it was defined.
type hostLine struct {
	Name    string   `json:"name"`
	Address string   `json:"address"`
	Port    int      `json:"port,omitempty"`
	User    string   `json:"user,omitempty"`
	Roles   []string `json:"roles"`
	Tags    []string `json:"tags"`
	Env     string   `json:"env,omitempty"`
	Source  string   `json:"source"`
}

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
			_, c, _, err := configOf(g)
			if err != nil {
				return withCode(exitConfig, err)
			}
			lines, err := hostLines(c)
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
				writeHostLines(out, lines)
			}
			for _, n := range c.Notes {
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

// hostLines resolves how each host is reached, as the dashboard would.
func hostLines(c *fleet.Config) ([]hostLine, error) {
	targets, err := sshx.Resolve(c)
	if err != nil {
		return nil, err
	}
	out := make([]hostLine, 0, len(c.Hosts))
	for i := range c.Hosts {
		h := &c.Hosts[i]
		l := hostLine{Name: h.Name, Address: h.Address, Roles: nonNil(h.Roles), Tags: nonNil(h.Tags), Env: h.Env, Source: h.From}
		if t, ok := targets[h.Name]; ok {
			host, port, _ := net.SplitHostPort(t.Addr)
			l.Address, l.User = host, t.User
			l.Port, _ = strconv.Atoi(port)
		}
		out = append(out, l)
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func writeHostLines(w io.Writer, lines []hostLine) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tADDRESS\tPORT\tUSER\tROLES\tTAGS\tENV\tSOURCE")
	for _, l := range lines {
		port := "-"
		if l.Port > 0 {
			port = strconv.Itoa(l.Port)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", fleet.Sanitize(l.Name, 64), fleet.Sanitize(l.Address, 64), port, dash(l.User),
			dash(strings.Join(l.Roles, ",")), dash(fleet.Sanitize(strings.Join(l.Tags, ","), 80)), dash(l.Env), l.Source)
	}
	tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
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
			_, c, _, err := configOf(g)
			if err != nil {
				return withCode(exitConfig, err)
			}
			for i := range c.Hosts {
				if c.Hosts[i].Name == args[0] {
					showHost(cmd.OutOrStdout(), c, i)
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
