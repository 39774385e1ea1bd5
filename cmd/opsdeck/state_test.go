package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/actions/record/files"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// teamHost is supervisedHost's host (worker, slow) with a files backup
// "site" that drills.
func teamHost(t *testing.T) (cfg, release string) {
	t.Helper()
	cfg, _, release = supervisedHost(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "site-1.tar"), []byte("site backup one"), 0o644)
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, `[[hosts.backups]]
name = "site"
kind = "files"
path = "%s/site-*.tar"
restore = "cp -- {artifact} {scratch}/restored"
verify = "grep -q 'site backup' {scratch}/restored"
`, dir)
	f.Close()
	return cfg, release
}

// jsonLines decodes one JSON value per line.
func jsonLines[T any](t *testing.T, out string) []T {
	t.Helper()
	var vs []T
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var v T
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("not JSON: %q: %v", l, err)
		}
		vs = append(vs, v)
	}
	return vs
}

// What one process records in the database another reads, each with its
// own state directory: the files are not how they meet.
func TestState_Postgres_ProcessesShareOneRecord(t *testing.T) {
	_, url := fleettest.StartPostgresDB(t, "opsdeck")
	cfg, _ := teamHost(t)
	maya := []string{"OPSDECK_DATABASE_URL=" + url, "XDG_STATE_HOME=" + t.TempDir(), "USER=maya"}
	tom := []string{"OPSDECK_DATABASE_URL=" + url, "XDG_STATE_HOME=" + t.TempDir()}

	if out, errOut, code := opsdeck(t, maya, "restart", "web-1", "worker", "--yes", "-c", cfg); code != 0 {
		t.Fatalf("restart: exit %d\n%s\n%s", code, out, errOut)
	}
	if out, errOut, code := opsdeck(t, maya, "drill", "web-1", "site", "--yes", "-c", cfg); code != 0 {
		t.Fatalf("drill: exit %d\n%s\n%s", code, out, errOut)
	}
	out, errOut, code := opsdeck(t, tom, "audit", "--json", "-c", cfg)
	if code != 0 {
		t.Fatalf("audit: exit %d\n%s", code, errOut)
	}
	es := jsonLines[actions.Entry](t, out)
	if len(es) != 2 || es[0].Kind != "restart" || es[0].Outcome != actions.Succeeded || es[0].Target != "worker" ||
		es[1].Kind != "drill" || es[1].Outcome != actions.Succeeded || es[0].Exit == nil || *es[0].Exit != 0 {
		t.Errorf("audit read by another process:\n%s", out)
	}
	out, _, code = opsdeck(t, tom, "drills", "--json", "-c", cfg)
	ds := jsonLines[fleet.DrillRecord](t, out)
	if code != 0 || len(ds) != 1 || !ds[0].Passed || ds[0].Host != "web-1" || ds[0].Backup != "site" {
		t.Errorf("drills read by another process: exit %d\n%s", code, out)
	}
	out, _, _ = opsdeck(t, tom, "audit", "web-1", "-c", cfg)
	if !strings.Contains(out, "restart worker") || !strings.Contains(out, "succeeded") {
		t.Errorf("audit table:\n%s", out)
	}
	for _, env := range [][]string{maya, tom} {
		state := strings.TrimPrefix(env[1], "XDG_STATE_HOME=")
		for _, name := range []string{"audit.jsonl", "drills.jsonl"} {
			if _, err := os.Stat(filepath.Join(state, "opsdeck", name)); err == nil {
				t.Errorf("%s written with a database named", name)
			}
		}
	}
}

