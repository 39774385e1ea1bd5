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
	"github.com/opsdeck/opsdeck/actions/oncall"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

// opsdeck handover after a scripted incident on real sshd hosts: a host
// down and back (recorded by a dashboard), a restart, a drill and an
// acknowledgement are all listed, in time order, one line per record, and
// what still fails says who is on it.
func TestHandover_ScriptedIncident(t *testing.T) {
	f := fleettest.StartFleet(t, 2)
	sup := fleettest.StartSupervisor(t, map[string]string{"worker": "sleep 100000"})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "pg-2026-12-04.sql.gz"), []byte("dump"), 0o644)
	h1, h2 := f.Hosts[0], f.Hosts[1]
	cfg := writeFile(t, "fleet.toml", fmt.Sprintf(`name = "incident"
%spoll_interval = "1s"
timeout = "2s"
[[hosts]]
name = "host-1"
address = %q
port = %d
[[hosts.services]]
name = "worker"
kind = "supervisor"
program = "worker"
conf = %q
[[hosts.backups]]
name = "pg-nightly"
kind = "files"
path = "%s/pg-*.sql.gz"
drill_every = "168h"
restore = "cp -- {artifact} {scratch}/restored"
verify = "cmp -- {artifact} {scratch}/restored"
[[hosts]]
name = "host-2"
address = %q
port = %d
mounts = ["/"]
[hosts.thresholds]
disk = { warn = 0.01, crit = 0.02 }
`, f.Defaults(), h1.Listen, h1.Port, sup.Conf, dir, h2.Listen, h2.Port))
	env := []string{"XDG_STATE_HOME=" + t.TempDir()}
	start := time.Now()

	s := startTmux(t, 80, 24, env, "--config", cfg)
	s.waitScreen("2 hosts:", "host-2", "CRIT")
	h2.Stop()
	s.waitScreenFor(30*time.Second, "1 DOWN")
	h2.Start()
	s.waitScreenFor(30*time.Second, "0s old", "host-2")
	fleettest.Eventually(t, 30*time.Second, "host-2 back", func() bool { return !strings.Contains(s.screen(), "DOWN") })
	for _, args := range [][]string{
		{"restart", "host-1", "worker", "--yes"},
		{"drill", "host-1", "pg-nightly", "--yes"},
		{"ack", "host-2", "disk:/", "--note", "cleaning /var/log"},
	} {
		if out, errOut, code := opsdeck(t, env, append(args, "-c", cfg)...); code != 0 {
			t.Fatalf("%v: exit %d\n%s\n%s", args, code, out, errOut)
		}
	}
	s.keys("q")
	if code := s.waitExit(); code != 0 {
		t.Fatalf("dashboard exit %d", code)
	}

	out, errOut, code := opsdeck(t, env, "handover", "--since", "1h", "--format", "markdown", "-c", cfg)
	if code != 0 {
		t.Fatalf("handover: exit %d\n%s\n%s", code, out, errOut)
	}
	t.Logf("handover:\n%s", out)
	// The record, read on its own.
	hist, _, _ := opsdeck(t, env, "history", "--json", "-c", cfg)
	audit, _, _ := opsdeck(t, env, "audit", "--json", "-n", "1000", "-c", cfg)
	var want []string // "host | text start", in the record's order
	for _, l := range strings.Split(strings.TrimSpace(hist), "\n") {
		var e fleet.Event
		if json.Unmarshal([]byte(l), &e) == nil && !e.Time.Before(start.Add(-time.Second)) {
			from := e.From
			if from == "" {
				from = "(first seen)"
			}
			want = append(want, fmt.Sprintf("| %s | %s %s → %s", e.Host, e.Check, from, e.To))
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(audit), "\n") {
		var e actions.Entry
		if json.Unmarshal([]byte(l), &e) == nil {
			want = append(want, fmt.Sprintf("| %s | %s", e.Host, oncall.AuditItem(e).Text[:20]))
		}
	}
	_, timeline, _ := strings.Cut(out, "## What happened, in time order")
	rows := 0
	last := time.Time{}.AddDate(-5, 0, 0) // the parsed times have no year
	for _, l := range strings.Split(timeline, "\n") {
		if !strings.HasPrefix(l, "| ") || strings.HasPrefix(l, "| time") {
			continue
		}
		rows++
		at, err := time.ParseInLocation("Jan 2 15:04:05", strings.TrimSpace(strings.Split(l, "|")[1]), time.Local)
		if err != nil || at.Before(last) {
			t.Errorf("not in time order at %q (%v)", l, err)
		}
		last = at
	}
	if rows != len(want) {
		t.Errorf("%d rows in the handover, %d records", rows, len(want))
	}
	for _, w := range want {
		if !strings.Contains(timeline, w) {
			t.Errorf("the handover lacks %q", w)
		}
	}
	for _, w := range []string{"host CRIT → DOWN", "host DOWN → CRIT", "restart worker: succeeded", "drill pg-nightly: succeeded",
		"acknowledgement of disk:/ acknowledged", "**CRIT host-2 disk /**", "acknowledged by ", "cleaning /var/log"} {
		if !strings.Contains(out, w) {
			t.Errorf("the handover lacks %q", w)
		}
	}
}
