package actions

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// Outcomes of an attempted action.
const (
	Succeeded = "succeeded"
	Failed    = "failed"
	Refused   = "refused"
	Cancelled = "cancelled"
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
	Path string
	mu   sync.Mutex
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
	a.mu.Lock()
	defer a.mu.Unlock()
	f, err := a.open()
	if err != nil {
		return err
	}
	return f.Close()
}

func (a *Audit) open() (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(a.Path), 0o700); err != nil {
		return nil, fmt.Errorf("audit log %s: %w", a.Path, err)
	}
	f, err := os.OpenFile(a.Path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log %s: %w", a.Path, err)
	}
	return f, nil
}

// Append writes e as one line and fsyncs it. Text is sanitised: output and
// errors come from hosts.
func (a *Audit) Append(e Entry) error {
	e.Reason = fleet.Sanitize(e.Reason, fleet.MaxText)
	for i := range e.Output {
		e.Output[i] = fleet.Sanitize(e.Output[i], fleet.MaxText)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	f, err := a.open()
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("audit log %s: %w", a.Path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("audit log %s: %w", a.Path, err)
	}
	return f.Close()
}

// Recent returns the last n entries, newest last. Lines that do not parse
// are skipped: the log is for reading, a damaged line must not hide the rest.
func (a *Audit) Recent(n int) ([]Entry, error) {
	f, err := os.Open(a.Path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var all []Entry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		var e Entry
		if json.Unmarshal(sc.Bytes(), &e) == nil {
			all = append(all, e)
			if len(all) > 4*n {
				all = append(all[:0], all[len(all)-n:]...)
			}
		}
	}
	if len(all) > n {
		all = all[len(all)-n:]
	}
	return all, sc.Err()
}
