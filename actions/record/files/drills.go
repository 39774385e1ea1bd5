package files

import (
	"path/filepath"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
)

// DrillLog is the drill history: one JSON line per drill in
// $XDG_STATE_HOME/opsdeck/drills.jsonl. It can be lost without harm to the
// fleet; the dashboard then shows the backups as never drilled.
type DrillLog struct {
	Path  string
	lines jsonLines
}

// DefaultDrillPath is $XDG_STATE_HOME/opsdeck/drills.jsonl.
func DefaultDrillPath() string { return filepath.Join(fleet.StateDir(), "drills.jsonl") }

// Append records a drill, fsynced.
func (l *DrillLog) Append(rec fleet.DrillRecord) error {
	return l.lines.append("drill history", l.Path, actions.SanitizeDrill(rec))
}

// Each hands fn every recorded drill, oldest first, one at a time (the
// history may be large); damaged lines are skipped.
func (l *DrillLog) Each(fn func(fleet.DrillRecord)) error {
	return eachLine(l.Path, func(r *fleet.DrillRecord) bool { return r.Host != "" }, fn)
}

// Load reads every recorded drill, oldest first; damaged lines are skipped.
func (l *DrillLog) Load() ([]fleet.DrillRecord, error) {
	return readLines(l.Path, 0, func(r *fleet.DrillRecord) bool { return r.Host != "" })
}

// Where names the file, for messages.
func (l *DrillLog) Where() string { return l.Path }
