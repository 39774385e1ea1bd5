package tui

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/actions/record/files"

	"github.com/opsdeck/opsdeck/fleet/config"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
)

type recExec struct {
	mu  sync.Mutex
	ran []string
}

func (r *recExec) Exec(_ context.Context, h *fleet.Host, cmd string, out io.Writer) (int, error) {
	r.mu.Lock()
	r.ran = append(r.ran, h.Name)
	r.mu.Unlock()
	io.WriteString(out, "restarted on "+h.Name+"\nservice is up\n")
	return 0, nil
}

const svcTOML = `
[[hosts]]
name = "web-1"
env = "staging"
[[hosts.services]]
name = "api"
kind = "systemd"
unit = "api.service"
[[hosts]]
name = "web-2"
env = "staging"
[[hosts.services]]
name = "api"
kind = "systemd"
unit = "api.service"
[[hosts.services]]
name = "cron"
kind = "systemd"
unit = "cron.service"
[[hosts.backups]]
name = "site"
kind = "files"
path = "/srv/backups/*.tar"
drill_every = "168h"
`

func actionModel(t *testing.T, readOnly bool) (*Model, *recExec, *actions.Manager) {
	c, err := config.Parse("t.toml", []byte(svcTOML))
	if err != nil {
		t.Fatal(err)
	}
	store := fleet.NewStore(c.Hosts)
	ex := &recExec{}
	mgr := &actions.Manager{Exec: ex, Audit: &files.Audit{Path: filepath.Join(t.TempDir(), "audit.jsonl")}, ReadOnly: readOnly, Operator: "t@x"}
	t.Cleanup(mgr.Wait) // before the temporary directory goes: a run may still write its result
	m := New(Options{Config: c, Store: store, Styles: asciiStyles(t), Keys: DefaultKeyMap(), Actions: mgr, ReadOnly: readOnly,
		Now: func() time.Time { return now }})
	send(m, tea.WindowSizeMsg{Width: 120, Height: 30})
	return m, ex, mgr
}

// drain runs a Cmd and the Cmds its messages lead to, like a Program.
func drain(m *Model, cmd tea.Cmd) {
	for cmd != nil {
		msg := cmd()
		if msg == nil {
			return
		}
		_, cmd = m.Update(msg)
	}
}

// settle waits for the manager's runs to end and lets the model read them
// on a tick, as the dashboard does.
func settle(m *Model, mgr *actions.Manager) {
	mgr.Wait()
	m.Update(tickMsg(now))
}

func press(m *Model, k tea.KeyMsg) {
	_, cmd := m.Update(k)
	drain(m, cmd)
}

func TestRollingRestartFromTheFleet(t *testing.T) {
	m, ex, mgr := actionModel(t, false)
	press(m, tea.KeyMsg{Type: tea.KeySpace}) // web-1, cursor moves on
	press(m, tea.KeyMsg{Type: tea.KeySpace}) // web-2
	if v := m.View(); !strings.Contains(v, "2 selected") {
		t.Fatalf("selection not shown:\n%s", v)
	}
	press(m, keys("r")[0].(tea.KeyMsg)) // api is the one service both have: no choice to make
	v := m.View()
	if !strings.Contains(v, "Rolling restart of api on 2 hosts?") || !strings.Contains(v, "Type 2 to confirm") || strings.Contains(v, "cron") {
		t.Fatalf("confirmation:\n%s", v)
	}
	press(m, keys("y")[0].(tea.KeyMsg)) // a y habit is not enough for two hosts
	press(m, enter)
	if len(ex.ran) != 0 || !strings.Contains(m.View(), "that is not 2") {
		t.Fatalf("ran without the typed count: %v", ex.ran)
	}
	press(m, tea.KeyMsg{Type: tea.KeyBackspace})
	press(m, keys("2")[0].(tea.KeyMsg))
	press(m, enter)
	settle(m, mgr)
	if strings.Join(ex.ran, ",") != "web-1,web-2" {
		t.Errorf("ran on %v, want web-1 then web-2", ex.ran)
	}
	v = m.View()
	for _, want := range []string{"rolling restart of api on 2 hosts", "web-1 | restarted on web-1", "web-2 api: succeeded",
		"web-1,web-2 | service is up", "web-1 | ── restart api (1 of 2)"} { // identical lines grouped, as clush -b
		if !strings.Contains(v, want) {
			t.Errorf("output lacks %q:\n%s", want, v)
		}
	}
	es, _ := mgr.Audit.Recent(10)
	if len(es) != 2 || es[0].Host != "web-1" || es[1].Host != "web-2" {
		t.Errorf("audit %+v", es)
	}
}

func TestRestartCancelledAtTheDialog(t *testing.T) {
	m, ex, mgr := actionModel(t, false)
	press(m, enter) // detail of web-1
	press(m, keys("r")[0].(tea.KeyMsg))
	if !strings.Contains(m.View(), "Restart api on web-1?") || !strings.Contains(m.View(), "$ systemctl restart -- 'api.service'") {
		t.Fatalf("dialog:\n%s", m.View())
	}
	press(m, keys("n")[0].(tea.KeyMsg))
	if len(ex.ran) != 0 || !strings.Contains(m.View(), "not confirmed") {
		t.Errorf("ran %v\n%s", ex.ran, m.View())
	}
	if es, _ := mgr.Audit.Recent(10); len(es) != 1 || es[0].Outcome != actions.Cancelled {
		t.Errorf("audit %+v", es)
	}
}

