package fleettest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Supervisor is a real supervisord in its own directory, with its own
// socket and config, started in the foreground and stopped by PID.
type Supervisor struct {
	tb   testing.TB
	Dir  string
	Conf string
	cmd  *exec.Cmd
}

// StartSupervisor runs supervisord with one [program:NAME] per entry of
// programs (name → command) and waits until every program is RUNNING.
func StartSupervisor(tb testing.TB, programs map[string]string) *Supervisor {
	tb.Helper()
	bin, err := exec.LookPath("supervisord")
	if err != nil {
		tb.Fatal("supervisord is not installed: run 'make test' (it installs supervisor) or 'apt-get install supervisor'")
	}
	dir := tb.TempDir()
	s := &Supervisor{tb: tb, Dir: dir, Conf: filepath.Join(dir, "supervisord.conf")}
	var b strings.Builder
	fmt.Fprintf(&b, `[unix_http_server]
file=%[1]s/supervisor.sock

[supervisord]
nodaemon=true
logfile=%[1]s/supervisord.log
pidfile=%[1]s/supervisord.pid
childlogdir=%[1]s

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://%[1]s/supervisor.sock
`, dir)
	names := make([]string, 0, len(programs))
	for n := range programs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "\n[program:%s]\ncommand=%s\nautostart=true\nautorestart=true\nstartsecs=1\nstopwaitsecs=2\n", n, programs[n])
	}
	must(tb, os.WriteFile(s.Conf, []byte(b.String()), 0o600))
	cmd := exec.Command(bin, "-n", "-c", s.Conf)
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start supervisord: %v", err)
	}
	s.cmd = cmd
	tb.Cleanup(s.Stop)
	deadline := time.Now().Add(20 * time.Second)
	for _, n := range names {
		for s.PID(n) == 0 {
			if time.Now().After(deadline) {
				log, _ := os.ReadFile(filepath.Join(dir, "supervisord.log"))
				tb.Fatalf("program %s never ran under supervisord:\n%s", n, tail(log, 2000))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return s
}

var pidRE = regexp.MustCompile(`RUNNING\s+pid (\d+),`)

// Ctl runs supervisorctl against this supervisord.
func (s *Supervisor) Ctl(args ...string) (string, error) {
	out, err := exec.Command("supervisorctl", append([]string{"-c", s.Conf}, args...)...).CombinedOutput()
	return string(out), err
}

// PID is the program's pid when RUNNING, else 0.
func (s *Supervisor) PID(program string) int {
	out, _ := s.Ctl("status", program)
	m := pidRE.FindStringSubmatch(out)
	if m == nil {
		return 0
	}
	pid, _ := strconv.Atoi(m[1])
	return pid
}

// Stop ends supervisord and its programs.
func (s *Supervisor) Stop() {
	if s.cmd == nil {
		return
	}
	pid := s.cmd.Process.Pid
	kids := descendants(pid)
	_ = syscall.Kill(pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(pid, syscall.SIGKILL)
		<-done
	}
	for _, k := range kids {
		_ = syscall.Kill(k, syscall.SIGKILL)
	}
	s.cmd = nil
}
