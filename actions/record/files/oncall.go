package files

import (
	"path/filepath"
	"time"

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
func (l *OnCallLog) Append(r fleet.OnCallRecord) (bool, error) {
	if r.Op == fleet.OpUnack || r.Op == fleet.OpExpire {
		rs, err := l.Read(time.Time{})
		if err != nil {
			return false, err
		}
		if fleet.FoldOnCall(rs).Ended(r.ID) {
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
func (l *OnCallLog) Read(since time.Time) ([]fleet.OnCallRecord, error) {
	return readLines(l.Path, 0, func(r *fleet.OnCallRecord) bool { return !r.At.Before(since) })
}
