package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/report"
)

// Values are the record's named values: the team database's, or files of
// the state directory.
type Values interface {
	Value(name string) ([]byte, time.Time, bool, error)
	SetValue(name string, value []byte) error
}

// Record is where the notifications remember what they sent.
type Record struct {
	Values Values
	// Shared: the values are a database's. One that does not answer is
	// an error (a first run would notify every finding again); an
	// unreadable file is a first run.
	Shared bool
}

// The names of what notifications keep among the record's values.
const (
	StateName     = "check-state"
	RemindersName = "check-reminders"
)

// State is what the last run notified, by record key: "host/key"
// ("db-1/disk:/var", "db-1/host"). Kept as the states' names, so a record
// written before keys (by the checks' words: "db-1/disk /var") reads as
// it is and is moved to the keys (migrate).
type State map[string]fleet.State

// recordKey is a check's key in the record.
func recordKey(host, key string) string { return host + "/" + key }

// splitKey is a record key's host and check key.
func splitKey(k string) (host, key string) {
	host, key, _ = strings.Cut(k, "/")
	return host, key
}

// load reads what the last run notified, and when it saved it (zero:
// never).
func (r Record) load() (State, time.Time, error) {
	prev := State{}
	b, at, found, err := r.Values.Value(StateName)
	switch {
	case err != nil && !r.Shared:
		return prev, time.Time{}, nil // an unreadable file: a first run
	case err != nil || !found:
		return prev, time.Time{}, err
	}
	var names map[string]string
	_ = json.Unmarshal(b, &names) // an unreadable value: a first run
	for k, name := range names {
		s, _ := fleet.ParseState(name) // a newer version's state: UNKNOWN
		prev[k] = s
	}
	return prev, at, nil
}

func (r Record) save(s State) error {
	b, _ := json.Marshal(s)
	return r.Values.SetValue(StateName, b)
}

// reminder is when a failing finding's state was first sent, and last.
type reminder struct {
	Since time.Time `json:"since"`
	At    time.Time `json:"at"`
}

// reminders are the reminders, by record key.
type reminders map[string]reminder

func (r Record) loadReminders() (reminders, error) {
	rems := reminders{}
	b, _, found, err := r.Values.Value(RemindersName)
	if err != nil && r.Shared {
		return rems, err
	}
	if found {
		_ = json.Unmarshal(b, &rems) // an unreadable file: no reminder yet
	}
	return rems, nil
}

func (r Record) saveReminders(rems reminders) error {
	b, _ := json.Marshal(rems)
	return r.Values.SetValue(RemindersName, b)
}

// migrate moves the entries a release before keys wrote by a check's
// words ("db-1/disk /var") to its key ("db-1/disk:/var"), for every check
// of rep (all of them, OK ones too): what was sent, and since when it
// fails, is kept; nothing is notified again. Entries of other hosts (a
// shared record) are left for their own runs.
func migrate(rep *report.Report, prev State, rems reminders) {
	for _, h := range rep.Hosts {
		for _, fd := range h.Findings {
			if fd.Check == fd.Key || fd.Check == "" {
				continue
			}
			old, cur := recordKey(h.Name, fd.Check), recordKey(h.Name, fd.Key)
			if s, ok := prev[old]; ok {
				if _, taken := prev[cur]; !taken {
					prev[cur] = s
				}
				delete(prev, old)
			}
			if r, ok := rems[old]; ok {
				if _, taken := rems[cur]; !taken {
					rems[cur] = r
				}
				delete(rems, old)
			}
		}
	}
}

// due says whether a finding unchanged in state is to be sent again now,
// and the line's tail: " still CRIT for 45m, not acknowledged".
func (r reminders) due(k string, state fleet.State, every map[fleet.State]time.Duration, now time.Time) (string, bool) {
	d := every[state]
	rem, ok := r[k]
	if !ok { // failing since before reminders were kept: from now
		r[k] = reminder{Since: now, At: now}
		return "", false
	}
	if d <= 0 || now.Sub(rem.At) < d {
		return "", false
	}
	r[k] = reminder{Since: rem.Since, At: now}
	return fmt.Sprintf(" still %s for %s, not acknowledged", state, fleet.FormatAge(now.Sub(rem.Since))), true
}

// sent notes that a finding's new state was sent now.
func (r reminders) sent(k string, state fleet.State, now time.Time) {
	if state == fleet.OK {
		delete(r, k)
		return
	}
	r[k] = reminder{Since: now, At: now}
}

// keep drops the reminders of findings no longer failing among this run's
// hosts (ours); another run's stay.
func (r reminders) keep(cur State, ours map[string]bool) {
	for k := range r {
		host, _ := splitKey(k)
		if st, ok := cur[k]; ours[host] && (!ok || st == fleet.OK) {
			delete(r, k)
		}
	}
}
