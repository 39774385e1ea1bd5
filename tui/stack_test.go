package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/actions/record/files"
	"github.com/opsdeck/opsdeck/fleet/fleettest"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
)

func runes(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

// withDown makes new-1 DOWN (its poll failed) on top of the fixture.
func withDown(m *Model) {
	m.c.data.store.Record(fleet.Observation{Host: "new-1", At: now, Err: causeErr{errors.New("dial tcp 10.0.0.4:22: connect: connection refused"), fleet.CauseRefused}})
	m.c.data.refresh(now, true)
	m.table.arrange()
}

// serviceModel is actionModel with data for both hosts, so the fleet
// behind a dialog has rows worth seeing.
func serviceModel(t *testing.T) (*Model, *recExec, *actions.Manager) {
	m, ex, mgr := actionModel(t, false)
	for _, h := range []string{"web-1", "web-2"} {
		s := sample(now.Add(-time.Second), 10)
		for _, cfg := range hostByName(m, h).Services {
			s.Services = append(s.Services, fleet.ServiceStatus{Name: cfg.Name, State: "active", Running: true, PID: 4242, Restarts: 0})
		}
		m.c.data.store.Record(fleet.Observation{Host: h, At: now, Sample: s})
	}
	m.c.data.refresh(now, true)
	m.table.arrange()
	return m, ex, mgr
}

// For every layer over the fleet, keys that would act underneath (move
// the cursor, open, restart, confirm) do nothing to the fleet while it is
// open, through a real Program.
func TestOverlays_KeysDoNotReachUnderneath(t *testing.T) {
	poke := []tea.Msg{runes("j"), down, runes("G"), runes("R"), runes("r"), runes("d"), runes("L"), runes("O")}
	for _, o := range []struct {
		name string
		open []tea.Msg
		want string    // on screen once the layer is open
		at   string    // the fleet's selected host once it is open
		more []tea.Msg // keys that would act underneath, besides poke
	}{
		{"help", []tea.Msg{runes("?")}, "Keys", "web-1", []tea.Msg{enter, runes("y")}},
		{"prompt (filter)", []tea.Msg{runes("/")}, "name, env, tag or state", "web-1", nil},
		{"choose", []tea.Msg{runes("j"), runes("r")}, "Restart which service?", "web-2", nil},
		{"confirm", []tea.Msg{runes("r")}, "Restart api on web-1?", "web-1", nil},
		{"audit", []tea.Msg{runes("L")}, "Audit log", "web-1", []tea.Msg{enter, runes("y")}},
	} {
		t.Run(o.name, func(t *testing.T) {
			m, ex, mgr := serviceModel(t)
			name := o.at
			tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 30))
			for _, k := range o.open {
				tm.Send(k)
			}
			teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(o.want)) },
				teatest.WithDuration(5*time.Second))
			for _, k := range append(poke, o.more...) {
				tm.Send(k)
			}
			tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
			fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
			if o.name == "prompt (filter)" { // the keys are text there
				if fm.table.filter != "jGRrdLO" {
					t.Errorf("filter = %q, want the keys typed as text", fm.table.filter)
				}
			} else if r, _ := fm.table.selected(); r.status.Host.Name != name {
				t.Errorf("the fleet cursor moved under the %s: %s → %s", o.name, name, r.status.Host.Name)
			}
			if len(mgr.Runs()) != 0 || len(ex.ran) != 0 {
				t.Errorf("an action started under the %s: %d runs", o.name, len(mgr.Runs()))
			}
			if len(fm.c.stack) < 2 || !strings.Contains(fmt.Sprintf("%T", fm.c.top()), strings.Fields(o.name)[0]) {
				t.Errorf("the %s is no longer on top: %T", o.name, fm.c.top())
			}
		})
	}
}

// Keys that arrive in one event (a burst, a paste, key repeat over a slow
// link) each count; q in help closes help and does not quit.
func TestProgram_BurstAndQInHelp(t *testing.T) {
	m, _, _ := fixture(t)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 30))
	tm.Send(runes("jjj"))
	tm.Send(runes("?"))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("Keys")) }, teatest.WithDuration(5*time.Second))
	tm.Send(runes("q"))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("REASON")) }, teatest.WithDuration(5*time.Second))
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if fm.table.cursor != 3 {
		t.Errorf("jjj in one event moved the cursor to row %d, want 3", fm.table.cursor)
	}
	if len(fm.c.stack) != 1 {
		t.Errorf("q in help did not close it: %d layers", len(fm.c.stack))
	}
}

