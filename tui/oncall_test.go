package tui

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/actions/oncall"
	"github.com/opsdeck/opsdeck/actions/record/files"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/config"
)

// onCallModel is three hosts whose /var is full, one whose is not, with
// an on-call log in a temporary directory.
func onCallModel(t *testing.T) (*Model, *oncall.Desk) {
	t.Helper()
	c, err := config.Parse("t.toml", []byte(`
[[hosts]]
name = "web01"
[[hosts]]
name = "web02"
[[hosts]]
name = "web03"
[[hosts]]
name = "db01"
`))
	if err != nil {
		t.Fatal(err)
	}
	store := fleet.NewStore(c.Hosts)
	for _, h := range c.Hosts {
		full := 97.0
		if h.Name == "db01" {
			full = 10
		}
		store.Record(fleet.Observation{Host: h.Name, At: now, Sample: sample(now, full)})
	}
	dir := t.TempDir()
	desk := &oncall.Desk{Log: &files.OnCallLog{Path: filepath.Join(dir, "oncall.jsonl")},
		Audit: &files.Audit{Path: filepath.Join(dir, "audit.jsonl")}, Operator: "alice@ops"}
	desk.Refresh(now)
	m := New(Options{Config: c, Store: store, Styles: asciiStyles(t), Keys: DefaultKeyMap(), OnCall: desk,
		Now: func() time.Time { return now }})
	send(m, tea.WindowSizeMsg{Width: 100, Height: 30}, tickMsg(now))
	return m, desk
}

// A problem several hosts share is one group; acknowledging the group
// acknowledges each host, and the screen says who and why while the
// state stays CRIT.
func TestProblems_GroupAcknowledged(t *testing.T) {
	m, desk := onCallModel(t)
	press(m, keys("p")[0].(tea.KeyMsg))
	v := m.View()
	if !strings.Contains(v, "CRIT disk /var on 3 hosts: web[01-03]") || strings.Count(v, "disk /var") != 2 { // the head and its reason
		t.Fatalf("not one group:\n%s", v)
	}
	press(m, keys("a")[0].(tea.KeyMsg))
	typeText(m, "cleaning /var/log")
	press(m, enter)
	acks := desk.View().Acks()
	if len(acks) != 3 {
		t.Fatalf("%d acknowledgements, want one per host: %+v", len(acks), acks)
	}
	for _, a := range acks {
		if a.Check != "disk:/var" || a.State != fleet.Crit || a.By != "alice@ops" || a.Note != "cleaning /var/log" {
			t.Errorf("%+v", a)
		}
	}
	send(m, tickMsg(now))
	v = m.View()
	for _, want := range []string{"3 CRIT (3 acked)", "🔇 3", "✓ ack alice 0s: cleaning /var/log (3 of 3 hosts)", "acknowledged disk /var on 3 hosts"} {
		if !strings.Contains(v, want) {
			t.Errorf("screen lacks %q:\n%s", want, v)
		}
	}
	press(m, enter) // unfolds: each host, acknowledged
	if v := m.View(); strings.Count(v, "✓ ack alice") != 3 {
		t.Errorf("unfolded:\n%s", v)
	}
	// One ends (another process saw its disk worse): the screen says so.
	desk.EndAck(acks[0], oncall.Ended, "worse: was 97%, now 99%", now)
	desk.Refresh(now.Add(time.Second))
	send(m, tickMsg(now))
	if v := m.View(); !strings.Contains(v, "alice's acknowledgement of disk:/var on "+acks[0].Host+" ended: worse: was 97%, now 99%") ||
		strings.Count(v, "✓ ack alice") != 2 {
		t.Errorf("an ended acknowledgement:\n%s", v)
	}
}

// An acknowledgement's note is checked before anything is written; an
// OK check cannot be acknowledged; esc writes nothing.
func TestAck_BadNoteAndEsc(t *testing.T) {
	m, desk := onCallModel(t)
	press(m, keys("p")[0].(tea.KeyMsg))
	press(m, keys("a")[0].(tea.KeyMsg))
	press(m, enter) // no note: the question stays, and says what it needs
	if v := m.View(); !strings.Contains(v, "say what you are doing about it") || len(desk.View().Acks()) != 0 {
		t.Errorf("an empty note:\n%s", v)
	}
	if _, ok := m.c.top().(*askModel); !ok {
		t.Fatalf("an empty note closed the question: %T on top", m.c.top())
	}
	typeText(m, "on it")
	press(m, esc)
	desk.Refresh(now)
	if n := len(desk.View().Acks()); n != 0 {
		t.Errorf("esc made %d acknowledgements", n)
	}
}

