package tui

import (
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// Hosts read back from the pollers join the store, and leave it, between
// two refreshes: the rows are read again, each row its own host's.
func TestFleetData_HostsComeAndGo(t *testing.T) {
	cfg := &fleet.Config{Hosts: []fleet.Host{{Name: "web-1"}}}
	store := fleet.NewStore(cfg.Hosts)
	d := newFleetData(cfg, store)
	now := time.Now()
	d.refresh(now, false)
	judged := func(name string, st fleet.State) fleet.Judged {
		return fleet.Judged{Name: name, Verdict: &fleet.Verdict{State: st, Judged: now, At: now, By: "0/1"}, Figures: &fleet.Sample{At: now}}
	}
	store.Judge([]fleet.Judged{judged("web-1", fleet.OK), judged("db-1", fleet.Crit)}, fleet.Host{}, nil)
	d.refresh(now, false)
	if len(d.hosts) != 2 {
		t.Fatalf("%d rows, want 2", len(d.hosts))
	}
	for _, want := range []struct {
		name  string
		state fleet.State
	}{{"web-1", fleet.OK}, {"db-1", fleet.Crit}} {
		r, ok := d.row(want.name)
		if !ok || r.status.Host.Name != want.name || r.health.State != want.state {
			t.Errorf("row of %s: %+v %s", want.name, ok, r.health.State)
		}
	}
	store.Judge([]fleet.Judged{judged("web-1", fleet.Warn)}, fleet.Host{}, func(string, *fleet.Verdict) *fleet.Verdict { return fleet.Gone })
	d.refresh(now, false)
	if r, ok := d.row("web-1"); len(d.hosts) != 1 || !ok || r.health.State != fleet.Warn {
		t.Errorf("after db-1 left: %d rows, web-1 %v", len(d.hosts), ok)
	}
}
