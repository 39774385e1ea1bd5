package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

var tmuxServers atomic.Int64

// tmuxSession runs opsdeck in a detached tmux session of a fixed size, on a
// private tmux server, and reads the screen as a person would see it.
type tmuxSession struct {
	t      *testing.T
	socket string
	w, h   int
}

func startTmux(t *testing.T, w, h int, env []string, args ...string) *tmuxSession {
	t.Helper()
	return startTmuxWrapped(t, w, h, env, nil, args...)
}

// startTmuxWrapped is startTmux with opsdeck run by wrap (a command that
// ends by running its arguments: unshare, a namespace's shell).
func startTmuxWrapped(t *testing.T, w, h int, env, wrap []string, args ...string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is not installed: run 'make test' (it installs tmux) or 'apt-get install tmux'")
	}
	n := tmuxServers.Add(1) // a server each: two sessions of one test never share keys
	s := &tmuxSession{t: t, socket: fmt.Sprintf("opsdeck-test-%d-%d-%s", os.Getpid(), n, strings.ReplaceAll(t.Name(), "/", "-")), w: w, h: h}
	home := t.TempDir()
	shell := []string{"env", "-i", "HOME=" + home, "TERM=xterm-256color", "PATH=" + os.Getenv("PATH"),
		"XDG_STATE_HOME=" + filepath.Join(home, "state"), "GORACE=atexit_sleep_ms=0"}
	shell = append(append(append(append(shell, env...), wrap...), bin), args...)
	s.tmux("-f", "/dev/null", "new-session", "-d", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), strings.Join(quoteAll(shell), " "))
	s.tmux("set-option", "-g", "remain-on-exit", "on")
	t.Cleanup(func() {
		_ = exec.Command("tmux", "-L", s.socket, "kill-server").Run()
		// The server's socket file can stay behind once it has exited.
		_ = os.Remove(filepath.Join(os.TempDir(), fmt.Sprintf("tmux-%d", os.Getuid()), s.socket))
	})
	return s
}

func quoteAll(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return out
}