// An error stays on the status line, with its time, until esc; q on a
// layer closes it and only q on the fleet quits.
func TestStatusLineAndClosing(t *testing.T) {
	m, _, _ := actionModel(t, true)
	press(m, runes("r"))
	if v := m.View(); !strings.Contains(v, "03:12:00 restart service is disabled: read-only mode") {
		t.Fatalf("no status line:\n%s", v)
	}
	m.c.opt.Now = func() time.Time { return now.Add(time.Hour) }
	send(m, tickMsg(now))
	if v := m.View(); !strings.Contains(v, "restart service is disabled") {
		t.Errorf("the error went away by itself:\n%s", v)
	}
	press(m, esc)
	if v := m.View(); strings.Contains(v, "restart service is disabled") {
		t.Errorf("esc did not dismiss it:\n%s", v)
	}
	press(m, enter)
	if _, cmd := m.Update(runes("q")); cmd != nil || len(m.c.stack) != 1 {
		t.Errorf("q in the detail: quit=%v, %d layers", cmd != nil, len(m.c.stack))
	}
}

// Sort and filter outlive the run: they are kept in ui.json and read back.
func TestPrefsKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ui.json")
	m, _, _ := fixture(t)
	m.c.opt.PrefsPath = path
	send(m, tea.WindowSizeMsg{Width: 120, Height: 30})
	_, cmd := m.Update(runes("o"))
	if cmd == nil {
		t.Fatal("changing the sort keeps nothing")
	}
	// Two more changes while the first write is under way: they wait for
	// it, and the last choice is what ends up kept.
	if _, more := m.Update(runes("oo")); more != nil {
		t.Fatal("a second write started while the first ran")
	}
	for cmd != nil {
		_, cmd = m.Update(cmd())
	}
	p, err := LoadPrefs(path)
	if err != nil || p.Sort != "mem" {
		t.Fatalf("kept %+v, %v; want the last choice, mem", p, err)
	}
	if _, cmd = m.Update(runes("<")); cmd == nil { // no write under way: at once
		t.Fatal("no write")
	}
	m.Update(cmd())
	if p, _ := LoadPrefs(path); p.Sort != "cpu" {
		t.Fatalf("kept %+v, want cpu", p)
	}
	p = Prefs{Sort: "name", Filter: "!ok"}
	if err := SavePrefs(path, p); err != nil {
		t.Fatal(err)
	}
	p, _ = LoadPrefs(path)
	m2, _, _ := fixture(t)
	m2 = New(Options{Config: m2.c.opt.Config, Store: m2.c.data.store, Styles: asciiStyles(t), Keys: DefaultKeyMap(),
		Now: func() time.Time { return now }, Prefs: p})
	send(m2, tea.WindowSizeMsg{Width: 120, Height: 30})
	if got := hostOrder(m2.View()); strings.Join(got, ",") != "db-1,new-1,web-1" || !strings.Contains(m2.View(), "sort: name") {
		t.Errorf("restored sort and filter: %v\n%s", got, m2.View())
	}
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPrefs(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("a damaged ui.json: %v", err)
	}
}

// Filter words match states too, and ! negates.
func TestFilterByState(t *testing.T) {
	m, _, _ := fixture(t)
	send(m, tea.WindowSizeMsg{Width: 120, Height: 30})
	for q, want := range map[string]string{
		"crit": "db-1", "!ok": "db-1,web-1,new-1", "stale": "web-1", "!ok staging": "web-1", "ok": "app-1",
	} {
		m.table.setFilter(q)
		if got := strings.Join(hostOrder(m.View()), ","); got != want {
			t.Errorf("/%s shows %s, want %s", q, got, want)
		}
	}
}

// Golden frames of what an operator sees, at both sizes the brief names.
func TestGolden(t *testing.T) {
	audit := []actions.Entry{{ID: "20261125T031100-ab12", Time: now.Add(-time.Minute), Operator: "ops@wall", Host: "web-1", Kind: "restart",
		Target: "api", Command: "systemctl restart -- 'api.service'", Outcome: actions.Failed, Exit: ptr(1), DurationMS: 1520,
		Reason: "exit 1", Output: []string{"Job for api.service failed.", "See 'journalctl -xeu api.service' for details."}}}
	for _, size := range [][2]int{{80, 24}, {200, 50}} {
		for _, sc := range []struct {
			name  string
			setup func(t *testing.T) *Model
		}{
			{"fleet with a DOWN host", func(t *testing.T) *Model { m, _, _ := fixture(t); withDown(m); return m }},
			{"detail of a STALE host", func(t *testing.T) *Model {
				m, _, _ := fixture(t)
				m.table.setFilter("web")
				m.Update(enter)
				return m
			}},
			{"audit record", func(t *testing.T) *Model {
				m, _, _ := serviceModel(t)
				m.Update(runes("L"))
				m.Update(auditMsg{entries: audit})
				m.Update(enter)
				return m
			}},
			{"dialog over the fleet", func(t *testing.T) *Model {
				m, _, _ := serviceModel(t)
				m.Update(runes("r"))
				return m
			}},
		} {
			t.Run(fmt.Sprintf("%s %dx%d", sc.name, size[0], size[1]), func(t *testing.T) {
				m := sc.setup(t)
				m.c.opt.Location = time.UTC
				m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
				v := m.View()
				if n := strings.Count(v, "\n") + 1; n != size[1] {
					t.Errorf("%d lines", n)
				}
				golden.RequireEqual(t, []byte(ansi.Strip(v))) // refresh with -update
			})
		}
	}
}

