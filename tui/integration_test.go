package tui

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/actions/record/files"

	"github.com/opsdeck/opsdeck/fleet/config"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
	"github.com/opsdeck/opsdeck/fleet/probe"
	"github.com/opsdeck/opsdeck/fleet/sshx"
)

// An operator restarts a supervisor program on a real sshd test host from
// the dashboard: detail, r, type the prod host's name, enter. The program
// gets a new pid, the screen says so, the audit log has the line.
func TestIntegration_RestartFromTheDashboard(t *testing.T) {
	f := fleettest.StartFleet(t, 1)
	h := f.Hosts[0]
	sup := fleettest.StartSupervisor(t, map[string]string{"worker": "sleep 100000"})
	cfg, err := config.Parse("t.toml", []byte(fmt.Sprintf(`%spoll_interval = "1s"
[[hosts]]
name = "web-1"
address = "127.0.0.1"
port = %d
env = "prod"
[[hosts.services]]
name = "worker"
kind = "supervisor"
program = "worker"
conf = %q
`, f.Defaults(), h.Port, sup.Conf)))
	if err != nil {
		t.Fatal(err)
	}
	r := startPolled(t, cfg, nil)
	pool, targets, store, poller, ctx := r.pool, r.targets, r.store, r.poller, r.ctx
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	mgr := &actions.Manager{Exec: &actions.FleetExecutor{Pool: pool, Targets: targets},
		Audit: &files.Audit{Path: auditPath}, Operator: "maya@laptop", After: poller.PollNow}
	m := New(Options{Config: cfg, Store: store, PollNow: poller.PollNow, Styles: asciiStyles(t),
		Keys: DefaultKeyMap(), Actions: mgr, Context: ctx})

	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	wait := func(what ...string) { t.Helper(); waitOutput(t, tm, what...) }
	wait("1/1") // the SVC column: one of one service up
	before := sup.PID("worker")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	wait("Services", fmt.Sprint(before))
	tm.Type("r")
	wait("Restart worker on web-1?", "supervisorctl -c", "Type web-1 to confirm")
	tm.Type("web-2")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	wait("that is not web-1")
	for range "web-2" {
		tm.Send(tea.KeyMsg{Type: tea.KeyBackspace})
	}
	tm.Type("web-1")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	wait("worker: started", "succeeded")
	after := sup.PID("worker")
	if after == 0 || after == before {
		t.Errorf("pid %d → %d: not restarted", before, after)
	}
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc}) // close the output pane
	tm.Type("L")
	wait("Audit log", "succeeded", "maya@laptop", "restart worker on web-1")
	// The poll that follows the action brings the new pid; the detail
	// under the audit log shows it once the log is closed.
	waitStatus(t, store, "web-1", func(st fleet.HostStatus) bool {
		return st.Last != nil && len(st.Last.Services) == 1 && st.Last.Services[0].PID == after
	})
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	fm.c.pop() // the audit log
	fm.Update(tickMsg(time.Now()))
	if v := fm.View(); !strings.Contains(v, fmt.Sprint(after)) || !strings.Contains(v, "Services") {
		t.Errorf("the detail does not show the new pid %d:\n%s", after, v)
	}

	log, _ := os.ReadFile(auditPath)
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"outcome":"started"`) || !strings.Contains(lines[1], `"outcome":"succeeded"`) {
		t.Errorf("audit log:\n%s", log)
	}
}

// A snapshot taken from the dashboard produces a new artefact, and the
// backup's age drops to about zero.
func TestIntegration_SnapshotFromTheDashboard(t *testing.T) {
	f := fleettest.StartFleet(t, 1)
	h := f.Hosts[0]
	dir := t.TempDir()
	old := filepath.Join(dir, "site-1.tar")
	os.WriteFile(old, []byte("one"), 0o644)
	twoHours := time.Now().Add(-2 * time.Hour)
	os.Chtimes(old, twoHours, twoHours)
	cfg, err := config.Parse("t.toml", []byte(fmt.Sprintf(`%spoll_interval = "1s"
