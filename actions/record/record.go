// Package record opens where the team's record goes — the JSON-lines
// files of the state directory, or the PostgreSQL database a team shares —
// and keeps a database that did not answer at start coming: audit, drill
// history, events, locks, the on-call log and named values.
package record

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/actions/notify"
	"github.com/opsdeck/opsdeck/actions/oncall"
	"github.com/opsdeck/opsdeck/actions/record/files"
	"github.com/opsdeck/opsdeck/actions/record/pg"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/config"
)

// DatabaseEnv names the state database, over [state] url.
const DatabaseEnv = "OPSDECK_DATABASE_URL"

// Record is where the record goes: the JSON-lines files of the state
// directory, or a PostgreSQL database the team shares.
type Record struct {
	Audit  actions.AuditLog
	Drills actions.DrillHistory
	Events fleet.EventStore
	Locks  actions.Locker // nil: lock files beside the audit log
	DB     *pg.DB         // nil: the files, or a database not open yet
	late   *lateDB        // a database that did not answer at start
}

// URL is the database the config or the environment names, "" for
// the files.
func URL(cfg *fleet.Config) (string, error) {
	if u := os.Getenv(DatabaseEnv); u != "" {
		if why := config.StateURLProblem(u); why != "" {
			return "", fmt.Errorf("$%s: %s", DatabaseEnv, why)
		}
		return u, nil
	}
	return cfg.State.URL, nil
}

// Open opens the record cfg names, migrating a database to this
// binary's schema.
func Open(ctx context.Context, cfg *fleet.Config) (*Record, error) {
	url, err := URL(cfg)
	if err != nil {
		return nil, err
	}
	if url == "" {
		return Files(), nil
	}
	db, err := pg.Open(ctx, url, cfg.State.PasswordFile)
	if err != nil {
		return nil, err
	}
	return &Record{Audit: db.Audit(), Drills: db.Drills(), Events: db.Events(), Locks: db.Locks(), DB: db}, nil
}

func Files() *Record {
	return &Record{
		Audit:  &files.Audit{Path: files.DefaultAuditPath()},
		Drills: &files.DrillLog{Path: files.DefaultDrillPath()},
		Events: &files.EventLog{Path: EventPath()},
	}
}

// Close closes the database.
func (s *Record) Close() {
	if s.DB != nil {
		s.DB.Close()
	}
	if s.late != nil {
		s.late.Close()
	}
}

// Database is the shared record's database: nil for the files, an error
// while a database that did not answer at start is not open yet (never
// the files in its place).
func (s *Record) Database() (*pg.DB, error) {
	if s.late != nil {
		db, err := s.late.get()
		if err != nil {
			return nil, fmt.Errorf("shared record: %w", err)
		}
		return db, nil
	}
	return s.DB, nil
}

// OnCall is the team's on-call log (acknowledgements, silences): the
// database's, or a file of the state directory; an unreachable database
// is an error, never the file in its place.
func (s *Record) OnCall() (oncall.Log, error) {
	db, err := s.Database()
	switch {
	case err != nil:
		return nil, err
	case db != nil:
		return db.OnCall(), nil
	}
	return &files.OnCallLog{Path: files.DefaultOnCallPath()}, nil
}

// StatePath is the file of the check command's state in the state
// directory.
func StatePath() string { return files.DefaultValues().Path(notify.StateName) }

// Values are the record's named values: the database's, or files in the
// state directory (shared says it is the database's); an unreachable
// database is an error.
func (s *Record) Values() (vs notify.Values, shared bool, err error) {
	db, err := s.Database()
	switch {
	case err != nil:
		return nil, false, err
	case db != nil:
		return db, true, nil
	}
	return files.DefaultValues(), false, nil
}

// Notify is where the notifications keep what they sent.
func (s *Record) Notify() (notify.Record, error) {
	vs, shared, err := s.Values()
	if err != nil {
		return notify.Record{}, err
	}
	return notify.Record{Values: vs, Shared: shared}, nil
}

// EventPath is the event history in the state directory.
func EventPath() string { return filepath.Join(fleet.StateDir(), "events.jsonl") }

// LoadDrills puts the recorded drill history into the store. A history
// that cannot be read (a damaged file, a shared record that does not
// answer) leaves the drilled backups UNKNOWN, never "not drilled".
func LoadDrills(store *fleet.Store, log actions.DrillHistory, logger *slog.Logger) {
	if err := log.Each(store.RecordDrill); err != nil {
		logger.Warn("drill history unreadable", "where", log.Where(), "err", err)
		store.SetDrillsUnknown(fleet.Sanitize(err.Error(), 160))
		return
	}
	store.SetDrillsUnknown("")
}

// Late is why a database that did not answer at start is not open now
// (nil: it is open, or the record is the files).
func (s *Record) Late() error {
	if s.late == nil {
		return nil
	}
	_, err := s.late.get()
	return err
}

// OnCallLog is the record's on-call log, found on each use: a database
// that did not answer at start is used once it does.
func (s *Record) OnCallLog() oncall.Log { return teamOnCall{s} }

type teamOnCall struct{ st *Record }

func (t teamOnCall) Append(r oncall.Record) (bool, error) {
	l, err := t.st.OnCall()
	if err != nil {
		return false, err
	}
	return l.Append(r)
}

func (t teamOnCall) Read(since time.Time) ([]oncall.Record, error) {
	l, err := t.st.OnCall()
	if err != nil {
		return nil, err
	}
	return l.Read(since)
}

func (t teamOnCall) Where() string { return t.st.Audit.Where() }
