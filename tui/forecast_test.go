package tui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/config"
)

// fillModel is a dashboard of one host whose /var filled at 3 %/h from
// 30 % for the hours given, sampled every minute.
func fillModel(t *testing.T, hours float64) *Model {
	t.Helper()
	c, err := config.Parse("t.toml", []byte("[[hosts]]\nname = \"db-1\"\npoll_interval = \"1m\"\nmounts = [\"/var\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	store := fleet.NewStore(c.Hosts)
	t0 := now.Add(-time.Duration(hours * float64(time.Hour)))
	for m := time.Duration(0); m <= time.Duration(hours*float64(time.Hour)); m += time.Minute {
		s := sample(t0.Add(m), 50)
		share := 0.30 + 0.03*m.Hours()
		used := uint64(share * (16 << 30))
		s.Disks = []fleet.Disk{{Mount: "/var", FSType: "ext4", Total: 16 << 30, Used: used, Free: 16<<30 - used}}
		store.Record(fleet.Observation{Host: "db-1", At: s.At, Sample: s})
	}
	m := New(Options{Config: c, Store: store, Styles: asciiStyles(t), Keys: DefaultKeyMap(), Now: func() time.Time { return now }})
	send(m, tea.WindowSizeMsg{Width: 160, Height: 40}, tickMsg(now))
	press(m, enter)
	return m
}

// The detail's disks table says when a filling mount is full, and the
// problem says it with the rate; until there is enough history it says
// what is missing.
func TestDetail_FullIn(t *testing.T) {
	v := fillModel(t, 12).View()
	if !strings.Contains(v, "full in") || !strings.Contains(v, "~11h") || !strings.Contains(v, "disk /var full in ~11h (") {
		t.Errorf("12 hours of fill:\n%s", v)
	}
	v = fillModel(t, 1).View()
	if !strings.Contains(v, "full in: 1h of history: a forecast needs 3h") {
		t.Errorf("an hour of history:\n%s", v)
	}
}
