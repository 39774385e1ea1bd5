package fleet

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// Source produces samples of one host. Sample must honour ctx: the poller
// cancels it at the host's timeout.
type Source interface {
	Sample(ctx context.Context) (*Sample, error)
}

// SourceFor chooses the source of a host; nil with a reason means the host
// cannot be polled (shown as UNKNOWN with that reason).
type SourceFor func(h *Host) (Source, string)

// Poller runs one goroutine per pollable host. Each polls at its interval
// with jitter, never overlaps its own polls (a slow poll delays the next one
// instead of piling up), bounds each poll by the host's timeout and records
// every result in the store.
type Poller struct {
	sem   chan struct{} // bounds polls in flight across all hosts
	store *Store
	hosts []*Host
	srcs  map[string]Source
	now   map[string]chan struct{}
	wg    sync.WaitGroup
	clock func() time.Time
}

// NewPoller prepares pollers for the configured hosts. Hosts without a
// source get their reason recorded in the store at once.
func NewPoller(c *Config, store *Store, sourceFor SourceFor) *Poller {
	p := &Poller{sem: make(chan struct{}, MaxConcurrentPolls), store: store, srcs: map[string]Source{},
		now: map[string]chan struct{}{}, clock: time.Now}
	for i := range c.Hosts {
		h := &c.Hosts[i]
		src, why := sourceFor(h)
		if src == nil {
			store.SetNote(h.Name, why)
			continue
		}
		p.hosts = append(p.hosts, h)
		p.srcs[h.Name] = src
		p.now[h.Name] = make(chan struct{}, 1)
	}
	return p
}

// Start launches the pollers; they stop when ctx ends. Wait for them with
// Wait.
func (p *Poller) Start(ctx context.Context) {
	for _, h := range p.hosts {
		p.wg.Add(1)
		go p.loop(ctx, h, p.srcs[h.Name], p.now[h.Name])
	}
}

// Wait blocks until every poller goroutine has ended.
func (p *Poller) Wait() { p.wg.Wait() }

// PollNow asks for an immediate poll of a host; a poll already requested or
// running absorbs the request.
func (p *Poller) PollNow(host string) {
	if ch, ok := p.now[host]; ok {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (p *Poller) loop(ctx context.Context, h *Host, src Source, now <-chan struct{}) {
	defer p.wg.Done()
	if c, ok := src.(interface{ Close() }); ok {
		defer c.Close() // background work of the source ends with its poller
	}
	timer := time.NewTimer(0) // first poll at once
	defer timer.Stop()
	fails := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-now:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		}
		if failed := p.pollOnce(ctx, h, src); failed {
			fails++
		} else {
			fails = 0
		}
		timer.Reset(jitter(backoff(h.Interval(), fails)))
	}
}

// MaxConcurrentPolls bounds the polls in flight at once across the fleet.
const MaxConcurrentPolls = 64

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

// pollOnce polls a host and records the result; it reports a failure.
func (p *Poller) pollOnce(ctx context.Context, h *Host, src Source) (failed bool) {
	select {
	case p.sem <- struct{}{}:
		defer func() { <-p.sem }()
	case <-ctx.Done():
		return false
	}
	timeout := h.Timeout.Duration
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := p.clock()
	s, err := src.Sample(pctx)
	if ctx.Err() != nil {
		return false // shutting down: not a host failure
	}
	o := Observation{Host: h.Name, At: p.clock(), Sample: s, Err: err, RTT: p.clock().Sub(start)}
	if err == nil && s != nil && s.At.IsZero() {
		s.At = o.At
	}
	p.store.Record(o)
	return err != nil || s == nil
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