func (s *tmuxSession) tmux(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (s *tmuxSession) screen() string { return s.tmux("capture-pane", "-p") }

func (s *tmuxSession) keys(k ...string) { s.tmux(append([]string{"send-keys"}, k...)...) }

// waitScreen waits until every want is on screen and returns it.
func (s *tmuxSession) waitScreen(want ...string) string {
	s.t.Helper()
	return s.waitScreenFor(10*time.Second, want...)
}

// waitScreenFor is waitScreen with its own deadline.
func (s *tmuxSession) waitScreenFor(d time.Duration, want ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(d)
	for {
		scr := s.screen()
		missing := ""
		for _, w := range want {
			if !strings.Contains(scr, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("screen never showed %q:\n%s", missing, scr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *tmuxSession) checkFits(scr string) {
	s.t.Helper()
	lines := strings.Split(strings.TrimRight(scr, "\n"), "\n")
	if len(lines) > s.h {
		s.t.Errorf("%d lines on a %d-line screen", len(lines), s.h)
	}
	for i, l := range lines {
		if n := utf8.RuneCountInString(l); n > s.w {
			s.t.Errorf("line %d is %d wide on a %d-wide screen: %q", i, n, s.w, l)
		}
	}
	// The footer must be on the last line: nothing scrolled or wrapped.
	if !strings.Contains(lines[len(lines)-1], "quit") {
		s.t.Errorf("last line is not the key help: %q", lines[len(lines)-1])
	}
}

// waitExit waits for opsdeck to end and returns its exit code; death by a
// signal fails the test.
func (s *tmuxSession) waitExit() int {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out := strings.Fields(s.tmux("display-message", "-p", "#{pane_dead} status=#{pane_dead_status} signal=#{pane_dead_signal}"))
		if len(out) == 3 && out[0] == "1" {
			if sig := strings.TrimPrefix(out[2], "signal="); sig != "" {
				s.t.Fatalf("opsdeck was killed by signal %s", sig)
			}
			var code int
			fmt.Sscan(strings.TrimPrefix(out[1], "status="), &code)
			return code
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("opsdeck did not exit:\n%s", s.screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// colourSGR matches an SGR sequence that sets a foreground or background
// colour (30–38, 40–48, 90–107; 39 and 49 only reset to the default).
var colourSGR = regexp.MustCompile(`\x1b\[(?:[0-9;]*;)?(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;[0-9;]*)?m`)

// The README's first command: the dashboard of this machine, no config.
func TestTmux_LocalDashboard(t *testing.T) {
	host, _ := os.Hostname()
	for _, size := range [][2]int{{80, 24}, {200, 50}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			start := time.Now()
			s := startTmux(t, size[0], size[1], nil)
			scr := s.waitScreen("1 host:", host, "%", "data ")
			t.Logf("first data on screen after %v", time.Since(start).Round(time.Millisecond))
			s.checkFits(scr)

			s.keys("Enter")
			scr = s.waitScreen("Resources", "Disks", "memory")
			s.checkFits(scr)
			s.keys("PageDown") // History is last: below the fold on a small screen with many mounts
			s.waitScreen("History")
			s.keys("Escape")
			s.waitScreen("REASON")
			s.keys("?")
			scr = s.waitScreen("poll now", "ctrl+c")
			s.checkFits(scr)
			s.keys("Escape")
			s.waitScreen("REASON")
			s.keys("q")
			if code := s.waitExit(); code != 0 {
				t.Errorf("exit code %d after q", code)
			}
		})
	}
}

func TestTmux_FleetWithSSHHostAndNoColor(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there now
	cfg := writeFile(t, "fleet.toml", fmt.Sprintf(`name = "tmux fleet"
[[hosts]]
name = "me"
address = "local"
[[hosts]]
name = "db-9"
address = "127.0.0.1"
port = %d
env = "prod"
`, closed))
	s := startTmux(t, 100, 30, []string{"NO_COLOR=1"}, "--config", cfg, "--read-only", "--theme", "high-contrast")
	scr := s.waitScreen("tmux fleet", "[read-only]", "db-9", "PROD", "DOWN", "refused")
	s.checkFits(scr)
	colour := s.tmux("capture-pane", "-p", "-e")
	if m := colourSGR.FindString(colour); m != "" {
		t.Errorf("colour escape %q under NO_COLOR:\n%q", m, colour)
	}
	s.keys("C-c")
	if code := s.waitExit(); code != 0 {
		t.Errorf("exit code %d after ctrl+c", code)
	}
}

// The dashboard against real sshd test hosts, one behind a jump host, as
// an operator sees it.
func TestTmux_SSHFleet(t *testing.T) {
	f := fleettest.StartFleet(t, 2)
	inner := f.Add(t, "inner", fleettest.SSHDOptions{Listen: "127.0.0.2"})
	var hosts strings.Builder
	for _, h := range f.Hosts[:2] {
		fmt.Fprintf(&hosts, "[[hosts]]\nname = %q\naddress = %q\nport = %d\nenv = \"staging\"\n", h.Name, h.Listen, h.Port)
	}
	fmt.Fprintf(&hosts, "[[hosts]]\nname = \"inner\"\naddress = \"127.0.0.2\"\nport = %d\njump = \"host-1\"\nenv = \"prod\"\n", inner.Port)
	cfg := writeFile(t, "fleet.toml", fmt.Sprintf(`name = "ssh fleet"
%spoll_interval = "1s"
%s`, f.Defaults(), hosts.String()))
	for _, size := range [][2]int{{80, 24}, {200, 50}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			s := startTmux(t, size[0], size[1], nil, "--config", cfg)
			scr := s.waitScreen("3 hosts: 3 OK", "host-1", "host-2", "inner", "PROD")
			s.checkFits(scr)
			t.Logf("fleet at %dx%d:\n%s", size[0], size[1], scr)
			s.keys("G", "Enter") // the last row: inner, by name
			scr = s.waitScreen("inner", "address "+inner.User+"@127.0.0.2:", "via host-1", "connection connected", "poll took", "Resources")
			s.checkFits(scr)
			t.Logf("detail at %dx%d:\n%s", size[0], size[1], scr)
			s.keys("q", "q") // the first closes the detail, the second quits
			if code := s.waitExit(); code != 0 {
				t.Errorf("exit code %d", code)
			}
		})
	}
}

// Services and a restart, as an operator sees them at both sizes.
func TestTmux_ServicesRestart(t *testing.T) {
	f := fleettest.StartFleet(t, 2)
	sup := fleettest.StartSupervisor(t, map[string]string{"worker": "sleep 100000", "mailer": "sleep 100000"})
	var hosts strings.Builder
	for i, h := range f.Hosts {
		env := "staging"
		if i == 0 {
			env = "prod"
		}
		fmt.Fprintf(&hosts, "[[hosts]]\nname = \"app-%d\"\naddress = %q\nport = %d\nenv = %q\n", i+1, h.Listen, h.Port, env)
		for _, p := range []string{"worker", "mailer"} {
			fmt.Fprintf(&hosts, "[[hosts.services]]\nname = %q\nkind = \"supervisor\"\nprogram = %q\nconf = %q\n", p, p, sup.Conf)
		}
	}
	cfg := writeFile(t, "fleet.toml", fmt.Sprintf(`name = "svc fleet"
%spoll_interval = "1s"
%s`, f.Defaults(), hosts.String()))
	for _, size := range [][2]int{{80, 24}, {200, 50}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			s := startTmux(t, size[0], size[1], nil, "--config", cfg)
			scr := s.waitScreen("2 hosts: 2 OK", "2/2")
			s.checkFits(scr)
			s.keys("Enter")
			scr = s.waitScreen("Services", "worker", "mailer", "RUNNING")
			s.checkFits(scr)
			t.Logf("services at %dx%d:\n%s", size[0], size[1], scr)
			before := sup.PID("worker")
			s.keys("r")
			scr = s.waitScreen("Restart worker on app-1?", "Type app-1 to confirm")
			t.Logf("dialog at %dx%d:\n%s", size[0], size[1], scr)
			s.keys("a", "p", "p", "-", "1", "Enter")
			scr = s.waitScreen("succeeded")
			t.Logf("output at %dx%d:\n%s", size[0], size[1], scr)
			if after := sup.PID("worker"); after == before || after == 0 {
				t.Errorf("pid %d → %d", before, after)
			}
			s.keys("L")
			scr = s.waitScreen("Audit log", "succeeded")
			s.checkFits(scr)
			s.keys("q", "q", "q", "q") // audit, output, detail, then quit: q closes the top layer
			if code := s.waitExit(); code != 0 {
				t.Errorf("exit %d:\n%s", code, s.tmux("capture-pane", "-p", "-S", "-200"))
			}
		})
	}
}

// A restore drill run as an operator would, read during and after.
func TestTmux_Drill(t *testing.T) {
	f := fleettest.StartFleet(t, 1)
	h := f.Hosts[0]
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "pg-2026-11-24.sql.gz"), []byte("dump"), 0o644)
	cfg := writeFile(t, "fleet.toml", fmt.Sprintf(`name = "drill fleet"
%spoll_interval = "1s"
[[hosts]]
name = "db-2"
address = %q
port = %d
env = "prod"
[[hosts.backups]]
name = "pg-nightly"
kind = "files"
path = "%s/pg-*.sql.gz"
drill_every = "168h"
restore = "sleep 1; cp -- {artifact} {scratch}/restored"
verify = "sleep 1; cmp -- {artifact} {scratch}/restored"
`, f.Defaults(), h.Listen, h.Port, dir))
	for _, size := range [][2]int{{80, 24}, {200, 50}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			state := t.TempDir()
			s := startTmux(t, size[0], size[1], []string{"XDG_STATE_HOME=" + state}, "--config", cfg)
			scr := s.waitScreen("db-2", "WARN", "never")
			s.checkFits(scr)
			t.Logf("before, %dx%d:\n%s", size[0], size[1], scr)
			s.keys("Enter")
			s.waitScreen("Backups", "pg-2026-11-24.sql.gz", "never restore-tested")
			s.keys("d")
			scr = s.waitScreen("Restore drill of pg-nightly (db-2)?", "Type db-2 to confirm")
			t.Logf("confirm, %dx%d:\n%s", size[0], size[1], scr)
			s.keys("d", "b", "-", "2", "Enter")
			scr = s.waitScreen("running…", "── restore")
			s.checkFits(scr)
			t.Logf("during, %dx%d:\n%s", size[0], size[1], scr)
			scr = s.waitScreen("── drill PASS", "drill pg-nightly on db-2: succeeded")
			t.Logf("after, %dx%d:\n%s", size[0], size[1], scr)
			s.keys("Escape")
			s.waitScreen("PASS 0s ago")
			s.keys("Escape")
			scr = s.waitScreen("1 host: 1 OK", "REASON")
			s.checkFits(scr)
			if !regexp.MustCompile(`db-2 .* [0-9]s\s+[0-9]s\s`).MatchString(scr) {
				t.Errorf("DRILL column does not show a fresh drill:\n%s", scr)
			}
			t.Logf("fleet after, %dx%d:\n%s", size[0], size[1], scr)
			s.keys("q")
			if code := s.waitExit(); code != 0 {
				t.Errorf("exit %d:\n%s", code, s.tmux("capture-pane", "-p", "-S", "-100"))
			}
			hist, _ := os.ReadFile(filepath.Join(state, "opsdeck", "drills.jsonl"))
			if !strings.Contains(string(hist), `"passed":true`) {
				t.Errorf("drill history: %s", hist)
			}
		})
	}
}

