package tui

import (
	"fmt"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// fleetData is every host's status and evaluated health, read from the
// store on the tick. Components read it; only refresh writes it.
type fleetData struct {
	store   *fleet.Store
	hosts   []hostRow      // every host, in config order
	index   map[string]int // host name → index in hosts
	version uint64
	shape   uint64 // the store's Shape the hosts were read at
	second  int64  // the wall-clock second hosts were last evaluated for
	gen     uint64 // counts the refreshes that changed something: views redraw on a new one

	anyServices, anyBackups, anySecurity bool // some host has them: their columns are shown
}

// hostRow is one host's status and its evaluated health at build time.
type hostRow struct {
	status fleet.HostStatus
	health fleet.Health
}

func newFleetData(cfg *fleet.Config, store *fleet.Store) *fleetData {
	d := &fleetData{store: store}
	for i := range cfg.Hosts {
		h := &cfg.Hosts[i]
		d.anyServices = d.anyServices || len(h.Services) > 0
		d.anyBackups = d.anyBackups || len(h.Backups) > 0
		d.anySecurity = d.anySecurity || h.SecurityOn() || len(h.Certs) > 0
	}
	return d
}

// row is a host's row by name.
func (d *fleetData) row(name string) (*hostRow, bool) {
	i, ok := d.index[name]
	if !ok {
		return nil, false
	}
	return &d.hosts[i], true
}

// refresh reads what changed in the store, and once a second re-checks the
// hosts whose state depends on the clock (STALE, the age in a DOWN reason),
// so ages and the clock stay true even when no data arrives. Only changed
// hosts are re-evaluated: a frame costs O(changed + visible), not O(fleet).
// It reports whether some host's state changed (the order may change).
func (d *fleetData) refresh(now time.Time, force bool) (changed, stateChanged bool) {
	v := d.store.Version()
	sec := now.Unix()
	if sh := d.store.Shape(); sh != d.shape { // hosts came or went: rows by place are stale
		force, d.shape = true, sh
	}
	if !force && v == d.version && sec == d.second {
		return false, false
	}
	d.gen++
	switch {
	case force || d.index == nil:
		snap, ver := d.store.Snapshot()
		d.hosts = make([]hostRow, len(snap))
		d.index = make(map[string]int, len(snap))
		for i := range snap {
			d.index[snap[i].Host.Name] = i
			d.update(i, snap[i], now)
		}
		d.version, stateChanged = ver, true
	case v != d.version:
		news, ver := d.store.Changed(d.version)
		for i := range news {
			if d.update(d.index[news[i].Host.Name], news[i], now) {
				stateChanged = true
			}
		}
		d.version = ver
	}
	if sec != d.second {
		d.second = sec
		for i := range d.hosts {
			if clockSensitive(&d.hosts[i], now) && d.update(i, d.hosts[i].status, now) {
				stateChanged = true
			}
		}
	}
	return true, stateChanged
}

// update re-evaluates one host; it reports whether its state changed.
func (d *fleetData) update(i int, st fleet.HostStatus, now time.Time) bool {
	old := d.hosts[i].health.State
	d.hosts[i] = hostRow{status: st}
	d.hosts[i].health = fleet.Assess(&d.hosts[i].status, now)
	return d.hosts[i].health.State != old
}

// clockSensitive reports whether a host's evaluation may change with time
// alone: its data may have just gone stale, or its reason carries an age.
func clockSensitive(r *hostRow, now time.Time) bool {
	if r.status.Last == nil {
		return false
	}
	if r.health.State == fleet.Down || r.health.State == fleet.Slow || r.health.State == fleet.Unreachable {
		return true
	}
	stale := r.status.Stale(now)
	return stale != (r.health.State == fleet.Stale) || r.health.State == fleet.Stale
}

// problems are a host's failing checks (not OK, not pending), worst first.
func (r *hostRow) problems() []fleet.Check {
	var out []fleet.Check
	for _, c := range r.health.Checks {
		if c.State != fleet.OK && !c.Pending {
			out = append(out, c)
		}
	}
	for i := 1; i < len(out); i++ { // insertion sort: stable, and the list is short
		for j := i; j > 0 && out[j].State > out[j-1].State; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// reason is the host's worst reason, with how many other checks fail:
// a passing CPU spike must not hide a 10-day-old backup.
func (r *hostRow) reason() string {
	n := len(r.problems())
	if r.health.Reason == "" || n <= 1 {
		return r.health.Reason
	}
	return fmt.Sprintf("%s (+%d more)", r.health.Reason, n-1)
}
