package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/actions/notify"
	"github.com/opsdeck/opsdeck/actions/record/files"
	"github.com/opsdeck/opsdeck/actions/record/pg"
	"github.com/opsdeck/opsdeck/fleet"
)

// ReadFiles reads the whole local history.
func ReadFiles() (pg.Records, error) {
	local := Files()
	var recs pg.Records
	audit := local.Audit.(*files.Audit)
	if err := audit.Each(func(e actions.Entry) { recs.Audit = append(recs.Audit, e) }); err != nil {
		return recs, fmt.Errorf("read %s: %w", audit.Path, err)
	}
	if err := local.Drills.Each(func(r fleet.DrillRecord) { recs.Drills = append(recs.Drills, r) }); err != nil {
		return recs, fmt.Errorf("read %s: %w", local.Drills.Where(), err)
	}
	events, err := local.Events.Read(nil)
	if err != nil {
		return recs, fmt.Errorf("read %s: %w", local.Events.Where(), err)
	}
	recs.Events = events
	if b, err := os.ReadFile(StatePath()); err == nil {
		if !json.Valid(b) {
			return recs, fmt.Errorf("%s is damaged (not JSON): remove it, the next check run writes it again", StatePath())
		}
		at := time.Now()
		if fi, err := os.Stat(StatePath()); err == nil {
			at = fi.ModTime()
		}
		recs.Values = map[string]pg.Value{notify.StateName: {JSON: b, At: at}}
	} else if !errors.Is(err, os.ErrNotExist) {
		return recs, fmt.Errorf("read %s: %w", StatePath(), err)
	}
	return recs, nil
}
