package main

import (
	"fmt"
	"io"
	"path"
	"text/tabwriter"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
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
			return readRecord(cmd, g, func(st *teamState) error {
				return runDrills(cmd.OutOrStdout(), st.drills, host, backup, asJSON)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per line")
	return cmd
}

func runDrills(w io.Writer, log actions.DrillHistory, host, backup string, asJSON bool) error {
	var recs []fleet.DrillRecord
	err := log.Each(func(r fleet.DrillRecord) {
		if (host == "" || r.Host == host) && (backup == "" || r.Backup == backup) {
			recs = append(recs, r)
		}
	})
	if err != nil {
		return withCode(exitRuntime, fmt.Errorf("read %s: %w", log.Where(), err))
	}
	if done, err := listed(w, recs, asJSON, "no drills recorded"); done {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tHOST\tBACKUP\tRESULT\tTOOK\tARTEFACT\tAGE THEN\tBY\tWHY")
	for _, r := range recs {
		result := "PASS"
		if !r.Passed {
			result = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Time.Local().Format("2006-01-02 15:04"), r.Host, r.Backup, result,
			r.Duration.Round(time.Second), path.Base(r.Artifact), fleet.FormatAge(r.ArtifactAge), fleet.Sanitize(r.Operator, 40),
			fleet.Sanitize(r.Reason, 200))
	}
	return tw.Flush()
}
