package main

import (
	"context"

	"github.com/opsdeck/opsdeck/actions/record"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/spf13/cobra"
)

// stateOf opens the record of the config g names, for the commands that
// only read it (history, drills, audit).
func stateOf(ctx context.Context, g *globals) (*record.Record, error) {
	_, cfg, err := configOf(g)
	if err != nil {
		return nil, withCode(exitConfig, err)
	}
	st, err := record.Open(ctx, cfg)
	if err != nil {
		return nil, withCode(exitRuntime, err)
	}
	if st.DB == nil && fleet.StateDir() == "" {
		return nil, withCode(exitRuntime, fleet.ErrNoStateDir)
	}
	return st, nil
}

// readRecord runs fn on the record of the config g names (for the commands
// that only read it), closing it after.
func readRecord(cmd *cobra.Command, g *globals, fn func(*record.Record) error) error {
	st, err := stateOf(cmd.Context(), g)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st)
}
