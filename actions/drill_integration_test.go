package actions_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/actions/record/files"

	"github.com/opsdeck/opsdeck/fleet/config"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
	"github.com/opsdeck/opsdeck/fleet/probe"
	"github.com/opsdeck/opsdeck/fleet/sshx"
)

// drillRig is one real sshd host with a config, an action manager, a drill
// log and a probe to read backup status.
type drillRig struct {
	t    *testing.T
	cfg  *fleet.Config
	pool *sshx.Pool
	src  *probe.SSHSource
	mgr  *actions.Manager
	hist *files.DrillLog
}

func newDrillRig(t *testing.T, backups string) *drillRig {
	f := fleettest.StartFleet(t, 1)
	h := f.Hosts[0]
	cfg, err := config.Parse("t.toml", []byte(fmt.Sprintf(`%s[[hosts]]
name = "db-2"
address = "127.0.0.1"
port = %d
%s`, f.Defaults(), h.Port, backups)))
	if err != nil {
		t.Fatal(err)
	}
	targets, err := sshx.Resolve(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pool := sshx.NewPool(sshx.Options{KnownHosts: sshx.KnownHostsFiles(cfg), NoAgent: true})
	t.Cleanup(pool.Close)
	state := t.TempDir()
	return &drillRig{t: t, cfg: cfg, pool: pool,
		src: probe.NewSSHSource(pool.Client(*targets["db-2"]), &cfg.Hosts[0], probe.Options{OneShot: true}),
		mgr: &actions.Manager{Exec: &actions.FleetExecutor{Pool: pool, Targets: targets},
			Audit: &files.Audit{Path: filepath.Join(state, "audit.jsonl")}, Operator: "tom@ops"},
		hist: &files.DrillLog{Path: filepath.Join(state, "drills.jsonl")}}
}

// backup reads the backup's status with a real probe.
func (r *drillRig) backup(name string) *fleet.BackupStatus {
	r.t.Helper()
	s, err := r.src.Sample(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	r.src.Settle(context.Background(), s)
	for i := range s.Backups {
		if s.Backups[i].Name == name {
			return &s.Backups[i]
		}
	}
	r.t.Fatalf("no backup %s in %+v", name, s.Backups)
	return nil
}

func (r *drillRig) drill(name string) (actions.Result, *fleet.DrillRecord, string) {
	r.t.Helper()
	d, err := actions.PlanDrill(&r.cfg.Hosts[0], name, r.backup(name), r.cfg.Hosts, time.Now())
	if err != nil {
		r.t.Fatal(err)
	}
	var out []string
	res, rec := r.mgr.RunDrill(context.Background(), d, r.hist, func(l string) { out = append(out, l) })
	return res, rec, strings.Join(out, "\n")
}

var scratchRE = regexp.MustCompile(`scratch (\S+)`)

// scratchGone asserts the drill's scratch directory was removed.
func scratchGone(t *testing.T, out string) {
	t.Helper()
	m := scratchRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("drill printed no scratch directory:\n%s", out)
	}
	if _, err := os.Stat(m[1]); !os.IsNotExist(err) {
		t.Errorf("scratch %s still exists after the drill (%v)", m[1], err)
	}
}

func TestIntegration_DrillRestic(t *testing.T) {
	repo := fleettest.NewRestic(t)
	src := filepath.Join(t.TempDir(), "appdata")
	os.MkdirAll(src, 0o755)
	data := []byte(fmt.Sprintf("orders %d\n", time.Now().UnixNano()))
	os.WriteFile(filepath.Join(src, "orders.csv"), data, 0o644)
	repo.Run(t, "backup", src)
	sum := sha256.Sum256(data)
	r := newDrillRig(t, fmt.Sprintf(`[[hosts.backups]]
name = "files-restic"
kind = "restic"
repo = %q
password_file = %q
max_age = "26h"
drill_every = "168h"
verify = '''echo '%s  '{scratch}%s | sha256sum -c -'''
`, repo.Repo, repo.PasswordFile, hex.EncodeToString(sum[:]), filepath.Join(src, "orders.csv")))
	st := r.backup("files-restic")
	if st.Err != "" || st.Newest == "" || time.Since(st.NewestAt) > time.Minute {
		t.Fatalf("restic status %+v", st)
	}
	if c := fleet.BackupCheck(&r.cfg.Hosts[0].Backups[0], st, fleet.DrillSummary{}, time.Now()); c.State != fleet.Warn || !strings.Contains(c.Reason, "never restore-tested") {
		t.Errorf("before any drill: %s %s", c.State, c.Reason)
	}
	res, rec, out := r.drill("files-restic")
	if res.Outcome != actions.Succeeded || rec == nil || !rec.Passed || !strings.Contains(out, ": OK") {
		t.Fatalf("drill: %+v\n%s", res, out)
	}
	scratchGone(t, out)
	hist, _ := r.hist.Load()
	if len(hist) != 1 || !hist[0].Passed || hist[0].Artifact != st.Newest || hist[0].Backup != "files-restic" || hist[0].Duration <= 0 {
		t.Errorf("drill history %+v", hist)
	}
	sum2 := fleet.DrillSummary{Last: rec, LastPass: rec}
	if c := fleet.BackupCheck(&r.cfg.Hosts[0].Backups[0], st, sum2, time.Now()); c.State != fleet.OK {
		t.Errorf("after a passing drill: %s %s", c.State, c.Reason)
	}
	if es, _ := r.mgr.Audit.Recent(5); len(es) != 1 || es[0].Kind != "drill" || es[0].Outcome != "succeeded" {
		t.Errorf("audit %+v", es)
	}
}

func TestIntegration_DrillPostgres(t *testing.T) {
	pg := fleettest.StartPostgres(t)
	pg.SQL("postgres", "create database app")
	pg.SQL("app", "create table accounts (id int primary key, name text); insert into accounts values (1,'a'),(2,'b'),(3,'c')")
	dir := t.TempDir()
	dump := func(name string) string {
		p := filepath.Join(dir, name)
		cmd := exec.Command("sh", "-c", fmt.Sprintf("%s/pg_dump %s app | gzip > %q", pg.Bin(), pg.Conn(), p))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("pg_dump: %v %s", err, out)
		}
		return p
	}
	good := dump("app-1.sql.gz")
	minuteAgo := time.Now().Add(-time.Minute)
	os.Chtimes(good, minuteAgo, minuteAgo)
	conn := pg.Conn()
	r := newDrillRig(t, fmt.Sprintf(`[[hosts.backups]]
name = "pg-nightly"
kind = "files"
path = %q
max_age = "26h"
min_size = "100B"
restore = "PATH=%s:$PATH; createdb %s {drill_id} && gunzip -c {artifact} | psql -q -v ON_ERROR_STOP=1 %s -d {drill_id}"
verify = "test \"$(%s/psql -tA %s -d {drill_id} -c 'select count(*) from accounts')\" = 3"
cleanup = "%s/dropdb %s --if-exists {drill_id}"
`, filepath.Join(dir, "*.sql.gz"), pg.Bin(), conn, conn, pg.Bin(), conn, pg.Bin(), conn))

	res, rec, out := r.drill("pg-nightly")
	if res.Outcome != actions.Succeeded || !rec.Passed {
		t.Fatalf("drill: %+v\n%s", res, out)
	}
	scratchGone(t, out)
	if dbs := pg.SQL("postgres", "select count(*) from pg_database where datname like 'opsdeck_drill_%'"); dbs != "0" {
		t.Errorf("%s scratch databases left behind", dbs)
	}
	if !strings.HasPrefix(rec.DrillID, "opsdeck_drill_") {
		t.Errorf("drill id %q", rec.DrillID)
	}

	// A corrupted artefact, newer than the good one: the drill fails, is
	// recorded, the backup turns CRIT, and nothing is left behind.
	os.WriteFile(filepath.Join(dir, "app-2.sql.gz"), []byte(strings.Repeat("not gzip, but as large as a real dump. ", 30)), 0o644)
	res, rec, out = r.drill("pg-nightly")
	if res.Outcome != actions.Failed || rec == nil || rec.Passed || !strings.Contains(rec.Artifact, "app-2.sql.gz") {
		t.Fatalf("corrupted: %+v %+v\n%s", res, rec, out)
	}
	// The summary is the failing step's own error, not the clean-up's last
	// line: psql restored nothing from the corrupt dump, so verify failed.
	if !strings.HasPrefix(rec.Reason, "verify failed (exit ") || !strings.Contains(rec.Reason, "ERROR") {
		t.Errorf("failed drill's reason %q, want verify's psql error\n%s", rec.Reason, out)
	}
	scratchGone(t, out)
	if dbs := pg.SQL("postgres", "select count(*) from pg_database where datname like 'opsdeck_drill_%'"); dbs != "0" {
		t.Errorf("%s scratch databases left after a failed drill", dbs)
	}
	hist, _ := r.hist.Load()
	if len(hist) != 2 || !hist[0].Passed || hist[1].Passed {
		t.Fatalf("history %+v", hist)
	}
	sum := fleet.DrillSummary{Last: &hist[1], LastPass: &hist[0]}
	st := r.backup("pg-nightly")
	if c := fleet.BackupCheck(&r.cfg.Hosts[0].Backups[0], st, sum, time.Now()); c.State != fleet.Crit || !strings.Contains(c.Reason, "last restore drill FAILED") {
		t.Errorf("after a failed drill: %s %q", c.State, c.Reason)
	}
}

