package pg

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/opsdeck/opsdeck/actions"
)

// Locks are per-target session advisory locks, held by one connection for
// as long as the action runs. Every opsdeck on the database, on any
// machine, is refused a target another holds.
//
// The database drops an advisory lock with the connection that holds it,
// and a connection can be lost while its action goes on (a restarted
// pooler, a killed backend). So the holder also keeps a note of its hold
// that beats every BeatEvery through any connection of its pool; a note
// that beat within Lease refuses the target as the lock would. A holder
// that died frees its target a Lease after its last beat.
func (db *DB) Locks() actions.Locker { return locker{db} }

// Lease and BeatEvery: how long a note speaks for its holder after its
// last beat, and how often the holder beats.
var (
	Lease     = 60 * time.Second
	BeatEvery = 10 * time.Second
)

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
		holder := l.holder(ctx, conn.Conn(), key, false)
		conn.Release()
		return nil, fmt.Errorf("%w: %s/%s: %s", actions.ErrBusy, host, target, holder)
	}
	// Ours, unless a holder that lost its lock's connection still beats.
	if holder := l.holder(ctx, conn.Conn(), key, true); holder != "" {
		unlock(ctx, conn.Conn(), key)
		conn.Release()
		return nil, fmt.Errorf("%w: %s/%s: %s", actions.ErrBusy, host, target, holder)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	// The note is written before the action runs or the lock is not ours:
	// without it, a lost connection would free the target unseen.
	if _, err := conn.Exec(ctx, `INSERT INTO opsdeck_locks (key, host, target, kind, operator, pid, since, beat, token)
		VALUES ($1,$2,$3,$4,$5,$6,$7,now(),$8)
		ON CONFLICT (key) DO UPDATE SET host = excluded.host, target = excluded.target, kind = excluded.kind,
		operator = excluded.operator, pid = excluded.pid, since = excluded.since, beat = now(), token = excluded.token`,
		key, host, target, kind, operator, os.Getpid(), time.Now(), token); err != nil {
		unlock(ctx, conn.Conn(), key)
		conn.Release()
		return nil, db.errDB("target lock not taken", err)
	}
	stopBeats := actions.Every(context.Background(), BeatEvery, func(time.Duration) {
		ctx, cancel := op()
		defer cancel()
		_, _ = db.pool.Exec(ctx, `UPDATE opsdeck_locks SET beat = now() WHERE key = $1 AND token = $2`, key, token)
	})
	var once sync.Once
	return func() {
		once.Do(func() {
			stopBeats()
			ctx, cancel := op()
			defer cancel()
			// The note goes first, through any connection: once the lock
			// is free, a note left behind would refuse the next holder.
			_, _ = db.pool.Exec(ctx, `DELETE FROM opsdeck_locks WHERE key = $1 AND token = $2`, key, token)
			unlock(ctx, conn.Conn(), key)
			conn.Release()
		})
	}, nil
}

// unlock frees the advisory lock; a connection whose state is unknown is
// closed, never handed back to the pool holding the lock.
func unlock(ctx context.Context, conn *pgx.Conn, key int64) {
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, key); err != nil {
		_ = conn.Close(ctx)
	}
}

// holder describes who holds the lock, from the note its holder wrote.
// With lost, only a note that beat within the lease counts (its holder
// lost the lock's connection), "" when there is none.
func (l locker) holder(ctx context.Context, conn *pgx.Conn, key int64, lost bool) string {
	var kind, operator string
	var pid int
	var since time.Time
	var quiet float64 // seconds since the last beat
	err := conn.QueryRow(ctx, `SELECT kind, operator, pid, since, extract(epoch FROM now() - beat)::float8
		FROM opsdeck_locks WHERE key = $1 AND (NOT $2 OR beat > now() - make_interval(secs => $3))`,
		key, lost, Lease.Seconds()).Scan(&kind, &operator, &pid, &since, &quiet)
	switch {
	case err != nil && lost:
		return ""
	case err != nil:
		return "another opsdeck is acting on it"
	}
	who := fmt.Sprintf("%s (pid %d) is %s since %s", operator, pid, actions.Doing(kind), since.Local().Format("15:04:05"))
	if lost {
		heard := time.Duration(quiet * float64(time.Second)).Round(time.Second)
		who += fmt.Sprintf("; its lock's connection dropped, but it was heard from %s ago (the target frees %s after its last word)", heard, Lease)
	}
	return who
}
