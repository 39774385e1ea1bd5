package record

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/actions/record/pg"
	"github.com/opsdeck/opsdeck/fleet"
)

// Watch follows what other processes record in a shared database,
// every shortest poll interval: their drills go into the store, their
// restarts are not taken for crashes, and their actions are news on the
// dashboard (send). The files need no watch: one operator writes them.
func (st *Record) Watch(ctx context.Context, cfg *fleet.Config, store *fleet.Store, restarting func(host, service string),
	send func(actions.TeamNews), logger *slog.Logger) *sync.WaitGroup {
	var wg sync.WaitGroup
	if st.DB == nil && st.late == nil {
		return &wg
	}
	every := fleet.DefaultPollInterval
	for i := range cfg.Hosts {
		if d := cfg.Hosts[i].Interval(); d > 0 && d < every {
			every = d
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		db := st.DB
		if db == nil {
			if db = st.openLater(ctx, every, store, send, logger); db == nil {
				return
			}
		}
		db.Watch(ctx, every, func(ch pg.Changes, err error) {
			if err != nil {
				logger.Warn("shared record unreadable", "where", db.Where(), "err", err)
				send(actions.TeamNews{Err: err})
				return
			}
			for _, r := range ch.Drills {
				store.RecordDrill(r)
			}
			for _, e := range ch.Audit {
				if e.Outcome == actions.Started && e.Kind == actions.KindRestart {
					restarting(e.Host, e.Target)
				}
			}
			if len(ch.Audit) > 0 || ch.Recovered {
				send(actions.TeamNews{Entries: ch.Audit})
			}
		})
	}()
	return &wg
}

// openLater retries a database that did not answer at start, every
// interval, until it opens (then its drills go into the store and the
// dashboard hears it answers) or ctx ends (nil).
func (st *Record) openLater(ctx context.Context, every time.Duration, store *fleet.Store,
	send func(actions.TeamNews), logger *slog.Logger) *pg.DB {
	_, err := st.late.get()
	send(actions.TeamNews{Err: err})
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		db, err := st.late.openLate(ctx)
		if err != nil {
			continue
		}
		logger.Info("shared record open", "where", db.Where())
		LoadDrills(store, db.Drills(), logger)
		send(actions.TeamNews{})
		return db
	}
}
