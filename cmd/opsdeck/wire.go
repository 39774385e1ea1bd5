package main

import (
	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/actions/record"
	"github.com/opsdeck/opsdeck/fleet/probe"
)

// executorOf runs commands on the hosts over the same connections.
func executorOf(c *probe.Fleet) *actions.FleetExecutor {
	return &actions.FleetExecutor{Pool: c.Pool, TargetOf: c.Target}
}

// managerOf is the action manager, running over the same connections and
// recording in st.
func managerOf(c *probe.Fleet, readOnly bool, st *record.Record) *actions.Manager {
	return &actions.Manager{
		Exec:     executorOf(c),
		Audit:    st.Audit,
		Locks:    st.Locks,
		ReadOnly: readOnly,
		Operator: actions.Operator(),
		Before: func(p *actions.Plan) {
			if hc := c.ChecksOf(p.Host.Name); hc != nil && p.Kind == actions.KindRestart {
				hc.Restarting(p.Target)
			}
		},
	}
}