func TestReadOnly(t *testing.T) {
	m, ex, _ := actionModel(t, true)
	press(m, keys("?")[0].(tea.KeyMsg))
	v := m.View()
	for _, off := range []string{"restart service — off: read-only mode", "take snapshot — off: read-only", "restore drill — off: read-only"} {
		if !strings.Contains(v, off) {
			t.Errorf("read-only help does not say %q:\n%s", off, v)
		}
	}
	press(m, esc)
	press(m, enter)
	press(m, keys("r")[0].(tea.KeyMsg))
	v = m.View()
	if !strings.Contains(v, "restart service is disabled: read-only mode") || strings.Contains(v, "Restart api") || len(ex.ran) != 0 {
		t.Errorf("r in read-only:\n%s", v)
	}
	if strings.Contains(v, "r restarts") {
		t.Errorf("read-only detail invites a restart:\n%s", v)
	}
}

type sudoExec struct{}

func (sudoExec) Exec(_ context.Context, _ *fleet.Host, _ string, out io.Writer) (int, error) {
	io.WriteString(out, "sudo: a password is required\n")
	return 1, nil
}

// A failed restart says why on the screen (and in the footer).
func TestFailedRestartShowsTheReason(t *testing.T) {
	m, _, mgr := actionModel(t, false)
	mgr.Exec = sudoExec{}
	press(m, enter)
	press(m, keys("r")[0].(tea.KeyMsg))
	press(m, keys("y")[0].(tea.KeyMsg))
	settle(m, mgr)
	v := m.View()
	for _, want := range []string{"web-1 api: failed", "sudo needs a password on this host", "sudo: a password is required"} {
		if !strings.Contains(v, want) {
			t.Errorf("screen lacks %q:\n%s", want, v)
		}
	}
	if es, _ := mgr.Audit.Recent(5); len(es) != 1 || es[0].Outcome != actions.Failed {
		t.Errorf("audit %+v", es)
	}
}

// blockExec prints a line and runs until cancelled.
type blockExec struct{ started chan struct{} }

func (b blockExec) Exec(ctx context.Context, _ *fleet.Host, _ string, out io.Writer) (int, error) {
	io.WriteString(out, "working\n")
	close(b.started)
	<-ctx.Done()
	return 0, ctx.Err()
}

// A running action stays in sight after its panel is closed: the header
// says so, O brings its output back, x cancels it from the fleet, and q
// asks before quitting while it runs.
func TestRunningActionStaysInSight(t *testing.T) {
	m, _, mgr := actionModel(t, false)
	ex := blockExec{started: make(chan struct{})}
	mgr.Exec = ex
	press(m, keys("r")[0].(tea.KeyMsg))
	press(m, enter) // choose api
	press(m, keys("y")[0].(tea.KeyMsg))
	<-ex.started
	m.Update(tickMsg(now))
	if v := m.View(); !strings.Contains(v, "1 action running") || !strings.Contains(v, "working") {
		t.Fatalf("while running:\n%s", v)
	}
	press(m, tea.KeyMsg{Type: tea.KeyEsc})
	if v := m.View(); strings.Contains(v, "working") || !strings.Contains(v, "1 action running") {
		t.Fatalf("after esc the fleet must show, and the header the run:\n%s", v)
	}
	_, cmd := m.Update(keys("q")[0].(tea.KeyMsg))
	if cmd != nil {
		if _, quit := cmd().(tea.QuitMsg); quit {
			t.Fatal("q quit at once with an action running")
		}
	}
	if !strings.Contains(m.View(), "q again to quit") {
		t.Errorf("no question before quitting:\n%s", m.View())
	}
	press(m, keys("O")[0].(tea.KeyMsg))
	if v := m.View(); !strings.Contains(v, "working") || !strings.Contains(v, "restart api on web-1") {
		t.Fatalf("O did not bring the output back:\n%s", v)
	}
	press(m, tea.KeyMsg{Type: tea.KeyEsc})
	press(m, keys("L")[0].(tea.KeyMsg))
	if v := m.View(); !strings.Contains(v, "started") || !strings.Contains(v, "$ systemctl restart -- 'api.service'") {
		t.Errorf("audit panel while the restart runs:\n%s", v)
	}
	press(m, tea.KeyMsg{Type: tea.KeyEsc})
	press(m, keys("x")[0].(tea.KeyMsg)) // from the fleet
	settle(m, mgr)
	if v := m.View(); strings.Contains(v, "action running") || !strings.Contains(v, "cancelled") {
		t.Errorf("after x:\n%s", v)
	}
	if es, _ := mgr.Audit.Recent(5); len(es) != 1 || es[0].Outcome != actions.Cancelled {
		t.Errorf("audit %+v", es)
	}
}

// An action on a host the poller shows DOWN is not offered blind: the
// dialog says why, y does nothing, f tries anyway.
func TestActionOnDownHostAsksToTryAnyway(t *testing.T) {
	m, ex, mgr := actionModel(t, false)
	m.c.data.store.Record(fleet.Observation{Host: "web-1", At: now, Err: errors.New("connection refused")})
	m.c.data.refresh(now, true)
	m.table.arrange()
	press(m, keys("r")[0].(tea.KeyMsg))
	press(m, enter)
	v := m.View()
	if !strings.Contains(v, "web-1 is DOWN: connection refused") || !strings.Contains(v, "f try anyway") {
		t.Fatalf("dialog for a DOWN host:\n%s", v)
	}
	press(m, keys("y")[0].(tea.KeyMsg))
	press(m, enter)
	settle(m, mgr)
	if len(ex.ran) != 0 {
		t.Fatalf("ran on a DOWN host without 'try anyway': %v", ex.ran)
	}
	press(m, keys("f")[0].(tea.KeyMsg))
	press(m, keys("y")[0].(tea.KeyMsg))
	settle(m, mgr)
	if len(ex.ran) != 1 {
		t.Errorf("try anyway then y: ran %v", ex.ran)
	}
}
