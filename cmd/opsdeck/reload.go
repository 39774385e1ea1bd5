package main

import (
	"github.com/opsdeck/opsdeck/actions/record"
	"github.com/opsdeck/opsdeck/fleet/config"
	"github.com/opsdeck/opsdeck/fleet/reload"
)

// newReloader is the reloader of a deck's fleet, from the config file at
// path, checking a new config's key map as at start.
func (d *deck) newReloader(path string, loader *config.Loader) *reload.Reloader {
	return &reload.Reloader{Path: path, Loader: loader, Fleet: d.cfg, Store: d.store, Poller: d.poller, Logger: d.logger,
		Source: d.conn.Source, Check: checkKeys, Reach: d.conn.Apply,
		Added: func() { record.LoadDrills(d.store, d.st.Drills, d.logger) }}
}
