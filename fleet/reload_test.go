package fleet

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

// closingSource is a fakeSource that counts its Close.
type closingSource struct {
	fakeSource
	closed atomic.Bool
}

func (c *closingSource) Close() { c.closed.Store(true) }

// A reload applied to a running poller and its store: the removed host's
// loop stops and its source closes, the new host starts polling, a changed
// host gets a new source, and the untouched host keeps its source, its
// data and its history.
func TestPollerAndStore_Apply(t *testing.T) {
	hour := Duration{time.Hour}
	c := &Config{Hosts: []Host{{Name: "keep", PollInterval: hour}, {Name: "gone", PollInterval: hour}, {Name: "edit", PollInterval: hour}}}
	srcs := map[string][]*closingSource{}
	sourceFor := func(h *Host) (Source, string) {
		s := &closingSource{}
		srcs[h.Name] = append(srcs[h.Name], s)
		return s, ""
	}
	store := NewStore(c.Hosts)
	p := NewPoller(c, store, sourceFor)
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); p.Wait() }()
	p.Start(ctx)
	polled := func(name string) bool { st, ok := store.Status(name); return ok && st.Last != nil }
	fleettest.Eventually(t, 5*time.Second, "every host's first poll", func() bool { return polled("keep") && polled("gone") && polled("edit") })
	keepBefore, _ := store.Status("keep")
	cpuBefore, _ := store.History("keep")

	next := &Config{Hosts: []Host{{Name: "keep", PollInterval: hour}, {Name: "edit", PollInterval: hour, Mounts: []string{"/srv"}}, {Name: "new", PollInterval: hour}}}
	store.Apply(next.Hosts)
	p.Apply([]*Host{&next.Hosts[0], &next.Hosts[1], &next.Hosts[2]}, map[string]bool{"edit": true}, sourceFor)

	fleettest.Eventually(t, 5*time.Second, "the removed host's source closed", func() bool { return srcs["gone"][0].closed.Load() })
	fleettest.Eventually(t, 5*time.Second, "the new host's first poll", func() bool { return polled("new") })
	fleettest.Eventually(t, 5*time.Second, "the changed host's new source polled", func() bool {
		return len(srcs["edit"]) == 2 && srcs["edit"][1].calls.Load() > 0 && srcs["edit"][0].closed.Load()
	})
	if _, ok := store.Status("gone"); ok {
		t.Error("the removed host is still in the store")
	}
	if len(srcs["keep"]) != 1 || srcs["keep"][0].closed.Load() || srcs["keep"][0].calls.Load() != 1 {
		t.Errorf("the untouched host's source: %d made, closed %v, %d polls (want 1, false, 1: its hourly timer untouched)",
			len(srcs["keep"]), srcs["keep"][0].closed.Load(), srcs["keep"][0].calls.Load())
	}
	keep, _ := store.Status("keep")
	cpu, _ := store.History("keep")
	if keep.Last != keepBefore.Last || keep.Polls != keepBefore.Polls || len(cpu) != len(cpuBefore) || keep.Host != &next.Hosts[0] {
		t.Errorf("the untouched host's data changed: %+v → %+v", keepBefore, keep)
	}
	if edit, _ := store.Status("edit"); edit.Host.Mounts[0] != "/srv" || edit.Polls < 1 {
		t.Errorf("the changed host: %+v", edit)
	}
	snap, _ := store.Snapshot()
	if len(snap) != 3 || snap[0].Host.Name != "keep" || snap[1].Host.Name != "edit" || snap[2].Host.Name != "new" {
		t.Errorf("the store's hosts are not the new fleet's, in order: %v", snap)
	}
}
