package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

// runbookAudit is the outcome of each host's last record of a runbook
// command, from opsdeck audit --json.
func runbookAudit(t *testing.T, state []string, cfg, name string) map[string]actions.Entry {
	t.Helper()
	out, _, _ := opsdeck(t, state, "audit", "--json", "-n", "200", "-c", cfg)
	last := map[string]actions.Entry{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var e actions.Entry
		if json.Unmarshal([]byte(l), &e) == nil && e.Kind == "run" && e.Target == name {
			last[e.Host] = e
		}
	}
	return last
}

// The runbook palette as an operator uses it at 80x24 on four real sshd
// hosts: a failing check offers its command; an inspect command on the
// four selected hosts is one group and a block for the host that differs,
// each host audited; a frozen host times out alone; x cancels a command on
// every host, each record saying so; a host printing 100 MB is cut at its
// ring and says so; a change on the prod host asks for the count typed and
// runs nothing without it.
func TestTmux_Runbook(t *testing.T) {
	f := fleettest.StartFleet(t, 4)
	marker := filepath.Join(t.TempDir(), "changed")
	hang := filepath.Join(t.TempDir(), "hang")
	var hosts strings.Builder
	for _, h := range f.Hosts {
		fmt.Fprintf(&hosts, "[[hosts]]\nname = %q\naddress = %q\nport = %d\n", h.Name, h.Listen, h.Port)
		switch h.Name {
		case "host-3":
			hosts.WriteString("env = \"prod\"\n")
		case "host-1": // every disk over its warn: a failing check with a command for it
			hosts.WriteString("[hosts.thresholds]\ndisk = { warn = 0.01, crit = 100 }\n")
		}
	}
	cfg := writeFile(t, "fleet.toml", fmt.Sprintf(`%spoll_interval = "1s"
[[commands]]
name = "who"
kind = "inspect"
command = "test -e %s && test {host} = host-4 && sleep 60; test {host} = host-2 && echo other || echo same"
timeout = "5s"
for = ["disk"]
[[commands]]
name = "slow"
kind = "inspect"
command = "sleep 600"
timeout = "10m"
[[commands]]
name = "flood"
kind = "inspect"
command = "head -c 104857600 /dev/zero | tr '\\000' x | fold -w 99; echo the-end"
timeout = "5m"
key = "F"
[[commands]]
name = "touch"
kind = "change"
command = "touch %s"
%s`, f.Defaults(), hang, marker, hosts.String()))
	state := []string{"XDG_STATE_HOME=" + t.TempDir()}
	s := startTmux(t, 80, 24, state, "--config", cfg)
	s.waitScreen("4 hosts:", "host-4")
	s.waitScreenFor(30*time.Second, "1 WARN") // host-1's disks, once polled

	// The failing check's remedy offers the command that is for it.
	s.keys("p")
	scr := s.waitScreen("Problems", "→ ! who")
	t.Logf("problems at 80x24:\n%s", scr)
	s.keys("Escape")

	// The 100 MB host, by the command's own key, on the host under the
	// cursor (host-1, first: it is the worst).
	s.keys("F")
	start := time.Now()
	scr = s.waitScreenFor(2*time.Minute, "1 of 1 done", "earlier lines not kept")
	t.Logf("100 MB shown in %s", time.Since(start).Round(time.Millisecond))
	s.checkFits(scr)
	s.keys("G") // the newest lines
	scr = s.waitScreen("the-end", "lines above, 0 below")
	t.Logf("flood at 80x24:\n%s", scr)
	s.keys("Escape")

	// Four hosts selected, the palette filtered as typed.
	s.keys("Space", "Space", "Space", "Space", "!")
	s.waitScreen("Run a command on host-[1-4] (4)", "slow", "touch")
	s.keys("w", "h")
	scr = s.waitScreen("> wh", "who")
	if strings.Contains(scr, "slow") || strings.Contains(scr, "touch") {
		t.Errorf("wh does not narrow the palette:\n%s", scr)
	}
	t.Logf("palette at 80x24:\n%s", scr)
	s.keys("Enter")
	scr = s.waitScreen("4 of 4 done", "host-[1,3-4] (3) · exit 0", "same", "host-2 (1) · exit 0", "other")
	s.checkFits(scr)
	t.Logf("grouped output at 80x24:\n%s", scr)
	fleettest.Eventually(t, 10*time.Second, "four who records", func() bool {
		a := runbookAudit(t, state, cfg, "who")
		return len(a) == 4 && a["host-2"].Outcome == actions.Succeeded && a["host-4"].Outcome == actions.Succeeded
	})
	s.keys("Escape")

	// host-4 hangs (a frozen sshd is soon DOWN and skipped; a command
	// that never ends is not): it times out alone, the others shown.
	if err := os.WriteFile(hang, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s.keys("!", "w", "h", "o", "Enter")
	scr = s.waitScreen("3 of 4 done", "running: host-4", "host-[1,3] (2) · exit 0", "host-2 (1)")
	t.Logf("one host still running at 80x24:\n%s", scr)
	scr = s.waitScreenFor(30*time.Second, "4 of 4 done", "host-4 (1) · failed: did not finish within 5s", "1 timed out")
	t.Logf("a host that does not answer at 80x24:\n%s", scr)
	s.keys("Escape")

	// A host the poller shows DOWN is not run on: said, and audited.
	f.Hosts[3].Freeze()
	s.waitScreenFor(30*time.Second, "1 DOWN")
	s.keys("!", "w", "h", "o", "Enter")
	scr = s.waitScreen("4 of 4 done", "host-4 (1) · skipped: host is DOWN", "1 not run")
	t.Logf("a DOWN host at 80x24:\n%s", scr)
	f.Hosts[3].Thaw()
	s.keys("Escape")
	s.waitScreenFor(30*time.Second, "4 hosts: 3 OK")

	// x cancels a running command on every host.
	s.keys("!", "s", "l", "o", "w", "Enter")
	s.waitScreen("0 of 4 done", "running: host-[1-4]")
	s.keys("x")
	scr = s.waitScreenFor(30*time.Second, "4 of 4 done", "host-[1-4] (4) · cancelled by the operator")
	t.Logf("cancelled at 80x24:\n%s", scr)
	fleettest.Eventually(t, 10*time.Second, "four cancelled slow records", func() bool {
		a := runbookAudit(t, state, cfg, "slow")
		n := 0
		for _, e := range a {
			if e.Outcome == actions.Cancelled && strings.Contains(e.Reason, "cancelled by the operator") {
				n++
			}
		}
		return n == 4
	})
	s.keys("Escape")

	// A change on the four, prod among them: the count typed, else nothing.
	s.keys("!", "t", "o", "u", "c", "h", "Enter")
	scr = s.waitScreen("Run touch on 4 hosts?", "Type 4 to confirm")
	t.Logf("change confirmation at 80x24:\n%s", scr)
	s.keys("Enter", "Escape")
	s.waitScreen("not confirmed: nothing was run")
	if _, err := os.Stat(marker); err == nil {
		t.Error("the change ran without its confirmation")
	}
	if a := runbookAudit(t, state, cfg, "touch"); len(a) != 4 || a["host-3"].Outcome != actions.Cancelled {
		t.Errorf("touch audit: %+v", a)
	}
	s.keys("q")
	if code := s.waitExit(); code != 0 {
		t.Errorf("exit %d", code)
	}
}