// The intent is committed before the command starts: the command itself
// finds it in the database from another session. The database then fails
// while the command runs: the action still ends and says its result went
// unrecorded, and the intent is still there once the database is back.
// With the database down before an action, nothing runs.
func TestState_Postgres_IntentCommittedBeforeTheCommand(t *testing.T) {
	pg, url := fleettest.StartPostgresDB(t, "opsdeck")
	dir := t.TempDir()
	seen, release, ran := filepath.Join(dir, "seen"), filepath.Join(dir, "release"), filepath.Join(dir, "ran")
	f := fleettest.StartFleet(t, 1)
	psql := filepath.Join(pg.Bin(), "psql")
	cfg := writeFile(t, "c.toml", fmt.Sprintf(`%s[[hosts]]
name = "web-1"
address = "127.0.0.1"
port = %d
[[hosts.services]]
name = "app"
kind = "process"
pattern = "opsdeck-test-no-such-process"
restart = "touch %s; %s -h 127.0.0.1 -p %d -U postgres -d opsdeck -tAc \"SELECT outcome FROM opsdeck_audit WHERE target = 'app'\" > %s; while [ ! -e %s ]; do sleep 0.05; done"
`, f.Defaults(), f.Hosts[0].Port, ran, psql, pg.Port, seen, release))
	env := []string{"OPSDECK_DATABASE_URL=" + url, "XDG_STATE_HOME=" + t.TempDir()}

	cmd := startOpsdeck(t, env, "restart", "web-1", "app", "--yes", "-c", cfg)
	fleettest.Eventually(t, 30*time.Second, "the command to have looked at the audit table", func() bool {
		b, _ := os.ReadFile(seen)
		return len(b) > 0
	})
	if b, _ := os.ReadFile(seen); strings.TrimSpace(string(b)) != actions.Started {
		t.Errorf("the command found %q in the audit table, want the intent %q", b, actions.Started)
	}
	pg.Stop() // the database fails between the intent and the result
	os.WriteFile(release, nil, 0o644)
	err := cmd.Wait()
	if err == nil || !strings.Contains(cmd.err.String(), "audit log failed to record it") {
		t.Errorf("with the database gone the result must be reported unrecorded: %v\n%s\n%s", err, cmd.out.String(), cmd.err.String())
	}
	pg.Start()
	if got := pg.SQL("opsdeck", "SELECT outcome FROM opsdeck_audit WHERE target = 'app' ORDER BY seq"); got != actions.Started {
		t.Errorf("after the failure the database holds %q, want the committed intent", got)
	}

	// Down before the action: refused, the command never starts.
	os.Remove(ran)
	pg.Stop()
	_, errOut, code := opsdeck(t, env, "restart", "web-1", "app", "--yes", "-c", cfg)
	if code == 0 || !strings.Contains(errOut, "state database") {
		t.Errorf("database down at start: exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("the command ran with no database to record it")
	}
}

// Two processes on two state directories restart one target at once: the
// database's advisory lock lets one run and refuses the other, naming it.
func TestState_Postgres_TwoAtOnceOneRefused(t *testing.T) {
	pg, url := fleettest.StartPostgresDB(t, "opsdeck")
	cfg, release := teamHost(t)
	first := startOpsdeck(t, []string{"OPSDECK_DATABASE_URL=" + url}, "restart", "web-1", "slow", "--yes", "-c", cfg)
	fleettest.Eventually(t, 30*time.Second, "the first restart's intent in the database", func() bool {
		n, err := pg.TrySQL("opsdeck", "SELECT count(*) FROM opsdeck_audit WHERE outcome = 'started'")
		return err == nil && n == "1"
	})
	_, errOut, code := opsdeck(t, []string{"OPSDECK_DATABASE_URL=" + url, "XDG_STATE_HOME=" + t.TempDir()},
		"restart", "web-1", "slow", "--yes", "-c", cfg)
	holder := fmt.Sprintf("(pid %d) is restarting it since", first.Process.Pid)
	if code == 0 || !strings.Contains(errOut, holder) || !strings.Contains(errOut, "another action on this target is running") {
		t.Errorf("second restart: exit %d, stderr %q; want it refused naming %q", code, errOut, holder)
	}
	os.WriteFile(release, nil, 0o644)
	if err := first.Wait(); err != nil {
		t.Fatalf("first restart: %v\n%s\n%s", err, first.out.String(), first.err.String())
	}
	got := pg.SQL("opsdeck", "SELECT string_agg(outcome, ',' ORDER BY outcome) FROM opsdeck_audit WHERE outcome <> 'started'")
	if got != "refused,succeeded" {
		t.Errorf("results recorded: %q, want one refusal and one success", got)
	}
	// Released: the next restart takes the lock.
	os.Remove(release)
	os.WriteFile(release, nil, 0o644)
	if _, errOut, code := opsdeck(t, []string{"OPSDECK_DATABASE_URL=" + url, "XDG_STATE_HOME=" + t.TempDir()},
		"restart", "web-1", "slow", "--yes", "-c", cfg); code != 0 {
		t.Errorf("restart after the lock's release: exit %d\n%s", code, errOut)
	}
}

// state migrate copies every local record, once: a second run copies
// nothing again, and another process reads them all from the database.
func TestState_MigrateCopiesEveryRecord(t *testing.T) {
	pg, url := fleettest.StartPostgresDB(t, "opsdeck")
	cfg, _ := teamHost(t)
	state := t.TempDir()
	env := []string{"XDG_STATE_HOME=" + state}
	for _, args := range [][]string{{"restart", "web-1", "worker"}, {"restart", "web-1", "worker"}, {"drill", "web-1", "site"}} {
		opsdeck(t, env, append(args, "--yes", "-c", cfg)...)
	}
	dir := filepath.Join(state, "opsdeck")
	now := time.Now().UTC().Truncate(time.Millisecond)
	events := &files.EventLog{Path: filepath.Join(dir, "events.jsonl")}
	if err := events.Append([]fleet.Event{
		{Time: now.Add(-time.Hour), Host: "web-1", Check: "disk /", From: "OK", To: "CRIT", Reason: "97% used"},
		{Time: now, Host: "web-1", Check: "disk /", From: "CRIT", To: "OK", Since: now.Add(-time.Hour)},
	}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "check-state.json"), []byte(`{"web-1/host":"WARN"}`), 0o600)
	lines := func(name string) int {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		return bytes.Count(b, []byte("\n"))
	}
	nAudit, nDrills := lines("audit.jsonl"), lines("drills.jsonl")
	if nAudit != 6 || nDrills != 1 {
		t.Fatalf("local history: %d audit lines, %d drills; want 6 and 1", nAudit, nDrills)
	}

	out, errOut, code := opsdeck(t, env, "state", "migrate", "--from", "files", "--to", url, "-c", cfg)
	want := fmt.Sprintf("audit records  %d copied, 0 already there", nAudit)
	if code != 0 || !strings.Contains(out, want) || !strings.Contains(out, "events         2 copied") || !strings.Contains(out, "check states   1 copied") {
		t.Fatalf("migrate: exit %d\n%s\n%s", code, out, errOut)
	}
	out, _, code = opsdeck(t, env, "state", "migrate", "--to", url, "-c", cfg)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("audit records  0 copied, %d already there", nAudit)) {
		t.Errorf("second migrate copied again: exit %d\n%s", code, out)
	}
	for table, n := range map[string]int{"opsdeck_audit": nAudit, "opsdeck_drills": nDrills, "opsdeck_events": 2, "opsdeck_values": 1} {
		if got := pg.SQL("opsdeck", "SELECT count(*) FROM "+table); got != strconv.Itoa(n) {
			t.Errorf("%s holds %s records, want %d", table, got, n)
		}
	}
	db := []string{"OPSDECK_DATABASE_URL=" + url, "XDG_STATE_HOME=" + t.TempDir()}
	local, _, _ := opsdeck(t, env, "audit", "--json", "-c", cfg)
	shared, _, _ := opsdeck(t, db, "audit", "--json", "-c", cfg)
	if len(jsonLines[actions.Entry](t, shared)) != 3 || local != shared {
		t.Errorf("audit from the files:\n%s\nfrom the database:\n%s", local, shared)
	}
	local, _, _ = opsdeck(t, env, "history", "--json", "-c", cfg)
	shared, _, _ = opsdeck(t, db, "history", "--json", "-c", cfg)
	if len(jsonLines[fleet.Event](t, shared)) != 2 || local != shared {
		t.Errorf("history from the files:\n%s\nfrom the database:\n%s", local, shared)
	}
	local, _, _ = opsdeck(t, env, "drills", "--json", "-c", cfg)
	shared, _, _ = opsdeck(t, db, "drills", "--json", "-c", cfg)
	if local != shared || !strings.Contains(shared, `"passed":true`) {
		t.Errorf("drills from the files:\n%s\nfrom the database:\n%s", local, shared)
	}

	// A password in a URL on the command line or in the config is refused.
	_, errOut, code = opsdeck(t, env, "state", "migrate", "--to", "postgres://postgres:s3cret@127.0.0.1/opsdeck", "-c", cfg)
	if code == 0 || strings.Contains(errOut, "s3cret") || !strings.Contains(errOut, "password") {
		t.Errorf("password on the command line: exit %d, %q", code, errOut)
	}
	bad := writeFile(t, "bad.toml", "[state]\nurl = \"postgres://ops:s3cret@db/opsdeck\"\n[[hosts]]\nname = \"a\"\naddress = \"localhost\"\n")
	out, errOut, code = opsdeck(t, nil, "config", "check", "-c", bad)
	if all := out + errOut; code == 0 || !strings.Contains(all, bad+":2:1: state.url: holds a password") || strings.Contains(all, "s3cret") {
		t.Errorf("password in the config: exit %d, %q", code, all)
	}
}

