package fleet

import (
	"context"
	"sync"
	"time"
)

// Event is one change of state of a host or of one of its checks: "db-1
// disk /var OK → CRIT at 03:12, OK since 01:40".
type Event struct {
	Time   time.Time `json:"time"`
	Host   string    `json:"host"`
	Check  string    `json:"check"`         // its name, for people; HostCheck for the host's own state
	Key    string    `json:"key,omitempty"` // its stable key (Check.Key); absent in records before keys
	From   string    `json:"from"`          // "" when the first state seen is not OK
	To     string    `json:"to"`
	Reason string    `json:"reason,omitempty"`
	// Since is when the From state began (the change before), zero when it
	// was the state opsdeck first saw.
	Since time.Time `json:"since,omitempty"`
}

// HostCheck is the Check name of a host's own state in events.
const HostCheck = "host"

// tracked is the last state seen of one check.
type tracked struct {
	state   State
	since   time.Time
	seen    bool // since is when opsdeck saw the state begin or first saw it failing (not its first look at an OK)
	changed bool // since is a change opsdeck saw (from another state)
}

// EventTracker turns successive evaluations of hosts into events: the
// changes only. A check first seen OK is no event (a start-up is not
// news); one first seen failing is. A DOWN host's checks are not read, so
// they keep their last state and only what differs when it answers again
// is an event.
type EventTracker struct {
	mu   sync.Mutex
	last map[string]map[string]tracked // host → check key → state
}

// NewEventTracker returns an empty tracker.
func NewEventTracker() *EventTracker {
	return &EventTracker{last: map[string]map[string]tracked{}}
}

// Observe compares a host's health at now with what was last seen and
// returns the changes.
func (t *EventTracker) Observe(host string, h Health, now time.Time) []Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	checks := t.last[host]
	if checks == nil {
		checks = map[string]tracked{}
		t.last[host] = checks
	}
	var out []Event
	see := func(key, name string, s State, reason string) {
		prev, ok := checks[key]
		switch {
		case !ok && s == OK:
			checks[key] = tracked{state: s, since: now}
		case !ok:
			checks[key] = tracked{state: s, since: now, seen: true}
			out = append(out, Event{Time: now, Host: host, Check: name, Key: key, To: s.String(), Reason: reason})
		case prev.state != s:
			e := Event{Time: now, Host: host, Check: name, Key: key, From: prev.state.String(), To: s.String(), Reason: reason}
			if prev.seen {
				e.Since = prev.since
			}
			out = append(out, e)
			checks[key] = tracked{state: s, since: now, seen: true, changed: true}
		}
	}
	if h.Polling {
		return nil // not polled yet: nothing to compare
	}
	see(CheckKey(KindHost, ""), HostCheck, h.State, h.Reason)
	for _, c := range h.Checks {
		if !c.Pending {
			see(c.Key(), c.Name, c.State, c.Reason)
		}
	}
	return out
}

// Since is when a host's check (by its key) entered its current state;
// changed false when this process has not seen it change (it was so at the
// first look, at the time returned), and the zero time when it never saw
// the check.
func (t *EventTracker) Since(host, key string) (at time.Time, changed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.last[host][key]
	return c.since, c.changed
}

// EventStore keeps the history of events: a JSON-lines file
// (actions/record/files) or a shared database (actions/record/pg).
type EventStore interface {
	Append([]Event) error
	// Read returns the events keep keeps, oldest first.
	Read(keep func(*Event) bool) ([]Event, error)
	Where() string
}

// WatchEvents evaluates the hosts whose status changed, and once a second
// those whose state may change with the clock alone (data going stale),
// and hands the changes to record. It returns when ctx ends.
func WatchEvents(ctx context.Context, s *Store, t *EventTracker, every time.Duration, record func([]Event)) {
	if every <= 0 {
		every = time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	var version uint64
	stale := map[string]time.Time{} // host → when its data goes stale
	for {
		now := time.Now()
		changed, v := s.Changed(version)
		version = v
		var events []Event
		for i := range changed {
			st := &changed[i]
			events = append(events, t.Observe(st.Host.Name, Assess(st, now), now)...)
			if st.Last != nil {
				stale[st.Host.Name] = st.Last.StaleAt(st.Host)
			}
		}
		for name, at := range stale {
			if now.After(at) {
				delete(stale, name)
				if st, ok := s.Status(name); ok {
					events = append(events, t.Observe(name, Assess(&st, now), now)...)
				}
			}
		}
		if len(events) > 0 {
			record(events)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
