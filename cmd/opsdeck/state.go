package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/actions/oncall"
	"github.com/opsdeck/opsdeck/actions/record/files"

	"github.com/opsdeck/opsdeck/fleet/config"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/actions/record/pg"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/tui"
	"github.com/spf13/cobra"
)

// databaseEnv names the state database, over [state] url.
const databaseEnv = "OPSDECK_DATABASE_URL"

// teamState is where the record goes: the JSON-lines files of the state
// directory, or a PostgreSQL database the team shares.
type teamState struct {
	audit  actions.AuditLog
	drills actions.DrillHistory
	events fleet.EventStore
	locks  actions.Locker // nil: lock files beside the audit log
	db     *pg.DB         // nil: the files, or a database not open yet
	late   *lateDB        // a database that did not answer at start
}

// stateURL is the database the config or the environment names, "" for
// the files.
func stateURL(cfg *fleet.Config) (string, error) {
	if u := os.Getenv(databaseEnv); u != "" {
		if why := config.StateURLProblem(u); why != "" {
			return "", fmt.Errorf("$%s: %s", databaseEnv, why)
		}
		return u, nil
	}
	return cfg.State.URL, nil
}

// openState opens the record cfg names, migrating a database to this
// binary's schema.
func openState(ctx context.Context, cfg *fleet.Config) (*teamState, error) {
	url, err := stateURL(cfg)
	if err != nil {
		return nil, err
	}
	if url == "" {
		return filesState(), nil
	}
	db, err := pg.Open(ctx, url, cfg.State.PasswordFile)
	if err != nil {
		return nil, err
	}
	return &teamState{audit: db.Audit(), drills: db.Drills(), events: db.Events(), locks: db.Locks(), db: db}, nil
}

func filesState() *teamState {
	return &teamState{
		audit:  &files.Audit{Path: files.DefaultAuditPath()},
		drills: &files.DrillLog{Path: files.DefaultDrillPath()},
		events: &files.EventLog{Path: eventPath()},
	}
}

// Close closes the database.
func (s *teamState) Close() {
	if s.db != nil {
		s.db.Close()
	}
	if s.late != nil {
		s.late.Close()
	}
}

// database is the shared record's database: nil for the files, an error
// while a database that did not answer at start is not open yet (never
// the files in its place).
func (s *teamState) database() (*pg.DB, error) {
	if s.late != nil {
		db, err := s.late.get()
		if err != nil {
			return nil, fmt.Errorf("shared record: %w", err)
		}
		return db, nil
	}
	return s.db, nil
}

// onCall is the team's on-call log (acknowledgements, silences): the
// database's, or a file of the state directory; an unreachable database
// is an error, never the file in its place.
func (s *teamState) onCall() (oncall.Log, error) {
	db, err := s.database()
	switch {
	case err != nil:
		return nil, err
	case db != nil:
		return db.OnCall(), nil
	}
	return &files.OnCallLog{Path: files.DefaultOnCallPath()}, nil
}

// checkStateName is the check command's state among the record's values.
const checkStateName = "check-state"

func statePath() string { return files.DefaultValues().Path(checkStateName) }

// values are the record's named values: the database's, or files in the
// state directory.
type values interface {
	Value(name string) ([]byte, time.Time, bool, error)
	SetValue(name string, value []byte) error
}

// values is where the record keeps named values (shared says it is the
// database's); an unreachable database is an error.
func (s *teamState) values() (vs values, shared bool, err error) {
	db, err := s.database()
	switch {
	case err != nil:
		return nil, false, err
	case db != nil:
		return db, true, nil
	}
	return files.DefaultValues(), false, nil
}

// loadCheck is what the last check run saw, and when it saved it (zero:
// never). An unreadable file is a first run; an unreachable database is
// an error (a first run would notify every finding again).
func (s *teamState) loadCheck() (checkState, time.Time, error) {
	prev := checkState{}
	vs, shared, err := s.values()
	if err != nil {
		return prev, time.Time{}, err
	}
	b, at, found, err := vs.Value(checkStateName)
	if err != nil && !shared {
		return prev, time.Time{}, nil // an unreadable file: a first run
	}
	if err != nil || !found {
		return prev, time.Time{}, err
	}
	_ = json.Unmarshal(b, &prev)
	return prev, at, nil
}

func (s *teamState) saveCheck(c checkState) error {
	b, _ := json.Marshal(c)
	vs, _, err := s.values()
	if err != nil {
		return err
	}
	return vs.SetValue(checkStateName, b)
}

// stateOf opens the record of the config g names, for the commands that
// only read it (history, drills, audit).
func stateOf(ctx context.Context, g *globals) (*teamState, error) {
	_, cfg, _, err := configOf(g)
	if err != nil {
		return nil, withCode(exitConfig, err)
	}
	st, err := openState(ctx, cfg)
	if err != nil {
		return nil, withCode(exitRuntime, err)
	}
	if st.db == nil && fleet.StateDir() == "" {
		return nil, withCode(exitRuntime, fleet.ErrNoStateDir)
	}
	return st, nil
}

// watchTeam follows what other processes record in a shared database,
// every shortest poll interval: their drills go into the store, their
// restarts are not taken for crashes, and their actions are news on the
// dashboard (send). The files need no watch: one operator writes them.
func watchTeam(ctx context.Context, st *teamState, cfg *fleet.Config, store *fleet.Store, conn *fleetConn,
	send func(tui.TeamMsg), logger *slog.Logger) *sync.WaitGroup {
	var wg sync.WaitGroup
	if st.db == nil && st.late == nil {
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
		db := st.db
		if db == nil {
			if db = openLater(ctx, st, every, store, send, logger); db == nil {
				return
			}
		}
		db.Watch(ctx, every, func(ch pg.Changes, err error) {
			if err != nil {
				logger.Warn("shared record unreadable", "where", db.Where(), "err", err)
				send(tui.TeamMsg{Err: err})
				return
			}
			for _, r := range ch.Drills {
				store.RecordDrill(r)
			}
			for _, e := range ch.Audit {
				if e.Outcome == actions.Started && e.Kind == "restart" {
					if hc := conn.checksOf(e.Host); hc != nil {
						hc.Restarting(e.Target)
					}
				}
			}
			if len(ch.Audit) > 0 || ch.Recovered {
				send(tui.TeamMsg{Entries: ch.Audit})
			}
		})
	}()
	return &wg
}

// openLater retries a database that did not answer at start, every
// interval, until it opens (then its drills go into the store and the
// dashboard hears it answers) or ctx ends (nil).
func openLater(ctx context.Context, st *teamState, every time.Duration, store *fleet.Store,
	send func(tui.TeamMsg), logger *slog.Logger) *pg.DB {
	_, err := st.late.get()
	send(tui.TeamMsg{Err: err})
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
		loadDrills(store, db.Drills(), logger)
		send(tui.TeamMsg{})
		return db
	}
}

// readRecord runs fn on the record of the config g names (for the commands
// that only read it), closing it after.
func readRecord(cmd *cobra.Command, g *globals, fn func(*teamState) error) error {
	st, err := stateOf(cmd.Context(), g)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st)
}
