package tui

import (
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// backupAges are the age of a host's oldest newest artefact (0: none seen)
// and of its oldest last passing drill; never is set when some backup
// has never passed a drill (and the drill history is known).
func backupAges(r *hostRow, now time.Time) (oldest, oldestDrill time.Duration, never bool) {
	h := r.status.Host
	for i := range h.Backups {
		name := h.Backups[i].Name
		if s := r.status.Last; s != nil {
			for _, bs := range s.Backups {
				if bs.Name == name && !bs.NewestAt.IsZero() {
					oldest = max(oldest, now.Sub(bs.NewestAt))
				}
			}
		}
		if sum := r.status.DrillsOf(name); sum.LastPass != nil {
			oldestDrill = max(oldestDrill, now.Sub(sum.LastPass.Time))
		} else if sum.Unknown == "" {
			never = true
		}
	}
	return oldest, oldestDrill, never
}

// backupState is the worst of a host's backup checks.
func backupState(r *hostRow) fleet.State {
	worst := fleet.OK
	for _, c := range r.health.Checks {
		if c.Kind == fleet.KindBackup {
			worst = fleet.Worse(worst, c.State)
		}
	}
	return worst
}

// backupCell is the BACKUP cell, coloured by the worst backup check; on a
// host whose data is old it is dimmed: the age is true, the verdict is not.
func backupCell(t *tableModel, r *hostRow) string {
	if len(r.status.Host.Backups) == 0 {
		return ""
	}
	oldest, _, _ := backupAges(r, t.c.now)
	text := "-"
	if oldest > 0 {
		text = fleet.FormatAge(oldest)
	}
	if r.health.State.Old() {
		return t.c.st.Table.Muted.Render(text)
	}
	return stateStyle(t.c.st, backupState(r)).Render(text)
}

// drillCell is the DRILL cell: the age of the oldest last passing drill,
// or "never" in the warning colour (an untested backup is a finding), or
// "?" while the drill history could not be read.
func drillCell(t *tableModel, r *hostRow) string {
	if len(r.status.Host.Backups) == 0 {
		return ""
	}
	_, drill, never := backupAges(r, t.c.now)
	switch {
	case r.status.DrillsUnknown != "":
		return t.c.st.Table.Muted.Render("?")
	case never:
		return t.c.st.Status.Warn.Render("never")
	case r.health.State.Old():
		return t.c.st.Table.Muted.Render(fleet.FormatAge(drill))
	}
	return stateStyle(t.c.st, backupState(r)).Render(fleet.FormatAge(drill))
}

func backupKey(r *hostRow, now time.Time) (float64, bool) {
	oldest, _, _ := backupAges(r, now)
	return oldest.Seconds(), len(r.status.Host.Backups) > 0 && oldest > 0
}

func drillKey(r *hostRow, now time.Time) (float64, bool) {
	_, drill, never := backupAges(r, now)
	if r.status.DrillsUnknown != "" {
		return 0, false
	}
	if never {
		return 1e18, len(r.status.Host.Backups) > 0
	}
	return drill.Seconds(), len(r.status.Host.Backups) > 0
}