// Two operators on one database: a restart and a drill run by one show on
// the other's running dashboard within its poll interval, on the status
// line, in the audit panel and in the DRILL column.
func TestTmux_TeamSeesEachOther(t *testing.T) {
	_, url := fleettest.StartPostgresDB(t, "opsdeck")
	cfg, _ := teamHost(t)
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, bytes.Replace(b, []byte("[[hosts]]"), []byte("poll_interval = \"1s\"\n[[hosts]]"), 1), 0o644)
	s := startTmux(t, 80, 24, []string{"OPSDECK_DATABASE_URL=" + url}, "--config", cfg)
	s.waitScreen("1 host:", "web-1", "never")
	maya := []string{"OPSDECK_DATABASE_URL=" + url, "XDG_STATE_HOME=" + t.TempDir()}
	if out, errOut, code := opsdeck(t, maya, "restart", "web-1", "worker", "--yes", "-c", cfg); code != 0 {
		t.Fatalf("restart: exit %d\n%s\n%s", code, out, errOut)
	}
	scr := s.waitScreen("restart worker on web-1: succeeded")
	s.checkFits(scr)
	t.Logf("after maya's restart:\n%s", scr)
	if out, errOut, code := opsdeck(t, maya, "drill", "web-1", "site", "--yes", "-c", cfg); code != 0 {
		t.Fatalf("drill: exit %d\n%s\n%s", code, out, errOut)
	}
	s.waitScreen("drill site on web-1: succeeded")
	// The drill's record follows its audit result: within a poll the
	// DRILL column has it.
	fleettest.Eventually(t, 10*time.Second, "the DRILL column to show maya's drill", func() bool {
		return !strings.Contains(s.screen(), "never")
	})
	t.Logf("after maya's drill:\n%s", s.screen())
	s.keys("L")
	scr = s.waitScreen("Audit log", "restart", "drill", url[:strings.Index(url, "?")])
	s.checkFits(scr)
	t.Logf("tom's audit panel:\n%s", scr)
	s.keys("q", "q")
	if code := s.waitExit(); code != 0 {
		t.Errorf("exit %d", code)
	}
}

