package fleet

import (
	"context"
	"math/rand/v2"
	"time"
)

// hostLoop is one started host's place in the poller's schedule. Its
// fields are guarded by the poller's mu, except what its poll reads.
type hostLoop struct {
	h      *Host
	src    Source
	ctx    context.Context // ends when the host is dropped or the poller stops
	cancel context.CancelFunc

	fails int           // polls failed in a row: the next waits longer (backoff)
	since time.Duration // when those failures began, since the epoch
	// nudged: brought forward once in this run of failures, because
	// another host answered again (see nudge); not again until it answers.
	nudged bool
	// soon: a nudge came while its poll ran; if that poll fails, the
	// next one is within half an interval, not at the end of its backoff.
	soon  bool
	due   time.Duration // the end of the slot its next poll is in, since the epoch (0: none)
	busy  bool          // a poll runs
	again bool          // PollNow while busy: poll once more at once
	ended bool          // dropped or stopped: no more polls
}

// sinceEpoch is the scheduler's clock: the time since the poller was made,
// on the monotonic clock, so that a step of the wall clock (NTP, a manual
// set) neither stalls the polls nor bunches them.
func (p *Poller) sinceEpoch() time.Duration { return p.clock().Sub(p.epoch) }

// schedule starts, at the end of every slot, the polls due in it, until
// ctx ends. A slot nobody is due in costs a wake-up and a walk of the
// slots' map.
func (p *Poller) schedule(ctx context.Context) {
	defer p.wg.Done()
	untilNext := func() time.Duration { now := p.sinceEpoch(); return slotEnd(now+1) - now }
	t := time.NewTimer(untilNext())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			p.mu.Lock()
			p.stopped = true
			for _, l := range p.loops {
				p.end(l)
			}
			p.wheel = map[time.Duration][]*hostLoop{}
			p.mu.Unlock()
			return
		case <-t.C:
		}
		now := p.sinceEpoch()
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
		t.Reset(untilNext())
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
// failures (not for a host others are behind: one connection attempt an
// interval is cheap, and a bastion back is a fleet back), stretched to
// the end of its slot.
func (p *Poller) poll(l *hostLoop) {
	defer p.wg.Done()
	for {
		if p.store.PathDown(l.h) != "" {
			p.wait(l) // not tried through a jump host that is down
			return
		}
		recorded, failed := p.pollOnce(l.ctx, l.h, l.src, false)
		p.mu.Lock()
		switch {
		case !recorded: // stopping: nothing was learnt
		case failed && l.fails == 0:
			l.fails, l.since = 1, p.sinceEpoch()
			p.down[l] = struct{}{}
		case failed:
			l.fails++
		default:
			delete(p.down, l)
			if l.fails > 0 {
				p.nudge(l)
			}
			l.fails, l.nudged = 0, false
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
		fails := l.fails
		if p.parents[l.h.Name] {
			fails = min(fails, 1) // others wait for it: retried every interval, its children back at once
		}
		delay := jitter(backoff(l.h.Interval(), fails))
		if l.soon && l.fails > 0 { // nudged while it polled: this poll may have started before the network was back
			delay, l.nudged = min(delay, nudgeDelay(l.h)), true
		}
		l.soon = false
		l.due = slotEnd(p.sinceEpoch() + delay)
		p.wheel[l.due] = append(p.wheel[l.due], l)
		p.mu.Unlock()
		return
	}
}

// end stops l's polls; its source closes now (in the background: closing
// waits for its heavy checks to end, and p.mu is held), or as its last
// poll ends.
func (p *Poller) end(l *hostLoop) {
	if l.ended {
		return
	}
	delete(p.down, l)
	l.ended = true
	l.cancel()
	if !l.busy {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.closeSource(l)
		}()
	}
}

// closeSource ends the background work of l's source.
func (p *Poller) closeSource(l *hostLoop) {
	if c, ok := l.src.(interface{ Close() }); ok {
		c.Close()
	}
}

// wait puts l back in the schedule an interval from now without polling
// it: its way goes through a jump host that is down. Its state comes from
// the jump host's (UNREACHABLE); when that answers again, nudge brings l's
// poll forward.
func (p *Poller) wait(l *hostLoop) {
	p.mu.Lock()
	l.busy, l.again = false, false
	if l.ended || l.ctx.Err() != nil {
		l.ended = true // closed here, not again by end
		p.mu.Unlock()
		p.closeSource(l)
		return
	}
	l.due = slotEnd(p.sinceEpoch() + jitter(l.h.Interval()))
	p.wheel[l.due] = append(p.wheel[l.due], l)
	p.down[l] = struct{}{}
	p.mu.Unlock()
}

// nudge brings forward the next poll of the hosts that may answer again
// now that l's host, which failed, does: the hosts that jump through it,
// and the hosts whose failures began in the same outage (within one
// StaleAge of l's). Each is polled within half its interval, spread so
// that the jump host and the network see no storm (the transport bounds
// handshakes too); a host that stays dead fails that one poll and goes on
// backing off. Only hosts that fail or wait are looked at. p.mu is held.
func (p *Poller) nudge(l *hostLoop) {
	now := p.sinceEpoch()
	slack := l.h.StaleAge()
	for o := range p.down {
		if o.ended {
			delete(p.down, o)
			continue
		}
		if o == l || o.nudged || (o.due == 0 && !o.busy) {
			continue
		}
		outage := o.fails > 0 && o.since >= l.since-slack
		if !outage && !jumpsThrough(o.h, l.h.Name, p.loops) {
			continue
		}
		if o.busy {
			o.soon = true // see poll
			continue
		}
		due := slotEnd(now + nudgeDelay(o.h))
		if due < o.due {
			o.due, o.nudged = due, o.fails > 0
			p.wheel[due] = append(p.wheel[due], o)
		}
	}
}

// nudgeDelay is when a nudged host is polled: within half its interval,
// spread so that the network and a jump host see no storm.
func nudgeDelay(h *Host) time.Duration {
	spread := max(PollSlot, h.Interval()/2)
	return time.Duration(rand.Int64N(int64(spread)))
}

// jumpsThrough says whether h's way goes through the host named via.
func jumpsThrough(h *Host, via string, loops map[string]*hostLoop) bool {
	for j, depth := h.JumpParent(), 0; j != "" && depth < 32; depth++ {
		if j == via {
			return true
		}
		next, ok := loops[j]
		if !ok {
			return false
		}
		j = next.h.JumpParent()
	}
	return false
}