// Keys reach only what is drawn on top: with the help screen open, the
// keys that would restart a service (r, enter to choose, y to confirm) do
// nothing, and every dialog is on screen before it can be answered.
func TestTmux_HelpOpenRestartKeysDoNothing(t *testing.T) {
	f := fleettest.StartFleet(t, 1)
	sup := fleettest.StartSupervisor(t, map[string]string{"worker": "sleep 100000"})
	h := f.Hosts[0]
	cfg := writeFile(t, "fleet.toml", fmt.Sprintf(`%s[[hosts]]
name = "app-1"
address = %q
port = %d
env = "staging"
[[hosts.services]]
name = "worker"
kind = "supervisor"
program = "worker"
conf = %q
`, f.Defaults(), h.Listen, h.Port, sup.Conf))
	s := startTmux(t, 80, 24, nil, "--config", cfg)
	s.waitScreen("1 host: 1 OK", "1/1")
	before := sup.PID("worker")
	s.keys("?")
	s.waitScreen("Keys", "restart service")
	s.keys("r", "Enter", "y")
	s.keys("?") // closes help: the keys before it have been handled
	scr := s.waitScreen("app-1", "SVC")
	if strings.Contains(scr, "Restart") || strings.Contains(scr, "running…") {
		t.Errorf("a dialog or a run appeared behind the help screen:\n%s", scr)
	}
	s.keys("L")
	s.waitScreen("Audit log", "no actions recorded yet")
	if after := sup.PID("worker"); after != before {
		t.Errorf("worker restarted (pid %d → %d) by keys typed into the help screen", before, after)
	}
	s.keys("Escape") // alone: Escape and r in one write read as alt+r
	s.waitScreen("HOST", "app-1")
	s.keys("r") // one service: straight to the confirmation
	s.waitScreen("Restart worker on app-1?", "y/enter run")
	s.keys("n")
	s.waitScreen("not confirmed: nothing was run")
	if after := sup.PID("worker"); after != before {
		t.Errorf("worker restarted after n: pid %d → %d", before, after)
	}
	s.keys("q")
	if code := s.waitExit(); code != 0 {
		t.Errorf("exit %d", code)
	}
}
