package pg

import (
	"context"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
)

// Changes is what others recorded since the last look: audit records
// written by other processes, and drills.
type Changes struct {
	Audit  []actions.Entry
	Drills []fleet.DrillRecord
	// Recovered: the database answers again after a failed look.
	Recovered bool
}

// Watch looks for records others wrote every interval, from those written
// after Open (what came before is history the caller read), and hands them
// to fn; a failed look hands fn the error, once per failure spell
// (Changes.Recovered says when it answers again). It returns when ctx
// ends.
func (db *DB) Watch(ctx context.Context, every time.Duration, fn func(Changes, error)) {
	audit, drills := db.startAudit.clone(), db.startDrill.clone()
	failing := false
	for sleep(ctx, every) {
		ch, err := db.since(ctx, audit, drills)
		switch {
		case err != nil && !failing:
			failing = true
			fn(Changes{}, err)
		case err != nil:
		case failing || len(ch.Audit) > 0 || len(ch.Drills) > 0:
			ch.Recovered, failing = failing, false
			fn(ch, nil)
		}
	}
}

// lag is how far behind the newest record a look starts: two writers'
// records can commit out of their sequence order (the later number
// first), and a look that started after the last one seen would miss the
// other for good.
const lag = 64

// cursor is where a look of one table starts, and the records seen in the
// lag window before it.
type cursor struct {
	last int64
	seen map[int64]bool
}

func newCursor() *cursor { return &cursor{seen: map[int64]bool{}} }

func (c *cursor) clone() *cursor {
	n := &cursor{last: c.last, seen: make(map[int64]bool, len(c.seen))}
	for k := range c.seen {
		n.seen[k] = true
	}
	return n
}

// seenList is the records seen in the window, for the query to skip.
func (c *cursor) seenList() []int64 {
	out := make([]int64, 0, len(c.seen))
	for k := range c.seen {
		out = append(out, k)
	}
	return out
}

// take marks record seq seen; false when it was already.
func (c *cursor) take(seq int64) bool {
	if c.seen[seq] || seq <= c.last-lag {
		return false
	}
	c.seen[seq] = true
	if seq > c.last {
		c.last = seq
		for k := range c.seen {
			if k <= c.last-lag {
				delete(c.seen, k)
			}
		}
	}
	return true
}

// mark notes where each table ends now, with the records of its lag
// window: Watch reads those after.
func (db *DB) mark(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	db.startAudit, db.startDrill = newCursor(), newCursor()
	for table, c := range map[string]*cursor{"opsdeck_audit": db.startAudit, "opsdeck_drills": db.startDrill} {
		rows, err := db.pool.Query(ctx, `SELECT seq FROM `+table+` WHERE seq > coalesce((SELECT max(seq) FROM `+table+`), 0) - $1 ORDER BY seq`, lag)
		if err != nil {
			return err
		}
		for rows.Next() {
			var seq int64
			if err := rows.Scan(&seq); err != nil {
				rows.Close()
				return err
			}
			c.take(seq)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// since reads the records after the cursors' lag windows that they have
// not seen.
func (db *DB) since(ctx context.Context, audit, drills *cursor) (Changes, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	var ch Changes
	rows, err := db.pool.Query(ctx, `SELECT seq, record FROM opsdeck_audit WHERE seq > $1 AND NOT seq = ANY($2) ORDER BY seq LIMIT 1000`,
		audit.last-lag, audit.seenList())
	if err != nil {
		return ch, db.errDB("", err)
	}
	err = eachSeqJSON(rows, audit, func(e actions.Entry) {
		db.mu.Lock()
		mine := db.mine[e.ID]
		db.mu.Unlock()
		if !mine {
			ch.Audit = append(ch.Audit, e)
		}
	})
	if err != nil {
		return ch, db.errDB("", err)
	}
	rows, err = db.pool.Query(ctx, `SELECT seq, record FROM opsdeck_drills WHERE seq > $1 AND NOT seq = ANY($2) ORDER BY seq LIMIT 1000`,
		drills.last-lag, drills.seenList())
	if err != nil {
		return ch, db.errDB("", err)
	}
	if err := eachSeqJSON(rows, drills, func(r fleet.DrillRecord) { ch.Drills = append(ch.Drills, r) }); err != nil {
		return ch, db.errDB("", err)
	}
	return ch, nil
}

// LookOnce is one look of Watch from where it started (for benchmarks).
func (db *DB) LookOnce(ctx context.Context) (Changes, error) {
	return db.since(ctx, db.startAudit.clone(), db.startDrill.clone())
}
