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
terminal and no --yes nothing runs; on a production host --yes also needs
--confirm HOST. The exit status is the result: 0 when
the restart succeeded.`,
		Example: `  opsdeck restart web-1 api
  opsdeck restart db-1 postgres --yes --confirm db-1
  opsdeck restart web-1 api --config fleet.toml --yes`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRestart(cmd.Context(), g, args[0], args[1], yes, cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	confirmFlag(cmd, g)
	return cmd
}

func runRestart(ctx context.Context, g *globals, hostName, service string, yes bool, in io.Reader, out io.Writer) error {
	hl, err := openHeadless(ctx, g)
	if err != nil {
		return err
	}
	defer hl.Close()
	host, err := hl.host(hostName)
	if err != nil {
		return err
	}
	plan, err := actions.PlanRestart(host, service)
	if err != nil {
		return withCode(exitConfig, err)
	}
	if err := hl.confirmAndShow(plan, g, yes, in, out); err != nil {
		return err
	}
	r := hl.mgr.Run(ctx, plan, func(line string) { fmt.Fprintf(out, "%s | %s\n", host.Name, line) })
	return reportResult(out, r)
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
	return confirmPlans([]*actions.Plan{p}, in, out)
}

// confirmPlans asks once for plans run together: y, or what
// actions.Confirmation wants typed (a production host's name).
func confirmPlans(ps []*actions.Plan, in io.Reader, out io.Writer) error {
	if f, ok := in.(*os.File); !ok || !isatty.IsTerminal(f.Fd()) {
		return errors.New("not confirmed: no terminal to ask on; pass --yes to run without asking")
	}
	want := actions.Confirmation(ps)
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
