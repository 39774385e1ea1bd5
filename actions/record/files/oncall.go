package files

import (
	"path/filepath"
	"time"

	"github.com/opsdeck/opsdeck/actions/oncall"
	"github.com/opsdeck/opsdeck/fleet"
)

// OnCallLog keeps the team's acknowledgements and silences in a JSON-lines
// file of the state directory, one record a line, fsynced.
type OnCallLog struct {
	Path  string
	lines jsonLines
}

// DefaultOnCallPath is the on-call log in the state directory.
func DefaultOnCallPath() string { return filepath.Join(fleet.StateDir(), "oncall.jsonl") }

// Where is the log's path.
func (l *OnCallLog) Where() string { return l.Path }

// Append writes r. An end of what already ended is not written again
// (two processes on one state directory may both see an acknowledgement
// end; between them the second's read sees the first's line).
func (l *OnCallLog) Append(r oncall.Record) (bool, error) {
	if r.Op == oncall.OpUnack || r.Op == oncall.OpExpire {
		rs, err := l.Read(time.Time{})
		if err != nil {
			return false, err
		}
		if oncall.Fold(rs).Ended(r.ID) {
			return false, nil
		}
	}
	if err := l.lines.append("on-call log", l.Path, r); err != nil {
		return false, err
	}
	return true, nil
}

// Read returns the records made since a time, oldest first; a missing
// file has none, a damaged line is skipped.
func (l *OnCallLog) Read(since time.Time) ([]oncall.Record, error) {
	return readLines(l.Path, 0, func(r *oncall.Record) bool { return !r.At.Before(since) })
}
