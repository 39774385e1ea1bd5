package main

import (
	"context"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/probe"
	"github.com/opsdeck/opsdeck/fleet/prom"
	"github.com/opsdeck/opsdeck/fleet/sshx"
)

// fleetConn is how every command reaches the fleet: the resolved SSH
// targets and one pool of connections, shared by polls, actions and
// connection checks, so a host is never connected to twice.
type fleetConn struct {
	cfg     *fleet.Config
	pool    *sshx.Pool
	targets map[string]*sshx.Target

	// oneShot: sources for a one-pass check (heavy checks run after the
	// poll, CPU measured over a second); updates: count pending updates.
	oneShot, updates bool
	// pollNow polls a host at once (set once the poller exists): a heavy
	// check's result shows as soon as it is in.
	pollNow func(host string)

	// prom gives the resources of the hosts it covers ([[sources]]); nil
	// without one.
	prom *prom.Source

	mu     sync.Mutex
	byHost map[string]hostChecks // each polled host's checks, for the actions' hooks
}

// hostChecks is what actions tell a host's checks: re-check the backups
// (after a snapshot), and that opsdeck restarts a service (not a crash).
type hostChecks interface {
	fleet.Source
	Recheck()
	Restarting(service string)
}

// connect resolves how to reach every host (~/.ssh/config, [defaults]);
// nothing is dialled until a command runs.
func connect(cfg *fleet.Config) (*fleetConn, error) {
	targets, err := sshx.Resolve(cfg)
	if err != nil {
		return nil, err
	}
	c := &fleetConn{cfg: cfg, targets: targets, updates: true, byHost: map[string]hostChecks{}}
	if len(cfg.Sources) > 0 {
		if c.prom, err = prom.New(cfg.Sources[0], cfg.Hosts); err != nil {
			return nil, err
		}
	}
	c.pool = sshx.NewPool(sshx.Options{KnownHosts: sshx.KnownHostsFiles(cfg), Policy: cfg.Defaults.KnownHostsPolicy})
	return c, nil
}

// startSources runs the shared sources until ctx ends (a one-shot pass
// queries them once, now); the returned func waits for them.
func (c *fleetConn) startSources(ctx context.Context) func() {
	if c.prom == nil {
		return func() {}
	}
	if c.oneShot {
		c.prom.Refresh(ctx)
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.prom.Run(ctx)
	}()
	return func() { <-done }
}

// sources is the health of the shared sources, for the screen.
func (c *fleetConn) sources() []fleet.SourceStatus {
	if c.prom == nil {
		return nil
	}
	return []fleet.SourceStatus{c.prom.Status()}
}

// fromProm says whether the Prometheus source gives h's resources.
func (c *fleetConn) fromProm(h *fleet.Host) bool { return c.prom != nil && promMayCover(h) }

// promMayCover says whether a source may give h's resources: a remote
// host not kept on the SSH probe (resources = "ssh").
func promMayCover(h *fleet.Host) bool { return !h.Local() && h.Resources != "ssh" }

// Close closes every connection.
func (c *fleetConn) Close() { c.pool.Close() }

// client is the persistent SSH client of a host.
func (c *fleetConn) client(h *fleet.Host) *sshx.Client {
	t, _ := c.target(h.Name)
	return c.pool.Client(*t)
}

// config is the fleet as it now stands (a reload replaces it).
func (c *fleetConn) config() *fleet.Config {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cfg
}

// target is how a host is reached, as the fleet now stands.
func (c *fleetConn) target(host string) (*sshx.Target, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.targets[host]
	return t, ok
}

// checks samples a host — gopsutil for this machine, the probe over SSH for
// the others — with its services, backups and security checklist. Its
// backups are re-checked at the next poll after recheck(host).
func (c *fleetConn) checks(h *fleet.Host) fleet.Source {
	var src hostChecks
	name := h.Name
	opt := probe.Options{Updates: c.updates, Fleet: len(c.config().Hosts), Checked: func() {
		c.mu.Lock()
		poll := c.pollNow
		c.mu.Unlock()
		if poll != nil {
			poll(name)
		}
	}}
	if c.oneShot {
		opt.OneShot, opt.Baseline = true, oneShotBaseline
	}
	switch {
	case c.fromProm(h):
		// Resources from Prometheus; services, backups and security still
		// over SSH, connected only when there is one of them to read. A
		// host Prometheus has no series of is probed over SSH instead.
		src = &promOrSSH{name: h.Name, prom: c.prom, via: probe.WithChecks(c.prom.For(h), c.client(h), h, opt),
			newSSH: func() hostChecks { return probe.NewSSHSource(c.client(h), h, opt) }}
	case h.Local():
		src = probe.WithChecks(fleet.NewLocalSource(h.Mounts), probe.LocalRunner{}, h, opt)
	default:
		src = probe.NewSSHSource(c.client(h), h, opt)
	}
	c.mu.Lock()
	c.byHost[h.Name] = src
	c.mu.Unlock()
	return src
}

// oneShotBaseline is the CPU window of a one-pass check: long enough to
// mean something, with nothing of ours running on the host.
const oneShotBaseline = time.Second

// source is a fleet.SourceFor: checks plus the host's TLS endpoints.
func (c *fleetConn) source(h *fleet.Host) (fleet.Source, string) {
	return fleet.WithCerts(c.checks(h), h), ""
}

// setPollNow tells the sources how to poll a host at once.
func (c *fleetConn) setPollNow(fn func(string)) {
	c.mu.Lock()
	c.pollNow = fn
	c.mu.Unlock()
}

// checksOf is a polled host's checks, or nil (headless commands poll none).
func (c *fleetConn) checksOf(host string) hostChecks {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byHost[host]
}

// recheck makes a host's next poll check its backups (after a snapshot).
func (c *fleetConn) recheck(host string) {
	if hc := c.checksOf(host); hc != nil {
		hc.Recheck()
	}
}

// executor runs commands on the hosts over the same connections.
func (c *fleetConn) executor() *actions.FleetExecutor {
	return &actions.FleetExecutor{Pool: c.pool, TargetOf: c.target}
}

// actions is the action manager, running over the same connections and
// recording in st.
func (c *fleetConn) actions(readOnly bool, st *teamState) *actions.Manager {
	return &actions.Manager{
		Exec:     c.executor(),
		Audit:    st.audit,
		Locks:    st.locks,
		ReadOnly: readOnly,
		Operator: actions.Operator(),
		Before: func(p *actions.Plan) {
			if hc := c.checksOf(p.Host.Name); hc != nil && p.Kind == "restart" {
				hc.Restarting(p.Target)
			}
		},
	}
}
