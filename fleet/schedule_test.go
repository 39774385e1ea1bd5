package fleet

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

// gatedSource answers a poll when the test lets it (deaf: not before,
// even when the poll's ctx ends), and counts its polls and closes.
type gatedSource struct {
	gate   chan struct{}
	deaf   bool
	calls  atomic.Int32
	closes atomic.Int32
}

func (g *gatedSource) Sample(ctx context.Context) (*Sample, error) {
	g.calls.Add(1)
	if g.deaf {
		<-g.gate
		return okSample(time.Now()), nil
	}
	select {
	case <-g.gate:
		return okSample(time.Now()), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (g *gatedSource) Close() { g.closes.Add(1) }

// Hosts waiting for their next poll cost no goroutine: 300 hosts polled
// once an hour leave the scheduler alone once their first polls are in,
// and hosts on a short interval keep being polled from it.
func TestPoller_IdleHostsHaveNoGoroutine(t *testing.T) {
	base := runtime.NumGoroutine()
	c := &Config{}
	for i := 0; i < 300; i++ {
		c.Hosts = append(c.Hosts, Host{Name: fmt.Sprintf("h%d", i), PollInterval: Duration{time.Hour}})
	}
	c.Hosts = append(c.Hosts, Host{Name: "often", PollInterval: Duration{300 * time.Millisecond}})
	srcs := map[string]*fakeSource{}
	for i := range c.Hosts {
		srcs[c.Hosts[i].Name] = &fakeSource{}
	}
	store := NewStore(c.Hosts)
	p := NewPoller(c, store, func(h *Host) (Source, string) { return srcs[h.Name], "" })
	ctx, cancel := context.WithCancel(context.Background())
	p.Start(ctx)
	fleettest.Eventually(t, 10*time.Second, "every first poll", func() bool {
		snap, _ := store.Snapshot()
		for i := range snap {
			if snap[i].Polls == 0 {
				return false
			}
		}
		return true
	})
	fleettest.Eventually(t, 10*time.Second, "the short interval's third poll", func() bool { return srcs["often"].calls.Load() >= 3 })
	fleettest.EventuallyShow(t, 5*time.Second, "the pollers down to the scheduler", func() bool {
		return runtime.NumGoroutine() <= base+2 // the scheduler, and a poll of "often" under way
	}, func() string { return fmt.Sprintf("%d goroutines, %d before", runtime.NumGoroutine(), base) })
	for name, s := range srcs {
		if name != "often" && s.calls.Load() != 1 {
			t.Fatalf("%s polled %d times within its hour", name, s.calls.Load())
		}
	}
	cancel()
	p.Wait()
}

// PollNow during a poll gives one more poll right after it, however often
// it is asked; a host dropped by a reload while its poll runs has its
// source closed once, when that poll ends; one dropped while it waits, at
// once; a stopped poller closes every source before Wait returns.
func TestPoller_PollNowAndDropWhileBusy(t *testing.T) {
	hour := Duration{time.Hour}
	c := &Config{Hosts: []Host{{Name: "busy", PollInterval: hour}, {Name: "idle", PollInterval: hour}, {Name: "stay", PollInterval: hour}}}
	srcs := map[string]*gatedSource{}
	for _, h := range c.Hosts {
		srcs[h.Name] = &gatedSource{gate: make(chan struct{}), deaf: h.Name == "busy"}
	}
	store := NewStore(c.Hosts)
	p := NewPoller(c, store, func(h *Host) (Source, string) { return srcs[h.Name], "" })
	ctx, cancel := context.WithCancel(context.Background())
	p.Start(ctx)
	busy, idle, stay := srcs["busy"], srcs["idle"], srcs["stay"]
	fleettest.Eventually(t, 5*time.Second, "the first polls", func() bool {
		return busy.calls.Load() == 1 && idle.calls.Load() == 1 && stay.calls.Load() == 1
	})
	idle.gate <- struct{}{}
	stay.gate <- struct{}{}
	for i := 0; i < 3; i++ {
		p.PollNow("busy")
	}
	busy.gate <- struct{}{} // the first poll ends; the one asked for starts
	fleettest.Eventually(t, 5*time.Second, "the poll asked for", func() bool { return busy.calls.Load() == 2 })
	fleettest.Eventually(t, 5*time.Second, "idle's poll recorded", func() bool { st, _ := store.Status("idle"); return st.Polls == 1 })

	p.Apply([]*Host{&c.Hosts[2]}, nil, func(*Host) (Source, string) { t.Fatal("no host is new"); return nil, "" })
	fleettest.Eventually(t, 5*time.Second, "the waiting host's source closed", func() bool { return idle.closes.Load() == 1 })
	if busy.closes.Load() != 0 {
		t.Fatal("the busy host's source closed while its poll ran")
	}
	busy.gate <- struct{}{} // the poll under way ends
	fleettest.Eventually(t, 5*time.Second, "the busy host's source closed as its poll ended", func() bool { return busy.closes.Load() == 1 })
	if n := busy.calls.Load(); n != 2 {
		t.Errorf("busy polled %d times, want 2: three asks during one poll make one more", n)
	}
	cancel()
	p.Wait()
	if busy.closes.Load() != 1 || idle.closes.Load() != 1 || stay.closes.Load() != 1 {
		t.Errorf("closes: busy %d, idle %d, stay %d; want each once", busy.closes.Load(), idle.closes.Load(), stay.closes.Load())
	}
}
