package actions

import (
	"context"
	"fmt"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// HealthyWait bounds how long a rolling restart waits for a service to run
// again before it stops.
const HealthyWait = time.Minute

// HealthyAgain waits until a fresh poll shows the restarted service
// running: the next host of a rolling restart waits for it.
func HealthyAgain(store *fleet.Store, poller *fleet.Poller) func(context.Context, *Plan) error {
	return func(ctx context.Context, p *Plan) error {
		since := time.Now()
		ctx, cancel := context.WithTimeout(ctx, HealthyWait)
		defer cancel()
		poller.PollNow(p.Host.Name)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		last := "no poll yet"
		for {
			if st, ok := store.Status(p.Host.Name); ok && st.Last != nil && st.Last.At.After(since) {
				for _, sv := range st.Last.Services {
					if sv.Name != p.Target {
						continue
					}
					if sv.Running {
						return nil
					}
					last = sv.State
				}
				poller.PollNow(p.Host.Name)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s on %s not running within %s (last seen: %s)", p.Target, p.Host.Name, HealthyWait, last)
			case <-tick.C:
			}
		}
	}
}
