package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/opsdeck/opsdeck/actions/record"

	"github.com/opsdeck/opsdeck/fleet/config"

	"github.com/opsdeck/opsdeck/actions/record/pg"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/spf13/cobra"
)

func newAuditCmd(g *globals) *cobra.Command {
	var n int
	var since time.Duration
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "audit [HOST]",
		Short: "Print the recorded actions: who did what, where, and how it ended",
		Long: `Print the last actions of the audit log ([state] url's database, or
$XDG_STATE_HOME/opsdeck/audit.jsonl): each one's result, or its intent
("started") when no result was recorded (still running, or opsdeck was
stopped in the middle). Oldest first.`,
		Example: `  opsdeck audit
  opsdeck audit db-1 --since 24h
  opsdeck audit --json | jq 'select(.outcome != "succeeded")'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			host := ""
			if len(args) == 1 {
				host = args[0]
			}
			return readRecord(cmd, g, func(st *record.Record) error {
				return withCode(exitRuntime, record.WriteAudit(cmd.OutOrStdout(), st.Audit, host, n, since, asJSON, time.Now()))
			})
		},
	}
	cmd.Flags().IntVarP(&n, "last", "n", 100, "how many of the latest actions to read")
	cmd.Flags().DurationVar(&since, "since", 0, "only the actions of the last duration (e.g. 24h)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per line")
	return cmd
}

func newStateCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "state",
		Short: "Move the shared record between the local files and PostgreSQL",
	}
	var from, to string
	migrate := &cobra.Command{
		Use:   "migrate --from files --to postgres://USER@HOST/DB",
		Short: "Copy the local history (audit, drills, events, check state) into a database",
		Long: `Copy every record of this machine's state directory into a PostgreSQL
database: the audit log (every intent and result), the drill history, the
event history and the check command's last states. It runs in one
transaction: all of it is copied or, on an error, none. Records already
there are left as they are, so running it twice copies nothing twice.
The database is migrated to this opsdeck's schema first. The password
comes from $PGPASSWORD, ~/.pgpass or [state] password_file, never the
command line's URL.`,
		Example: `  opsdeck state migrate --from files --to postgres://opsdeck@db.internal/opsdeck`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runMigrate(cmd.Context(), g, from, to, cmd.OutOrStdout())
		},
	}
	migrate.Flags().StringVar(&from, "from", "files", "where the history is: files (the state directory)")
	migrate.Flags().StringVar(&to, "to", "", "the database's postgres:// URL (default: [state] url or $"+record.DatabaseEnv+")")
	cmd.AddCommand(migrate)
	return cmd
}

func runMigrate(ctx context.Context, g *globals, from, to string, out io.Writer) error {
	if from != "files" {
		return withCode(exitConfig, fmt.Errorf("--from %q: only the local files can be copied from (--from files)", from))
	}
	_, cfg, err := configOf(g)
	if err != nil {
		return withCode(exitConfig, err)
	}
	if to == "" {
		if to, err = record.URL(cfg); err != nil {
			return withCode(exitConfig, err)
		}
	}
	switch {
	case to == "":
		return withCode(exitConfig, fmt.Errorf("--to: no database: give --to postgres://…, [state] url or $%s", record.DatabaseEnv))
	case config.StateURLProblem(to) != "":
		return withCode(exitConfig, fmt.Errorf("--to: %s", config.StateURLProblem(to)))
	case config.URLHasPassword(to):
		return withCode(exitConfig, errors.New("--to holds a password, which every user sees in ps: give it in $PGPASSWORD, ~/.pgpass or [state] password_file"))
	case fleet.StateDir() == "":
		return withCode(exitRuntime, fleet.ErrNoStateDir)
	}
	recs, err := record.ReadFiles()
	if err != nil {
		return withCode(exitRuntime, err)
	}
	db, err := pg.Open(ctx, to, cfg.State.PasswordFile)
	if err != nil {
		return withCode(exitRuntime, err)
	}
	defer db.Close()
	n, err := db.Import(ctx, recs)
	if err != nil {
		return withCode(exitRuntime, err)
	}
	fmt.Fprintf(out, "copied %s into %s:\n", fleet.StateDir(), db.Where())
	for _, c := range []struct {
		what string
		n    [2]int
	}{{"audit records", n.Audit}, {"drills", n.Drills}, {"events", n.Events}, {"check states", n.Values}} {
		fmt.Fprintf(out, "  %-14s %d copied, %d already there\n", c.what, c.n[0], c.n[1])
	}
	return nil
}
