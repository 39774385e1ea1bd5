package tui

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet/config"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/themes"
)

var now = time.Date(2026, 11, 25, 3, 12, 0, 0, time.UTC)

// asciiStyles renders without colour, as NO_COLOR or a dumb terminal would.
func asciiStyles(t testing.TB) *themes.Styles {
	r := lipgloss.NewRenderer(&bytes.Buffer{})
	r.SetColorProfile(termenv.Ascii)
	p, err := themes.Get("dark")
	if err != nil {
		t.Fatal(err)
	}
	return themes.New(p, r)
}

const fleetTOML = `
name = "test fleet"
[[hosts]]
name = "web-1"
address = "10.0.0.1"
env = "staging"
tags = ["web"]
[[hosts]]
name = "db-1"
address = "10.0.0.2"
env = "prod"
tags = ["db"]
[[hosts]]
name = "app-1"
address = "10.0.0.3"
env = "staging"
[[hosts]]
name = "new-1"
address = "10.0.0.4"
`

func sample(at time.Time, diskVar float64) *fleet.Sample {
	return &fleet.Sample{
		At: at, CPU: 12, PerCore: []float64{10, 14}, MemTotal: 16 << 30, MemUsed: 4 << 30, Cores: 2,
		Load1: 0.4, Load5: 0.3, Load15: 0.2, Uptime: 41 * 24 * time.Hour,
		Disks: []fleet.Disk{
			{Mount: "/", FSType: "ext4", Total: 100 << 30, Used: 20 << 30, Free: 80 << 30},
			{Mount: "/var", FSType: "xfs", Total: 100 << 30, Used: uint64(diskVar * (1 << 30)), Free: uint64((100 - diskVar) * (1 << 30))},
		},
	}
}

// fixture is a fleet with one CRIT prod host, one STALE host, one OK host
// and one never polled.
func fixture(t testing.TB) (*Model, *fleet.Store, *[]string) {
	c, err := config.Parse("test.toml", []byte(fleetTOML))
	if err != nil {
		t.Fatal(err)
	}
	store := fleet.NewStore(c.Hosts)
	store.Record(fleet.Observation{Host: "db-1", At: now, Sample: sample(now.Add(-2*time.Second), 97)})
	store.Record(fleet.Observation{Host: "web-1", At: now, Sample: sample(now.Add(-time.Minute), 10)})
	store.Record(fleet.Observation{Host: "app-1", At: now, Sample: sample(now.Add(-time.Second), 10)})
	polled := &[]string{}
	m := New(Options{
		Config: c, Store: store, Styles: asciiStyles(t), Keys: DefaultKeyMap(),
		Now:     func() time.Time { return now },
		PollNow: func(h string) { *polled = append(*polled, h) },
	})
	return m, store, polled
}

func send(m *Model, msgs ...tea.Msg) {
	for _, msg := range msgs {
		m.Update(msg)
	}
}

