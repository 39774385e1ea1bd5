package pg

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
)

// Records is a whole local history to import.
type Records struct {
	Audit  []actions.Entry
	Drills []fleet.DrillRecord
	Events []fleet.Event
	Values map[string]Value
}

// Value is a named value and when it was written.
type Value struct {
	JSON []byte
	At   time.Time
}

// Counts says how many records of each kind an import added, and how many
// were there already.
type Counts struct {
	Audit, Drills, Events, Values [2]int // added, already there
}

// Import copies recs in one transaction: all of them or, on an error, none.
// A record already in the database (the same import run twice) is left as
// it is and counted as there.
func (db *DB) Import(ctx context.Context, recs Records) (Counts, error) {
	var n Counts
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		count := func(c *[2]int, q string, args ...any) error {
			tag, err := tx.Exec(ctx, q+` ON CONFLICT DO NOTHING`, args...)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 1 {
				c[0]++
			} else {
				c[1]++
			}
			return nil
		}
		for _, e := range recs.Audit {
			rec, _ := json.Marshal(actions.SanitizeEntry(e))
			if err := count(&n.Audit, `INSERT INTO opsdeck_audit (id, time, operator, host, kind, target, outcome, record) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
				e.ID, e.Time, e.Operator, e.Host, e.Kind, e.Target, e.Outcome, rec); err != nil {
				return fmt.Errorf("audit record %s: %w", e.ID, err)
			}
		}
		for _, r := range recs.Drills {
			rec, _ := json.Marshal(actions.SanitizeDrill(r))
			if err := count(&n.Drills, `INSERT INTO opsdeck_drills (time, host, backup, passed, record) VALUES ($1,$2,$3,$4,$5)`,
				r.Time, r.Host, r.Backup, r.Passed, rec); err != nil {
				return fmt.Errorf("drill of %s/%s: %w", r.Host, r.Backup, err)
			}
		}
		for i := range recs.Events {
			e := &recs.Events[i]
			e.Reason = fleet.Sanitize(e.Reason, 300)
			rec, _ := json.Marshal(e)
			if err := count(&n.Events, `INSERT INTO opsdeck_events (time, host, check_, to_state, record) VALUES ($1,$2,$3,$4,$5)`,
				e.Time, e.Host, e.Check, e.To, rec); err != nil {
				return fmt.Errorf("event of %s: %w", e.Host, err)
			}
		}
		for name, v := range recs.Values {
			if err := count(&n.Values, `INSERT INTO opsdeck_values (name, value, updated_at) VALUES ($1,$2,$3)`, name, v.JSON, v.At); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		return Counts{}, db.errDB("nothing imported", err)
	}
	return n, nil
}
