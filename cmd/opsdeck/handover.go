package main

import (
	"context"
	"fmt"
	"time"

	"github.com/opsdeck/opsdeck/actions/oncall"
	"github.com/opsdeck/opsdeck/actions/record"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/spf13/cobra"
)

func newHandoverCmd(g *globals) *cobra.Command {
	var since time.Duration
	var format string
	cmd := &cobra.Command{
		Use:   "handover [--since 12h] [--format text|markdown|json]",
		Short: "One report for the next person on call: what happened, what still fails",
		Long: `Print, from the team's record (the shared database when [state] names
one), everything of the last --since in time order: state changes the
dashboards recorded, actions and their outcome, drills, acknowledgements
and silences; then what fails now (the fleet is checked), each with who
acknowledged it, since when, and what to do.`,
		Example: `  opsdeck handover
  opsdeck handover --since 8h --format markdown > handover.md`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch format {
			case "text", "markdown", "json":
			default:
				return withCode(exitConfig, fmt.Errorf("--format %s: use text, markdown or json", format))
			}
			h, err := buildHandover(cmd.Context(), g, since, time.Now())
			if err != nil {
				return err
			}
			return h.Write(cmd.OutOrStdout(), format)
		},
	}
	cmd.Flags().DurationVar(&since, "since", 12*time.Hour, "how far back")
	cmd.Flags().StringVar(&format, "format", "text", "text, markdown or json")
	return cmd
}

func buildHandover(ctx context.Context, g *globals, since time.Duration, now time.Time) (*oncall.Handover, error) {
	_, cfg, err := configOf(g)
	if err != nil {
		return nil, withCode(exitConfig, err)
	}
	st, err := record.Open(ctx, cfg)
	if err != nil {
		return nil, withCode(exitRuntime, err)
	}
	defer st.Close()
	from := now.Add(-since)
	events, err := st.Events.Read(func(e *fleet.Event) bool { return !e.Time.Before(from) })
	if err != nil {
		return nil, withCode(exitRuntime, fmt.Errorf("read %s: %w", st.Events.Where(), err))
	}
	audit, err := st.Audit.Recent(100000)
	if err != nil {
		return nil, withCode(exitRuntime, fmt.Errorf("read %s: %w", st.Audit.Where(), err))
	}
	// What fails now: the fleet is checked, as check does.
	store, err := checkOnce(ctx, cfg, st, time.Minute)
	if err != nil {
		return nil, withCode(exitConfig, err)
	}
	var board *oncall.Board
	if log, err := st.OnCall(); err == nil {
		board, _ = (&oncall.Desk{Log: log, Audit: st.Audit}).Refresh(now)
	}
	return oncall.NewHandover(cfg.Name, from, now, events, audit, store, board), nil
}
