package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/opsdeck/opsdeck/fleet/config"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/spf13/cobra"
)

func newSnapshotCmd(g *globals) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "snapshot HOST BACKUP",
		Short: "Run a backup's snapshot command now (audited)",
		Long: `Run the snapshot command configured for a backup, then check the backup
again and print its newest artefact. Confirmation as for restart; audited.`,
		Example: `  opsdeck snapshot db-1 pg-nightly
  opsdeck snapshot db-1 pg-nightly --yes`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBackupAction(cmd.Context(), g, args[0], args[1], actions.KindSnapshot, yes, cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	confirmFlag(cmd, g)
	return cmd
}

func newDrillCmd(g *globals) *cobra.Command {
	var yes, all bool
	cmd := &cobra.Command{
		Use:   "drill [HOST BACKUP | --all]",
		Short: "Run a restore drill: restore the newest backup into scratch and verify it",
		Long: `Restore the newest artefact of a backup into a scratch workspace (and, with
{drill_id}, a scratch database), run the verify command, and always clean
up. The result is recorded in the drill history
($XDG_STATE_HOME/opsdeck/drills.jsonl) and the audit log.

--all drills every backup that can be drilled (restore and verify
configured, or kind restic), one after the other: the cron job of a
weekly restore test. The exit status is 0 only when every drill passed.`,
		Example: `  opsdeck drill db-2 pg-nightly
  opsdeck drill --all --yes
  0 4 * * 1  opsdeck drill --all --yes --config /etc/opsdeck/config.toml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if all && len(args) != 0 || !all && len(args) != 2 {
				return errors.New("give HOST BACKUP, or --all")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if all {
				return runDrillAll(cmd.Context(), g, yes, cmd.InOrStdin(), cmd.OutOrStdout())
			}
			return runBackupAction(cmd.Context(), g, args[0], args[1], actions.KindDrill, yes, cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&all, "all", false, "drill every backup that can be drilled")
	confirmFlag(cmd, g)
	return cmd
}

// headless is what the headless action commands share: a deck that
// reads checks now (nothing in the background) and a console that asks.
type headless struct {
	*deck
	loc fleet.Located
	con *actions.Console
}

// openHeadless opens the deck of the config g names, asking on in (yes:
// without asking) and showing on out.
func openHeadless(ctx context.Context, g *globals, yes bool, in io.Reader, out io.Writer) (*headless, error) {
	loc, cfg, err := configOf(g)
	if err != nil {
		return nil, withCode(exitConfig, err)
	}
	d, err := buildDeck(ctx, cfg, deckOptions{oneShot: true, skipUpdates: true, actionsOnly: true})
	if err != nil {
		return nil, err
	}
	f, isFile := in.(*os.File)
	con := &actions.Console{In: in, Out: out, Terminal: isFile && isatty.IsTerminal(f.Fd()), Manager: managerOf(d.conn, g.readOnly, d.st),
		ReadOnly: g.readOnly, Yes: yes, Confirm: g.confirm}
	return &headless{deck: d, loc: loc, con: con}, nil
}

// host finds a configured host, or says which names are near.
func (hl *headless) host(name string) (*fleet.Host, error) {
	if h := hl.cfg.Host(name); h != nil {
		return h, nil
	}
	names := make([]string, len(hl.cfg.Hosts))
	for i := range hl.cfg.Hosts {
		names[i] = hl.cfg.Hosts[i].Name
	}
	msg := fmt.Sprintf("no host %q in %s", name, hl.loc.Describe())
	if s := config.Suggest(name, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return nil, withCode(exitConfig, errors.New(msg))
}

func runBackupAction(ctx context.Context, g *globals, hostName, backup string, kind actions.Kind, yes bool, in io.Reader, out io.Writer) error {
	hl, err := openHeadless(ctx, g, yes, in, out)
	if err != nil {
		return err
	}
	defer hl.Close()
	h, err := hl.host(hostName)
	if err != nil {
		return err
	}
	if kind == actions.KindDrill {
		ok, err := hl.drill(ctx, h, backup)
		if err == nil && !ok {
			err = withCode(exitRuntime, errSilent)
		}
		return err
	}
	p, err := actions.PlanSnapshot(h, backup)
	if err != nil {
		return withCode(exitConfig, err)
	}
	if err := hl.con.Ask(p); err != nil {
		return withCode(exitRuntime, err)
	}
	if err := said(hl.con.Said(hl.con.Manager.Run(ctx, p, hl.con.Lines(h.Name)))); err != nil {
		return err
	}
	if st, err := hl.conn.BackupStatus(ctx, h, backup); err == nil && !st.NewestAt.IsZero() {
		fmt.Fprintf(out, "newest artefact: %s, %s old\n", st.Newest, fleet.FormatAge(time.Since(st.NewestAt)))
	}
	return nil
}

// said is an action's end as an exit code: 130 for one stopped.
func said(err error) error {
	if errors.Is(err, actions.ErrStopped) {
		return withCode(exitCanceled, err)
	}
	return withCode(exitRuntime, err)
}

// drill runs one drill; it reports whether it passed.
func (hl *headless) drill(ctx context.Context, h *fleet.Host, backup string) (bool, error) {
	if _, err := actions.FindBackup(h, backup); err != nil {
		return false, withCode(exitConfig, err)
	}
	st, err := hl.conn.BackupStatus(ctx, h, backup)
	if err != nil {
		return false, withCode(exitRuntime, err)
	}
	d, err := actions.PlanDrill(h, backup, st, hl.cfg.Hosts, time.Now())
	if err != nil {
		return false, withCode(exitRuntime, err)
	}
	if err := hl.con.Ask(d.Plan); err != nil {
		return false, withCode(exitRuntime, err)
	}
	r, rec := hl.con.Manager.RunDrill(ctx, d, hl.st.Drills, hl.con.Lines(d.Plan.Host.Name))
	if rec == nil {
		return false, said(hl.con.Said(r))
	}
	word := map[bool]string{true: "PASS", false: "FAIL"}[rec.Passed]
	fmt.Fprintf(hl.con.Out, "drill %s %s on %s: %s in %s", word, backup, h.Name, d.ID, rec.Duration.Round(time.Millisecond))
	if rec.Reason != "" {
		fmt.Fprintf(hl.con.Out, " — %s", rec.Reason)
	}
	fmt.Fprintln(hl.con.Out)
	return rec.Passed, nil
}

func runDrillAll(ctx context.Context, g *globals, yes bool, in io.Reader, out io.Writer) error {
	hl, err := openHeadless(ctx, g, yes, in, out)
	if err != nil {
		return err
	}
	defer hl.Close()
	failed, ran := 0, 0
	for i := range hl.cfg.Hosts {
		h := &hl.cfg.Hosts[i]
		for _, b := range h.Backups {
			if !actions.Drillable(&b) {
				continue
			}
			ran++
			ok, err := hl.drill(ctx, h, b.Name)
			if err != nil {
				fmt.Fprintf(out, "drill %s on %s: %v\n", b.Name, h.Name, err)
			}
			if !ok || err != nil {
				failed++
			}
			if ctx.Err() != nil {
				return withCode(exitCanceled, ctx.Err())
			}
		}
	}
	fmt.Fprintf(out, "%d drill(s): %d passed, %d failed\n", ran, ran-failed, failed)
	if failed > 0 {
		return withCode(exitRuntime, errSilent)
	}
	return nil
}
