package oncall

import (
	"context"
	"log/slog"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// Keep keeps the desk's view of the log fresh until ctx ends: read every
// interval (a team sees each other's within a poll), and, when settle is
// set, the acknowledgements whose check in store got OK, worse or old
// ended (a read-only wall screen writes nothing: the operators'
// dashboards, check and serve-metrics do). A log that fails, and one that
// answers again, is logged once. An interval that is not positive (a
// config that sets no poll_interval) is the default poll interval.
func (d *Desk) Keep(ctx context.Context, store *fleet.Store, every time.Duration, settle bool, logger *slog.Logger) {
	every = keepEvery(every)
	failing := false
	for {
		now := time.Now()
		_, err := d.Refresh(now)
		if err == nil && settle {
			_, err = d.SettleStore(store, func(*fleet.HostStatus) time.Time { return now }, now)
		}
		if (err != nil) != failing {
			failing = err != nil
			logger.Warn("on-call log", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// keepEvery is how often Keep reads the log when asked every: never in a
// loop without a pause.
func keepEvery(every time.Duration) time.Duration {
	if every <= 0 {
		return fleet.DefaultPollInterval
	}
	return every
}
