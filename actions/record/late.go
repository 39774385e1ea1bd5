package record

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/actions/record/pg"
	"github.com/opsdeck/opsdeck/fleet"
)

// lateDB is a shared record whose database did not answer when the
// dashboard started. The dashboard watches the fleet all the same: until
// the database answers, every action is refused (its intent cannot be
// recorded), the drill history is empty and events are not kept.
type lateDB struct {
	url, passwordFile, where string

	mu  sync.Mutex
	db  *pg.DB
	err error // why it is not open yet
}

// openLate tries once to open the database.
func (l *lateDB) openLate(ctx context.Context) (*pg.DB, error) {
	if db, err := l.get(); err == nil {
		return db, nil
	}
	db, err := pg.Open(ctx, l.url, l.passwordFile)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.err = err
		return nil, err
	}
	l.db, l.err = db, nil
	return db, nil
}

func (l *lateDB) get() (*pg.DB, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.db == nil {
		var errno syscall.Errno
		if errors.As(l.err, &errno) {
			return nil, fmt.Errorf("database unreachable since start: %w", errno)
		}
		return nil, fmt.Errorf("not open since start: %w", l.err)
	}
	return l.db, nil
}

func (l *lateDB) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.db != nil {
		l.db.Close()
	}
}

func (l *lateDB) Where() string { return l.where }

type lateAudit struct{ *lateDB }

func (a lateAudit) Append(e actions.Entry) error {
	db, err := a.get()
	if err != nil {
		return err
	}
	return db.Audit().Append(e)
}

func (a lateAudit) Recent(n int) ([]actions.Entry, error) {
	db, err := a.get()
	if err != nil {
		return nil, err
	}
	return db.Audit().Recent(n)
}

type lateDrills struct{ *lateDB }

func (d lateDrills) Append(r fleet.DrillRecord) error {
	db, err := d.get()
	if err != nil {
		return err
	}
	return db.Drills().Append(r)
}

func (d lateDrills) Each(fn func(fleet.DrillRecord)) error {
	db, err := d.get()
	if err != nil {
		return err
	}
	return db.Drills().Each(fn)
}

type lateEvents struct{ *lateDB }

func (l lateEvents) Append(es []fleet.Event) error {
	db, err := l.get()
	if err != nil {
		return err
	}
	return db.Events().Append(es)
}

func (l lateEvents) Read(keep func(*fleet.Event) bool) ([]fleet.Event, error) {
	db, err := l.get()
	if err != nil {
		return nil, err
	}
	return db.Events().Read(keep)
}

type lateLocks struct{ *lateDB }

func (l lateLocks) Lock(host, target, kind, operator string) (func(), error) {
	db, err := l.get()
	if err != nil {
		return nil, err
	}
	return db.Locks().Lock(host, target, kind, operator)
}

// OpenLate is Open for the long-running commands: a database that does not
// answer at start is opened later (Watch retries it), and err says why
// it is not open now.
func OpenLate(ctx context.Context, cfg *fleet.Config) (*Record, error) {
	st, err := Open(ctx, cfg)
	if err == nil {
		return st, nil
	}
	url, uerr := URL(cfg)
	if uerr != nil || url == "" {
		return nil, err // not a database that may come back: a mistake
	}
	l := &lateDB{url: url, passwordFile: cfg.State.PasswordFile, where: pg.Redact(url), err: err}
	return &Record{Audit: lateAudit{l}, Drills: lateDrills{l}, Events: lateEvents{l}, Locks: lateLocks{l}, late: l}, err
}
