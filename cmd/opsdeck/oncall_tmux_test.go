package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

// Two operators, two dashboards, one PostgreSQL: alice acknowledges
// host-3's CRIT disk with a note; bob's dashboard shows who and why within
// a poll; both still say CRIT. The disk filling further ends it; acknowledged
// again by bob, the disk cleared ends it too; the shared audit has each.
func TestTmux_TwoOperatorsAcknowledge(t *testing.T) {
	_, url := fleettest.StartPostgresDB(t, "opsdeck")
	f := fleettest.StartFleet(t, 2)
	disk := t.TempDir()
	host3 := f.Add(t, "host-3", fleettest.SSHDOptions{Tmpfs: disk}) // its disk full, no other process's
	host3.FillTmpfs(t, 975)                                         // 95 %
	var hosts strings.Builder
	for _, h := range f.Hosts {
		fmt.Fprintf(&hosts, "[[hosts]]\nname = %q\naddress = %q\nport = %d\n", h.Name, h.Listen, h.Port)
		if h.Name == "host-3" {
			fmt.Fprintf(&hosts, "mounts = [%q]\n[hosts.thresholds]\ndisk = { warn = 50, crit = 90 }\n", disk)
		} else {
			hosts.WriteString("mounts = [\"/\"]\n")
		}
	}
	cfg := writeFile(t, "fleet.toml", fmt.Sprintf("name = \"team\"\n%spoll_interval = \"1s\"\n%s", f.Defaults(), hosts.String()))
	db := "OPSDECK_DATABASE_URL=" + url
	alice := startTmux(t, 80, 24, []string{db, "USER=alice"}, "--config", cfg)
	bob := startTmux(t, 80, 24, []string{db, "USER=bob"}, "--config", cfg)
	for _, s := range []*tmuxSession{alice, bob} {
		s.waitScreen("3 hosts:", "1 CRIT")
		s.keys("p")
		s.waitScreen("Problems", "CRIT host-3 disk "+disk)
	}
	alice.keys("a")
	alice.waitScreen("ack host-3 disk")
	alice.keys("-l", "cleaning the data dir")
	alice.keys("Enter")
	scr := alice.waitScreen("acknowledged host-3 disk", "✓ ack ", "cleaning the data dir", "CRIT host-3")
	t.Logf("alice after acknowledging:\n%s", scr)
	start := time.Now()
	scr = bob.waitScreenFor(10*time.Second, "✓ ack ", "cleaning the data dir", "CRIT host-3", "1 CRIT (1 acked)")
	t.Logf("bob's screen %s later:\n%s", time.Since(start).Round(100*time.Millisecond), scr)
	bob.checkFits(scr)

	host3.FillTmpfs(t, 1010) // 99 %: worse than acknowledged
	for _, s := range []*tmuxSession{alice, bob} {
		fleettest.EventuallyShow(t, 15*time.Second, "the acknowledgement ended by the fuller disk", func() bool {
			scr := s.screen()
			return !strings.Contains(scr, "✓ ack") && strings.Contains(scr, "CRIT host-3")
		}, s.screen)
	}
	bob.keys("a")
	bob.waitScreen("ack host-3 disk")
	bob.keys("-l", "moving the data")
	bob.keys("Enter")
	fleettest.EventuallyShow(t, 10*time.Second, "alice to see bob's acknowledgement", func() bool {
		scr := alice.screen()
		return strings.Contains(scr, "✓ ack ") && strings.Contains(scr, "moving the data")
	}, func() string {
		audit, _, _ := opsdeck(t, []string{db, "XDG_STATE_HOME=" + t.TempDir()}, "audit", "-c", cfg)
		return alice.screen() + "\n" + audit
	})
	host3.FillTmpfs(t, 0) // cleared
	for _, s := range []*tmuxSession{alice, bob} {
		s.waitScreenFor(15*time.Second, "nothing fails")
	}
	// The end is recorded by the desk of a dashboard on its next look.
	var audit string
	fleettest.EventuallyShow(t, 15*time.Second, "the shared audit to hold both acknowledgements and both ends", func() bool {
		audit, _, _ = opsdeck(t, []string{db, "XDG_STATE_HOME=" + t.TempDir()}, "audit", "-c", cfg)
		for _, want := range []string{"cleaning the data dir", "moving the data", "worse: was 95%, now 99%", "the check is OK again"} {
			if !strings.Contains(audit, want) {
				return false
			}
		}
		return true
	}, func() string { return audit })
	if n := strings.Count(audit, "acknowledged "); n != 2 {
		t.Errorf("%d acknowledgement records:\n%s", n, audit)
	}
	if n := strings.Count(audit, " ended "); n != 2 {
		t.Errorf("%d ends recorded (two dashboards saw each):\n%s", n, audit)
	}
	for _, s := range []*tmuxSession{alice, bob} {
		s.keys("q", "q")
		if code := s.waitExit(); code != 0 {
			t.Errorf("exit %d", code)
		}
	}
}
