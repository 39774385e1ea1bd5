package pg

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
)

// Audit is the audit log in the database. Each Append is its own
// committed transaction: when it returns nil the record is durable, so an
// intent is on record before the action runs.
func (db *DB) Audit() actions.AuditLog { return auditLog{db} }

type auditLog struct{ db *DB }

func (a auditLog) Where() string { return a.db.where }

func (a auditLog) Append(e actions.Entry) error {
	e = actions.SanitizeEntry(e)
	if err := a.db.appendAudit(context.Background(), e, false); err != nil {
		return err
	}
	a.db.mu.Lock()
	a.db.mine[e.ID] = true
	a.db.mu.Unlock()
	return nil
}

// appendAudit inserts one record; a copy (the migration) skips a record
// already there rather than failing.
func (db *DB) appendAudit(ctx context.Context, e actions.Entry, copying bool) error {
	rec, err := json.Marshal(e)
	if err != nil {
		return err
	}
	q := `INSERT INTO opsdeck_audit (id, time, operator, host, kind, target, outcome, record) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`
	if copying {
		q += ` ON CONFLICT DO NOTHING`
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if _, err := db.pool.Exec(ctx, q, e.ID, e.Time, e.Operator, e.Host, e.Kind, e.Target, e.Outcome, rec); err != nil {
		return db.errDB("audit record not written", err)
	}
	return nil
}

func (a auditLog) Recent(n int) ([]actions.Entry, error) {
	ctx, cancel := op()
	defer cancel()
	// The newest records, folded into actions as the file log's are.
	rows, err := a.db.pool.Query(ctx, `SELECT record FROM (
		SELECT seq, record FROM opsdeck_audit ORDER BY seq DESC LIMIT $1) last ORDER BY seq`, actions.RecentWindow(n))
	if err != nil {
		return nil, a.db.errDB("audit log unreadable", err)
	}
	es, err := collectJSON[actions.Entry](rows)
	if err != nil {
		return nil, a.db.errDB("audit log unreadable", err)
	}
	return actions.LastActions(es, n), nil
}

// Drills is the drill history in the database.
func (db *DB) Drills() actions.DrillHistory { return drillLog{db} }

type drillLog struct{ db *DB }

func (d drillLog) Where() string { return d.db.where }

func (d drillLog) Append(r fleet.DrillRecord) error {
	return d.db.appendDrill(context.Background(), actions.SanitizeDrill(r), false)
}

func (db *DB) appendDrill(ctx context.Context, r fleet.DrillRecord, copying bool) error {
	rec, err := json.Marshal(r)
	if err != nil {
		return err
	}
	q := `INSERT INTO opsdeck_drills (time, host, backup, passed, record) VALUES ($1,$2,$3,$4,$5)`
	if copying {
		q += ` ON CONFLICT DO NOTHING`
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if _, err := db.pool.Exec(ctx, q, r.Time, r.Host, r.Backup, r.Passed, rec); err != nil {
		return db.errDB("drill history not written", err)
	}
	return nil
}

func (d drillLog) Each(fn func(fleet.DrillRecord)) error {
	ctx, cancel := context.WithTimeout(context.Background(), 4*opTimeout)
	defer cancel()
	rows, err := d.db.pool.Query(ctx, `SELECT record FROM opsdeck_drills ORDER BY time, seq`)
	if err != nil {
		return d.db.errDB("drill history unreadable", err)
	}
	if err := eachJSON(rows, fn); err != nil {
		return d.db.errDB("drill history unreadable", err)
	}
	return nil
}

// Events is the event history in the database, kept EventDays days.
func (db *DB) Events() fleet.EventStore { return eventLog{db} }

// EventDays is how long events are kept.
const EventDays = 90

type eventLog struct{ db *DB }

func (l eventLog) Where() string { return l.db.where }

func (l eventLog) Append(es []fleet.Event) error {
	for i := range es {
		es[i].Reason = fleet.Sanitize(es[i].Reason, 300)
	}
	return l.db.appendEvents(context.Background(), es, false)
}

func (db *DB) appendEvents(ctx context.Context, es []fleet.Event, copying bool) error {
	if len(es) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	q := `INSERT INTO opsdeck_events (time, host, check_, to_state, record) VALUES ($1,$2,$3,$4,$5)`
	if copying {
		q += ` ON CONFLICT DO NOTHING`
	}
	b := &pgx.Batch{}
	for i := range es {
		rec, err := json.Marshal(&es[i])
		if err != nil {
			return err
		}
		b.Queue(q, es[i].Time, es[i].Host, es[i].Check, es[i].To, rec)
	}
	b.Queue(`DELETE FROM opsdeck_events WHERE time < $1`, time.Now().AddDate(0, 0, -EventDays))
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() })
	if err != nil {
		return db.errDB("event history not written", err)
	}
	return nil
}

func (l eventLog) Read(keep func(*fleet.Event) bool) ([]fleet.Event, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*opTimeout)
	defer cancel()
	rows, err := l.db.pool.Query(ctx, `SELECT record FROM opsdeck_events ORDER BY time, seq`)
	if err != nil {
		return nil, l.db.errDB("event history unreadable", err)
	}
	var out []fleet.Event
	err = eachJSON(rows, func(e fleet.Event) {
		if keep == nil || keep(&e) {
			out = append(out, e)
		}
	})
	if err != nil {
		return out, l.db.errDB("event history unreadable", err)
	}
	return out, nil
}

// Value reads a named value and when it was last written; found is false
// when it never was.
func (db *DB) Value(name string) (value []byte, at time.Time, found bool, err error) {
	ctx, cancel := op()
	defer cancel()
	err = db.pool.QueryRow(ctx, `SELECT value, updated_at FROM opsdeck_values WHERE name = $1`, name).Scan(&value, &at)
	if err == pgx.ErrNoRows {
		return nil, time.Time{}, false, nil
	}
	if err != nil {
		return nil, time.Time{}, false, db.errDB(name+" unreadable", err)
	}
	return value, at, true, nil
}

// SetValue writes a named value (JSON).
func (db *DB) SetValue(name string, value []byte) error {
	return db.setValue(context.Background(), name, value, time.Now())
}

func (db *DB) setValue(ctx context.Context, name string, value []byte, at time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	_, err := db.pool.Exec(ctx, `INSERT INTO opsdeck_values (name, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, name, value, at)
	if err != nil {
		return db.errDB(name+" not written", err)
	}
	return nil
}

// eachJSON decodes each row's one JSON column into a T for fn; a record
// that does not decode is skipped, as a damaged line of a file is.
func eachJSON[T any](rows pgx.Rows, fn func(T)) error {
	defer rows.Close()
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return err
		}
		var v T
		if json.Unmarshal(raw, &v) == nil {
			fn(v)
		}
	}
	return rows.Err()
}

func collectJSON[T any](rows pgx.Rows) ([]T, error) {
	var out []T
	err := eachJSON(rows, func(v T) { out = append(out, v) })
	return out, err
}

// eachSeqJSON is eachJSON over (seq, record) rows the cursor has not seen.
func eachSeqJSON[T any](rows pgx.Rows, c *cursor, fn func(T)) error {
	defer rows.Close()
	for rows.Next() {
		var s int64
		var raw []byte
		if err := rows.Scan(&s, &raw); err != nil {
			return err
		}
		if !c.take(s) {
			continue
		}
		var v T
		if json.Unmarshal(raw, &v) == nil {
			fn(v)
		}
	}
	return rows.Err()
}
