package fleet

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// History records every change of state of every check while the fleet is
// polled: in the event log and in opsdeck.log.
type History struct {
	Log     EventStore
	Tracker *EventTracker
	wg      sync.WaitGroup
}

// StartHistory watches the store until ctx ends; Wait waits for it.
func StartHistory(ctx context.Context, store *Store, log EventStore, logger *slog.Logger) *History {
	h := &History{Log: log, Tracker: NewEventTracker()}
	h.wg.Add(1) // before the goroutine: a Wait right after start waits for it
	go func() {
		defer h.wg.Done()
		WatchEvents(ctx, store, h.Tracker, time.Second, func(es []Event) {
			for _, e := range es {
				logger.Info("state", "host", e.Host, "check", e.Check, "from", e.From, "to", e.To, "reason", Sanitize(e.Reason, 300))
			}
			if err := h.Log.Append(es); err != nil {
				logger.Warn("event history not written", "where", h.Log.Where(), "err", err)
			}
		})
	}()
	return h
}

// Wait waits for the watcher to end.
func (h *History) Wait() { h.wg.Wait() }
