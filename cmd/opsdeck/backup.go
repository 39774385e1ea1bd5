package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

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
			return runBackupAction(cmd.Context(), g, args[0], args[1], "snapshot", yes, cmd.InOrStdin(), cmd.OutOrStdout())
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
			return runBackupAction(cmd.Context(), g, args[0], args[1], "drill", yes, cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&all, "all", false, "drill every backup that can be drilled")
	confirmFlag(cmd, g)
	return cmd
}

// headless is what the headless backup commands share.
type headless struct {
	loc    fleet.Located
	cfg    *fleet.Config
	conn   *fleetConn
	st     *teamState
	mgr    *actions.Manager
	drills actions.DrillHistory
}

// Close closes the connections and the record.
func (hl *headless) Close() {
	hl.conn.Close()
	hl.st.Close()
}

func openHeadless(ctx context.Context, g *globals) (*headless, error) {
	loc, cfg, _, err := configOf(g)
	if err != nil {
		return nil, withCode(exitConfig, err)
	}
	conn, err := connect(cfg)
	if err != nil {
		return nil, withCode(exitConfig, err)
	}
	conn.oneShot, conn.updates = true, false // backups only: read now, nothing in the background
	st, err := openState(ctx, cfg)
	if err != nil {
		conn.Close()
		return nil, withCode(exitRuntime, err)
	}
	return &headless{loc: loc, cfg: cfg, conn: conn, st: st, mgr: conn.actions(g.readOnly, st), drills: st.drills}, nil
}

