package pg

import (
	"context"
	"encoding/json"
	"time"

	"github.com/opsdeck/opsdeck/actions/oncall"
)

// OnCall is the team's on-call log in the database.
func (db *DB) OnCall() oncall.Log { return onCallLog{db} }

type onCallLog struct{ db *DB }

func (l onCallLog) Where() string { return l.db.where }

// Append inserts r; an end of what already ended is not inserted again
// (the unique index on what it ends), and added says so.
func (l onCallLog) Append(r oncall.Record) (bool, error) {
	rec, err := json.Marshal(r)
	if err != nil {
		return false, err
	}
	var ends *string
	if r.Op == oncall.OpUnack || r.Op == oncall.OpExpire {
		ends = &r.ID
	}
	ctx, cancel := op()
	defer cancel()
	tag, err := l.db.pool.Exec(ctx, `INSERT INTO opsdeck_oncall (at, op, ends, record) VALUES ($1,$2,$3,$4) ON CONFLICT DO NOTHING`,
		r.At, r.Op, ends, rec)
	if err != nil {
		return false, l.db.errDB("on-call record not written", err)
	}
	return tag.RowsAffected() == 1, nil
}

// Read returns the records since a time, in the order they were written.
func (l onCallLog) Read(since time.Time) ([]oncall.Record, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*opTimeout)
	defer cancel()
	rows, err := l.db.pool.Query(ctx, `SELECT record FROM opsdeck_oncall WHERE at >= $1 ORDER BY seq`, since)
	if err != nil {
		return nil, l.db.errDB("on-call log unreadable", err)
	}
	out, err := collectJSON[oncall.Record](rows)
	if err != nil {
		return out, l.db.errDB("on-call log unreadable", err)
	}
	return out, nil
}
