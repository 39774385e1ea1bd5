package fleet

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// Periodic runs one heavy check of a host (backups, the security
// checklist, pending updates, certificates) apart from its polls: at its
// cadence, never overlapping itself, each run under its own deadline. A
// fleet's first runs are spread over FirstWithin instead of starting
// together, and a failed run is retried within minutes (30s, doubling, at
// most 5 minutes and never later than the cadence) instead of waiting a
// whole cadence.
type Periodic[T any] struct {
	every, timeout, firstWithin time.Duration
	run                         func(context.Context) (T, error)
	then                        func()
	ctx                         context.Context
	cancel                      context.CancelFunc
	wg                          sync.WaitGroup

	mu         sync.Mutex
	running    bool
	due        time.Time // zero until the first Poke schedules the first run
	fails      int
	last       T
	have       bool      // last holds a result
	at         time.Time // when last was taken
	err        error     // the latest run's failure; nil after a success
	start, end time.Time // of the latest run
}

// NewPeriodic makes a check that run performs; nothing runs until Poke or
// Now.
func NewPeriodic[T any](every, timeout, firstWithin time.Duration, run func(context.Context) (T, error)) *Periodic[T] {
	ctx, cancel := context.WithCancel(context.Background())
	return &Periodic[T]{every: every, timeout: timeout, firstWithin: firstWithin, run: run, ctx: ctx, cancel: cancel}
}

// Poke starts a run in the background when one is due and none runs. The
// first Poke only schedules the first run, a random time within
// FirstWithin.
func (p *Periodic[T]) Poke(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running || p.ctx.Err() != nil {
		return
	}
	if p.due.IsZero() {
		p.due = now.Add(randUpTo(p.firstWithin))
	}
	if now.Before(p.due) {
		return
	}
	p.running, p.start = true, now
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		v, err := p.once(p.ctx)
		p.finish(v, err)
		if p.then != nil && p.ctx.Err() == nil {
			p.then()
		}
	}()
}

// Then sets fn to be called after each background run (e.g. poll the
// host, so the result shows at once). Set it before the first Poke.
func (p *Periodic[T]) Then(fn func()) *Periodic[T] {
	p.then = fn
	return p
}

// Now runs the check at once and waits for it (a one-pass check), bounded
// by ctx and the check's own deadline. A run already under way is waited
// for instead.
func (p *Periodic[T]) Now(ctx context.Context) {
	p.mu.Lock()
	if p.running {
		p.mu.Unlock()
		p.waitIdle(ctx)
		return
	}
	p.running, p.start = true, time.Now()
	p.mu.Unlock()
	v, err := p.once(ctx)
	p.finish(v, err)
}

func (p *Periodic[T]) once(ctx context.Context) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	return p.run(ctx)
}

func (p *Periodic[T]) finish(v T, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running, p.end = false, time.Now()
	if err != nil {
		p.fails++
		p.err = err
		p.due = p.end.Add(retryAfter(p.fails, p.every))
		return
	}
	p.fails, p.err = 0, nil
	p.last, p.have, p.at = v, true, p.end
	p.due = p.end.Add(p.every - randUpTo(p.every/10))
}

func (p *Periodic[T]) waitIdle(ctx context.Context) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		p.mu.Lock()
		running := p.running
		p.mu.Unlock()
		if !running {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Result is the last good result and when it was taken (ok false before
// the first success), and the failure of the latest run (nil when it
// succeeded).
func (p *Periodic[T]) Result() (v T, at time.Time, ok bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last, p.at, p.have, p.err
}

// Force makes the next Poke run the check at once (a snapshot was taken).
func (p *Periodic[T]) Force() {
	p.mu.Lock()
	p.due = time.Unix(1, 0)
	p.mu.Unlock()
}

// Overlaps reports whether a run was under way at any time after since:
// what the host measured then includes the check's own load.
func (p *Periodic[T]) Overlaps(since time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.running || p.end.After(since)
}

// Close stops a run under way and waits for it.
func (p *Periodic[T]) Close() {
	p.cancel()
	p.wg.Wait()
}

// retryAfter is the wait before retrying a check that failed fails times
// in a row.
func retryAfter(fails int, every time.Duration) time.Duration {
	d := 30 * time.Second
	for i := 1; i < fails && d < 5*time.Minute; i++ {
		d *= 2
	}
	return min(d, 5*time.Minute, max(every, time.Second))
}

func randUpTo(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(d)))
}
