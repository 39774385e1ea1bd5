// Package pg keeps opsdeck's shared record in PostgreSQL: the audit
// log, the drill history, the event history, the check command's state and
// the per-target action locks (advisory locks). A team's dashboards and
// cron jobs on one database see one record.
package pg

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

// opTimeout bounds one statement: a database that hangs refuses an action
// (no record, no action) rather than freezing the one who asked.
const opTimeout = 10 * time.Second

// maxConns bounds the pool. Each running action holds one connection for
// its advisory lock; the rest serve reads and writes.
const maxConns = 16

// DB is an open state database, migrated to this binary's schema.
type DB struct {
	pool  *pgxpool.Pool
	where string

	// startAudit, startDrill: where the tables ended when opened (Watch
	// reads what comes after).
	startAudit, startDrill *cursor

	mu   sync.Mutex
	mine map[string]bool // audit IDs this process wrote (Watch skips them)
}

// Open connects to the database at rawURL, taking its password from
// passwordFile when set (else libpq's rules: $PGPASSWORD, ~/.pgpass), and
// applies the migrations this binary holds.
func Open(ctx context.Context, rawURL, passwordFile string) (*DB, error) {
	where := Redact(rawURL)
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("state database %s: %w", where, scrub(err, rawURL))
	}
	if passwordFile != "" {
		pw, err := readPassword(passwordFile)
		if err != nil {
			return nil, fmt.Errorf("state database %s: %w", where, err)
		}
		cfg.ConnConfig.Password = pw
	}
	if cfg.ConnConfig.ConnectTimeout == 0 || cfg.ConnConfig.ConnectTimeout > opTimeout {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "opsdeck"
	}
	cfg.MaxConns = maxConns
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("state database %s: %w", where, scrub(err, rawURL))
	}
	db := &DB{pool: pool, where: where, mine: map[string]bool{}}
	err = db.migrate(ctx)
	if err == nil {
		err = db.mark(ctx)
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("state database %s: %w", where, scrub(err, rawURL))
	}
	return db, nil
}

// Close closes the pool (held locks are released with their connections).
// It waits for the connections in use at most opTimeout: an action still
// holding its target's lock never keeps opsdeck from exiting (the lock
// goes with the process's connections).
func (db *DB) Close() {
	done := make(chan struct{})
	go func() { db.pool.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(opTimeout):
	}
}

// Where names the database for the screen, without a password.
func (db *DB) Where() string { return db.where }

// Redact is rawURL with no password: postgres://user@host:port/db.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "postgres://…"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	q.Del("password")
	u.RawQuery = q.Encode()
	return u.String()
}

// scrubbed is an error whose text lost a password; it still unwraps to
// the cause (a connection refused, a timeout).
type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

// scrub is err with any password of rawURL removed from its text: pgx's
// parse errors quote the connection string.
func scrub(err error, rawURL string) error { return &scrubbed{msg: scrubText(err, rawURL), err: err} }

func scrubText(err error, rawURL string) string {
	msg := err.Error()
	if u, perr := url.Parse(rawURL); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return msg
}

// readPassword reads a password file that only its owner can read.
func readPassword(p string) (string, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("password_file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("password_file %s is readable by others (mode %04o): chmod 600 it", p, fi.Mode().Perm())
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("password_file: %w", err)
	}
	pw := strings.TrimRight(string(b), "\r\n")
	if pw == "" {
		return "", fmt.Errorf("password_file %s is empty", p)
	}
	return pw, nil
}

// migrationLock serialises migrations of opsdeck processes starting at
// once on one database.
const migrationLock = 0x6f70736465636b // "opsdeck"

// migrate applies, in one transaction, the migrations newer than the
// database's schema version. A database migrated by a newer opsdeck is
// refused: this binary would misread it.
func (db *DB) migrate(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	names, err := migrations.ReadDir("migrations")
	if err != nil {
		return err
	}
	type step struct {
		version int
		name    string
	}
	var steps []step
	for _, e := range names {
		v, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: no version number", e.Name())
		}
		steps = append(steps, step{v, e.Name()})
	}
	sort.Slice(steps, func(i, j int) bool { return steps[i].version < steps[j].version })
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS opsdeck_schema (
			version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		var have int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM opsdeck_schema`).Scan(&have); err != nil {
			return err
		}
		if latest := steps[len(steps)-1].version; have > latest {
			return fmt.Errorf("schema version %d is newer than this opsdeck knows (%d): upgrade opsdeck", have, latest)
		}
		for _, s := range steps {
			if s.version <= have {
				continue
			}
			sql, err := migrations.ReadFile(path.Join("migrations", s.name))
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(sql)); err != nil {
				return fmt.Errorf("migration %s: %w", s.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO opsdeck_schema (version) VALUES ($1)`, s.version); err != nil {
				return err
			}
		}
		return nil
	})
}

// op is a context for one statement.
func op() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), opTimeout)
}

// errDB is an error of what ("" when the caller says it) with the
// database named after its cause, the cause said short when it is the
// network's ("database unreachable: connection refused"), so that it
// fits a status line.
func (db *DB) errDB(what string, err error) error {
	return &dbError{what: what, where: db.where, cause: err}
}

type dbError struct {
	what, where string
	cause       error
}

func (e *dbError) Error() string {
	short := e.cause.Error()
	var errno syscall.Errno
	switch {
	case errors.Is(e.cause, context.DeadlineExceeded):
		short = fmt.Sprintf("no answer within %s", opTimeout)
	case errors.As(e.cause, &errno):
		short = "database unreachable: " + errno.Error()
	}
	if e.what == "" {
		return fmt.Sprintf("%s (%s)", short, e.where)
	}
	return fmt.Sprintf("%s: %s (%s)", e.what, short, e.where)
}

func (e *dbError) Unwrap() error { return e.cause }
