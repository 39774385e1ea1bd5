package probe

import (
	"context"
	"fmt"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// hostChecks is what every source of a host does beyond resources, over SSH
// or on this machine: count service restarts across polls, check backups
// at their cadence, and read the security checklist (pending updates in
// the background).
type hostChecks struct {
	host     *fleet.Host
	restarts restarts
	backups  backupCache
	security securityCache
	updates  *updatesChecker // nil when the security checklist is off
}

func newHostChecks(h *fleet.Host, run Runner) *hostChecks {
	c := &hostChecks{host: h}
	if h.SecurityOn() {
		c.updates = newUpdatesChecker(run)
	}
	return c
}

// round is what one poll checks besides resources and services.
type round struct {
	backups  []int // indexes of the backups due
	security bool
}

// plan chooses what this poll checks and returns the probe steps for it.
func (c *hostChecks) plan(now time.Time) (round, []Step) {
	r := round{backups: c.backups.due(c.host.Backups, now)}
	steps := backupSteps(c.host, r.backups)
	if c.updates != nil && c.security.due(now) {
		r.security = true
		steps = append(steps, securitySteps(c.host.Sudo != nil && *c.host.Sudo)...)
	}
	return r, steps
}

// finish completes a sample from the sections of a round: restart counts
// for its services, the backups (fresh or carried over), the checklist.
// runErr is why the checks could not run at all (their statuses say so).
func (c *hostChecks) finish(smp *fleet.Sample, secs map[string]*Section, r round, runErr error) {
	for i := range smp.Services {
		c.restarts.apply(&smp.Services[i], smp.At)
	}
	fresh := backupStatuses(c.host, r.backups, secs, smp.At)
	if runErr != nil {
		for i := range fresh {
			fresh[i].Err = fleet.Sanitize(runErr.Error(), 200)
		}
	}
	smp.Backups = c.backups.merge(c.host.Backups, fresh)
	if c.updates == nil {
		return
	}
	var sec *fleet.SecurityStatus
	if r.security && runErr == nil {
		sec = securityStatus(secs, smp.At)
	}
	smp.Security = c.security.merge(sec)
	if smp.Security != nil {
		c.updates.fill(smp.Security)
	}
	c.updates.poke(smp.At)
}

// Recheck makes the next poll check every backup (after a snapshot).
func (c *hostChecks) Recheck() { c.backups.Recheck() }

// WaitUpdates waits for a running updates check (a one-pass check wants
// its result).
func (c *hostChecks) WaitUpdates(ctx context.Context) {
	if c.updates != nil {
		c.updates.wait(ctx)
	}
}

// Close ends a background updates check.
func (c *hostChecks) Close() {
	if c.updates != nil {
		c.updates.Close()
	}
}

// serviceSteps are the status steps of the host's services (local hosts;
// over SSH they are part of Script).
func (c *hostChecks) serviceSteps() []Step {
	steps := make([]Step, len(c.host.Services))
	for i := range c.host.Services {
		steps[i] = Step{fmt.Sprintf("svc%d", i), StatusCommand(&c.host.Services[i])}
	}
	return steps
}
