package files

import (
	"bufio"
	"encoding/json"
	"os"
	"sync"

	"github.com/opsdeck/opsdeck/fleet"
)

// Where is the event log's path.
func (l *EventLog) Where() string { return l.Path }

// EventLog keeps events in a JSON-lines file, bounded: past MaxBytes the
// file becomes Path+".1" (the one before is dropped) and a new one starts.
type EventLog struct {
	Path     string
	MaxBytes int64 // 0: DefaultEventBytes
	mu       sync.Mutex
}

// DefaultEventBytes bounds the event file (twice that with the rotated
// one): about 40,000 events.
const DefaultEventBytes = 8 << 20

// Append writes events at the end of the log.
func (l *EventLog) Append(events []fleet.Event) error {
	if len(events) == 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	max := l.MaxBytes
	if max <= 0 {
		max = DefaultEventBytes
	}
	if fi, err := os.Stat(l.Path); err == nil && fi.Size() >= max {
		if err := os.Rename(l.Path, l.Path+".1"); err != nil {
			return err
		}
	}
	f, err := fleet.OpenPrivate(l.Path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for i := range events {
		e := events[i]
		e.Reason = fleet.Sanitize(e.Reason, 300)
		if err := enc.Encode(&e); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Read returns the logged events, oldest first, that keep says to keep. A
// damaged line is skipped; a missing log is no events.
func (l *EventLog) Read(keep func(*fleet.Event) bool) ([]fleet.Event, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []fleet.Event
	for _, p := range []string{l.Path + ".1", l.Path} {
		if _, err := fleet.EachJSONLine(p, keep, func(e fleet.Event) { out = append(out, e) }); err != nil {
			return out, err
		}
	}
	return out, nil
}