func keys(s string) []tea.Msg {
	var out []tea.Msg
	for _, r := range s {
		out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	return out
}

var (
	enter = tea.KeyMsg{Type: tea.KeyEnter}
	esc   = tea.KeyMsg{Type: tea.KeyEsc}
	down  = tea.KeyMsg{Type: tea.KeyDown}
)

// hostOrder returns host names in the order the table shows them.
func hostOrder(view string) []string {
	var names []string
	re := regexp.MustCompile(`^[▶ ][┃ ](\S+-1) `)
	for _, l := range strings.Split(view, "\n") {
		if m := re.FindStringSubmatch(l); m != nil {
			names = append(names, m[1])
		}
	}
	return names
}

func TestFleetView_States(t *testing.T) {
	m, _, _ := fixture(t)
	send(m, tea.WindowSizeMsg{Width: 120, Height: 30})
	v := m.View()
	for _, want := range []string{
		"opsdeck · test fleet",
		"4 hosts: 1 OK 1 STALE 1 CRIT 1 polling",
		"data 1s–1m old",
		"✖ CRIT", "disk /var 97% ≥ 90%",
		"◌ STALE", "no new data for 1m",
		"… POLLING", "no data yet", // not UNKNOWN: nothing failed, its first poll is on its way
		"PROD",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	// A STALE host must not show its old numbers as if current.
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(l, "web-1") && strings.Contains(l, "12%") {
			t.Errorf("stale row shows old CPU value: %q", l)
		}
	}
}

func TestFleetView_SortAndFilter(t *testing.T) {
	m, _, _ := fixture(t)
	send(m, tea.WindowSizeMsg{Width: 120, Height: 30})
	if got := hostOrder(m.View()); strings.Join(got, ",") != "db-1,web-1,new-1,app-1" {
		t.Errorf("worst first (the default): %v", got)
	}
	if !strings.Contains(m.View(), "sort: worst first") {
		t.Error("sort mode not shown")
	}
	send(m, keys("o")...)
	if got := hostOrder(m.View()); strings.Join(got, ",") != "app-1,db-1,new-1,web-1" {
		t.Errorf("by name: %v", got)
	}
	send(m, keys("o")...) // cpu: the STALE and never-polled hosts have no value and go last
	if got := hostOrder(m.View()); strings.Join(got, ",") != "app-1,db-1,new-1,web-1" || !strings.Contains(m.View(), "CPU▼") {
		t.Errorf("by cpu: %v\n%s", got, m.View())
	}
	send(m, keys("oo")...) // mem, then disk: db-1's 97 % first
	if got := hostOrder(m.View()); strings.Join(got, ",") != "db-1,app-1,new-1,web-1" || !strings.Contains(m.View(), "sort: disk") {
		t.Errorf("by disk: %v\n%s", got, m.View())
	}
	send(m, keys("<<<<")...) // back to worst first
	if !strings.Contains(m.View(), "sort: worst first") {
		t.Errorf("< does not go back:\n%s", m.View())
	}
	send(m, keys("/prod")...)
	send(m, enter)
	if got := hostOrder(m.View()); strings.Join(got, ",") != "db-1" {
		t.Errorf("filter by env: %v", got)
	}
	send(m, esc)
	send(m, keys("/web")...)
	if got := hostOrder(m.View()); strings.Join(got, ",") != "web-1" {
		t.Errorf("filter by tag while typing: %v", got)
	}
	send(m, keys("q")...) // typed into the filter, must not quit
	if m.table.filter != "webq" {
		t.Errorf("filter = %q", m.table.filter)
	}
	if !strings.Contains(m.View(), "no host matches") {
		t.Error("empty filter result not explained")
	}
	send(m, esc)
	if got := hostOrder(m.View()); len(got) != 4 {
		t.Errorf("esc did not clear the filter: %v", got)
	}
}

func TestFleetView_SelectionFollowsHost(t *testing.T) {
	m, _, polled := fixture(t)
	send(m, tea.WindowSizeMsg{Width: 120, Height: 30})
	send(m, keys("o")...) // worst first → by name: db-1 stays selected
	if r, _ := m.table.selected(); r.status.Host.Name != "db-1" {
		t.Errorf("selection after sort = %s, want db-1", r.status.Host.Name)
	}
	send(m, keys("R")...)
	if strings.Join(*polled, ",") != "db-1" {
		t.Errorf("R polled %v, want db-1", *polled)
	}
}

func TestDetailView(t *testing.T) {
	m, _, _ := fixture(t)
	send(m, tea.WindowSizeMsg{Width: 100, Height: 40})
	send(m, enter) // db-1, worst first
	v := m.View()
	for _, want := range []string{
		"db-1", "PROD", "✖ CRIT", "address 10.0.0.2",
		"/var", "97%", "90%", "memory", "4.0 GiB / 16.0 GiB", "load/core", "per core 10% 14%",
		"uptime 41d", "History",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("detail lacks %q:\n%s", want, v)
		}
	}
	send(m, esc)
	if !strings.Contains(m.View(), "REASON") {
		t.Error("esc did not return to the fleet table")
	}
	send(m, down, enter) // web-1 is STALE: its values are flagged as old
	if v := m.View(); !strings.Contains(v, "not current") || strings.Contains(v, "● OK") || !strings.Contains(v, "◌ old") {
		t.Errorf("stale detail must warn that values are old and give no verdict on them:\n%s", v)
	}
}

