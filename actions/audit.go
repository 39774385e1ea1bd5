package actions

import (
	"crypto/rand"
	"encoding/hex"
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
	// Started is the intent record, committed before the command runs. An
	// intent with no result under its ID is an action still running, or
	// one opsdeck was stopped in the middle of (a crash, SIGKILL).
	Started = "started"
	// Interrupted: opsdeck was told to stop (SIGINT/SIGTERM) while the
	// action ran; the command got SIGTERM and its grace to clean up.
	Interrupted = "interrupted"
)

// Entry is one line of the audit log.
type Entry struct {
	ID         string    `json:"id,omitempty"` // an intent and its result share it
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

// Append writes e as one line and fsyncs it. Text is sanitised: output and
// errors come from hosts.
func (a *Audit) Append(e Entry) error {
	return a.lines.append("audit log", a.Path, SanitizeEntry(e))
}

// SanitizeEntry bounds and cleans the text of e that came from a host (its
// reason and output) before any store keeps it.
func SanitizeEntry(e Entry) Entry {
	e.Reason = fleet.Sanitize(e.Reason, fleet.MaxText)
	for i := range e.Output {
		e.Output[i] = fleet.Sanitize(e.Output[i], fleet.MaxText)
	}
	return e
}

// Recent returns the last n actions, newest last: each one's result, or its
// intent (Outcome Started) when no result was recorded. Lines that do not
// parse are skipped: the log is for reading, a damaged line must not hide
// the rest.
func (a *Audit) Recent(n int) ([]Entry, error) {
	es, err := readLines[Entry](a.Path, RecentWindow(n), nil)
	return LastActions(es, n), err
}

// RecentWindow is how many records, newest first, hold the last n
// actions: an intent and a result each, and some to spare.
func RecentWindow(n int) int { return 2*n + 8 }

// LastActions folds records, oldest first, into the last n actions: a
// result replaces its intent, in the intent's place.
func LastActions(es []Entry, n int) []Entry {
	out := es[:0]
	at := map[string]int{} // ID → index in out
	for _, e := range es {
		if i, ok := at[e.ID]; ok && e.ID != "" {
			out[i] = e // the result replaces its intent, in the intent's place
			continue
		}
		at[e.ID] = len(out)
		out = append(out, e)
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out
}

// newAuditID names one attempted action: its intent and result records.
func newAuditID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:])
}

// Each hands fn every record of the log, intents and results, oldest
// first; damaged lines are skipped.
func (a *Audit) Each(fn func(Entry)) error { return eachLine(a.Path, nil, fn) }
