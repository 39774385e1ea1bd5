package main

import (
	"github.com/opsdeck/opsdeck/actions/record"
	"github.com/spf13/cobra"
)

func newDrillsCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "drills [HOST [BACKUP]]",
		Short: "Print the restore drills recorded",
		Long: `Print the restore drills of the drill history ([state] url's
database, or $XDG_STATE_HOME/opsdeck/drills.jsonl), oldest first: when,
host, backup, PASS or FAIL, how long it took, the artefact and how old it was then, who
ran it, and for a failed drill the failing step's own error.`,
		Example: `  opsdeck drills
  opsdeck drills db-1 pg-nightly
  opsdeck drills --json | jq 'select(.passed | not)'`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			host, backup := "", ""
			if len(args) > 0 {
				host = args[0]
			}
			if len(args) > 1 {
				backup = args[1]
			}
			return readRecord(cmd, g, func(st *record.Record) error {
				return withCode(exitRuntime, record.WriteDrills(cmd.OutOrStdout(), st.Drills, host, backup, asJSON))
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per line")
	return cmd
}
