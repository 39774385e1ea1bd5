package fleet

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Source produces samples of one host. Sample must honour ctx: the poller
// cancels it at the host's timeout.
type Source interface {
	Sample(ctx context.Context) (*Sample, error)
}

// Connector is a source whose connection is made before its poll's clock
// starts: waiting for a connection slot is bounded by ctx alone, and only
// the connection itself gets budget. A host queued behind slow ones is
// late, never DOWN for it.
type Connector interface {
	Connect(ctx context.Context, budget time.Duration) error
}

// Settler is a source with checks that run apart from its polls (backups,
// security, certificates, updates). A one-pass check runs them after the
// poll, each under its own deadline within ctx, and adds their results to
// the sample.
type Settler interface {
	Settle(ctx context.Context, s *Sample)
}

// SourceFor chooses the source of a host; nil with a reason means the host
// cannot be polled (shown as UNKNOWN with that reason).
type SourceFor func(h *Host) (Source, string)

// Poller polls every pollable host at its interval with jitter, never
// overlaps a host's own polls (a slow poll delays the next one instead of
// piling up), bounds each poll by the host's timeout and records every
// result in the store. One scheduler starts the polls due in each slot
// (PollSlot); a host waiting for its next poll has no goroutine and no
// timer of its own.
//
// There is no cap on polls in flight across hosts: a host polls at most
// once at a time, the transport caps handshakes, and a cap shared by all
// would let hung hosts hold the slots of healthy ones.
type Poller struct {
	store *Store
	clock func() time.Time
	wg    sync.WaitGroup // the scheduler and the polls under way

	mu      sync.Mutex
	hosts   []*Host
	srcs    map[string]Source
	loops   map[string]*hostLoop          // each started host's place in the schedule
	down    map[*hostLoop]struct{}        // hosts whose polls fail, or wait for their jump host
	parents map[string]bool               // hosts others name as their jump host or parent
	wheel   map[time.Duration][]*hostLoop // hosts due at the end of a slot, by its time since epoch
	epoch   time.Time                     // the schedule's zero, read on the monotonic clock
	ctx     context.Context               // Start's: hosts added later run under it
	stopped bool                          // the scheduler has ended: nothing starts any more
}

// NewPoller prepares pollers for the configured hosts. Hosts without a
// source get their reason recorded in the store at once.
func NewPoller(c *Config, store *Store, sourceFor SourceFor) *Poller {
	p := &Poller{store: store, srcs: map[string]Source{}, loops: map[string]*hostLoop{}, down: map[*hostLoop]struct{}{},
		wheel: map[time.Duration][]*hostLoop{}, clock: time.Now}
	p.epoch = p.clock()
	for i := range c.Hosts {
		p.add(&c.Hosts[i], sourceFor)
	}
	p.parents = parentsOf(p.hosts)
	return p
}

// parentsOf are the hosts that hosts name as their jump host or parent.
func parentsOf(hosts []*Host) map[string]bool {
	out := map[string]bool{}
	for _, h := range hosts {
		for _, name := range h.ParentNames() {
			out[name] = true
		}
	}
	return out
}

// add prepares a host's poller; p.mu is held (or p not yet shared).
func (p *Poller) add(h *Host, sourceFor SourceFor) {
	src, why := sourceFor(h)
	if src == nil {
		p.store.SetNote(h.Name, why)
		return
	}
	p.hosts = append(p.hosts, h)
	p.srcs[h.Name] = src
}

// Start launches the pollers: every host's first poll at once, the next
// ones from the schedule. They stop when ctx ends; wait for them with
// Wait.
func (p *Poller) Start(ctx context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ctx = ctx
	p.wg.Add(1)
	go p.schedule(ctx)
	for _, h := range p.hosts {
		p.startLoop(h)
	}
}

// startLoop starts host h's first poll under a context of its own; p.mu
// is held.
func (p *Poller) startLoop(h *Host) {
	ctx, cancel := context.WithCancel(p.ctx)
	l := &hostLoop{h: h, src: p.srcs[h.Name], ctx: ctx, cancel: cancel}
	p.loops[h.Name] = l
	p.launch(l)
}

// Apply makes the pollers those of a reloaded fleet: a removed host's
// polls stop (its source closes: its connection with it, unless an action
// still uses it), a new host's start, a host listed in changed restarts
// with a new source, and every other host goes on untouched, its timing
// and connection with it. On a poller not started, Apply only prepares.
func (p *Poller) Apply(hosts []*Host, changed map[string]bool, sourceFor SourceFor) {
	p.mu.Lock()
	defer p.mu.Unlock()
	keep := map[string]bool{}
	for _, h := range hosts {
		keep[h.Name] = true
	}
	drop := func(name string) {
		if l, ok := p.loops[name]; ok {
			p.end(l) // the source closes once no poll of it runs
			delete(p.loops, name)
		} else if c, ok := p.srcs[name].(interface{ Close() }); ok {
			c.Close()
		}
		delete(p.srcs, name)
	}
	for name := range p.srcs {
		if !keep[name] || changed[name] {
			drop(name)
		}
	}
	old := make(map[string]*Host, len(p.hosts))
	for _, o := range p.hosts {
		old[o.Name] = o
	}
	p.hosts = make([]*Host, 0, len(hosts))
	for _, h := range hosts {
		if _, running := p.srcs[h.Name]; running {
			p.hosts = append(p.hosts, old[h.Name]) // its polls keep the host they started with
			continue
		}
		p.add(h, sourceFor)
		if _, ok := p.srcs[h.Name]; ok && p.ctx != nil && !p.stopped {
			p.startLoop(h)
		}
	}
	p.parents = parentsOf(p.hosts)
}

