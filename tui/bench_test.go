package tui

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/opsdeck/opsdeck/actions/oncall"
	"github.com/opsdeck/opsdeck/actions/record/files"
	"github.com/opsdeck/opsdeck/fleet"
)

// BenchmarkFleetView measures one frame of the dashboard: new data for one
// host arrives, the tick (every 250 ms, so every fourth frame crosses a
// second and re-checks clock-dependent states) reads the store, the screen
// is rendered.
func BenchmarkFleetView(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("hosts=%d", n), func(b *testing.B) {
			c, store, clock := benchFleet(n)
			m := New(Options{Config: c, Store: store, Styles: asciiStyles(b), Keys: DefaultKeyMap(),
				Now: func() time.Time { return *clock }})
			// The default order, worst first: a state change re-sorts.
			benchFrames(b, m, c, store, clock)
		})
	}
}

// benchFleet is n hosts with a first sample each, and the clock of the
// frames to come.
func benchFleet(n int) (*fleet.Config, *fleet.Store, *time.Time) {
	c := &fleet.Config{Name: "bench"}
	for i := 0; i < n; i++ {
		c.Hosts = append(c.Hosts, fleet.Host{Name: fmt.Sprintf("host-%05d", i), Env: "prod",
			PollInterval: fleet.Duration{Duration: 5 * time.Second}, Limits: fleet.DefaultLimits})
	}
	store := fleet.NewStore(c.Hosts)
	clock := now
	for i := range c.Hosts {
		store.Record(fleet.Observation{Host: c.Hosts[i].Name, At: clock, Sample: sample(clock, float64(i%100))})
	}
	return c, store, &clock
}

// benchFrames times b.N frames of m at 200x50: each brings one host new
// data, a tick 250 ms later and a render.
func benchFrames(b *testing.B, m *Model, c *fleet.Config, store *fleet.Store, clock *time.Time) {
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 50})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		*clock = clock.Add(250 * time.Millisecond)
		h := c.Hosts[i%len(c.Hosts)].Name
		store.Record(fleet.Observation{Host: h, At: *clock, Sample: sample(*clock, float64(i%100))})
		m.Update(tickMsg(*clock))
		_ = m.View()
	}
}

// BenchmarkFleetView_OnCall is BenchmarkFleetView at 1,000 hosts with a
// silence over 100 of them and 50 acknowledgements in force: what the
// on-call view adds to a frame.
func BenchmarkFleetView_OnCall(b *testing.B) {
	c, store, at := benchFleet(1000)
	clock := *at
	dir := b.TempDir()
	desk := &oncall.Desk{Log: &files.OnCallLog{Path: filepath.Join(dir, "oncall.jsonl")}, Audit: &files.Audit{Path: filepath.Join(dir, "audit.jsonl")}, Operator: "b@x"}
	if _, err := desk.Silence(oncall.Matcher{Hosts: []string{"host-000??"}}, clock, clock.Add(time.Hour), "bench", clock); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		chk := fleet.Check{Kind: fleet.KindDisk, Subject: "/var", State: fleet.Crit, Value: 97, Unit: "%"}
		if _, err := desk.Acknowledge(&c.Hosts[900+i], chk, "bench", 0, clock); err != nil {
			b.Fatal(err)
		}
	}
	desk.Refresh(clock)
	m := New(Options{Config: c, Store: store, Styles: asciiStyles(b), Keys: DefaultKeyMap(), OnCall: desk,
		Now: func() time.Time { return *at }})
	benchFrames(b, m, c, store, at)
}
