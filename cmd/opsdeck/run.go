package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/config"
	"github.com/spf13/cobra"
)

type runFlags struct {
	yes              bool
	tags, roles, env []string
	format           string
}

func newRunCmd(g *globals) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run NAME [HOST…]",
		Short: "Run a runbook command of the config on hosts; identical outputs grouped (audited)",
		Long: `Run one of the team's commands from the configuration ([[commands]],
[[roles.NAME.commands]], [[hosts.commands]]) on the hosts named (names or
ranges: web[01-12]) and/or every host with a --tag, --role or --env, over
the same SSH as actions, each host's run audited. Nothing typed here
reaches a host's shell: only the configured command, its {host} and
{address} replaced by each host's own values, quoted.

The outputs are grouped as clush -b does: one block for the hosts that
printed the same (web[01-05,07] (6)), then each host that differs, with
its exit status. A change command is confirmed as a restart is (a
production host's name typed, or --yes --confirm HOST); read-only mode
runs only inspect commands with read_only_ok. The exit status is the
worst of the hosts'.`,
		Example: `  opsdeck run nginx-test web[01-12]
  opsdeck run disk-use --role db --format json
  opsdeck run reload-nginx web-1 --yes --confirm web-1`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCommand(cmd.Context(), g, f, args[0], args[1:], cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().BoolVarP(&f.yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().StringSliceVar(&f.tags, "tag", nil, "every host with this tag")
	cmd.Flags().StringSliceVar(&f.roles, "role", nil, "every host with this role")
	cmd.Flags().StringSliceVar(&f.env, "env", nil, "every host of this env")
	cmd.Flags().StringVar(&f.format, "format", "text", "text (grouped blocks) or json")
	confirmFlag(cmd, g)
	return cmd
}

func runCommand(ctx context.Context, g *globals, f *runFlags, name string, names []string, in io.Reader, out, errOut io.Writer) error {
	if f.format != "text" && f.format != "json" {
		return withCode(exitConfig, fmt.Errorf("--format %s: use text or json", f.format))
	}
	shown := out
	if f.format == "json" {
		shown = errOut // stdout is the JSON alone
	}
	hl, err := openHeadless(ctx, g, f.yes, in, shown)
	if err != nil {
		return err
	}
	defer hl.Close()
	hosts, err := runTargets(hl.cfg, names, f)
	if err != nil {
		return withCode(exitConfig, err)
	}
	var plans []*actions.Plan
	for _, h := range hosts {
		p, err := actions.PlanCommand(h, name)
		if err != nil {
			return withCode(exitConfig, err)
		}
		plans = append(plans, p)
	}
	if err := confirmRun(hl, plans, g); err != nil {
		return err
	}
	run := hl.con.Manager.Start(ctx, actions.Request{Plans: plans, Parallel: max(1, hl.cfg.Defaults.Parallel)})
	<-run.Done()
	outs := run.Outputs()
	groups := actions.GroupOutputs(outs)
	if f.format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(groups); err != nil {
			return err
		}
	} else {
		actions.WriteGroups(out, groups)
	}
	worst := 0
	for _, o := range outs {
		switch {
		case o.Err != "" && worst == 0:
			worst = exitRuntime
		case o.Exit > worst:
			worst = o.Exit
		}
	}
	if worst != 0 {
		return withCode(worst, errSilent)
	}
	return nil
}

// runTargets are the hosts named (names or ranges) and those with a
// --tag, --role or --env, in the config's order, each once.
func runTargets(cfg *fleet.Config, names []string, f *runFlags) ([]*fleet.Host, error) {
	want := map[string]bool{}
	for _, n := range names {
		expanded, err := config.ExpandRange(n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		for _, e := range expanded {
			if cfg.Host(e) == nil {
				return nil, fmt.Errorf("no host %q in the fleet", e)
			}
			want[e] = true
		}
	}
	var out []*fleet.Host
	for i := range cfg.Hosts {
		h := &cfg.Hosts[i]
		picked := want[h.Name] || slices.Contains(f.env, h.Env) ||
			slices.ContainsFunc(f.tags, func(t string) bool { return slices.Contains(h.Tags, t) }) ||
			slices.ContainsFunc(f.roles, func(r string) bool { return slices.Contains(h.Roles, r) })
		if picked {
			out = append(out, h)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no host: name hosts, or pick them with --tag, --role or --env")
	}
	return out, nil
}

// confirmRun shows what will run and, for a change command, asks as a
// restart does: every production host named with --confirm under --yes.
func confirmRun(hl *headless, plans []*actions.Plan, g *globals) error {
	hosts := make([]string, len(plans))
	for i, p := range plans {
		hosts[i] = p.Host.Name
	}
	fmt.Fprintf(hl.con.Out, "run %s on %s\n", plans[0].Target, actions.FoldNames(hosts))
	if !plans[0].Disruptive || g.readOnly {
		return nil // inspect (or refused by the manager in read-only mode, and audited)
	}
	for _, p := range plans {
		fmt.Fprintf(hl.con.Out, "  %s: %s\n", p.Host.Name, p.Command)
	}
	return withCode(exitRuntime, hl.con.AskAll(plans))
}
