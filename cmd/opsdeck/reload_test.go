package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

// The dashboard on the wall screen, its config edited under it: a host
// added is polled without a restart, a removed one leaves the screen and
// its sshd sees the connection closed, a broken edit keeps the fleet and
// says file:line, and the untouched host keeps its one connection (its
// sshd accepted it once) and its history.
func TestTmux_LiveReload(t *testing.T) {
	f := fleettest.StartFleet(t, 3)
	a, b, c := f.Hosts[0], f.Hosts[1], f.Hosts[2]
	host := func(h *fleettest.SSHD) string {
		return fmt.Sprintf("[[hosts]]\nname = %q\naddress = %q\nport = %d\n", h.Name, h.Listen, h.Port)
	}
	head := fmt.Sprintf("name = \"wall\"\n%spoll_interval = \"1s\"\n", f.Defaults())
	path := writeFile(t, "fleet.toml", head+host(a)+host(b))
	write := func(doc string) {
		t.Helper()
		// A new file renamed over the old one, as editors save.
		tmp := path + ".new"
		if err := os.WriteFile(tmp, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	s := startTmux(t, 200, 50, nil, "--config", path)
	s.waitScreen("2 hosts: 2 OK", a.Name, b.Name)
	accepted := func(h *fleettest.SSHD) int { return strings.Count(h.Log(), "Accepted publickey") }
	polls := func() int {
		s.keys("g", "Enter") // a's detail: the first row by name
		scr := s.waitScreen("History (last")
		s.keys("Escape")
		// Back on the fleet before any other key: an escape and the key
		// after it read together are alt+key, not two keys.
		s.waitScreen("Hosts ", "sort:")
		m := regexp.MustCompile(`History \(last (\d+) polls?,`).FindStringSubmatch(scr)
		if m == nil {
			t.Fatalf("no history line:\n%s", scr)
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	if n := accepted(a); n != 1 {
		t.Fatalf("%s's sshd accepted %d connections before any reload", a.Name, n)
	}
	before := polls()

	// Added: polled within two poll intervals of the change being seen.
	write(head + host(a) + host(b) + host(c))
	start := time.Now()
	scr := s.waitScreenFor(20*time.Second, "3 hosts: 3 OK", c.Name, "reloaded ", ": +1 −0 ~0")
	t.Logf("host added, polled after %v:\n%s", time.Since(start).Round(time.Millisecond), scr)

	// Removed: gone from the screen, and its sshd sees the connection end.
	write(head + host(a) + host(c))
	s.waitScreenFor(20*time.Second, "2 hosts: 2 OK", ": +0 −1 ~0")
	if scr := s.screen(); strings.Contains(scr, b.Name) {
		t.Errorf("%s still on screen after its removal:\n%s", b.Name, scr)
	}
	fleettest.Eventually(t, 20*time.Second, b.Name+"'s sshd sees opsdeck's connection closed", func() bool {
		l := b.Log()
		return strings.Contains(l, "Connection closed by") || strings.Contains(l, "Disconnected from")
	})

	// Broken: the fleet runs on, the status line names file and line.
	write(head + host(a) + host(c) + "[[hosts]]\nname = \"d\"\nport = \"twenty-two\"\n")
	scr = s.waitScreenFor(20*time.Second, "config not reloaded, the fleet runs as it was: "+path+":")
	if !strings.Contains(scr, "2 hosts: 2 OK") || !strings.Contains(scr, a.Name) || !strings.Contains(scr, c.Name) {
		t.Errorf("the fleet changed after a broken edit:\n%s", scr)
	}
	t.Logf("broken edit:\n%s", scr)

	// The untouched host: the same connection all along, its history kept.
	if n := accepted(a); n != 1 {
		t.Errorf("%s's sshd accepted %d connections: a reload reconnected an untouched host", a.Name, n)
	}
	if after := polls(); after <= before {
		t.Errorf("%s's history went from %d to %d polls: a reload lost it", a.Name, before, after)
	}
	s.keys("q")
	if code := s.waitExit(); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

// SIGHUP means reload only while the dashboard's terminal is there: sent
// with the terminal alive the dashboard runs on; when the terminal goes
// away (the tmux server killed: a closed window), it ends, as it did
// before SIGHUP meant reload, instead of polling on as an orphan.
func TestTmux_HangupEndsTheDashboard(t *testing.T) {
	f := fleettest.StartFleet(t, 1)
	path := writeFile(t, "fleet.toml", fmt.Sprintf("%spoll_interval = \"1s\"\n[[hosts]]\nname = %q\naddress = %q\nport = %d\n",
		f.Defaults(), f.Hosts[0].Name, f.Hosts[0].Listen, f.Hosts[0].Port))
	s := startTmux(t, 80, 24, nil, "--config", path)
	s.waitScreen("1 host: 1 OK")
	pid, err := strconv.Atoi(strings.TrimSpace(s.tmux("display-message", "-p", "#{pane_pid}")))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	before := s.screen()
	fleettest.Eventually(t, 10*time.Second, "the screen still updating after a SIGHUP", func() bool {
		scr := s.screen()
		return scr != before && strings.Contains(scr, "1 host: 1 OK")
	})
	s.tmux("kill-server")
	fleettest.Eventually(t, 15*time.Second, "opsdeck ended with its terminal", func() bool {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		// Gone, or a zombie nobody reaps (PID 1 of a container may not).
		return err != nil || strings.Contains(string(stat), ") Z ")
	})
}
