package tui

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// backups lists the host's backups: newest artefact, its age and size, the
// last drill; the selected one is what n and d act on.
func (x sections) backups(b *strings.Builder) {
	h, st, k := x.r.status.Host, x.c.st, x.c.keys
	if len(h.Backups) == 0 {
		return
	}
	x.heading(b, "Backups", k.Drill.Enabled(), k.Snapshot.Help().Key+" snapshot, "+k.Drill.Help().Key+" restore drill")
	b.WriteString(st.Table.Header.Render(fmt.Sprintf("  %-14s %-7s %-24s %5s %9s  %-14s  %s", "name", "kind", "newest", "age", "size", "last drill", "check")) + "\n")
	byName := map[string]*fleet.BackupStatus{}
	if x.r.status.Last != nil {
		for i := range x.r.status.Last.Backups {
			byName[x.r.status.Last.Backups[i].Name] = &x.r.status.Last.Backups[i]
		}
	}
	for i := range h.Backups {
		cfg := &h.Backups[i]
		bs := byName[cfg.Name]
		newest, age, size := "-", "-", "-"
		if bs != nil && !bs.NewestAt.IsZero() {
			newest = path.Base(bs.Newest)
			age = fleet.FormatAge(x.c.now.Sub(bs.NewestAt))
			if bs.Size >= 0 {
				size = fleet.FormatBytes(uint64(bs.Size))
			}
		}
		drill := st.Status.Warn.Render(fit("never", 14))
		sum := x.r.status.DrillsOf(cfg.Name)
		if sum.Unknown != "" {
			drill = st.Table.Muted.Render(fit("unknown", 14))
		} else if d := sum.Last; d != nil {
			word := map[bool]string{true: "PASS", false: "FAIL"}[d.Passed]
			drill = fit(fmt.Sprintf("%s %s ago", word, fleet.FormatAge(x.c.now.Sub(d.Time))), 14)
		}
		c := fleet.BackupCheck(cfg, bs, sum, x.c.now)
		b.WriteString(x.cursor(len(h.Services) + i))
		b.WriteString(x.text("%-14s %-7s %-24s %5s %9s", fit(cfg.Name, 14), cfg.Kind, fit(newest, 24), age, size) + "  " + drill + "  " + x.verdict(c))
		if c.State != fleet.OK && !x.old {
			b.WriteString(" " + stateStyle(st, c.State).Render(strings.TrimLeft(strings.TrimPrefix(c.Reason, "backup "+cfg.Name), ": ")))
		}
		b.WriteString("\n")
		x.drills(b, sum.Recent)
	}
	b.WriteString("\n")
}

// drills lists a backup's last drills under it, newest first: result,
// when, how long, the artefact and its age then, a failure's own error.
func (x sections) drills(b *strings.Builder, recent []fleet.DrillRecord) {
	st := x.c.st
	for _, d := range recent {
		word, style := "PASS", st.Status.OK
		if !d.Passed {
			word, style = "FAIL", st.Status.Crit
		}
		line := fmt.Sprintf("      %s %s ago, %s, %s (%s old then)", style.Render(word), fleet.FormatAge(x.c.now.Sub(d.Time)),
			d.Duration.Round(time.Second), path.Base(d.Artifact), fleet.FormatAge(d.ArtifactAge))
		if !d.Passed && d.Reason != "" {
			line += " " + st.Status.Crit.Render(fleet.Sanitize(d.Reason, 200))
		}
		b.WriteString(line + "\n")
	}
}
