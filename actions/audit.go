package actions

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/user"
	"strings"
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
	Kind       Kind      `json:"kind"`
	Target     string    `json:"target"`
	Command    string    `json:"command"`
	Outcome    string    `json:"outcome"`
	Exit       *int      `json:"exit,omitempty"`
	DurationMS int64     `json:"duration_ms"`
	Reason     string    `json:"reason,omitempty"`
	Output     []string  `json:"output_tail,omitempty"`
	// Silence is the silence the host was under when the action ran: a
	// maintenance window's work is found by it.
	Silence string `json:"silence,omitempty"`
}

// Operator names who acts: local user@hostname.
func Operator() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
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

// NewAuditID names one attempted action: its intent and result records.
func NewAuditID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:])
}

// UserOf is an operator's user name without the machine (alice@ops-1:
// alice), for a screen or a report where space is short.
func UserOf(operator string) string {
	name, _, _ := strings.Cut(fleet.Sanitize(operator, 60), "@")
	return name
}

// TeamNews is news from the record shared with other opsdeck processes:
// the audit records they wrote since the last look, or Err when the
// record could not be read (Err nil with no entries: it answers again).
type TeamNews struct {
	Entries []Entry
	Err     error
}
