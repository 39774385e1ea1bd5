package tui

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/config"
)

// A bastion DOWN with three hosts behind it: the header counts them apart,
// their rows say UNREACH and why, and the problems pane has one problem,
// the bastion's, with the hosts behind it folded under it.
func TestProblems_OneRootForHostsBehind(t *testing.T) {
	c, err := config.Parse("t.toml", []byte(`
[[hosts]]
name = "host1"
[[hosts]]
name = "host2"
jump = "host1"
[[hosts]]
name = "host3"
jump = "host1"
[[hosts]]
name = "host4"
jump = "host1"
[[hosts]]
name = "db01"
`))
	if err != nil {
		t.Fatal(err)
	}
	store := fleet.NewStore(c.Hosts)
	for _, h := range c.Hosts {
		store.Record(fleet.Observation{Host: h.Name, At: now.Add(-time.Minute), Sample: sample(now.Add(-time.Minute), 10)})
	}
	store.Record(fleet.Observation{Host: "host1", At: now, Err: errors.New("timeout: host1 stopped answering")})
	m := New(Options{Config: c, Store: store, Styles: asciiStyles(t), Keys: DefaultKeyMap(), Now: func() time.Time { return now }})
	send(m, tea.WindowSizeMsg{Width: 100, Height: 30}, tickMsg(now))
	v := m.View()
	for _, want := range []string{"3 UNREACHABLE", "1 DOWN", "⊘ UNREACH", "behind host1 (DOWN since"} {
		if !strings.Contains(v, want) {
			t.Errorf("fleet view lacks %q:\n%s", want, v)
		}
	}
	press(m, keys("p")[0].(tea.KeyMsg))
	v = m.View()
	if !strings.Contains(v, "3 hosts behind it unreachable: host[2-4]") || strings.Count(v, "DOWN host1") != 1 ||
		strings.Contains(v, "UNREACHABLE host2") {
		t.Fatalf("not one root problem:\n%s", v)
	}
	press(m, enter) // unfolds: each host behind it
	v = m.View()
	for _, h := range []string{"host2", "host3", "host4"} {
		if !strings.Contains(v, "UNREACHABLE "+h+" behind host1") {
			t.Errorf("unfolded lacks %s:\n%s", h, v)
		}
	}
}
