// Package actions is what an operator can do to the fleet: restart a
// service, take a snapshot, run a restore drill. Every action is planned
// (exact command, target, risk) before it runs, confirmed in proportion to
// its blast radius, refused in read-only mode, and appended to the audit
// log. It builds on package fleet and knows nothing about terminals.
//
// The actions themselves arrive with the services and backups work; this
// package fixes their place in the layout (tui → actions → fleet).
package actions

import "github.com/opsdeck/opsdeck/fleet"

// Target names what an action is aimed at: a host and one of its services
// or backups.
type Target struct {
	Host *fleet.Host
	Name string
}
