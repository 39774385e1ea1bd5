// Package files keeps opsdeck's record in JSON-lines files in the state
// directory: the audit log, the drill history and the event history, each
// a file that can be lost without harm to the fleet. Its sibling
// actions/record/pg keeps the same record in PostgreSQL for a team; the
// interfaces both implement are actions.AuditLog, actions.DrillHistory and
// fleet.EventStore, and cmd picks one.
package files

import (
	"path/filepath"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
)

// Audit is the append-only audit log: one JSON line per attempted action,
// fsynced before the action is reported.
type Audit struct {
	Path  string
	lines jsonLines
}

// DefaultAuditPath is $XDG_STATE_HOME/opsdeck/audit.jsonl.
func DefaultAuditPath() string { return filepath.Join(fleet.StateDir(), "audit.jsonl") }

// Append writes e as one line and fsyncs it. Text is sanitised: output and
// errors come from hosts.
func (a *Audit) Append(e actions.Entry) error {
	return a.lines.append("audit log", a.Path, actions.SanitizeEntry(e))
}

// Recent returns the last n actions, newest last: each one's result, or its
// intent (Outcome Started) when no result was recorded. Lines that do not
// parse are skipped: the log is for reading, a damaged line must not hide
// the rest.
func (a *Audit) Recent(n int) ([]actions.Entry, error) {
	es, err := readLines[actions.Entry](a.Path, actions.RecentWindow(n), nil)
	return actions.LastActions(es, n), err
}

// Each hands fn every record of the log, intents and results, oldest
// first; damaged lines are skipped.
func (a *Audit) Each(fn func(actions.Entry)) error { return eachLine(a.Path, nil, fn) }

// Where names the file, for messages.
func (a *Audit) Where() string { return a.Path }

// Dir is the state directory the log is in: lock files go beside it.
func (a *Audit) Dir() string { return filepath.Dir(a.Path) }
