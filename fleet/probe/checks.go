package probe

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// Options tune how a host is sampled.
type Options struct {
	// Baseline is how long the first poll measures CPU over: two readings
	// of /proc/stat this far apart (default DefaultBaseline). A one-pass
	// check uses at least a second.
	Baseline time.Duration
	// OneShot runs nothing in the background: the heavy checks run in
	// Settle, after the poll (opsdeck check).
	OneShot bool
	// Updates counts pending updates: in the background every
	// UpdatesEvery, or in Settle when OneShot.
	Updates bool
	// NoSpread starts the heavy checks with the first poll instead of at a
	// random time after it (tests).
	NoSpread bool
	// Fleet is the number of hosts polled together: the first heavy checks
	// are spread over a window that grows with it (a few hosts need no
	// spreading), up to each check's cap.
	Fleet int
	// Checked is called after a background heavy check finished, so its
	// result can be shown at once (the dashboard polls the host).
	Checked func()
}

// DefaultBaseline is the CPU window of a host's first poll.
const DefaultBaseline = 250 * time.Millisecond

// Cadence, deadline and first-run spread of the heavy checks. Each runs in
// a session of its own, never inside a poll: a slow heavy check is that
// check's problem (UNKNOWN with its reason, retried within minutes), never
// a DOWN host, and its load never lands in a CPU reading.
const (
	BackupEvery    = time.Minute
	backupsTimeout = 2 * time.Minute
	backupsFirst   = 15 * time.Second

	securityTimeout = time.Minute
	securityFirst   = 30 * time.Second

	// UpdatesEvery is how often pending updates are counted: a simulated
	// apt upgrade costs seconds of CPU on the host (3–4 s measured), and
	// updates are published a few times a day at most. After a start the
	// first counts are spread over up to half an hour (a second per host
	// in the fleet), so a launch does not start it on every host at once.
	UpdatesEvery   = 6 * time.Hour
	updatesTimeout = 5 * time.Minute
	updatesFirst   = 30 * time.Minute
)

// hostChecks is what every source of a host does beyond resources and
// services, over SSH or on this machine: count service restarts across
// polls, keep CPU readings clean of our own load, and run the heavy checks
// (backups, the security checklist, pending updates) apart from polls.
type hostChecks struct {
	host     *fleet.Host
	opt      Options
	restarts restarts
	live     liveness                               // each service's last full status, for the process-only check
	restic   resticCache                            // each local restic repository's last listing and status
	backups  *fleet.Periodic[[]fleet.BackupStatus]  // nil without backups
	security *fleet.Periodic[*fleet.SecurityStatus] // nil when the checklist is off
	updates  *fleet.Periodic[*fleet.SecurityStatus] // nil when off or not asked for
	heavy    []heavyCheck                           // the ones above that are not nil

	mu      sync.Mutex
	prevAt  time.Time // the previous poll's reading
	prevCPU *fleet.Sample
}

func newHostChecks(h *fleet.Host, run Runner, opt Options) *hostChecks {
	c := &hostChecks{host: h, opt: opt}
	sudo := h.Sudo != nil && *h.Sudo
	first := func(d, perHost time.Duration) time.Duration {
		switch {
		case opt.OneShot || opt.NoSpread:
			return 0
		case opt.Fleet > 0:
			return min(d, time.Duration(opt.Fleet)*perHost)
		}
		return d
	}
	if len(h.Backups) > 0 {
		c.backups = fleet.NewPeriodic(BackupEvery, backupsTimeout, first(backupsFirst, 50*time.Millisecond), func(ctx context.Context) ([]fleet.BackupStatus, error) {
			due := make([]int, len(h.Backups))
			for i := range due {
				due[i] = i
			}
			secs, err := runSteps(ctx, run, backupSteps(h, due, &c.restic))
			if err != nil {
				return nil, err
			}
			return backupStatuses(h, due, secs, time.Now(), &c.restic), nil
		}).Then(opt.Checked)
	}
	if h.SecurityOn() {
		c.security = fleet.NewPeriodic(fleet.SecurityEvery, securityTimeout, first(securityFirst, 100*time.Millisecond), func(ctx context.Context) (*fleet.SecurityStatus, error) {
			secs, err := runSteps(ctx, run, securitySteps(sudo))
			if err != nil {
				return nil, err
			}
			return securityStatus(secs, time.Now()), nil
		}).Then(opt.Checked)
		if opt.Updates {
			c.updates = fleet.NewPeriodic(UpdatesEvery, updatesTimeout, first(updatesFirst, time.Second), func(ctx context.Context) (*fleet.SecurityStatus, error) {
				return checkUpdates(ctx, run)
			}).Then(opt.Checked)
		}
	}
	if c.backups != nil {
		c.heavy = append(c.heavy, c.backups)
	}
	if c.security != nil {
		c.heavy = append(c.heavy, c.security)
	}
	if c.updates != nil {
		c.heavy = append(c.heavy, c.updates)
	}
	return c
}

// heavyCheck is what every heavy check does, whatever its result type.
type heavyCheck interface {
	Poke(time.Time)
	Now(context.Context)
	Overlaps(time.Time) bool
	Close()
}

// baseline is the CPU window of the first poll, or 0 when a previous
// reading exists.
func (c *hostChecks) baseline(first bool) time.Duration {
	switch {
	case !first:
		return 0
	case c.opt.Baseline > 0:
		return c.opt.Baseline
	}
	return DefaultBaseline
}