func TestIntegration_BackupFreshnessAndSize(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "site-old.tar")
	os.WriteFile(old, make([]byte, 5000), 0o644)
	threeDays := time.Now().Add(-72 * time.Hour)
	os.Chtimes(old, threeDays, threeDays)
	r := newDrillRig(t, fmt.Sprintf(`[[hosts.backups]]
name = "site"
kind = "files"
path = %q
max_age = "26h"
[[hosts.backups]]
name = "none"
kind = "files"
path = %q
`, filepath.Join(dir, "site-*.tar"), filepath.Join(dir, "missing", "*.tar")))
	b := &r.cfg.Hosts[0].Backups[0]
	st := r.backup("site")
	if st.Count != 1 || st.Size != 5000 || st.NewestAt.Unix() != threeDays.Unix() {
		t.Fatalf("status %+v", st)
	}
	if c := fleet.BackupCheck(b, st, fleet.DrillSummary{}, time.Now()); c.State != fleet.Crit || !strings.Contains(c.Reason, "is 3d old (max 26h)") {
		t.Errorf("stale: %s %q", c.State, c.Reason)
	}
	os.WriteFile(filepath.Join(dir, "site-new.tar"), nil, 0o644) // a 0-byte newest dump
	st = r.backup("site")
	if c := fleet.BackupCheck(b, st, fleet.DrillSummary{}, time.Now()); c.State != fleet.Crit || !strings.Contains(c.Reason, "too small: the newest artefact is empty") {
		t.Errorf("empty newest: %s %q (%+v)", c.State, c.Reason, st)
	}
	if c := fleet.BackupCheck(&r.cfg.Hosts[0].Backups[1], r.backup("none"), fleet.DrillSummary{}, time.Now()); c.State != fleet.Crit || !strings.Contains(c.Reason, "no backup found") {
		t.Errorf("missing: %s %q", c.State, c.Reason)
	}
}

