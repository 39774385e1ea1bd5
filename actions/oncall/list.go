package oncall

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
)

// WriteAcks prints the acknowledgements in force as a table.
func WriteAcks(w io.Writer, acks []*Ack, now time.Time) error {
	if len(acks) == 0 {
		fmt.Fprintln(w, "no acknowledgement in force")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tHOST\tCHECK\tSTATE\tBY\tAGE\tUNTIL\tNOTE")
	for _, a := range acks {
		age := fleet.FormatAge(now.Sub(a.At))
		if now.Sub(a.At) > AckOld {
			age += " (old)"
		}
		until := "OK or worse"
		if !a.Until.IsZero() {
			until = a.Until.Local().Format("Jan 2 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Host, a.Check, a.State, fleet.Sanitize(a.By, 40), age, until, fleet.Sanitize(a.Note, MaxNote))
	}
	return tw.Flush()
}

// MatchedHosts are the fleet's hosts the host part of m picks.
func MatchedHosts(cfg *fleet.Config, m Matcher) []string {
	var out []string
	for i := range cfg.Hosts {
		if m.MatchesHost(&cfg.Hosts[i]) {
			out = append(out, cfg.Hosts[i].Name)
		}
	}
	return out
}

// WriteSilences prints the silences in force and to come as a table,
// with the hosts of cfg each matches now.
func WriteSilences(w io.Writer, cfg *fleet.Config, ss []*Silence, now time.Time) error {
	if len(ss) == 0 {
		fmt.Fprintln(w, "no silence in force or to come")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tMATCH\tFROM\tUNTIL\tBY\tHOSTS NOW\tNOTE")
	for _, s := range ss {
		from := s.From.Local().Format("Jan 2 15:04")
		if s.Active(now) {
			from = "in force"
		}
		hosts := "none"
		if hs := MatchedHosts(cfg, s.Match); len(hs) > 0 {
			hosts = actions.NodeSet(hs)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, fleet.Sanitize(s.Match.String(), 80), from, s.Until.Local().Format("Jan 2 15:04"),
			fleet.Sanitize(s.By, 40), hosts, fleet.Sanitize(s.Note, MaxNote))
	}
	return tw.Flush()
}

// ParseWhen reads the time of flag (--from, --until) a time as local unless it names a zone.
func ParseWhen(flag, s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04"} {
		var t time.Time
		var err error
		if layout == time.RFC3339 {
			t, err = time.Parse(layout, s)
		} else {
			t, err = time.ParseInLocation(layout, s, time.Local)
		}
		if err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--%s %q: write a time as 2026-12-05T02:00 (local) or 2026-12-05T02:00:00Z", flag, fleet.Sanitize(s, 40))
}