[[hosts]]
name = "web-1"
address = "127.0.0.1"
port = %d
[[hosts.backups]]
name = "site"
kind = "files"
path = "%s/site-*.tar"
max_age = "1h"
snapshot = "echo two > %s/site-2.tar"
`, f.Defaults(), h.Port, dir, dir)))
	if err != nil {
		t.Fatal(err)
	}
	var src *probe.SSHSource
	r := startPolled(t, cfg, func(r *polled, h *fleet.Host) fleet.Source {
		src = probe.NewSSHSource(r.pool.Client(*r.targets[h.Name]), h,
			probe.Options{NoSpread: true, Checked: func() { r.poller.PollNow(h.Name) }})
		return src
	})
	pool, targets, store, poller, ctx := r.pool, r.targets, r.store, r.poller, r.ctx
	mgr := &actions.Manager{Exec: &actions.FleetExecutor{Pool: pool, Targets: targets},
		Audit: &files.Audit{Path: filepath.Join(t.TempDir(), "audit.jsonl")}, Operator: "tom@ops",
		After: func(host string) { src.Recheck(); poller.PollNow(host) }}
	m := New(Options{Config: cfg, Store: store, PollNow: poller.PollNow, Styles: asciiStyles(t),
		Keys: DefaultKeyMap(), Actions: mgr, Context: ctx})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(140, 40))
	wait := func(what ...string) { t.Helper(); waitOutput(t, tm, what...) }
	wait("BACKUP", "CRIT", "backup site is 2h old (max 1h)")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	wait("Backups", "site-1.tar")
	tm.Type("n")
	wait("Take a snapshot of site on web-1?", "echo two >")
	tm.Type("y")
	wait("snapshot site on web-1: succeeded")
	// The detail above the output pane shows the new artefact as soon as
	// the recheck after the action lands (maybe in the frame the wait
	// above read): wait for it in the store, then read the final screen.
	waitStatus(t, store, "web-1", func(st fleet.HostStatus) bool {
		return st.Last != nil && len(st.Last.Backups) == 1 && strings.HasSuffix(st.Last.Backups[0].Newest, "site-2.tar")
	})
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc}) // output pane
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc}) // back to the fleet
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	fm.Update(tickMsg(time.Now())) // the store read the last tick may not have made
	v := fm.View()
	if !strings.Contains(v, "● OK") || strings.Contains(v, "2h old") {
		t.Errorf("after the snapshot the backup is fresh and the host OK:\n%s", v)
	}
	row := ""
	for _, l := range strings.Split(v, "\n") {
		if strings.HasPrefix(l, "▶ web-1 ") {
			row = l
		}
	}
	if !regexp.MustCompile(`\s[0-9]s\s+never`).MatchString(row) {
		t.Errorf("BACKUP age did not drop to seconds (DRILL never): %q", row)
	}
	if _, err := os.Stat(filepath.Join(dir, "site-2.tar")); err != nil {
		t.Error("no new artefact")
	}
}

// waitOutput waits until the program's output has shown every string.
func waitOutput(t *testing.T, tm *teatest.TestModel, what ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		for _, w := range what {
			if !bytes.Contains(b, []byte(w)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

// waitStatus waits until a host's status in the store satisfies ok.
func waitStatus(t *testing.T, store *fleet.Store, host string, ok func(fleet.HostStatus) bool) {
	t.Helper()
	fleettest.EventuallyShow(t, 15*time.Second, host+"'s awaited status", func() bool {
		st, found := store.Status(host)
		return found && ok(st)
	}, func() string { st, _ := store.Status(host); return fmt.Sprintf("%+v", st.Last) })
}

// A host re-keyed while the dashboard runs: it shows HOSTKEY, not DOWN;
// the problems pane gives both fingerprints, the known_hosts line and the
// exact ssh-keygen command; T with the host's name typed trusts the new
// key, audited, and the host is polled again without restarting opsdeck.
func TestIntegration_TrustNewHostKey(t *testing.T) {
	f := fleettest.StartFleet(t, 1)
	h := f.Hosts[0]
	cfg, err := config.Parse("t.toml", []byte(fmt.Sprintf("%spoll_interval = \"1s\"\ntimeout = \"3s\"\n[[hosts]]\nname = \"web-1\"\naddress = \"127.0.0.1\"\nport = %d\n",
		f.Defaults(), h.Port)))
	if err != nil {
		t.Fatal(err)
	}
	r := startPolled(t, cfg, nil)
	pool, targets, store, poller, ctx := r.pool, r.targets, r.store, r.poller, r.ctx
	mgr := &actions.Manager{Exec: &actions.FleetExecutor{Pool: pool, Targets: targets},
		Audit: &files.Audit{Path: filepath.Join(t.TempDir(), "audit.jsonl")}, Operator: "maya@laptop"}
	m := New(Options{Config: cfg, Store: store, PollNow: poller.PollNow, Styles: asciiStyles(t), Keys: DefaultKeyMap(), Actions: mgr,
		Context: ctx, TrustKey: pool.TrustKey})
	waitStatus(t, store, "web-1", func(st fleet.HostStatus) bool { return st.Last != nil })
	h.Stop()
	h.NewHostKey()
	h.Start()
	waitStatus(t, store, "web-1", func(st fleet.HostStatus) bool { return st.KeyChange != nil })
	kc := *func() *fleet.KeyChange { st, _ := store.Status("web-1"); return st.KeyChange }()

	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(200, 50))
	wait := func(what ...string) { t.Helper(); waitOutput(t, tm, what...) }
	wait("⚠ HOSTKEY", "1 HOSTKEY")
	tm.Type("p")
	cmd := fmt.Sprintf("ssh-keygen -R '[127.0.0.1]:%d' -f '%s'", h.Port, f.KnownHosts)
	wait("old key "+kc.Old, "new key "+kc.New, fmt.Sprintf("%s:%d", f.KnownHosts, kc.Line), cmd)
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	tm.Type("T")
	wait("Trust the new host key of web-1?", "Type web-1 to replace that line")
	tm.Type("web-1")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitStatus(t, store, "web-1", func(st fleet.HostStatus) bool { return st.KeyChange == nil && st.Err == "" && st.Last != nil })
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	fm.Update(tickMsg(time.Now()))
	if v := fm.View(); !strings.Contains(v, "1 OK") || !strings.Contains(v, "new host key trusted") {
		t.Errorf("after trusting:\n%s", v)
	}
	es, _ := mgr.Audit.Recent(5)
	if len(es) != 1 || es[0].Kind != "trust-key" || es[0].Outcome != actions.Succeeded || !strings.Contains(es[0].Command, kc.New) || es[0].Operator != "maya@laptop" {
		t.Errorf("audit %+v", es)
	}
	if kh, _ := os.ReadFile(f.KnownHosts); strings.Count(strings.TrimSpace(string(kh)), "\n") != 0 {
		t.Errorf("known_hosts should still have one line, the new key:\n%s", kh)
	}
}

// polled is a config's fleet polled over real SSH until the test ends.
type polled struct {
	pool    *sshx.Pool
	targets map[string]*sshx.Target
	store   *fleet.Store
	poller  *fleet.Poller
	ctx     context.Context
}

// startPolled polls cfg's hosts with source (nil: the SSH probe), stopped
// and closed when the test ends.
func startPolled(t *testing.T, cfg *fleet.Config, source func(*polled, *fleet.Host) fleet.Source) *polled {
	t.Helper()
	targets, err := sshx.Resolve(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := &polled{pool: sshx.NewPool(sshx.Options{KnownHosts: sshx.KnownHostsFiles(cfg), NoAgent: true}), targets: targets, store: fleet.NewStore(cfg.Hosts)}
	t.Cleanup(r.pool.Close)
	if source == nil {
		source = func(r *polled, h *fleet.Host) fleet.Source {
			return probe.NewSSHSource(r.pool.Client(*r.targets[h.Name]), h, probe.Options{NoSpread: true})
		}
	}
	r.poller = fleet.NewPoller(cfg, r.store, func(h *fleet.Host) (fleet.Source, string) { return source(r, h), "" })
	ctx, cancel := context.WithCancel(context.Background())
	r.ctx = ctx
	t.Cleanup(func() { cancel(); r.poller.Wait() })
	r.poller.Start(ctx)
	return r
}
