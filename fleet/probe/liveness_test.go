package probe

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet/config"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
	"github.com/opsdeck/opsdeck/fleet/sshx"
)

// scripts records every probe script a runner is sent and what it printed.
type scripts struct {
	Runner
	mu        sync.Mutex
	sent, out []string
}

func (s *scripts) Run(ctx context.Context, cmd string, stdin []byte, limit int) (*sshx.Result, error) {
	res, err := s.Runner.Run(ctx, cmd, stdin, limit)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, string(stdin))
	if res != nil {
		s.out = append(s.out, string(res.Stdout))
	} else {
		s.out = append(s.out, "")
	}
	return res, err
}

func (s *scripts) last() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent[len(s.sent)-1]
}

// fullRead says whether the last poll read the full status: its output has
// supervisorctl's line, not the process check's.
func (s *scripts) fullRead() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.out[len(s.out)-1]
	return strings.Contains(out, "worker ") && !strings.Contains(out, "-alive ")
}

// A supervised program's status is read in full once; while its process
// lives on, each poll reads /proc/PID/stat only (no supervisorctl, a
// Python start on the host) and reports the same status. A crash, a
// restart by opsdeck and the full-status interval read it in full again.
func TestIntegration_LivenessSkipsTheFullStatus(t *testing.T) {
	f := fleettest.StartFleet(t, 1)
	h := f.Hosts[0]
	sup := fleettest.StartSupervisor(t, map[string]string{"worker": "sleep 100000"})
	cfg, err := config.Parse("t.toml", []byte(fmt.Sprintf("%s[[hosts]]\nname = \"web-1\"\naddress = %q\nport = %d\nuser = %q\n"+
		"[[hosts.services]]\nname = \"worker\"\nkind = \"supervisor\"\nprogram = \"worker\"\nconf = %q\n", f.Defaults(), h.Listen, h.Port, h.User, sup.Conf)))
	if err != nil {
		t.Fatal(err)
	}
	targets, _ := sshx.Resolve(cfg)
	pool := sshx.NewPool(sshx.Options{KnownHosts: sshx.KnownHostsFiles(cfg), NoAgent: true})
	defer pool.Close()
	rec := &scripts{Runner: pool.Client(*targets["web-1"])}
	src := NewSSHSource(rec, &cfg.Hosts[0], Options{NoSpread: true})
	defer src.Close()
	poll := func() fleet.ServiceStatus {
		t.Helper()
		s, err := src.Sample(context.Background())
		if err != nil || len(s.Services) != 1 {
			t.Fatalf("poll: %v %+v", err, s)
		}
		return s.Services[0]
	}
	first := poll()
	if !rec.fullRead() || !first.Running || first.PID != sup.PID("worker") {
		t.Fatalf("first poll: %+v", first)
	}
	for i := 0; i < 3; i++ {
		st := poll()
		if rec.fullRead() {
			t.Errorf("poll %d ran supervisorctl although pid %d lives on", i+2, first.PID)
		}
		if !strings.Contains(rec.last(), fmt.Sprintf("/proc/%d/stat", first.PID)) {
			t.Errorf("poll %d does not check the process", i+2)
		}
		if st.PID != first.PID || st.State != "RUNNING" || !st.Since.Equal(first.Since) {
			t.Errorf("poll %d: %+v, want the first status %+v", i+2, st, first)
		}
	}
	// A crash: the process is gone, the full status names the new one.
	if err := syscall.Kill(first.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var st fleet.ServiceStatus
	fleettest.EventuallyShow(t, 15*time.Second, "the restarted worker", func() bool {
		st = poll()
		return st.Running && st.PID != first.PID && st.PID > 0
	}, func() string { return fmt.Sprintf("%+v", st) })
	// opsdeck's own restart, and the interval, ask for the full status.
	src.Restarting("worker")
	poll()
	if !rec.fullRead() {
		t.Error("the poll after Restarting did not read the full status")
	}
	defer func(d time.Duration) { FullStatusEvery = d }(FullStatusEvery)
	FullStatusEvery = 0
	poll()
	if !rec.fullRead() {
		t.Error("the full-status interval is not kept")
	}
}

// The process check in a real sh: a live process is "alive" with its start
// time; a dead one, or one with another start time (a reused PID), runs
// the full status.
func TestLivenessCommand_InSh(t *testing.T) {
	// A name with ") " in it, as /proc/PID/stat's comm field shows it.
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	odd := filepath.Join(t.TempDir(), "x) y")
	if data, err := os.ReadFile(sleep); err != nil || os.WriteFile(odd, data, 0o755) != nil {
		t.Fatalf("copy sleep: %v", err)
	}
	p := exec.Command(odd, "100000")
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.Process.Kill(); _ = p.Wait() }()
	s := fleet.Service{Name: "w", Kind: "docker", Container: "c"} // its full status: docker inspect, absent here
	l := &liveness{}
	at := time.Now()
	sts := []fleet.ServiceStatus{{Name: "w", Running: true, PID: p.Process.Pid}}
	l.apply([]fleet.Service{s}, nil, "n", sts, at)
	run := func() string {
		out, _ := exec.Command("sh", "-c", "m=@@opsdeck-n\n"+l.command(&s, at)).CombinedOutput()
		return string(out)
	}
	out := run()
	var start string
	if _, err := fmt.Sscanf(out, fmt.Sprintf("@@opsdeck-n-alive %d %%s", p.Process.Pid), &start); err != nil || start == "" {
		t.Fatalf("live process: %q", out)
	}
	l.apply([]fleet.Service{s}, map[string]*Section{"svc0": {Lines: []string{strings.TrimSpace(out)}, Complete: true}}, "n", sts, at)
	if out := run(); !strings.HasPrefix(out, "@@opsdeck-n-alive") {
		t.Errorf("same start time: %q", out)
	}
	l.known["w"].start = "1" // another process under the same PID
	if out := run(); strings.Contains(out, "alive") {
		t.Errorf("another start time must read the full status: %q", out)
	}
	l.known["w"].start = start
	_ = p.Process.Kill()
	_ = p.Wait()
	if out := run(); strings.Contains(out, "alive") {
		t.Errorf("a dead process must read the full status: %q", out)
	}
}

