package record

import (
	"encoding/json"
	"fmt"
	"io"
	"path"
	"text/tabwriter"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
)

// Listings of the record for the commands that read it: a table, or
// JSON lines.

// WriteHistory prints the state changes of log (of host, of the last
// since; "" and 0: all), oldest first.
func WriteHistory(w io.Writer, log fleet.EventStore, host string, since time.Duration, asJSON bool, now time.Time) error {
	events, err := log.Read(func(e *fleet.Event) bool {
		return (host == "" || e.Host == host) && (since <= 0 || now.Sub(e.Time) <= since)
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", log.Where(), err)
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

// WriteAudit prints the last n actions of log (of host, of the last
// since), oldest first.
func WriteAudit(w io.Writer, log actions.AuditLog, host string, n int, since time.Duration, asJSON bool, now time.Time) error {
	all, err := log.Recent(n)
	if err != nil {
		return fmt.Errorf("read %s: %w", log.Where(), err)
	}
	var es []actions.Entry
	for _, e := range all {
		if (host == "" || e.Host == host) && (since <= 0 || now.Sub(e.Time) <= since) {
			es = append(es, e)
		}
	}
	if done, err := listed(w, es, asJSON, "no actions recorded"); done {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tBY\tHOST\tACTION\tOUTCOME\tEXIT\tTOOK\tWHY")
	for _, e := range es {
		exit := "-"
		if e.Exit != nil {
			exit = fmt.Sprint(*e.Exit)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s %s\t%s\t%s\t%s\t%s\n", e.Time.Local().Format("2006-01-02 15:04:05"), fleet.Sanitize(e.Operator, 40),
			fleet.Sanitize(e.Host, 60), e.Kind, fleet.Sanitize(e.Target, 60), e.Outcome, exit,
			(time.Duration(e.DurationMS) * time.Millisecond).Round(time.Millisecond), fleet.Sanitize(e.Reason, 200))
	}
	return tw.Flush()
}

// WriteDrills prints the drills of log (of host and backup; "": all).
func WriteDrills(w io.Writer, log actions.DrillHistory, host, backup string, asJSON bool) error {
	var recs []fleet.DrillRecord
	err := log.Each(func(r fleet.DrillRecord) {
		if (host == "" || r.Host == host) && (backup == "" || r.Backup == backup) {
			recs = append(recs, r)
		}
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", log.Where(), err)
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
