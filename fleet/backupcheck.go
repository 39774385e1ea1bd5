package fleet

import (
	"fmt"
	"time"
)

// BackupCheck evaluates a backup: none found, too old (WARN past max_age,
// CRIT past twice), too small (under min_size, or under half the previous
// artefact), a failed last drill (CRIT), or an overdue drill (WARN); a
// drill history that could not be read makes a drilled backup UNKNOWN.
func BackupCheck(b *Backup, st *BackupStatus, drills DrillSummary, now time.Time) Check {
	name := "backup " + b.Name
	c := Check{Kind: KindBackup, Subject: b.Name, Name: name, State: OK}
	switch {
	case st == nil:
		c.State, c.Reason, c.Pending, c.Cause = Unknown, name+": not checked yet", true, CauseUnreadable
		return c
	case st.Err != "":
		c.State, c.Cause, c.Reason = Unknown, CauseUnreadable, name+": "+st.Err
		return c
	case st.NewestAt.IsZero():
		c.State, c.Cause, c.Reason = Crit, CauseNoBackup, name+": no backup found"
		return c
	}
	age := now.Sub(st.NewestAt)
	c.Reason = fmt.Sprintf("%s %s old", name, FormatAge(age))
	worse := func(s State, cause Cause, reason string) {
		if s > c.State {
			c.State, c.Cause, c.Reason = s, cause, reason
		}
	}
	if warn, crit := b.AgeLimits(); warn > 0 {
		switch {
		case age > crit:
			worse(Crit, CauseTooOld, fmt.Sprintf("%s is %s old (max %s)", name, FormatAge(age), FormatAge(warn)))
		case age > warn:
			worse(Warn, CauseTooOld, fmt.Sprintf("%s is %s old (max %s)", name, FormatAge(age), FormatAge(warn)))
		}
	}
	if st.Size >= 0 {
		switch {
		case st.Size == 0:
			worse(Crit, CauseTooSmall, name+" too small: the newest artefact is empty (0 B)")
		case b.MinSize > 0 && st.Size < int64(b.MinSize):
			worse(Crit, CauseTooSmall, fmt.Sprintf("%s too small: %s < %s", name, FormatBytes(uint64(st.Size)), FormatBytes(uint64(b.MinSize))))
		case st.PrevSize > 0 && st.Size < st.PrevSize/2:
			worse(Crit, CauseTooSmall, fmt.Sprintf("%s too small: %s, previous %s", name, FormatBytes(uint64(st.Size)), FormatBytes(uint64(st.PrevSize))))
		}
	}
	if drills.Unknown != "" {
		// No verdict on what could not be read: neither "never tested"
		// nor the last drill's result, which another may have bettered.
		if b.DrillEvery.Duration > 0 || b.Restore != "" {
			worse(Unknown, CauseDrillsUnknown, name+": drill history unknown: "+drills.Unknown)
		}
		return c
	}
	if d := drills.Last; d != nil && !d.Passed {
		worse(Crit, CauseDrillFailed, fmt.Sprintf("%s: last restore drill FAILED %s ago", name, FormatAge(now.Sub(d.Time))))
	}
	if every := b.DrillEvery.Duration; every > 0 {
		switch p := drills.LastPass; {
		case p == nil:
			worse(Warn, CauseNeverDrilled, name+": never restore-tested")
		case now.Sub(p.Time) > every:
			worse(Warn, CauseDrillOverdue, fmt.Sprintf("%s: last passing drill %s ago (every %s)", name, FormatAge(now.Sub(p.Time)), FormatAge(every)))
		}
	}
	return c
}

// AgeLimits are the ages at which a backup is WARN (past max_age) and
// CRIT (past twice that); 0 when it has no max_age.
func (b *Backup) AgeLimits() (warn, crit time.Duration) {
	return b.MaxAge.Duration, 2 * b.MaxAge.Duration
}

// backupChecks evaluates the host's configured backups against the
// latest status the probe read for each and the drill history.
func backupChecks(st *HostStatus, now time.Time) []Check {
	bs := st.Host.Backups
	if len(bs) == 0 {
		return nil
	}
	out := make([]Check, 0, len(bs))
	for i := range bs {
		var got *BackupStatus
		if st.Last != nil {
			for j := range st.Last.Backups {
				if st.Last.Backups[j].Name == bs[i].Name {
					got = &st.Last.Backups[j]
				}
			}
		}
		out = append(out, BackupCheck(&bs[i], got, st.DrillsOf(bs[i].Name), now))
	}
	return out
}