// countingRunner runs locally and counts the restic runs in the output.
type countingRunner struct {
	LocalRunner
	mu    sync.Mutex
	full  int
	calls int
}

func (c *countingRunner) Run(ctx context.Context, cmd string, stdin []byte, limit int) (*sshx.Result, error) {
	res, err := c.LocalRunner.Run(ctx, cmd, stdin, limit)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if res != nil && strings.Contains(string(res.Stdout), `"short_id"`) { // restic's JSON ran
		c.full++
	}
	return res, err
}

// A local restic repository is listed (ls of snapshots/) at each backup
// check; restic itself runs only when its newest snapshot file changed.
func TestResticCache_RunsResticOnlyOnChange(t *testing.T) {
	r := fleettest.NewRestic(t)
	data := t.TempDir()
	r.Run(t, "backup", data)
	b := fleet.Backup{Name: "files", Kind: "restic", Repo: r.Repo, PasswordFile: r.PasswordFile}
	h := &fleet.Host{Name: "h", Backups: []fleet.Backup{b}}
	run := &countingRunner{}
	var rc resticCache
	check := func() fleet.BackupStatus {
		t.Helper()
		secs, err := runSteps(context.Background(), run, backupSteps(h, []int{0}, &rc))
		if err != nil {
			t.Fatal(err)
		}
		st := backupStatuses(h, []int{0}, secs, time.Now(), &rc)[0]
		if st.Err != "" || st.NewestAt.IsZero() {
			t.Fatalf("status %+v", st)
		}
		return st
	}
	first := check()
	second := check()
	if run.full != 1 || !second.NewestAt.Equal(first.NewestAt) {
		t.Errorf("restic ran %d times for 2 checks of an unchanged repo; newest %v vs %v", run.full, first.NewestAt, second.NewestAt)
	}
	r.Run(t, "backup", data)
	third := check()
	if run.full != 2 || !third.NewestAt.After(first.NewestAt) {
		t.Errorf("a new snapshot: restic ran %d times, newest %v (was %v)", run.full, third.NewestAt, first.NewestAt)
	}
}

// df -i and the mount table are read on a host's first poll and then once
// per TablesEvery: the polls in between carry them, so an inode alarm
// never flickers and every filesystem stays on screen. The script, run by
// this machine's sh, reads meminfo and mounts with one cat and still
// tells them apart.
func TestTables_ReadOncePerInterval(t *testing.T) {
	defer func(d time.Duration) { TablesEvery = d }(TablesEvery)
	TablesEvery = time.Hour
	off := false
	run := &scripts{Runner: LocalRunner{}}
	src := NewSSHSource(run, &fleet.Host{Name: "h", Security: &off}, Options{Baseline: 10 * time.Millisecond})
	defer src.Close()
	poll := func() *fleet.Sample {
		t.Helper()
		smp, err := src.Sample(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(smp.Unknown) > 0 || smp.MemTotal == 0 || len(smp.Disks) == 0 {
			t.Fatalf("unknown %v, memory %d, disks %+v", smp.Unknown, smp.MemTotal, smp.Disks)
		}
		return smp
	}
	asked := func() (n int) {
		run.mu.Lock()
		defer run.mu.Unlock()
		for _, s := range run.sent {
			inodes, mounts := strings.Contains(s, "df -P -i"), strings.Contains(s, "/proc/mounts")
			if inodes != mounts {
				t.Errorf("df -i asked %v, the mount table %v: both or neither", inodes, mounts)
			}
			if inodes {
				n++
			}
		}
		return n
	}
	first := poll().Disks[0]
	if first.Inodes == 0 {
		t.Fatalf("no inode figures for %s", first.Mount)
	}
	for i := 0; i < 2; i++ {
		if d := poll().Disks[0]; d.Inodes != first.Inodes || d.Mount != first.Mount || d.FSType != first.FSType {
			t.Errorf("poll %d: %s (%s) with %d inodes, want %s (%s) with %d carried",
				i+2, d.Mount, d.FSType, d.Inodes, first.Mount, first.FSType, first.Inodes)
		}
	}
	if n := asked(); n != 1 {
		t.Errorf("the slow tables were read in %d of 3 polls, want 1", n)
	}
	TablesEvery = 0
	poll()
	if n := asked(); n != 2 {
		t.Errorf("the slow tables were read in %d polls once the interval passed, want 2", n)
	}
}