func TestHelp(t *testing.T) {
	m, _, _ := fixture(t)
	send(m, tea.WindowSizeMsg{Width: 80, Height: 24})
	send(m, keys("?")...)
	v := m.View()
	for _, want := range []string{"filter", "sort", "poll now", "host detail", "quit", "ctrl+c"} {
		if !strings.Contains(v, want) {
			t.Errorf("help lacks %q:\n%s", want, v)
		}
	}
	send(m, esc)
	if strings.Contains(m.View(), "ctrl+c") {
		t.Error("esc did not close help")
	}
}

// Every frame fits the terminal exactly: no wrapped or overflowing line,
// with every column and panel in use (services, backups, a dialog).
func TestView_FitsTerminal(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {200, 50}, {250, 70}, {40, 10}} {
		for _, screen := range []struct {
			name    string
			actions bool
			keys    []tea.Msg
		}{
			{"fleet", false, nil}, {"detail", false, []tea.Msg{enter}}, {"help", false, keys("?")}, {"filter", false, keys("/d")},
			{"fleet with services", true, nil}, {"services detail", true, []tea.Msg{enter}},
			{"restart dialog", true, append([]tea.Msg{enter}, keys("r")...)}, {"chooser", true, keys(" r")},
		} {
			m, _, _ := fixture(t)
			if screen.actions {
				m, _, _ = actionModel(t, false)
			}
			send(m, tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			send(m, screen.keys...)
			lines := strings.Split(m.View(), "\n")
			if len(lines) != size[1] {
				t.Errorf("%dx%d %s: %d lines", size[0], size[1], screen.name, len(lines))
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w > size[0] {
					t.Errorf("%dx%d %s: line %d is %d wide: %q", size[0], size[1], screen.name, i, w, l)
				}
			}
		}
	}
}

func TestView_NoEscapesWithoutColour(t *testing.T) {
	m, _, _ := fixture(t)
	send(m, tea.WindowSizeMsg{Width: 120, Height: 30})
	if v := m.View(); strings.Contains(v, "\x1b[3") || strings.Contains(v, "\x1b[38") {
		t.Errorf("colour escape in ASCII profile:\n%q", v)
	}
}

func TestView_Golden(t *testing.T) {
	m, _, _ := fixture(t)
	send(m, tea.WindowSizeMsg{Width: 100, Height: 12})
	golden.RequireEqual(t, []byte(ansi.Strip(m.View()))) // refresh with -update
}

// The same flow through a real bubbletea Program.
func TestProgram_FilterAndQuit(t *testing.T) {
	m, _, _ := fixture(t)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte("disk /var 97% ≥ 90%")) && bytes.Contains(b, []byte("no new data for 1m"))
	}, teatest.WithDuration(5*time.Second))
	tm.Type("/db")
	tm.Send(enter)
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte(`filter: "db"`))
	}, teatest.WithDuration(5*time.Second))
	tm.Type("q")
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if got := hostOrder(fm.View()); strings.Join(got, ",") != "db-1" {
		t.Errorf("filtered rows: %v", got)
	}
}

func TestStoreUpdatesReachTheScreen(t *testing.T) {
	m, store, _ := fixture(t)
	send(m, tea.WindowSizeMsg{Width: 120, Height: 30})
	store.Record(fleet.Observation{Host: "new-1", At: now, Sample: sample(now, 91.5)})
	send(m, tickMsg(now))
	if !strings.Contains(m.View(), "2 CRIT") {
		t.Errorf("new data not shown after tick:\n%s", m.View())
	}
}

