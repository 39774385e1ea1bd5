package config

import (
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// Reloaded says the fleet was reloaded (Config set: the store already
// holds its hosts), or that a reload was refused (Err set: the running
// fleet stays as it was). Notes are what the load said without failing
// (an inventory that kept its last good list).
type Reloaded struct {
	Config  *fleet.Config
	Summary string // "+3 −1 ~2"
	At      time.Time
	Err     error
	Notes   []string
}
