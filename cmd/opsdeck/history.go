package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/spf13/cobra"
)

// eventPath is the event history in the state directory.
func eventPath() string { return filepath.Join(fleet.StateDir(), "events.jsonl") }

// history records every change of state of every check while the fleet is
// polled: in the event log and in opsdeck.log.
type history struct {
	log     fleet.EventStore
	tracker *fleet.EventTracker
	wg      sync.WaitGroup
}

// startHistory watches the store until ctx ends; Wait waits for it.
func startHistory(ctx context.Context, store *fleet.Store, log fleet.EventStore, logger *slog.Logger) *history {
	h := &history{log: log, tracker: fleet.NewEventTracker()}
	h.wg.Add(1) // before the goroutine: a Wait right after start waits for it
	go func() {
		defer h.wg.Done()
		fleet.WatchEvents(ctx, store, h.tracker, time.Second, func(es []fleet.Event) {
			for _, e := range es {
				logger.Info("state", "host", e.Host, "check", e.Check, "from", e.From, "to", e.To, "reason", fleet.Sanitize(e.Reason, 300))
			}
			if err := h.log.Append(es); err != nil {
				logger.Warn("event history not written", "where", h.log.Where(), "err", err)
			}
		})
	}()
	return h
}

// Wait waits for the watcher to end.
func (h *history) Wait() { h.wg.Wait() }

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
			return readRecord(cmd, g, func(st *teamState) error {
				return runHistory(cmd.OutOrStdout(), st.events, host, since, asJSON, time.Now())
			})
		},
	}
	cmd.Flags().DurationVar(&since, "since", 0, "only the changes of the last duration (e.g. 2h, 30m)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per line")
	return cmd
}

func runHistory(w io.Writer, log fleet.EventStore, host string, since time.Duration, asJSON bool, now time.Time) error {
	events, err := log.Read(func(e *fleet.Event) bool {
		return (host == "" || e.Host == host) && (since <= 0 || now.Sub(e.Time) <= since)
	})
	if err != nil {
		return withCode(exitRuntime, fmt.Errorf("read %s: %w", log.Where(), err))
	}
	if done, err := listed(w, events, asJSON, "no state changes recorded"); done {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tHOST\tCHECK\tCHANGE\tHELD\tREASON")
	for _, e := range events {
		from, held := e.From, "-"
		if from == "" {
			from = "(start)"
		}
		if !e.Since.IsZero() {
			held = fleet.FormatAge(e.Time.Sub(e.Since))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s → %s\t%s\t%s\n", e.Time.Local().Format("2006-01-02 15:04:05"), e.Host, e.Check, from, e.To, held,
			fleet.Sanitize(e.Reason, 200))
	}
	return tw.Flush()
}

// listed prints records as JSON lines when asJSON, or says empty when
// there are none; done is false when the caller prints the table.
func listed[T any](w io.Writer, recs []T, asJSON bool, empty string) (done bool, err error) {
	switch {
	case asJSON:
		enc := json.NewEncoder(w)
		for i := range recs {
			if err := enc.Encode(&recs[i]); err != nil {
				return true, err
			}
		}
		return true, nil
	case len(recs) == 0:
		_, err := fmt.Fprintln(w, empty)
		return true, err
	}
	return false, nil
}
