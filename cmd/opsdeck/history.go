package main

import (
	"time"

	"github.com/opsdeck/opsdeck/actions/record"
	"github.com/spf13/cobra"
)

func newHistoryCmd(g *globals) *cobra.Command {
	var since time.Duration
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "history [HOST]",
		Short: "Print the state changes the dashboard recorded",
		Long: `Print every change of state of a host or of one of its checks that a
running dashboard recorded ([state] url's database, kept 90 days, or
$XDG_STATE_HOME/opsdeck/events.jsonl, kept to about 16 MiB): when, which check, from what to what, why, and since when
the previous state had held. Oldest first.`,
		Example: `  opsdeck history
  opsdeck history db-1 --since 2h
  opsdeck history --json | jq 'select(.to == "CRIT")'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			host := ""
			if len(args) == 1 {
				host = args[0]
			}
			return readRecord(cmd, g, func(st *record.Record) error {
				return withCode(exitRuntime, record.WriteHistory(cmd.OutOrStdout(), st.Events, host, since, asJSON, time.Now()))
			})
		},
	}
	cmd.Flags().DurationVar(&since, "since", 0, "only the changes of the last duration (e.g. 2h, 30m)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per line")
	return cmd
}
