package tui

import (
	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
)

// remedy says what to do about a failing check (actions.RemedyFor), each
// verb said as its key in this key map; "" when nothing concrete is known.
func remedy(c *common, st *fleet.HostStatus, chk fleet.Check) string {
	return actions.RemedyFor(st, chk, c.banner != "").Say(func(v actions.Verb) string { return verbKey(c.keys, v) })
}

// verbKey is the key that does a remedy's verb.
func verbKey(k *KeyMap, v actions.Verb) string {
	switch v {
	case actions.VerbRefresh:
		return k.Refresh.Help().Key
	case actions.VerbDrill:
		return k.Drill.Help().Key
	case actions.VerbAudit:
		return k.Audit.Help().Key
	case actions.VerbSnapshot:
		return k.Snapshot.Help().Key
	case actions.VerbLogs:
		return k.Logs.Help().Key
	case actions.VerbRestart:
		return k.Restart.Help().Key
	case actions.VerbRun:
		return k.Run.Help().Key
	}
	return string(v)
}
