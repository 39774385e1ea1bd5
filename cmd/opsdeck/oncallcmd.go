package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/opsdeck/opsdeck/actions/oncall"
	"github.com/opsdeck/opsdeck/actions/record"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/report"
	"github.com/spf13/cobra"
)

// withDesk runs fn with the team's record open and its on-call log read
// at now; the record is closed after.
func withDesk(ctx context.Context, g *globals, now time.Time, fn func(d *oncall.Desk, cfg *fleet.Config, st *record.Record) error) error {
	_, cfg, err := configOf(g)
	if err != nil {
		return withCode(exitConfig, err)
	}
	st, err := record.Open(ctx, cfg)
	if err != nil {
		return withCode(exitRuntime, err)
	}
	defer st.Close()
	log, err := st.OnCall()
	if err != nil {
		return withCode(exitRuntime, err)
	}
	d := newDesk(log, st, cfg)
	if _, err := d.Refresh(now); err != nil {
		return withCode(exitRuntime, err)
	}
	return fn(d, cfg, st)
}

func newAckCmd(g *globals) *cobra.Command {
	var note string
	var dur time.Duration
	cmd := &cobra.Command{
		Use:   "ack HOST CHECK --note TEXT [--for D]",
		Short: "Acknowledge a failing check: the team sees who is on it (audited)",
		Long: `Acknowledge a host's failing check, named by its key (disk:/var,
service:nginx, backup:pg, host; opsdeck check --json shows them). The
host is checked now: an OK check is refused. The state stays what it
is; the acknowledgement changes what is notified and how the problem is
drawn. It ends by itself when the check is OK again, when it gets worse
(WARN to CRIT, or a % figure 2 points past the one acknowledged), or
after --for.`,
		Example: `  opsdeck ack host3 disk:/var --note "cleaning /var/log"
  opsdeck ack db-1 service:postgres --note "failover in progress" --for 2h
  opsdeck ack list
  opsdeck ack remove ack-20261204T101500-1a2b3c4d5e6f`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAck(cmd.Context(), g, args[0], args[1], note, dur, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "what is being done (shown to the team, at most 200 characters)")
	cmd.Flags().DurationVar(&dur, "for", 0, "end it after this long even if the check still fails")
	list := &cobra.Command{
		Use: "list", Short: "List the acknowledgements in force", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDesk(cmd.Context(), g, time.Now(), func(d *oncall.Desk, _ *fleet.Config, _ *record.Record) error {
				return oncall.WriteAcks(cmd.OutOrStdout(), d.View().Acks(), time.Now())
			})
		},
	}
	remove := &cobra.Command{
		Use: "remove ID", Short: "End an acknowledgement (audited)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			now := time.Now()
			return withDesk(cmd.Context(), g, now, func(d *oncall.Desk, _ *fleet.Config, _ *record.Record) error {
				for _, a := range d.View().Acks() {
					if a.ID == args[0] {
						if err := d.EndAck(a, oncall.Removed, "removed by "+d.Operator, now); err != nil {
							return withCode(exitRuntime, err)
						}
						fmt.Fprintf(cmd.OutOrStdout(), "removed %s's acknowledgement of %s on %s\n", a.By, a.Check, a.Host)
						return nil
					}
				}
				return withCode(exitConfig, fmt.Errorf("no acknowledgement %q in force (opsdeck ack list)", fleet.Sanitize(args[0], 80)))
			})
		},
	}
	cmd.AddCommand(list, remove)
	return cmd
}

func runAck(ctx context.Context, g *globals, hostName, key, note string, dur time.Duration, out io.Writer) error {
	now := time.Now()
	if err := oncall.CheckNote(note); err != nil {
		return withCode(exitConfig, err)
	}
	return withDesk(ctx, g, now, func(d *oncall.Desk, cfg *fleet.Config, st *record.Record) error {
		return ackNow(ctx, d, cfg, st, hostName, key, note, dur, out)
	})
}

// ackNow checks the host now and acknowledges its failing check key.
func ackNow(ctx context.Context, d *oncall.Desk, cfg *fleet.Config, st *record.Record, hostName, key, note string, dur time.Duration, out io.Writer) error {
	h := cfg.Host(hostName)
	if h == nil {
		return withCode(exitConfig, fmt.Errorf("no host %q in the fleet", fleet.Sanitize(hostName, 80)))
	}
	one := *cfg
	one.Hosts = []fleet.Host{*h}
	store, err := checkOnce(ctx, &one, st, 2*h.Timeout.Duration+30*time.Second)
	if err != nil {
		return withCode(exitRuntime, err)
	}
	s, _ := store.Status(h.Name)
	checks := fleet.Assess(&s, report.AnsweredAt(&s, time.Now())).Findings()
	a, err := d.AckKey(h, checks, key, note, dur, time.Now())
	switch {
	case errors.Is(err, oncall.ErrAckOK) || errors.Is(err, oncall.ErrNoCheck):
		return withCode(exitConfig, err)
	case err != nil:
		return withCode(exitRuntime, err)
	}
	fmt.Fprintf(out, "acknowledged %s %s on %s (%s): %s\n", a.State, a.Check, a.Host, a.ID, a.Note)
	return nil
}

// checkOnce polls cfg's hosts once to depth Full, as check does, their
// drills read from st, within timeout.
func checkOnce(ctx context.Context, cfg *fleet.Config, st *record.Record, timeout time.Duration) (*fleet.Store, error) {
	d, err := buildDeck(ctx, cfg, deckOptions{oneShot: true, record: st})
	if err != nil {
		return nil, err
	}
	defer d.Close()
	pass, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	d.conn.StartSources(pass)
	d.poller.Once(pass, fleet.Full)
	return d.store, nil
}

// jsonOut prints v as indented JSON.
func jsonOut(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