// The dashboard starts before any poll has answered (the real program's
// order): hosts are listed at once as POLLING and fill in as data arrives.
func TestFirstDataAfterStart(t *testing.T) {
	c, err := config.Parse("t.toml", []byte("[[hosts]]\nname = \"a-1\"\naddress = \"local\"\n[[hosts]]\nname = \"b-1\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	store := fleet.NewStore(c.Hosts)
	m := New(Options{Config: c, Store: store, Styles: asciiStyles(t), Keys: DefaultKeyMap(), Now: func() time.Time { return now }})
	send(m, tea.WindowSizeMsg{Width: 120, Height: 20})
	if got := hostOrder(m.View()); strings.Join(got, ",") != "a-1,b-1" {
		t.Fatalf("before data: %v\n%s", got, m.View())
	}
	store.Record(fleet.Observation{Host: "a-1", At: now, Sample: sample(now, 95)})
	send(m, tickMsg(now))
	v := m.View()
	if !strings.Contains(v, "disk /var 95% ≥ 90%") || !strings.Contains(v, "0 OK 1 CRIT 1 polling") {
		t.Errorf("after data:\n%s", v)
	}
	if got := hostOrder(m.View()); strings.Join(got, ",") != "a-1,b-1" {
		t.Errorf("worst first: %v", got)
	}
	store.Record(fleet.Observation{Host: "b-1", At: now, Err: errors.New("refused")})
	send(m, tickMsg(now))
	if got := hostOrder(m.View()); strings.Join(got, ",") != "b-1,a-1" {
		t.Errorf("a new DOWN host must move up in worst-first order: %v", got)
	}
}

// A reload shows the new fleet: a new host's row, no row of a removed
// one, the cursor on the same host, a mark of a removed host dropped, and
// the header says when and what changed; a refused reload keeps it all
// and says why.
func TestReload_Fleet(t *testing.T) {
	m, store, _ := fixture(t)
	send(m, tea.WindowSizeMsg{Width: 120, Height: 30})
	send(m, runes("G"), runes(" ")) // the last row, worst first: an OK host the reload removes, marked
	marked := m.table.selectedHosts()
	if len(marked) != 1 {
		t.Fatalf("marked %v", marked)
	}
	next, err := config.Parse("t.toml", []byte("[[hosts]]\nname = \"web-1\"\naddress = \"10.0.0.1\"\n[[hosts]]\nname = \"db-1\"\naddress = \"10.0.0.2\"\n[[hosts]]\nname = \"cache-1\"\naddress = \"10.0.0.9\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	store.Apply(next.Hosts)
	send(m, ReloadMsg{Config: next, Summary: "+1 −2 ~0", At: now})
	v := m.View()
	for _, want := range []string{"reloaded 03:12:00: +1 −2 ~0", "3 hosts:", "cache-1", "web-1", "db-1"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	for _, gone := range []string{"app-1", "new-1"} {
		if strings.Contains(v, gone) {
			t.Errorf("%s still shown:\n%s", gone, v)
		}
	}
	if gone := marked[0].Name == "app-1" || marked[0].Name == "new-1"; !gone || len(m.table.marked) != 0 {
		t.Errorf("marked %s (removed: %v), marks after the reload: %v; want a removed host marked, and no mark left", marked[0].Name, gone, m.table.marked)
	}
	send(m, ReloadMsg{Err: fleet.Problems{{File: "t.toml", Position: fleet.Position{Line: 4, Col: 8}, Key: "hosts.port", Msg: "wrong type"}}, At: now})
	if v := m.View(); !strings.Contains(v, "config not reloaded, the fleet runs as it was: t.toml:4:8: hosts.port: wrong type") || !strings.Contains(v, "cache-1") {
		t.Errorf("refused reload:\n%s", v)
	}
}
