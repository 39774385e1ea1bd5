package fleet

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

// netSource answers while its network is up, and fails as an unreachable
// host does while it is down.
type netSource struct {
	down  atomic.Bool
	calls atomic.Int32
}

func (n *netSource) Sample(ctx context.Context) (*Sample, error) {
	n.calls.Add(1)
	if n.down.Load() {
		return nil, errors.New("timeout: no answer")
	}
	return okSample(time.Now()), nil
}

func startNet(t *testing.T, hosts []Host) (*Poller, *Store, map[string]*netSource) {
	t.Helper()
	for i := range hosts {
		hosts[i].PollInterval, hosts[i].Timeout = Duration{500 * time.Millisecond}, Duration{100 * time.Millisecond}
	}
	p, store, srcs := netFleet(hosts)
	ctx, cancel := context.WithCancel(context.Background())
	p.Start(ctx)
	t.Cleanup(func() { cancel(); p.Wait() })
	return p, store, srcs
}

// netFleet is a poller (not started) of hosts, each on a netSource.
func netFleet(hosts []Host) (*Poller, *Store, map[string]*netSource) {
	srcs := map[string]*netSource{}
	for i := range hosts {
		hosts[i].Limits = DefaultLimits
		srcs[hosts[i].Name] = &netSource{}
	}
	c := &Config{Hosts: hosts}
	store := NewStore(c.Hosts)
	return NewPoller(c, store, func(h *Host) (Source, string) { return srcs[h.Name], "" }), store, srcs
}

func loopOf(p *Poller, name string) hostLoop {
	p.mu.Lock()
	defer p.mu.Unlock()
	return *p.loops[name]
}

// A host behind a jump host that is down is not polled through it; it is
// UNREACHABLE; when the jump host answers, it is polled again at once.
func TestPoller_ChildrenWaitForTheirJumpHost(t *testing.T) {
	p, store, srcs := startNet(t, []Host{{Name: "bastion"}, {Name: "a", Jump: "bastion"}, {Name: "b", Jump: "bastion"}})
	fleettest.Eventually(t, 5*time.Second, "every host's first data", func() bool {
		for _, n := range []string{"bastion", "a", "b"} {
			if st, _ := store.Status(n); st.Last == nil {
				return false
			}
		}
		return true
	})
	for _, s := range srcs {
		s.down.Store(true) // the bastion's network, and so its children's
	}
	fleettest.Eventually(t, 5*time.Second, "the bastion DOWN, its children UNREACHABLE", func() bool {
		for _, n := range []string{"a", "b"} {
			if st, _ := store.Status(n); Assess(&st, time.Now()).State != Unreachable {
				return false
			}
		}
		return true
	})
	before := srcs["a"].calls.Load() + srcs["b"].calls.Load()
	bastion := srcs["bastion"].calls.Load()
	fleettest.Eventually(t, 10*time.Second, "the bastion retried three times", func() bool { return srcs["bastion"].calls.Load() >= bastion+3 })
	// others wait for it: it is retried every interval, not backed off
	if l := loopOf(p, "bastion"); !l.busy && l.fails >= 3 && l.due-p.sinceEpoch() > 550*time.Millisecond+PollSlot {
		t.Errorf("the bastion, %d failures, retried in %v: want its interval", l.fails, l.due-p.sinceEpoch())
	}
	if after := srcs["a"].calls.Load() + srcs["b"].calls.Load(); after > before+2 { // at most a poll each that was under way
		t.Errorf("children polled %d times through a bastion that is down", after-before)
	}
	for _, s := range srcs {
		s.down.Store(false)
	}
	healed := time.Now()
	fleettest.Eventually(t, 5*time.Second, "the children's data again", func() bool {
		for _, n := range []string{"a", "b"} {
			st, _ := store.Status(n)
			if st.Last == nil || st.Last.At.Before(healed) || Assess(&st, time.Now()).State != OK {
				return false
			}
		}
		return true
	})
}

// A host that answers again after an outage brings forward the retries of
// the hosts that failed with it, once; a host dead since long before is
// left to its backoff, and a host that stays dead goes on backing off.
func TestPoller_RecoveryBringsTheOutageForward(t *testing.T) {
	p, store, srcs := startNet(t, []Host{{Name: "dead"}, {Name: "first"}, {Name: "x"}, {Name: "y"}})
	srcs["dead"].down.Store(true)
	fleettest.Eventually(t, 5*time.Second, "first data of the others", func() bool {
		for _, n := range []string{"first", "x", "y"} {
			if st, _ := store.Status(n); st.Last == nil {
				return false
			}
		}
		return true
	})
	// dead's failures began more than a StaleAge (1.1 s) before the outage.
	fleettest.Eventually(t, 10*time.Second, "dead failing for a while", func() bool {
		l := loopOf(p, "dead")
		return p.sinceEpoch()-l.since > 2*time.Second
	})
	for _, n := range []string{"first", "x", "y"} {
		srcs[n].down.Store(true)
	}
	fleettest.Eventually(t, 10*time.Second, "x and y backing off", func() bool {
		return loopOf(p, "x").fails >= 3 && loopOf(p, "y").fails >= 3 && loopOf(p, "first").fails >= 1
	})
	srcs["first"].down.Store(false)
	fleettest.Eventually(t, 10*time.Second, "first answering again", func() bool { return loopOf(p, "first").fails == 0 })
	now := p.sinceEpoch()
	for _, n := range []string{"x", "y"} {
		l := loopOf(p, n)
		if !l.busy && l.due > now+250*time.Millisecond+PollSlot { // its backoff: 2 s
			t.Errorf("%s's next poll in %v, want within half its interval", n, l.due-now)
		}
	}
	if l := loopOf(p, "dead"); l.nudged {
		t.Error("a host dead since before the outage was brought forward")
	}
	// x and y stay dead: their early poll fails, and they back off again.
	fails := loopOf(p, "x").fails
	// (its early poll, and one more: a poll under way at the nudge is brought forward when it ends)
	fleettest.Eventually(t, 10*time.Second, "x's early poll", func() bool { return loopOf(p, "x").fails > fails+1 })
	if l := loopOf(p, "x"); !l.busy && l.due-p.sinceEpoch() < 500*time.Millisecond {
		t.Errorf("x, still dead, polled again in %v: want its backoff", l.due-p.sinceEpoch())
	}
}

// A one-pass check polls a host behind a jump host once the jump host
// answered, and not at all when it did not: never dialled through a dead
// bastion, UNREACHABLE behind it.
func TestPoller_OnceAsksTheJumpHostFirst(t *testing.T) {
	p, store, srcs := netFleet([]Host{{Name: "bastion"}, {Name: "a", Jump: "bastion"}, {Name: "b", Jump: "bastion"}, {Name: "c"}})
	srcs["bastion"].down.Store(true)
	p.Once(context.Background(), Light)
	if n := srcs["a"].calls.Load() + srcs["b"].calls.Load(); n != 0 {
		t.Errorf("%d polls through a bastion that did not answer", n)
	}
	for _, n := range []string{"a", "b"} {
		if st, _ := store.Status(n); Assess(&st, time.Now()).State != Unreachable {
			t.Errorf("%s: %s, want UNREACHABLE", n, Assess(&st, time.Now()).State)
		}
	}
	if st, _ := store.Status("c"); st.Last == nil {
		t.Error("c, reached directly, was not polled")
	}
	srcs["bastion"].down.Store(false)
	p.Once(context.Background(), Light)
	if n := srcs["a"].calls.Load() + srcs["b"].calls.Load(); n != 2 {
		t.Errorf("%d polls behind a bastion that answers, want 2", n)
	}
}
