package probe

// The fleet as every command reaches it.

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/prom"
	"github.com/opsdeck/opsdeck/fleet/sshx"
)

// Fleet is how every command reaches the fleet: the resolved SSH
// targets and one pool of connections, shared by polls, actions and
// connection checks, so a host is never connected to twice.
type Fleet struct {
	cfg     *fleet.Config
	Pool    *sshx.Pool
	targets map[string]*sshx.Target

	// OneShot: sources for a one-pass check (heavy checks run after the
	// poll, CPU measured over a second); Updates: count pending updates.
	OneShot, Updates bool
	// pollNow polls a host at once (set once the poller exists): a heavy
	// check's result shows as soon as it is in.
	pollNow func(host string)

	// Prom gives the resources of the hosts it covers ([[sources]]); nil
	// without one.
	Prom *prom.Source
	// View reads every host's verdict from the pollers' Prometheus (a
	// source of kind "opsdeck"): nothing is polled from here. Made by
	// Attach, once the store is.
	View *prom.View

	mu     sync.Mutex
	byHost map[string]HostChecks // each polled host's checks, for the actions' hooks
}

// HostChecks is what actions tell a host's checks: re-check the backups
// (after a snapshot), and that opsdeck restarts a service (not a crash).
type HostChecks interface {
	fleet.Source
	Recheck()
	Restarting(service string)
}

// Connect resolves how to reach every host (~/.ssh/config, [defaults]);
// nothing is dialled until a command runs.
func Connect(cfg *fleet.Config) (*Fleet, error) {
	targets, err := sshx.Resolve(cfg)
	if err != nil {
		return nil, err
	}
	c := &Fleet{cfg: cfg, targets: targets, Updates: true, byHost: map[string]HostChecks{}}
	if len(cfg.Sources) > 0 && cfg.Sources[0].Kind == "prometheus" {
		if c.Prom, err = prom.New(cfg.Sources[0], cfg.Hosts); err != nil {
			return nil, err
		}
	}
	c.Pool = sshx.NewPool(sshx.Options{KnownHosts: sshx.KnownHostsFiles(cfg), Policy: cfg.Defaults.KnownHostsPolicy})
	return c, nil
}

// StartSources runs the shared sources until ctx ends (a one-shot pass
// queries them once, now); the returned func waits for them.
func (c *Fleet) StartSources(ctx context.Context) func() {
	var src interface {
		Refresh(context.Context)
		Run(context.Context)
	}
	switch {
	case c.Prom != nil:
		src = c.Prom
	case c.View != nil:
		src = c.View
	default:
		return func() {}
	}
	if c.OneShot {
		src.Refresh(ctx)
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		src.Run(ctx)
	}()
	return func() { <-done }
}

// Sources is the health of the shared sources, for the screen.
func (c *Fleet) Sources() []fleet.SourceStatus {
	switch {
	case c.Prom != nil:
		return []fleet.SourceStatus{c.Prom.Status()}
	case c.View != nil:
		return []fleet.SourceStatus{c.View.Status()}
	}
	return nil
}

// Viewing says whether the fleet is read from its pollers' Prometheus
// (a source of kind "opsdeck") rather than polled from here.
func (c *Fleet) Viewing() bool {
	return len(c.cfg.Sources) > 0 && c.cfg.Sources[0].Kind == "opsdeck"
}

// fromProm says whether the Prometheus source gives h's resources.
func (c *Fleet) fromProm(h *fleet.Host) bool { return c.Prom != nil && PromMayCover(h) }

// PromMayCover says whether a source may give h's resources: a remote
// host not kept on the SSH probe (resources = "ssh").
func PromMayCover(h *fleet.Host) bool { return !h.Local() && h.Resources != "ssh" }

// Close closes every connection.
func (c *Fleet) Close() { c.Pool.Close() }

// Client is the persistent SSH client of a host.
func (c *Fleet) Client(h *fleet.Host) *sshx.Client {
	t, _ := c.Target(h.Name)
	return c.Pool.Client(*t)
}

// Config is the fleet as it now stands (a reload replaces it).
func (c *Fleet) Config() *fleet.Config {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cfg
}

// Target is how a host is reached, as the fleet now stands.
func (c *Fleet) Target(host string) (*sshx.Target, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.targets[host]
	return t, ok
}

