package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/sshx"
	"github.com/spf13/cobra"
)

func newRestartCmd(g *globals) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "restart HOST SERVICE",
		Short: "Restart a configured service (audited)",
		Long: `Restart one of a host's configured services, exactly as the dashboard's r
key does: the command is built from the service's kind and names in the
configuration, shown before it runs, and the attempt is appended to the
audit log ($XDG_STATE_HOME/opsdeck/audit.jsonl) whatever its outcome.

Without --yes the plan is shown and must be confirmed on the terminal; a
production host (env = "prod") asks for its name to be typed. With no
terminal and no --yes nothing runs. The exit status is the result: 0 when
the restart succeeded.`,
		Example: `  opsdeck restart web-1 api
  opsdeck restart db-1 postgres --yes
  opsdeck restart web-1 api --config fleet.toml --yes`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRestart(cmd.Context(), g, args[0], args[1], yes, cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// actionsFor wires the action manager for a loaded config.
func actionsFor(cfg *fleet.Config, readOnly bool) (*actions.Manager, *sshx.Pool, error) {
	targets, err := sshx.Resolve(cfg)
	if err != nil {
		return nil, nil, err
	}
	pool := sshx.NewPool(sshx.Options{KnownHosts: sshx.KnownHostsFiles(cfg), Policy: cfg.Defaults.KnownHostsPolicy})
	return &actions.Manager{
		Exec:     &actions.FleetExecutor{Pool: pool, Targets: targets},
		Audit:    &actions.Audit{Path: actions.DefaultAuditPath()},
		ReadOnly: readOnly,
		Operator: actions.Operator(),
	}, pool, nil
}

func runRestart(ctx context.Context, g *globals, hostName, service string, yes bool, in io.Reader, out io.Writer) error {
	loc, err := fleet.Locate(g.config)
	if err != nil {
		return withCode(exitConfig, err)
	}
	cfg, _, err := loadConfig(loc)
	if err != nil {
		return withCode(exitConfig, err)
	}
	host := findHost(cfg, hostName)
	if host == nil {
		names := make([]string, len(cfg.Hosts))
		for i := range cfg.Hosts {
			names[i] = cfg.Hosts[i].Name
		}
		msg := fmt.Sprintf("no host %q in %s", hostName, describe(loc))
		if s := fleet.Suggest(hostName, names); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return withCode(exitConfig, errors.New(msg))
	}
	plan, err := actions.PlanRestart(host, service)
	if err != nil {
		return withCode(exitConfig, err)
	}
	m, pool, err := actionsFor(cfg, g.readOnly)
	if err != nil {
		return withCode(exitConfig, err)
	}
	defer pool.Close()

	fmt.Fprintf(out, "restart %s on %s", plan.Target, host.Name)
	if host.Prod() {
		fmt.Fprint(out, " (PROD)")
	}
	fmt.Fprintf(out, "\n  command: %s\n", plan.Command)
	if !yes && !g.readOnly {
		if err := confirm(plan, in, out); err != nil {
			m.Cancelled(plan)
			return withCode(exitRuntime, err)
		}
	}
	r := m.Run(ctx, plan, func(line string) { fmt.Fprintf(out, "%s | %s\n", host.Name, line) })
	switch r.Outcome {
	case actions.Succeeded:
		fmt.Fprintf(out, "restart %s on %s: succeeded in %s\n", plan.Target, host.Name, r.Duration.Round(1e6))
		if r.Err != nil { // succeeded but unrecorded
			return withCode(exitRuntime, r.Err)
		}
		return nil
	case actions.Cancelled:
		return withCode(exitCanceled, fmt.Errorf("restart %s on %s: cancelled", plan.Target, host.Name))
	}
	return withCode(exitRuntime, fmt.Errorf("restart %s on %s: %s: %v", plan.Target, host.Name, r.Outcome, r.Err))
}

func findHost(cfg *fleet.Config, name string) *fleet.Host {
	for i := range cfg.Hosts {
		if cfg.Hosts[i].Name == name {
			return &cfg.Hosts[i]
		}
	}
	return nil
}

// confirm asks on the terminal: y for a plain host, the host name typed
// for production.
func confirm(p *actions.Plan, in io.Reader, out io.Writer) error {
	if f, ok := in.(*os.File); !ok || !isatty.IsTerminal(f.Fd()) {
		return errors.New("not confirmed: no terminal to ask on; pass --yes to run without asking")
	}
	want := actions.Confirmation([]*actions.Plan{p})
	if want == "" {
		fmt.Fprint(out, "Proceed? [y/N] ")
	} else {
		fmt.Fprintf(out, "Type %q to confirm: ", want)
	}
	line, _ := bufio.NewReader(in).ReadString('\n')
	line = strings.TrimSpace(line)
	if (want == "" && (line == "y" || line == "yes")) || (want != "" && line == want) {
		return nil
	}
	return errors.New("not confirmed")
}