func hostByName(m *Model, name string) *fleet.Host {
	for i := range m.c.opt.Config.Hosts {
		if m.c.opt.Config.Hosts[i].Name == name {
			return &m.c.opt.Config.Hosts[i]
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// causeErr is a failed poll as the transport reports it: its message, and
// what it means for the host (sshx.Error's HostCause).
type causeErr struct {
	error
	cause fleet.Cause
}

func (e causeErr) HostCause() fleet.Cause { return e.cause }

// p lists every failing check of the fleet, worst first, with what to do;
// in a host's detail, that host's. H lists the recorded changes.
func TestProblemsAndHistory(t *testing.T) {
	m, _, _ := fixture(t)
	withDown(m)
	log := &files.EventLog{Path: filepath.Join(t.TempDir(), "events.jsonl")}
	if err := log.Append([]fleet.Event{
		{Time: now.Add(-time.Hour), Host: "new-1", Check: fleet.HostCheck, From: "OK", To: "DOWN", Reason: "refused"},
		{Time: now.Add(-time.Minute), Host: "new-1", Check: fleet.HostCheck, From: "DOWN", To: "OK", Since: now.Add(-time.Hour)},
		{Time: now.Add(-time.Minute), Host: "db-1", Check: "disk /var", From: "OK", To: "CRIT", Reason: "disk /var 97% ≥ 90%"},
	}); err != nil {
		t.Fatal(err)
	}
	m.c.opt.Events = log
	m.c.opt.Since = func(host, check string) (time.Time, bool) { return now.Add(-90 * time.Second), host == "db-1" }
	send(m, tea.WindowSizeMsg{Width: 120, Height: 40})
	send(m, runes("p"))
	v := m.View()
	for _, want := range []string{"Problems of the fleet", "✖ DOWN new-1 host", "connection refused", "nothing listens on its SSH port",
		"✖ CRIT db-1 disk /var · since 03:10:30 (1m)", "du -xh --max-depth=2 /var", "◌ STALE web-1 host", "R polls it now"} {
		if !strings.Contains(v, want) {
			t.Errorf("problems lack %q:\n%s", want, v)
		}
	}
	if strings.Index(v, "DOWN new-1") > strings.Index(v, "STALE web-1") {
		t.Errorf("not worst first:\n%s", v)
	}
	send(m, esc)
	_, cmd := m.Update(runes("H"))
	m.Update(cmd())
	v = m.View()
	for _, want := range []string{"History every host · 3 changes", "new-1        host               DOWN → OK after 59m", "db-1         disk /var          OK → CRIT"} {
		if !strings.Contains(v, want) {
			t.Errorf("history lacks %q:\n%s", want, v)
		}
	}
	send(m, esc, runes("g"), enter) // the detail of new-1 (DOWN, first row): its history only
	if v := m.View(); !strings.Contains(v, "Problems") || !strings.Contains(v, "nothing listens") {
		t.Errorf("the detail does not open on its problems:\n%s", v)
	}
	_, cmd = m.Update(runes("H"))
	m.Update(cmd())
	if v := m.View(); !strings.Contains(v, "History new-1 · 2 changes") || strings.Contains(v, "db-1") {
		t.Errorf("host history:\n%s", v)
	}
}

// fakeLog streams numbered lines until its context ends.
type fakeLog struct{ stopped chan struct{} }

func (f *fakeLog) Stream(ctx context.Context, _ *fleet.Host, _ string, out io.Writer) (int, error) {
	for i := 1; i <= 50; i++ {
		fmt.Fprintf(out, "line %d\n", i)
	}
	<-ctx.Done()
	close(f.stopped)
	return 0, ctx.Err()
}

// l in a host's detail follows the selected service's log; scrolling up
// pauses, / finds a line, esc closes it and ends the command.
func TestLogTail(t *testing.T) {
	m, _, _ := serviceModel(t)
	fl := &fakeLog{stopped: make(chan struct{})}
	m.c.opt.Logs = fl
	send(m, tea.WindowSizeMsg{Width: 100, Height: 20})
	send(m, enter, runes("l"))
	waitFor := func(want string) string {
		t.Helper()
		var v string
		fleettest.EventuallyShow(t, 5*time.Second, "the log to show "+want, func() bool {
			send(m, tickMsg(now))
			v = m.View()
			return strings.Contains(v, want)
		}, func() string { return v })
		return v
	}
	v := waitFor("line 50")
	if !strings.Contains(v, "Log of api on web-1") || !strings.Contains(v, "following") || strings.Contains(v, "line 1\n") {
		t.Errorf("following, newest at the bottom:\n%s", v)
	}
	send(m, runes("k"))
	if v := m.View(); !strings.Contains(v, "paused") {
		t.Errorf("up does not pause:\n%s", v)
	}
	send(m, runes("/"), runes("line 7"), enter)
	if v := m.View(); !strings.Contains(v, `search "line 7"`) || !strings.Contains(v, "line 7\n") {
		t.Errorf("search:\n%s", v)
	}
	send(m, esc)
	select {
	case <-fl.stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("closing the log did not end its command")
	}
	if _, ok := m.c.top().(*detailModel); !ok {
		t.Errorf("esc did not go back to the detail: %T", m.c.top())
	}
}

// fakeShell records that it ran and ends with exit 3.
type fakeShell struct{ ran chan struct{} }

type exit3 struct{}

func (exit3) Error() string { return "exit status 3" }
func (exit3) ExitCode() int { return 3 }

func (f *fakeShell) Run() error          { close(f.ran); return exit3{} }
func (f *fakeShell) SetStdin(io.Reader)  {}
func (f *fakeShell) SetStdout(io.Writer) {}
func (f *fakeShell) SetStderr(io.Writer) {}

// s suspends the dashboard for a shell on the selected host: recorded in
// the audit log before it starts and when it ends; off in read-only mode.
func TestShell(t *testing.T) {
	m, _, mgr := serviceModel(t)
	sh := &fakeShell{ran: make(chan struct{})}
	m.c.opt.Shell = func(host string) (tea.ExecCommand, []string, error) {
		return sh, []string{"ssh", "-p", "22", host}, nil
	}
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 30))
	tm.Send(runes("s"))
	select {
	case <-sh.ran:
	case <-time.After(5 * time.Second):
		t.Fatal("the shell did not run")
	}
	var es []actions.Entry
	fleettest.EventuallyShow(t, 5*time.Second, "the shell's result in the audit log", func() bool {
		es, _ = mgr.Audit.Recent(5)
		return len(es) > 0 && es[0].Outcome != actions.Started
	}, func() string { return fmt.Sprintf("%+v", es) })
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	// The frames drawn after the terminal comes back are the renderer's
	// business; the model says what the operator reads.
	if v := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).View(); !strings.Contains(v, "back from the shell on web-1 (exit 3)") {
		t.Errorf("status after the shell:\n%s", v)
	}
	if e := es[0]; len(es) != 1 || e.Kind != "shell" || e.Host != "web-1" || e.Command != "ssh -p 22 web-1" || e.Exit == nil || *e.Exit != 3 || e.Operator != "t@x" {
		t.Errorf("audit %+v", es)
	}
	ro, _, _ := actionModel(t, true)
	ro.c.opt.Shell = m.c.opt.Shell
	if _, cmd := ro.Update(runes("s")); cmd != nil || !strings.Contains(ro.View(), "shell on the host (system ssh, audited) is disabled: read-only") {
		t.Errorf("read-only: %s", ro.View())
	}
}