// Checks samples a host — gopsutil for this machine, the probe over SSH for
// the others — with its services, backups and security checklist. Its
// backups are re-checked at the next poll after recheck(host).
func (c *Fleet) Checks(h *fleet.Host) fleet.Source {
	var src HostChecks
	name := h.Name
	opt := Options{Updates: c.Updates, Fleet: len(c.Config().Hosts), Checked: func() {
		c.mu.Lock()
		poll := c.pollNow
		c.mu.Unlock()
		if poll != nil {
			poll(name)
		}
	}}
	if c.OneShot {
		opt.OneShot, opt.Baseline = true, OneShotBaseline
	}
	switch {
	case c.fromProm(h):
		// Resources from Prometheus; services, backups and security still
		// over SSH, connected only when there is one of them to read. A
		// host Prometheus has no series of is probed over SSH instead.
		src = &promOrSSH{name: h.Name, prom: c.Prom, via: WithChecks(c.Prom.For(h), c.Client(h), h, opt),
			newSSH: func() HostChecks { return NewSSHSource(c.Client(h), h, opt) }}
	case h.Local():
		src = WithChecks(fleet.NewLocalSource(h.Mounts), LocalRunner{}, h, opt)
	default:
		src = NewSSHSource(c.Client(h), h, opt)
	}
	c.mu.Lock()
	c.byHost[h.Name] = src
	c.mu.Unlock()
	return src
}

// OneShotBaseline is the CPU window of a one-pass check: long enough to
// mean something, with nothing of ours running on the host.
const OneShotBaseline = time.Second

// Source is a fleet.SourceFor: checks plus the host's TLS endpoints.
func (c *Fleet) Source(h *fleet.Host) (fleet.Source, string) {
	if c.Viewing() {
		return nil, "judged by its poller: waiting for prometheus " + c.cfg.Sources[0].URL
	}
	return fleet.WithCerts(c.Checks(h), h), ""
}

// Attach tells the sources the store (a view of the pollers writes the
// verdicts there) and how to poll a host at once.
func (c *Fleet) Attach(store *fleet.Store, pollNow func(string)) {
	c.mu.Lock()
	c.pollNow = pollNow
	c.mu.Unlock()
	if c.Viewing() {
		c.View = prom.NewView(c.cfg.Sources[0], store, fleet.Host{PollInterval: c.cfg.Defaults.PollInterval, Timeout: c.cfg.Defaults.Timeout})
	}
}

// ChecksOf is a polled host's checks, or nil (headless commands poll none).
func (c *Fleet) ChecksOf(host string) HostChecks {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byHost[host]
}

// Restarting tells a polled host's checks that opsdeck restarts its
// service (not a crash).
func (c *Fleet) Restarting(host, service string) {
	if hc := c.ChecksOf(host); hc != nil {
		hc.Restarting(service)
	}
}

// Recheck makes a host's next poll check its backups (after a snapshot).
func (c *Fleet) Recheck(host string) {
	if hc := c.ChecksOf(host); hc != nil {
		hc.Recheck()
	}
}

// Apply makes the connections those of a reloaded fleet: every host is
// resolved again (a host whose target changed, its ssh_config or its jump
// host with it, reconnects: returned); removed and reconnecting hosts'
// clients are forgotten, closed once no session uses them.
func (c *Fleet) Apply(cfg *fleet.Config) ([]string, error) {
	targets, err := sshx.Resolve(cfg)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	old := c.targets
	var reconnect []string
	for name, t := range targets {
		if o, ok := old[name]; ok && !reflect.DeepEqual(o, t) {
			reconnect = append(reconnect, name)
		}
	}
	c.targets, c.cfg = targets, cfg
	c.mu.Unlock()
	for name := range old {
		if _, stays := targets[name]; !stays || slices.Contains(reconnect, name) {
			c.Pool.Forget(name)
		}
		if _, stays := targets[name]; !stays {
			c.mu.Lock()
			delete(c.byHost, name)
			c.mu.Unlock()
		}
	}
	return reconnect, nil
}

// BackupStatus checks one host's backups now.
func (c *Fleet) BackupStatus(ctx context.Context, h *fleet.Host, name string) (*fleet.BackupStatus, error) {
	src := c.Checks(h)
	if c, ok := src.(interface{ Close() }); ok {
		defer c.Close()
	}
	ctx, cancel := context.WithTimeout(ctx, 2*h.Timeout.Duration+time.Minute)
	defer cancel()
	s, err := src.Sample(ctx)
	if err != nil {
		return nil, fmt.Errorf("checking %s: %w", h.Name, err)
	}
	if st, ok := src.(fleet.Settler); ok {
		st.Settle(ctx, s)
	}
	for i := range s.Backups {
		if s.Backups[i].Name == name {
			return &s.Backups[i], nil
		}
	}
	return nil, fmt.Errorf("backup %s on %s: not checked", name, h.Name)
}
