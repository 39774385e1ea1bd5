package actions

import (
	"os"
	"os/user"
	"path/filepath"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// Outcomes of an attempted action.
const (
	Succeeded = "succeeded"
	Failed    = "failed"
	Refused   = "refused"
	Cancelled = "cancelled"
	// Interrupted: opsdeck was told to stop (SIGINT/SIGTERM) while the
	// action ran; the command got SIGTERM and its grace to clean up.
	Interrupted = "interrupted"
)

// Entry is one line of the audit log.
type Entry struct {
	Time       time.Time `json:"time"`
	Operator   string    `json:"operator"`
	Host       string    `json:"host"`
	Kind       string    `json:"kind"`
	Target     string    `json:"target"`
	Command    string    `json:"command"`
	Outcome    string    `json:"outcome"`
	Exit       *int      `json:"exit,omitempty"`
	DurationMS int64     `json:"duration_ms"`
	Reason     string    `json:"reason,omitempty"`
	Output     []string  `json:"output_tail,omitempty"`
}

// Audit is the append-only audit log: one JSON line per attempted action,
// fsynced before the action is reported.
type Audit struct {
	Path  string
	lines jsonLines
}

// DefaultAuditPath is $XDG_STATE_HOME/opsdeck/audit.jsonl.
func DefaultAuditPath() string { return filepath.Join(fleet.StateDir(), "audit.jsonl") }

// Operator names who acts: local user@hostname.
func Operator() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
}

// Check reports whether the log can be written; an action must not run
// unrecorded.
func (a *Audit) Check() error {
	return a.lines.writable("audit log", a.Path)
}

// Append writes e as one line and fsyncs it. Text is sanitised: output and
// errors come from hosts.
func (a *Audit) Append(e Entry) error {
	e.Reason = fleet.Sanitize(e.Reason, fleet.MaxText)
	for i := range e.Output {
		e.Output[i] = fleet.Sanitize(e.Output[i], fleet.MaxText)
	}
	return a.lines.append("audit log", a.Path, e)
}

// Recent returns the last n entries, newest last. Lines that do not parse
// are skipped: the log is for reading, a damaged line must not hide the rest.
func (a *Audit) Recent(n int) ([]Entry, error) { return readLines[Entry](a.Path, n, nil) }