// m on the fleet silences the selected hosts for the time given; their
// problems are drawn silenced and sorted after the others of their state.
func TestSilence_FromTheFleet(t *testing.T) {
	m, desk := onCallModel(t)
	press(m, keys("m")[0].(tea.KeyMsg)) // the host under the cursor: the worst, first
	typeText(m, "2h kernel upgrade")
	press(m, enter)
	ss := desk.View().Silences(now)
	if len(ss) != 1 || len(ss[0].Match.Hosts) != 1 || !ss[0].Until.Equal(now.Add(2*time.Hour)) || ss[0].Note != "kernel upgrade" {
		t.Fatalf("silences %+v", ss)
	}
	silenced := ss[0].Match.Hosts[0]
	press(m, keys("p")[0].(tea.KeyMsg))
	press(m, enter) // unfold the group
	v := m.View()
	if !strings.Contains(v, "🔇 until 05:12 alice: kernel upgrade") {
		t.Errorf("no silence drawn:\n%s", v)
	}
	if last := strings.LastIndex(v, "CRIT "+silenced); last < strings.LastIndex(v, "CRIT web") && strings.Count(v, "CRIT web") > 1 {
		t.Errorf("the silenced %s is not drawn last of its state:\n%s", silenced, v)
	}
	m.c.status = status{}
	press(m, esc)
	press(m, esc)
	press(m, keys("m")[0].(tea.KeyMsg))
	typeText(m, "9 days")
	press(m, enter)
	if v := m.View(); !strings.Contains(v, "say how long first") {
		t.Errorf("a bad duration:\n%s", v)
	}
}

// Enter on an empty or half answer keeps the silence question open and
// says what is missing; what is typed next goes to the question, never
// to the fleet table under it.
func TestSilence_IncompleteAnswerKeepsTheQuestion(t *testing.T) {
	m, desk := onCallModel(t)
	before, _ := m.table.selected()
	press(m, keys("m")[0].(tea.KeyMsg))
	press(m, enter)
	if v := m.View(); !strings.Contains(v, "say how long first") {
		t.Errorf("an empty answer:\n%s", v)
	}
	typeText(m, "2h")
	press(m, enter)
	if v := m.View(); !strings.Contains(v, "after how long, say why") {
		t.Errorf("no reason:\n%s", v)
	}
	typeText(m, " kernel upgrade") // j and k move the table when they reach it
	press(m, enter)
	ss := desk.View().Silences(now)
	if len(ss) != 1 || ss[0].Note != "kernel upgrade" {
		t.Fatalf("silences %+v", ss)
	}
	if after, _ := m.table.selected(); after != before {
		t.Errorf("typed keys reached the table: the cursor moved from %s to %s", before.status.Host.Name, after.status.Host.Name)
	}
	if _, ok := m.c.top().(*tableModel); !ok {
		t.Errorf("%T on top after the silence", m.c.top())
	}
}

// Another dashboard's silence is said with what it silences.
func TestTeamNews_SilenceSaysWhat(t *testing.T) {
	m, desk := onCallModel(t)
	if _, err := desk.Silence(oncall.Matcher{Hosts: []string{"web02"}}, now, now.Add(time.Hour), "patching", now); err != nil {
		t.Fatal(err)
	}
	es, err := desk.Audit.Recent(1)
	if err != nil || len(es) != 1 || es[0].Host != "host=web02" {
		t.Fatalf("audit %+v %v: the silence's matcher is not where its host would be", es, err)
	}
	send(m, TeamMsg{Entries: es})
	if v := m.View(); !strings.Contains(v, "silence of host=web02 (sil-") {
		t.Errorf("status line:\n%s", v)
	}
}

// d on a fleet row drills the host's backup, or says why it cannot.
func TestDrill_FromTheFleetRow(t *testing.T) {
	for _, u := range []struct{ toml, want string }{
		{"[[hosts]]\nname = \"web01\"\n", "web01 has no backups configured"},
		{"[[hosts]]\nname = \"db01\"\n[[hosts.backups]]\nname = \"pg\"\nkind = \"files\"\npath = \"/var/backups/*.dump\"\n",
			"no backup of db01 can be drilled: give it restore and verify commands"},
	} {
		c, err := config.Parse("t.toml", []byte(u.toml))
		if err != nil {
			t.Fatal(err)
		}
		store := fleet.NewStore(c.Hosts)
		store.Record(fleet.Observation{Host: c.Hosts[0].Name, At: now, Sample: sample(now, 10)})
		mgr := &actions.Manager{Exec: &recExec{}, Audit: &files.Audit{Path: filepath.Join(t.TempDir(), "audit.jsonl")}, Operator: "t@x"}
		m := New(Options{Config: c, Store: store, Styles: asciiStyles(t), Keys: DefaultKeyMap(), Actions: mgr, Now: func() time.Time { return now }})
		send(m, tea.WindowSizeMsg{Width: 120, Height: 30}, tickMsg(now))
		press(m, keys("d")[0].(tea.KeyMsg))
		if v := m.View(); !strings.Contains(v, u.want) {
			t.Errorf("d on %s:\n%s", c.Hosts[0].Name, v)
		}
	}
}

// A maintenance window of the config, open now: the problems say which,
// until when, and the header counts the hosts it silences; their state
// stays CRIT.
func TestProblems_InAWindow(t *testing.T) {
	m, desk := onCallModel(t)
	// now is Wednesday 03:12 UTC
	desk.SetWindows([]fleet.Window{{Name: "web-patching", Hosts: []string{"web0[1-2]"}, Weekdays: []string{"wed"}, From: "03:00", Until: "04:00", TimeZone: "UTC"}})
	send(m, tickMsg(now))
	press(m, keys("p")[0].(tea.KeyMsg))
	press(m, enter) // each host of the group
	v := m.View()
	if strings.Count(v, "🔇 in window web-patching until 04:00") != 2 || !strings.Contains(v, "3 CRIT (2 silenced)") {
		t.Errorf("in a window:\n%s", v)
	}
}
