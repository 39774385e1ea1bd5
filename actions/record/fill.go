package record

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// fillName is the fill histories among the record's values.
const fillName = "fill-history"

// LoadFill puts the fill histories the record keeps into store (a record
// that cannot be read leaves them empty: forecasts wait for history).
func (s *Record) LoadFill(store *fleet.Store) error {
	kept, err := s.readFill()
	if err == nil {
		store.LoadFillHistories(kept)
	}
	return err
}

// SaveFill keeps the store's fill histories, beside those of hosts other
// processes watch in a shared record.
func (s *Record) SaveFill(store *fleet.Store) error {
	vs, shared, err := s.Values()
	if err != nil {
		return err
	}
	kept := map[string]map[string][]byte{}
	if shared { // another process's hosts stay; the files are this one's alone
		if k, _ := s.readFill(); k != nil {
			kept = k
		}
	}
	for host, mounts := range store.FillHistories() {
		kept[host] = mounts
	}
	b, err := json.Marshal(kept)
	if err != nil {
		return err
	}
	return vs.SetValue(fillName, b)
}

func (s *Record) readFill() (map[string]map[string][]byte, error) {
	vs, _, err := s.Values()
	if err != nil {
		return nil, err
	}
	b, _, found, err := vs.Value(fillName)
	if err != nil || !found {
		return nil, err
	}
	kept := map[string]map[string][]byte{}
	if err := json.Unmarshal(b, &kept); err != nil {
		return nil, fmt.Errorf("%s: %w", fillName, err)
	}
	return kept, nil
}

// KeepFill saves the store's fill histories every interval until ctx
// ends, and once more then; a save that fails is logged, once until one
// succeeds again.
func (s *Record) KeepFill(ctx context.Context, store *fleet.Store, every time.Duration, logger *slog.Logger) {
	failing := false
	save := func() {
		err := s.SaveFill(store)
		if (err != nil) != failing {
			failing = err != nil
			logger.Warn("fill history not kept", "err", err)
		}
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			save()
			return
		case <-t.C:
			save()
		}
	}
}