// Two cron jobs on one database checking different hosts: neither takes
// the other's hosts for changes, and neither drops them from the saved
// state; a run of the same hosts from another machine sees no change.
func TestState_Postgres_CheckStateShared(t *testing.T) {
	pg, url := fleettest.StartPostgresDB(t, "opsdeck")
	f := fleettest.StartFleet(t, 1)
	mail := filepath.Join(t.TempDir(), "mail")
	run := func(cfg string) int {
		_, errOut, code := opsdeck(t, []string{"OPSDECK_DATABASE_URL=" + url, "XDG_STATE_HOME=" + t.TempDir()},
			"check", "-c", cfg, "--notify-cmd", "cat >> "+mail)
		if code == 3 {
			t.Fatalf("check: %s", errOut)
		}
		return code
	}
	web := checkConfig(t, f, map[string]float64{"host-1": 2}, false) // disk / CRIT
	db := writeFile(t, "db.toml", fmt.Sprintf("%s[[hosts]]\nname = \"db-1\"\naddress = %q\nport = %d\n", f.Defaults(), f.Hosts[0].Listen, f.Hosts[0].Port))
	if code := run(web); code != 2 {
		t.Fatalf("web: exit %d", code)
	}
	if code := run(db); code != 0 {
		t.Fatalf("db: exit %d", code)
	}
	if code := run(web); code != 2 {
		t.Fatalf("web again: exit %d", code)
	}
	b, _ := os.ReadFile(mail)
	if n := strings.Count(string(b), "opsdeck: worst"); n != 1 || !strings.Contains(string(b), "host-1: disk:/ CRIT (was OK)") || strings.Contains(string(b), "db-1") {
		t.Errorf("%d notifications, want the one change:\n%s", n, b)
	}
	saved := pg.SQL("opsdeck", "SELECT value FROM opsdeck_values WHERE name = 'check-state'")
	if !strings.Contains(saved, `"host-1/disk:/": "CRIT"`) || !strings.Contains(saved, `"db-1/host": "OK"`) {
		t.Errorf("saved state lost a run's hosts: %s", saved)
	}
}

