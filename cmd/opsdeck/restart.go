package main

import (
	"context"
	"io"

	"github.com/opsdeck/opsdeck/actions"
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
	hl, err := openHeadless(ctx, g, yes, in, out)
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
	if err := hl.con.Ask(plan); err != nil {
		return withCode(exitRuntime, err)
	}
	return said(hl.con.Said(hl.con.Manager.Run(ctx, plan, hl.con.Lines(host.Name))))
}
