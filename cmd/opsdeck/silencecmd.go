package main

import (
	"fmt"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/actions/oncall"
	"github.com/opsdeck/opsdeck/actions/record"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/spf13/cobra"
)

type silenceFlags struct {
	m           oncall.Matcher
	from, until string
	dur         time.Duration
	note        string
}

func newSilenceCmd(g *globals) *cobra.Command {
	f := &silenceFlags{}
	add := &cobra.Command{
		Use:   "add (--host G | --tag G | --role G | --env G | --check G)… (--for D | --until T) [--from T] --note TEXT",
		Short: "Silence hosts and checks for a maintenance window (audited)",
		Long: `Silence the notifications about what the matchers pick: hosts by name,
tag, role or env and checks by key or kind (disk, disk:/var, service:*),
globs allowed; every matcher given must match. From now (or --from) until
--until, or for --for; at most [oncall] max_silence (7 days by default).
States and exit codes stay true: a silence stops check --notify,
--notify-cmd and the dashboard's alerts, and the dashboard draws what it
silences last. What it matches now is printed; a silence that matches
no host is made anyway, with a warning (a host may join later). Times are
local unless they name a zone: 2026-12-05T02:00, 2026-12-05T02:00:00Z.`,
		Example: `  opsdeck silence add --tag kernel-upgrade --from 2026-12-05T02:00 --for 2h --note "kernel upgrade"
  opsdeck silence add --host 'web-0[1-6]' --check disk --for 30m --note "log rotation fix"
  opsdeck silence list
  opsdeck silence expire sil-20261204T101500-1a2b3c4d5e6f`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSilenceAdd(cmd, g, f, time.Now())
		},
	}
	add.Flags().StringSliceVar(&f.m.Hosts, "host", nil, "host names (globs)")
	add.Flags().StringSliceVar(&f.m.Tags, "tag", nil, "hosts with a tag (globs)")
	add.Flags().StringSliceVar(&f.m.Roles, "role", nil, "hosts with a role (globs)")
	add.Flags().StringSliceVar(&f.m.Envs, "env", nil, "hosts of an env (globs)")
	add.Flags().StringSliceVar(&f.m.Checks, "check", nil, "checks by key or kind (globs): disk, disk:/var, service:*")
	add.Flags().StringVar(&f.from, "from", "", "when it starts (default now)")
	add.Flags().StringVar(&f.until, "until", "", "when it ends")
	add.Flags().DurationVar(&f.dur, "for", 0, "how long it lasts from its start")
	add.Flags().StringVar(&f.note, "note", "", "why (shown to the team, at most 200 characters)")
	list := &cobra.Command{
		Use: "list", Short: "List the silences in force and to come", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := time.Now()
			return withDesk(cmd.Context(), g, now, func(d *oncall.Desk, cfg *fleet.Config, _ *record.Record) error {
				return oncall.WriteSilences(cmd.OutOrStdout(), cfg, d.View().Silences(now), now)
			})
		},
	}
	expire := &cobra.Command{
		Use: "expire ID", Short: "End a silence now (audited)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			now := time.Now()
			return withDesk(cmd.Context(), g, now, func(d *oncall.Desk, _ *fleet.Config, _ *record.Record) error {
				for _, s := range d.View().Silences(now) {
					if s.ID == args[0] {
						if err := d.Expire(s, now); err != nil {
							return withCode(exitRuntime, err)
						}
						fmt.Fprintf(cmd.OutOrStdout(), "expired %s's silence of %s\n", s.By, s.Match)
						return nil
					}
				}
				return withCode(exitConfig, fmt.Errorf("no silence %q in force or to come (opsdeck silence list)", fleet.Sanitize(args[0], 80)))
			})
		},
	}
	cmd := &cobra.Command{Use: "silence", Short: "Silence hosts and checks for a maintenance window"}
	cmd.AddCommand(add, list, expire)
	return cmd
}

func runSilenceAdd(cmd *cobra.Command, g *globals, f *silenceFlags, now time.Time) error {
	out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
	from, until := now, time.Time{}
	var err error
	if f.from != "" {
		if from, err = oncall.ParseWhen("from", f.from); err != nil {
			return withCode(exitConfig, err)
		}
	}
	switch {
	case f.until != "" && f.dur != 0:
		return withCode(exitConfig, fmt.Errorf("--until and --for both say when it ends: give one"))
	case f.until != "":
		if until, err = oncall.ParseWhen("until", f.until); err != nil {
			return withCode(exitConfig, err)
		}
	case f.dur > 0:
		until = from.Add(f.dur)
	}
	return withDesk(cmd.Context(), g, now, func(d *oncall.Desk, cfg *fleet.Config, _ *record.Record) error {
		s, err := d.Silence(f.m, from, until, f.note, now)
		if err != nil {
			return withCode(exitConfig, err)
		}
		hosts := oncall.MatchedHosts(cfg, s.Match)
		when := "now"
		if s.From.After(now) {
			when = s.From.Local().Format("Jan 2 15:04")
		}
		fmt.Fprintf(out, "silenced %s from %s until %s (%s): %s\n", s.Match, when, s.Until.Local().Format("Jan 2 15:04"), s.ID, s.Note)
		if len(hosts) == 0 {
			fmt.Fprintf(errOut, "warning: %s matches no host of the fleet now (made anyway: a host may join later)\n", s.Match)
			return nil
		}
		fmt.Fprintf(out, "matches %s\n", actions.NodeSet(hosts))
		return nil
	})
}
