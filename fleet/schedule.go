package fleet

import (
	"context"
	"time"
)

// hostLoop is one started host's place in the poller's schedule. Its
// fields are guarded by the poller's mu, except what its poll reads.
type hostLoop struct {
	h      *Host
	src    Source
	ctx    context.Context // ends when the host is dropped or the poller stops
	cancel context.CancelFunc

	fails int   // polls failed in a row: the next waits longer (backoff)
	due   int64 // the slot its next poll is in, in Unix nanoseconds (0: none)
	busy  bool  // a poll runs
	again bool  // PollNow while busy: poll once more at once
	ended bool  // dropped or stopped: no more polls
}

// schedule starts, at the end of every slot, the polls due in it, until
// ctx ends. A slot nobody is due in costs a wake-up and a map lookup.
func (p *Poller) schedule(ctx context.Context) {
	defer p.wg.Done()
	t := time.NewTimer(inSlot(p.clock(), 1))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			p.mu.Lock()
			p.stopped = true
			for _, l := range p.loops {
				p.end(l)
			}
			p.wheel = map[int64][]*hostLoop{}
			p.mu.Unlock()
			return
		case <-t.C:
		}
		now := p.clock().UnixNano()
		p.mu.Lock()
		for slot, ls := range p.wheel {
			if slot > now {
				continue
			}
			delete(p.wheel, slot)
			for _, l := range ls {
				if l.due == slot && !l.busy && !l.ended {
					p.launch(l)
				}
			}
		}
		p.mu.Unlock()
		t.Reset(inSlot(p.clock(), 1))
	}
}

// launch starts a poll of l in a goroutine of its own; p.mu is held.
func (p *Poller) launch(l *hostLoop) {
	if p.stopped || l.ended {
		return
	}
	l.busy, l.due = true, 0
	p.wg.Add(1)
	go p.poll(l)
}

// poll polls l's host (again, while PollNow asked meanwhile), then puts
// it in the slot of its next poll: the interval with jitter, longer after
// failures, stretched to the end of its slot.
func (p *Poller) poll(l *hostLoop) {
	defer p.wg.Done()
	for {
		_, failed := p.pollOnce(l.ctx, l.h, l.src, false)
		p.mu.Lock()
		if failed {
			l.fails++
		} else {
			l.fails = 0
		}
		switch {
		case l.ended || l.ctx.Err() != nil:
			l.busy, l.ended = false, true // closed here, not again by end
			p.mu.Unlock()
			p.closeSource(l)
			return
		case l.again:
			l.again = false
			p.mu.Unlock()
			continue
		}
		l.busy = false
		now := p.clock()
		l.due = now.Add(inSlot(now, jitter(backoff(l.h.Interval(), l.fails)))).UnixNano()
		p.wheel[l.due] = append(p.wheel[l.due], l)
		p.mu.Unlock()
		return
	}
}

// end stops l's polls; its source closes now, or as its last poll ends.
// p.mu is held.
func (p *Poller) end(l *hostLoop) {
	if l.ended {
		return
	}
	l.ended = true
	l.cancel()
	if !l.busy {
		p.closeSource(l)
	}
}

// closeSource ends the background work of l's source.
func (p *Poller) closeSource(l *hostLoop) {
	if c, ok := l.src.(interface{ Close() }); ok {
		c.Close()
	}
}