// info names the shared record and the source instead of the files.
func TestInfo_SharedRecordAndSource(t *testing.T) {
	cfg := writeFile(t, "c.toml", "[state]\nurl = \"postgres://ops@127.0.0.1:1/opsdeck\"\n[[sources]]\nkind = \"prometheus\"\nurl = \"http://127.0.0.1:1\"\n[[hosts]]\nname = \"a\"\naddress = \"127.0.0.1\"\n")
	out, errOut, code := opsdeck(t, nil, "info", "-c", cfg)
	if code != 0 || !strings.Contains(out, "shared record    postgres://ops@127.0.0.1:1/opsdeck") ||
		!strings.Contains(out, `resources from   prometheus http://127.0.0.1:1 up{job="node"}`) || strings.Contains(out, "audit.jsonl") {
		t.Errorf("info: exit %d\n%s\n%s", code, out, errOut)
	}
}

// A database down when the dashboard starts: the fleet is watched all the
// same, actions are refused while their intent cannot be recorded, and
// once the database answers the dashboard says so and follows the team.
func TestTmux_DatabaseDownAtStart(t *testing.T) {
	pg, url := fleettest.StartPostgresDB(t, "opsdeck")
	cfg, _ := teamHost(t)
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, bytes.Replace(b, []byte("[[hosts]]"), []byte("poll_interval = \"1s\"\n[[hosts]]"), 1), 0o644)
	maya := []string{"OPSDECK_DATABASE_URL=" + url, "XDG_STATE_HOME=" + t.TempDir()}
	if out, errOut, code := opsdeck(t, maya, "drill", "web-1", "site", "--yes", "-c", cfg); code != 0 {
		t.Fatalf("drill: exit %d\n%s\n%s", code, out, errOut)
	}
	pg.Stop()
	s := startTmux(t, 80, 24, []string{"OPSDECK_DATABASE_URL=" + url}, "--config", cfg)
	scr := s.waitScreenFor(20*time.Second, "1 host:", "web-1", "shared record: database unreachable since start: connection refused")
	s.checkFits(scr)
	t.Logf("database down at start:\n%s", scr)
	// The drill maya recorded cannot be read: the DRILL cell is "?" (the
	// cell after BACKUP's age, before the reason), never "never"; once
	// the database answers it is the drill's age.
	drillCell := regexp.MustCompile(`web-1 .* [0-9]+[smhd] +(\S+) service slow`)
	drill := func() string {
		if m := drillCell.FindStringSubmatch(s.screen()); m != nil {
			return m[1]
		}
		return ""
	}
	fleettest.Eventually(t, 20*time.Second, "web-1's row with its backup's age", func() bool { return drill() != "" })
	if got := drill(); got != "?" {
		t.Errorf("DRILL with the drill history unreadable: %q, want ?\n%s", got, s.screen())
	}
	s.keys("p")
	scr = s.waitScreen("backup site: drill history unknown: database unreachable since start")
	t.Logf("problems:\n%s", scr)
	s.keys("Escape")
	pg.Start()
	s.waitScreenFor(30*time.Second, "shared record answers again")
	fleettest.Eventually(t, 10*time.Second, "DRILL as the drill's age", func() bool {
		return regexp.MustCompile(`^[0-9]+[smh]$`).MatchString(drill())
	})
	t.Logf("once the database answers:\n%s", s.screen())
	maya = []string{"OPSDECK_DATABASE_URL=" + url, "XDG_STATE_HOME=" + t.TempDir()}
	if out, errOut, code := opsdeck(t, maya, "restart", "web-1", "worker", "--yes", "-c", cfg); code != 0 {
		t.Fatalf("restart: exit %d\n%s\n%s", code, out, errOut)
	}
	scr = s.waitScreen("restart worker on web-1: succeeded")
	t.Logf("after the database came back and maya restarted worker:\n%s", scr)
	s.keys("q")
	if code := s.waitExit(); code != 0 {
		t.Errorf("exit %d", code)
	}
}