// Placeholder values with spaces, quotes and ; reach the command as one
// literal argument each.
func TestIntegration_DrillPlaceholdersAreLiteral(t *testing.T) {
	dir := t.TempDir()
	canary := filepath.Join(dir, "canary")
	os.WriteFile(canary, []byte("still here"), 0o644)
	weird := filepath.Join(dir, `it's a "dump"; rm -f canary; $(touch pwned) .sql`)
	os.WriteFile(weird, []byte("payload"), 0o644)
	r := newDrillRig(t, fmt.Sprintf(`[[hosts.backups]]
name = "weird"
kind = "files"
path = %q
restore = "cd %s && set -- {artifact} && test $# -eq 1 && cp -- \"$1\" {scratch}/copy"
verify = "cmp -- {artifact} {scratch}/copy && test -d {scratch} && printf '%%s\n' {drill_id} | grep -qx 'opsdeck_drill_[0-9_a-f]*'"
`, filepath.Join(dir, "*.sql"), dir))
	res, rec, out := r.drill("weird")
	if res.Outcome != actions.Succeeded || !rec.Passed || rec.Artifact != weird {
		t.Fatalf("%+v %+v\n%s", res, rec, out)
	}
	if _, err := os.Stat(canary); err != nil {
		t.Error("the ; in the artefact name ran a command: canary removed")
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Error("$(…) in the artefact name ran")
	}
	scratchGone(t, out)
}