// finish completes a poll's sample: restart counts for its services, CPU
// kept clean of our own heavy checks, the heavy checks' latest results;
// and starts the heavy checks that are due.
func (c *hostChecks) finish(smp *fleet.Sample) {
	c.mu.Lock()
	for i := range smp.Services {
		c.restarts.apply(&smp.Services[i], smp.At)
	}
	c.mu.Unlock()
	c.guardCPU(smp)
	c.fill(smp)
	if c.opt.OneShot {
		return
	}
	for _, h := range c.heavy {
		h.Poke(smp.At)
	}
}

// guardCPU keeps a CPU reading only when none of our heavy checks ran on
// the host during its window: otherwise the last clean reading is carried
// (CPUCarried), so an apt-get scan never shows as the host's load.
func (c *hostChecks) guardCPU(smp *fleet.Sample) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if smp.Unknown[fleet.MetricCPU] == cpuTooSoon {
		if c.prevCPU != nil { // the window continues from the last reading
			delete(smp.Unknown, fleet.MetricCPU)
			delete(smp.UnknownCause, fleet.MetricCPU)
			smp.CPU, smp.PerCore, smp.CPUCarried = c.prevCPU.CPU, c.prevCPU.PerCore, true
		}
		return
	}
	since := c.prevAt
	c.prevAt = smp.At
	if !smp.Known(fleet.MetricCPU) || since.IsZero() {
		if smp.Known(fleet.MetricCPU) {
			c.prevCPU = smp
		}
		return
	}
	overlap := false
	for _, h := range c.heavy {
		overlap = overlap || h.Overlaps(since)
	}
	if !overlap {
		c.prevCPU = smp
		return
	}
	if c.prevCPU == nil {
		smp.MarkUnknown(fleet.MetricCPU, "not measured: opsdeck's own checks were running on the host")
		return
	}
	smp.CPU, smp.PerCore, smp.CPUCarried = c.prevCPU.CPU, c.prevCPU.PerCore, true
}

// fill adds the heavy checks' latest results to smp.
func (c *hostChecks) fill(smp *fleet.Sample) {
	if c.backups != nil {
		smp.Backups = backupResults(c.host, c.backups)
	}
	if c.security == nil {
		return
	}
	sec, at, ok, err := c.security.Result()
	switch {
	case err != nil:
		msg := "check failed: " + fleet.Sanitize(err.Error(), 200)
		smp.Security = &fleet.SecurityStatus{CheckedAt: time.Now(), ListenErr: msg, SSHDErr: msg, Pending: -1, Security: -1}
	case ok:
		cp := *sec
		cp.CheckedAt = at
		smp.Security = &cp
	default:
		return // not checked yet: no finding either way
	}
	if c.updates == nil {
		return
	}
	switch u, _, ok, err := c.updates.Result(); {
	case err != nil:
		smp.Security.UpdatesErr = "check failed: " + fleet.Sanitize(err.Error(), 200)
	case ok:
		smp.Security.UpdatesRead, smp.Security.PkgManager, smp.Security.Pending, smp.Security.Security, smp.Security.Reboot = true, u.PkgManager, u.Pending, u.Security, u.Reboot
	}
}

func backupResults(h *fleet.Host, p *fleet.Periodic[[]fleet.BackupStatus]) []fleet.BackupStatus {
	v, _, ok, err := p.Result()
	if err != nil {
		out := make([]fleet.BackupStatus, len(h.Backups))
		for i := range h.Backups {
			b := &h.Backups[i]
			out[i] = fleet.BackupStatus{Name: b.Name, Kind: b.Kind, Size: -1, PrevSize: -1, Count: -1, CheckedAt: time.Now(),
				Err: "check failed: " + fleet.Sanitize(err.Error(), 200)}
		}
		return out
	}
	if !ok {
		return nil // not checked yet
	}
	return append([]fleet.BackupStatus(nil), v...)
}

// Settle runs the heavy checks now, together, each under its own deadline
// within ctx, and adds their results to smp (a one-pass check).
func (c *hostChecks) Settle(ctx context.Context, smp *fleet.Sample) {
	var wg sync.WaitGroup
	for _, h := range c.heavy {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.Now(ctx)
		}()
	}
	wg.Wait()
	c.fill(smp)
}

// Restarting tells the checks that opsdeck is restarting service now: the
// restart it causes is not counted as a crash or a flap.
func (c *hostChecks) Restarting(service string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.restarts.expect(service, time.Now())
	c.live.forget(service) // its full status again at the next poll
}

// Recheck makes the next poll check every backup (after a snapshot) and
// read every service's full status.
func (c *hostChecks) Recheck() {
	c.live.forget("")
	if c.backups != nil {
		c.backups.Force()
	}
}

// Close ends the heavy checks under way.
func (c *hostChecks) Close() {
	for _, h := range c.heavy {
		h.Close()
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

// runSteps runs steps as one script in a session of their own and splits
// the output into sections.
func runSteps(ctx context.Context, run Runner, steps []Step) (map[string]*Section, error) {
	nonce := newNonce()
	var b strings.Builder
	writeHeader(&b, nonce)
	for _, st := range steps {
		writeSection(&b, st.Name, st.Cmd)
	}
	b.WriteString("exit 0\n")
	res, err := run.Run(ctx, "sh", []byte(b.String()), MaxOutput)
	switch {
	case err != nil:
		return nil, err
	case res.Truncated:
		return nil, errors.New("output over " + fleet.FormatBytes(MaxOutput) + ", cut")
	}
	return Split(res.Stdout, nonce), nil
}
