package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/spf13/cobra"
)

// onCallDesk opens the team's record and its on-call log, read.
func onCallDesk(ctx context.Context, g *globals, now time.Time) (*actions.Desk, *fleet.Config, func(), error) {
	_, cfg, _, err := configOf(g)
	if err != nil {
		return nil, nil, nil, withCode(exitConfig, err)
	}
	st, err := openState(ctx, cfg)
	if err != nil {
		return nil, nil, nil, withCode(exitRuntime, err)
	}
	log, err := st.onCall()
	if err != nil {
		st.Close()
		return nil, nil, nil, withCode(exitRuntime, err)
	}
	d := &actions.Desk{Log: log, Audit: st.audit, Operator: actions.Operator(), MaxSilence: cfg.OnCall.MaxSilence.Duration}
	if _, err := d.Refresh(now); err != nil {
		st.Close()
		return nil, nil, nil, withCode(exitRuntime, err)
	}
	return d, cfg, st.Close, nil
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
			d, _, done, err := onCallDesk(cmd.Context(), g, time.Now())
			if err != nil {
				return err
			}
			defer done()
			return listAcks(cmd.OutOrStdout(), d.View().Acks(), time.Now())
		},
	}
	remove := &cobra.Command{
		Use: "remove ID", Short: "End an acknowledgement (audited)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			now := time.Now()
			d, _, done, err := onCallDesk(cmd.Context(), g, now)
			if err != nil {
				return err
			}
			defer done()
			for _, a := range d.View().Acks() {
				if a.ID == args[0] {
					if err := d.EndAck(a, actions.Removed, "removed by "+d.Operator, now); err != nil {
						return withCode(exitRuntime, err)
					}
					fmt.Fprintf(cmd.OutOrStdout(), "removed %s's acknowledgement of %s on %s\n", a.By, a.Check, a.Host)
					return nil
				}
			}
			return withCode(exitConfig, fmt.Errorf("no acknowledgement %q in force (opsdeck ack list)", fleet.Sanitize(args[0], 80)))
		},
	}
	cmd.AddCommand(list, remove)
	return cmd
}

func runAck(ctx context.Context, g *globals, hostName, key, note string, dur time.Duration, out io.Writer) error {
	now := time.Now()
	if err := fleet.CheckNote(note); err != nil {
		return withCode(exitConfig, err)
	}
	d, cfg, done, err := onCallDesk(ctx, g, now)
	if err != nil {
		return err
	}
	defer done()
	h := findHost(cfg, hostName)
	if h == nil {
		return withCode(exitConfig, fmt.Errorf("no host %q in the fleet", fleet.Sanitize(hostName, 80)))
	}
	checks, err := evaluateHost(ctx, cfg, h)
	if err != nil {
		return withCode(exitRuntime, err)
	}
	var failing []string
	for _, c := range checks {
		if c.Key() == key {
			a, err := d.Acknowledge(h, c, note, dur, time.Now())
			if err != nil {
				if errors.Is(err, actions.ErrAckOK) {
					return withCode(exitConfig, err)
				}
				return withCode(exitRuntime, err)
			}
			fmt.Fprintf(out, "acknowledged %s %s on %s (%s): %s\n", a.State, a.Check, a.Host, a.ID, a.Note)
			return nil
		}
		if c.State != fleet.OK && !c.NotApplicable {
			failing = append(failing, fmt.Sprintf("%s (%s)", c.Key(), c.State))
		}
	}
	msg := fmt.Sprintf("%s has no check %q that fails now", h.Name, fleet.Sanitize(key, 80))
	if len(failing) > 0 {
		msg += "; failing: " + strings.Join(failing, ", ")
	} else {
		msg += "; nothing fails there: there is nothing to acknowledge"
	}
	return withCode(exitConfig, errors.New(msg))
}

// evaluateHost polls one host once, as check does, and evaluates it.
func evaluateHost(ctx context.Context, cfg *fleet.Config, h *fleet.Host) ([]fleet.Check, error) {
	one := *cfg
	one.Hosts = []fleet.Host{*h}
	conn, err := connect(&one)
	if err != nil {
		return nil, err
	}
	conn.oneShot = true
	defer conn.Close()
	store := fleet.NewStore(one.Hosts)
	poller := fleet.NewPoller(&one, store, conn.source)
	defer poller.Close()
	pass, cancel := context.WithTimeout(ctx, 2*h.Timeout.Duration+30*time.Second)
	defer cancel()
	conn.startSources(pass)
	poller.Once(pass, fleet.Full)
	st, _ := store.Status(h.Name)
	hl := fleet.Assess(&st, answeredAt(&st, time.Now()))
	return hl.Findings(), nil
}

func listAcks(w io.Writer, acks []*fleet.Ack, now time.Time) error {
	if len(acks) == 0 {
		fmt.Fprintln(w, "no acknowledgement in force")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tHOST\tCHECK\tSTATE\tBY\tAGE\tUNTIL\tNOTE")
	for _, a := range acks {
		age := fleet.FormatAge(now.Sub(a.At))
		if now.Sub(a.At) > fleet.AckOld {
			age += " (old)"
		}
		until := "OK or worse"
		if !a.Until.IsZero() {
			until = a.Until.Local().Format("Jan 2 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Host, a.Check, a.State, fleet.Sanitize(a.By, 40), age, until, fleet.Sanitize(a.Note, fleet.MaxNote))
	}
	return tw.Flush()
}

// jsonOut prints v as indented JSON.
func jsonOut(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
