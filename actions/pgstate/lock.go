package pgstate

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/opsdeck/opsdeck/actions"
)

// Locks are per-target session advisory locks: held by one connection for
// as long as the action runs, released when it ends or when that
// connection is lost. Every opsdeck on the database, on any machine, is
// refused a target another holds.
func (db *DB) Locks() actions.Locker { return locker{db} }

type locker struct{ db *DB }

// lockKey is the target's advisory lock key.
func lockKey(host, target string) int64 {
	sum := sha256.Sum256([]byte("opsdeck\x00" + host + "\x00" + target))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

func (l locker) Lock(host, target, kind, operator string) (func(), error) {
	db := l.db
	ctx, cancel := op()
	defer cancel()
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, db.errDB("target lock not taken", err)
	}
	key := lockKey(host, target)
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got); err != nil {
		conn.Release()
		return nil, db.errDB("target lock not taken", err)
	}
	if !got {
		holder := l.holder(ctx, conn.Conn(), key)
		conn.Release()
		return nil, fmt.Errorf("%w: %s/%s: %s", actions.ErrBusy, host, target, holder)
	}
	// The note is for the messages of those refused; the lock is held
	// whether or not it is written.
	_, _ = conn.Exec(ctx, `INSERT INTO opsdeck_locks (key, host, target, kind, operator, pid, since) VALUES ($1,$2,$3,$4,$5,$6,$7)
		ON CONFLICT (key) DO UPDATE SET host = excluded.host, target = excluded.target, kind = excluded.kind,
		operator = excluded.operator, pid = excluded.pid, since = excluded.since`,
		key, host, target, kind, operator, os.Getpid(), time.Now())
	return func() {
		ctx, cancel := op()
		defer cancel()
		_, _ = conn.Exec(ctx, `DELETE FROM opsdeck_locks WHERE key = $1`, key)
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, key); err != nil {
			// Unknown state: never hand a connection that may hold the
			// lock back to the pool.
			_ = conn.Conn().Close(ctx)
		}
		conn.Release()
	}, nil
}

// holder describes who holds the lock, from the note its holder wrote.
func (l locker) holder(ctx context.Context, conn *pgx.Conn, key int64) string {
	var kind, operator string
	var pid int
	var since time.Time
	err := conn.QueryRow(ctx, `SELECT kind, operator, pid, since FROM opsdeck_locks WHERE key = $1`, key).Scan(&kind, &operator, &pid, &since)
	if err != nil {
		return "another opsdeck is acting on it"
	}
	return fmt.Sprintf("%s (pid %d) is %s since %s", operator, pid, actions.Doing(kind), since.Local().Format("15:04:05"))
}