// drilledHost is a config of one real sshd host, db-1, polled every
// second, whose files backup "site" has had one passing drill in the
// record at url.
func drilledHost(t *testing.T, url string) string {
	t.Helper()
	f := fleettest.StartFleet(t, 1)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "site-1.tar"), []byte("site backup one"), 0o644)
	cfg := writeFile(t, "c.toml", fmt.Sprintf(`%spoll_interval = "1s"
[[hosts]]
name = "db-1"
address = %q
port = %d
mounts = ["/"]
[[hosts.backups]]
name = "site"
kind = "files"
path = "%s/site-*.tar"
restore = "cp -- {artifact} {scratch}/restored"
verify = "grep -q 'site backup' {scratch}/restored"
`, f.Defaults(), f.Hosts[0].Listen, f.Hosts[0].Port, dir))
	env := []string{"OPSDECK_DATABASE_URL=" + url, "XDG_STATE_HOME=" + t.TempDir()}
	if out, errOut, code := opsdeck(t, env, "drill", "db-1", "site", "--yes", "-c", cfg); code != 0 {
		t.Fatalf("drill: exit %d\n%s\n%s", code, out, errOut)
	}
	return cfg
}

// check with the shared record down: the fleet is still checked, the
// drilled backup is UNKNOWN (its drill in the record cannot be read, so
// not "never restore-tested"), and no notification goes out, nor is a
// local state written in the record's place.
func TestState_Postgres_CheckWithDatabaseDown(t *testing.T) {
	pg, url := fleettest.StartPostgresDB(t, "opsdeck")
	cfg := drilledHost(t, url)
	mail := filepath.Join(t.TempDir(), "mail")
	state := t.TempDir()
	env := []string{"OPSDECK_DATABASE_URL=" + url, "XDG_STATE_HOME=" + state}
	if out, errOut, code := opsdeck(t, env, "check", "-c", cfg, "--notify-cmd", "cat >> "+mail); code != 0 {
		t.Fatalf("check with the record up: exit %d\n%s\n%s", code, out, errOut)
	}
	before, _ := os.ReadFile(mail)
	pg.Stop()
	out, errOut, code := opsdeck(t, env, "check", "-c", cfg, "--notify-cmd", "cat >> "+mail)
	t.Logf("check with the record down: exit %d\n%s%s", code, out, errOut)
	if code != 3 || !strings.Contains(out, "backup site: drill history unknown") || strings.Contains(out, "never") {
		t.Errorf("check with the record down: exit %d, want 3 with the drill unknown\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "database unreachable since start") || !strings.Contains(errOut, "no notification") {
		t.Errorf("stderr does not say the record is down and nothing was notified:\n%s", errOut)
	}
	if after, _ := os.ReadFile(mail); !bytes.Equal(after, before) {
		t.Errorf("notified with the record down:\n%s", after[len(before):])
	}
	if _, err := os.Stat(filepath.Join(state, "opsdeck", "check-state.json")); err == nil {
		t.Error("the check state went to a local file in the shared record's place")
	}
}

// serve-metrics started with the shared record down serves the fleet; the
// drilled backup is UNKNOWN (3) until the record answers, then its drill
// is read and it is OK (0).
func TestState_Postgres_ServeMetricsWithDatabaseDown(t *testing.T) {
	pg, url := fleettest.StartPostgresDB(t, "opsdeck")
	cfg := drilledHost(t, url)
	pg.Stop()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	startOpsdeck(t, []string{"OPSDECK_DATABASE_URL=" + url}, "serve-metrics", addr, "-c", cfg)
	backup := func() float64 {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return -1
		}
		defer resp.Body.Close()
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(resp.Body)
		if err != nil {
			t.Fatalf("/metrics does not parse: %v", err)
		}
		if v, ok := gauge(fams, "opsdeck_check_state", map[string]string{"host": "db-1", "check": "backup:site"}); ok {
			return v
		}
		return -1
	}
	fleettest.Eventually(t, 20*time.Second, "backup site UNKNOWN (3) with the record down", func() bool { return backup() == 3 })
	pg.Start()
	fleettest.Eventually(t, 30*time.Second, "backup site OK (0) once the record answers", func() bool { return backup() == 0 })
}