// Wait blocks until the scheduler and every poll have ended.
func (p *Poller) Wait() { p.wg.Wait() }

// PollNow asks for an immediate poll of a host; a poll already requested or
// running absorbs the request (one more follows it).
func (p *Poller) PollNow(host string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.loops[host]
	switch {
	case !ok || l.ended:
	case l.busy:
		l.again = true
	default:
		p.launch(l)
	}
}

// PollSlot is the grain of the polls' schedule: a poll due within a slot
// starts at its end, together with the others due in it, so the process
// wakes once per slot rather than once per host. The jitter still spreads
// hosts over the interval (a 5 s interval has 50 slots), so the load on
// the network and the hosts stays even; a poll starts at most one slot
// late.
const PollSlot = 250 * time.Millisecond

// slotEnd is the end of the slot that t falls in; t and the slots count
// from the poller's epoch.
func slotEnd(t time.Duration) time.Duration {
	if r := t % PollSlot; r != 0 {
		t += PollSlot - r
	}
	return t
}

// backoff is the wait before the next poll after fails failures in a row:
// the interval, doubling per failure, at most 8 intervals (and 2 minutes
// unless the interval itself is longer), so a down host is retried soon
// and a long outage costs little.
func backoff(interval time.Duration, fails int) time.Duration {
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	d := interval
	for i := 1; i < fails && d < 8*interval; i++ {
		d *= 2
	}
	if limit := max(interval, 2*time.Minute); d > limit {
		d = limit
	}
	return d
}

// pollOnce polls a host and records the result: connect first (not
// charged to the poll), then sample within the host's timeout, then, when
// settle is set, the checks that run apart from polls within ctx. It
// reports whether it recorded an observation and whether that was a
// failure; nothing is recorded when ctx ended (shutting down, or a pass
// that ran out of time: the caller says so).
func (p *Poller) pollOnce(ctx context.Context, h *Host, src Source, settle bool) (recorded, failed bool) {
	timeout := h.Timeout.Duration
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	start := p.clock()
	var s *Sample
	var err error
	if c, ok := src.(Connector); ok {
		err = c.Connect(ctx, timeout)
	}
	if err == nil {
		pctx, cancel := context.WithTimeout(ctx, timeout)
		s, err = src.Sample(pctx)
		cancel()
	}
	if ctx.Err() != nil {
		return false, false
	}
	o := Observation{Host: h.Name, At: p.clock(), Sample: s, Err: err, RTT: p.clock().Sub(start)}
	if err == nil && s != nil && s.At.IsZero() {
		s.At = o.At
	}
	if st, ok := src.(Settler); ok && settle && err == nil && s != nil {
		st.Settle(ctx, s)
		if ctx.Err() != nil {
			return false, false
		}
	}
	p.store.Record(o)
	return true, err != nil || s == nil
}

// Depth is how much a one-pass poll reads.
type Depth int

// Depths of Once.
const (
	Light Depth = iota // resources and services: the poll itself (config check)
	Full               // and the checks apart from polls (opsdeck check)
)

// Once polls every host one time, all at once, to depth d, and returns when every host answered
// or failed, or ctx ended. A host behind a jump host is polled once its
// jump host answered, and not at all when it did not (it is UNREACHABLE). A host with no answer by then is recorded as
// failed: "no answer within 20s" (or "interrupted" when ctx was
// cancelled). The dashboard, opsdeck check and config check share this
// path.
func (p *Poller) Once(ctx context.Context, d Depth) {
	start := p.clock()
	var wg sync.WaitGroup
	p.mu.Lock()
	hosts, srcs := append([]*Host(nil), p.hosts...), make(map[string]Source, len(p.srcs))
	for k, v := range p.srcs {
		srcs[k] = v
	}
	p.mu.Unlock()
	done := make(map[string]chan struct{}, len(hosts))
	for _, h := range hosts {
		done[h.Name] = make(chan struct{})
	}
	for _, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[h.Name])
			if ch, ok := done[h.JumpParent()]; ok { // its jump host's answer first: never dialled through a dead one
				select {
				case <-ch:
				case <-ctx.Done():
				}
				if p.store.PathDown(h) != "" {
					return // UNREACHABLE behind it
				}
			}
			if recorded, _ := p.pollOnce(ctx, h, srcs[h.Name], d == Full); recorded {
				return
			}
			at := p.clock()
			err := fmt.Errorf("no answer within %s", roundWait(at.Sub(start)))
			if errors.Is(ctx.Err(), context.Canceled) {
				err = fmt.Errorf("interrupted before it answered (%s)", cause(ctx))
			}
			p.store.Record(Observation{Host: h.Name, At: at, Err: err, RTT: at.Sub(start)})
		}()
	}
	wg.Wait()
}

func roundWait(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(time.Second)
}

// cause says why ctx ended.
func cause(ctx context.Context) string {
	if c := context.Cause(ctx); c != nil {
		return c.Error()
	}
	return ctx.Err().Error()
}

// Close ends the background work of every source (a Start-ed poller does
// it when it stops; a caller of Once does it when done).
func (p *Poller) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, src := range p.srcs {
		if c, ok := src.(interface{ Close() }); ok {
			c.Close()
		}
	}
}

// jitter spreads polls of many hosts: ±10% of the interval.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		d = DefaultPollInterval
	}
	spread := int64(d) / 5
	if spread <= 0 {
		return d
	}
	return d - time.Duration(spread/2) + time.Duration(rand.Int64N(spread))
}
