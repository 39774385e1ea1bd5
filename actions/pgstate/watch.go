package pgstate

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
	auditSeq, drillSeq := db.startAudit, db.startDrill
	failing := false
	for sleep(ctx, every) {
		ch, err := db.since(ctx, &auditSeq, &drillSeq)
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

// mark notes where the record ends now: Watch starts after it.
func (db *DB) mark(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	return db.pool.QueryRow(ctx, `SELECT coalesce((SELECT max(seq) FROM opsdeck_audit), 0),
		coalesce((SELECT max(seq) FROM opsdeck_drills), 0)`).Scan(&db.startAudit, &db.startDrill)
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

// since reads the records after the cursors and moves them on.
func (db *DB) since(ctx context.Context, auditSeq, drillSeq *int64) (Changes, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	var ch Changes
	rows, err := db.pool.Query(ctx, `SELECT seq, record FROM opsdeck_audit WHERE seq > $1 ORDER BY seq LIMIT 1000`, *auditSeq)
	if err != nil {
		return ch, db.errDB("shared record unreadable", err)
	}
	err = eachSeqJSON(rows, auditSeq, func(e actions.Entry) {
		db.mu.Lock()
		mine := db.mine[e.ID]
		db.mu.Unlock()
		if !mine {
			ch.Audit = append(ch.Audit, e)
		}
	})
	if err != nil {
		return ch, db.errDB("shared record unreadable", err)
	}
	rows, err = db.pool.Query(ctx, `SELECT seq, record FROM opsdeck_drills WHERE seq > $1 ORDER BY seq LIMIT 1000`, *drillSeq)
	if err != nil {
		return ch, db.errDB("shared record unreadable", err)
	}
	if err := eachSeqJSON(rows, drillSeq, func(r fleet.DrillRecord) { ch.Drills = append(ch.Drills, r) }); err != nil {
		return ch, db.errDB("shared record unreadable", err)
	}
	return ch, nil
}

// LookOnce is one look of Watch from where it started (for benchmarks).
func (db *DB) LookOnce(ctx context.Context) (Changes, error) {
	a, d := db.startAudit, db.startDrill
	return db.since(ctx, &a, &d)
}