// A backup's last drills are listed under it in the detail, newest first,
// a failed one with its own error.
func TestDetail_DrillHistory(t *testing.T) {
	m, _, _ := serviceModel(t)
	for _, d := range []fleet.DrillRecord{
		{Time: now.Add(-48 * time.Hour), Host: "web-2", Backup: "site", Passed: true, Duration: 3 * time.Second, Artifact: "/srv/backups/s-1.tar", ArtifactAge: 5 * time.Hour},
		{Time: now.Add(-time.Hour), Host: "web-2", Backup: "site", Passed: false, Duration: time.Second, Artifact: "/srv/backups/s-2.tar",
			Reason: "restore failed (exit 2): tar: unexpected EOF"},
	} {
		m.c.data.store.RecordDrill(d)
	}
	m.c.data.refresh(now, true)
	m.table.arrange()
	send(m, tea.WindowSizeMsg{Width: 140, Height: 50}, runes("j"), enter)
	v := m.View()
	fail, pass := strings.Index(v, "FAIL 1h ago, 1s, s-2.tar"), strings.Index(v, "PASS 2d ago, 3s, s-1.tar (5h old then)")
	if fail < 0 || pass < 0 || fail > pass || !strings.Contains(v, "restore failed (exit 2): tar: unexpected EOF") {
		t.Errorf("drill history:\n%s", v)
	}
}