// host finds a configured host, or says which names are near.
func (hl *headless) host(name string) (*fleet.Host, error) {
	if h := findHost(hl.cfg, name); h != nil {
		return h, nil
	}
	names := make([]string, len(hl.cfg.Hosts))
	for i := range hl.cfg.Hosts {
		names[i] = hl.cfg.Hosts[i].Name
	}
	msg := fmt.Sprintf("no host %q in %s", name, describe(hl.loc))
	if s := config.Suggest(name, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return nil, withCode(exitConfig, errors.New(msg))
}

// backupStatus checks one host's backups now.
func (hl *headless) backupStatus(ctx context.Context, h *fleet.Host, name string) (*fleet.BackupStatus, error) {
	src := hl.conn.checks(h)
	if c, ok := src.(interface{ Close() }); ok {
		defer c.Close()
	}
	ctx, cancel := context.WithTimeout(ctx, 2*h.Timeout.Duration+time.Minute)
	defer cancel()
	s, err := src.Sample(ctx)
	if err != nil {
		return nil, fmt.Errorf("checking %s: %w", h.Name, err)
	}
	if st, ok := src.(fleet.Settler); ok {
		st.Settle(ctx, s)
	}
	for i := range s.Backups {
		if s.Backups[i].Name == name {
			return &s.Backups[i], nil
		}
	}
	return nil, fmt.Errorf("backup %s on %s: not checked", name, h.Name)
}

func runBackupAction(ctx context.Context, g *globals, hostName, backup, kind string, yes bool, in io.Reader, out io.Writer) error {
	hl, err := openHeadless(ctx, g)
	if err != nil {
		return err
	}
	defer hl.Close()
	h, err := hl.host(hostName)
	if err != nil {
		return err
	}
	if kind == "snapshot" {
		p, err := actions.PlanSnapshot(h, backup)
		if err != nil {
			return withCode(exitConfig, err)
		}
		if err := hl.confirmAndShow(p, g, yes, in, out); err != nil {
			return err
		}
		r := hl.mgr.Run(ctx, p, func(l string) { fmt.Fprintf(out, "%s | %s\n", h.Name, l) })
		if err := reportResult(out, r); err != nil {
			return err
		}
		if st, err := hl.backupStatus(ctx, h, backup); err == nil && !st.NewestAt.IsZero() {
			fmt.Fprintf(out, "newest artefact: %s, %s old\n", st.Newest, fleet.FormatAge(time.Since(st.NewestAt)))
		}
		return nil
	}
	ok, err := hl.drill(ctx, h, backup, g, yes, in, out)
	if err != nil {
		return err
	}
	if !ok {
		return withCode(exitRuntime, errSilent)
	}
	return nil
}

// drill runs one drill; it reports whether it passed.
func (hl *headless) drill(ctx context.Context, h *fleet.Host, backup string, g *globals, yes bool, in io.Reader, out io.Writer) (bool, error) {
	if _, err := actions.FindBackup(h, backup); err != nil {
		return false, withCode(exitConfig, err)
	}
	st, err := hl.backupStatus(ctx, h, backup)
	if err != nil {
		return false, withCode(exitRuntime, err)
	}
	d, err := actions.PlanDrill(h, backup, st, hl.cfg.Hosts, time.Now())
	if err != nil {
		return false, withCode(exitRuntime, err)
	}
	if err := hl.confirmAndShow(d.Plan, g, yes, in, out); err != nil {
		return false, err
	}
	r, rec := hl.mgr.RunDrill(ctx, d, hl.drills, func(l string) { fmt.Fprintf(out, "%s | %s\n", d.Plan.Host.Name, l) })
	if rec != nil {
		word := map[bool]string{true: "PASS", false: "FAIL"}[rec.Passed]
		fmt.Fprintf(out, "drill %s %s on %s: %s in %s", word, backup, h.Name, d.ID, rec.Duration.Round(time.Millisecond))
		if rec.Reason != "" {
			fmt.Fprintf(out, " — %s", rec.Reason)
		}
		fmt.Fprintln(out)
		return rec.Passed, nil
	}
	return false, reportResult(out, r)
}

func (hl *headless) confirmAndShow(p *actions.Plan, g *globals, yes bool, in io.Reader, out io.Writer) error {
	fmt.Fprintf(out, "%s %s on %s", p.Kind, p.Target, p.Host.Name)
	if p.Host.Prod() {
		fmt.Fprint(out, " (PROD)")
	}
	fmt.Fprintln(out)
	if len(p.Steps) > 0 {
		for _, s := range p.Steps {
			fmt.Fprintf(out, "  %s\n", s)
		}
	} else {
		fmt.Fprintf(out, "  command: %s\n", p.Command)
	}
	if g.readOnly {
		return nil
	}
	if yes {
		return hl.prodConfirmed([]*actions.Plan{p}, g)
	}
	if err := confirm(p, in, out); err != nil {
		hl.mgr.Cancelled(p)
		return withCode(exitRuntime, err)
	}
	return nil
}

// prodConfirmed refuses plans run under --yes whose production hosts
// were not named with --confirm: each is recorded as cancelled.
func (hl *headless) prodConfirmed(plans []*actions.Plan, g *globals) error {
	for _, p := range plans {
		if p.Host.Prod() && !slices.Contains(g.confirm, p.Host.Name) {
			for _, q := range plans {
				hl.mgr.Cancelled(q)
			}
			return withCode(exitRuntime, fmt.Errorf("not confirmed: %s is a production host and --yes is not enough; add --confirm %s", p.Host.Name, p.Host.Name))
		}
	}
	return nil
}

func reportResult(out io.Writer, r actions.Result) error {
	p := r.Plan
	switch r.Outcome {
	case actions.Succeeded:
		fmt.Fprintf(out, "%s %s on %s: succeeded in %s\n", p.Kind, p.Target, p.Host.Name, r.Duration.Round(time.Millisecond))
		if r.Err != nil {
			return withCode(exitRuntime, r.Err)
		}
		return nil
	case actions.Cancelled, actions.Interrupted:
		return withCode(exitCanceled, fmt.Errorf("%s %s on %s: %s: %v", p.Kind, p.Target, p.Host.Name, r.Outcome, r.Err))
	}
	return withCode(exitRuntime, fmt.Errorf("%s %s on %s: %s: %v", p.Kind, p.Target, p.Host.Name, r.Outcome, r.Err))
}

func runDrillAll(ctx context.Context, g *globals, yes bool, in io.Reader, out io.Writer) error {
	hl, err := openHeadless(ctx, g)
	if err != nil {
		return err
	}
	defer hl.Close()
	failed, ran := 0, 0
	for i := range hl.cfg.Hosts {
		h := &hl.cfg.Hosts[i]
		for _, b := range h.Backups {
			if b.Kind != "restic" && (b.Restore == "" || b.Verify == "") {
				continue
			}
			ran++
			ok, err := hl.drill(ctx, h, b.Name, g, yes, in, out)
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
