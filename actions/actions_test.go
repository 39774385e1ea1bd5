package actions

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet/config"
	"github.com/opsdeck/opsdeck/fleet/fleettest"

	"github.com/opsdeck/opsdeck/fleet"
)

type fakeExec struct {
	mu    sync.Mutex
	ran   []string
	exit  int
	out   string
	err   error
	block bool
}

func (f *fakeExec) Exec(ctx context.Context, h *fleet.Host, cmd string, out io.Writer) (int, error) {
	f.mu.Lock()
	f.ran = append(f.ran, h.Name+": "+cmd)
	f.mu.Unlock()
	io.WriteString(out, f.out)
	if f.block {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	return f.exit, f.err
}

func hosts(t *testing.T) []fleet.Host {
	t.Helper()
	c, err := config.Parse("t.toml", []byte(`
[[hosts]]
name = "web-1"
env = "staging"
[[hosts.services]]
name = "api"
kind = "supervisor"
program = "api"
conf = "/etc/sup visor.conf"
[[hosts]]
name = "db-1"
env = "prod"
sudo = true
[[hosts.services]]
name = "pg"
kind = "systemd"
unit = "postgresql@15-main.service"
[[hosts.services]]
name = "worker"
kind = "process"
pattern = "worker"
`))
	if err != nil {
		t.Fatal(err)
	}
	return c.Hosts
}

func TestPlanRestart(t *testing.T) {
	hs := hosts(t)
	p, err := PlanRestart(&hs[0], "api")
	if err != nil || p.Command != `supervisorctl -c '/etc/sup visor.conf' restart 'api'` || !p.Disruptive {
		t.Errorf("%+v %v", p, err)
	}
	p, err = PlanRestart(&hs[1], "pg")
	if err != nil || p.Command != `sudo -n systemctl restart -- 'postgresql@15-main.service'` {
		t.Errorf("%+v %v", p, err)
	}
	if _, err := PlanRestart(&hs[1], "worker"); !errors.Is(err, ErrNoRestart) {
		t.Errorf("process without restart: %v", err)
	}
	if _, err := PlanRestart(&hs[0], "nope"); err == nil || !strings.Contains(err.Error(), `host web-1 has no service "nope" (services: api)`) {
		t.Errorf("unknown service: %v", err)
	}
	for _, u := range []struct {
		svc  fleet.Service
		want string
	}{
		{fleet.Service{Kind: "docker", Container: "a'b"}, `docker restart -- 'a'\''b'`},
		{fleet.Service{Kind: "pm2", Program: "q; reboot"}, `pm2 restart 'q; reboot'`},
		{fleet.Service{Kind: "process", Restart: "/usr/local/bin/restart-worker --now"}, `/usr/local/bin/restart-worker --now`},
	} {
		if got, _ := RestartCommand(&u.svc); got != u.want {
			t.Errorf("got %q want %q", got, u.want)
		}
	}
}

func TestConfirmation(t *testing.T) {
	hs := hosts(t)
	staging, _ := PlanRestart(&hs[0], "api")
	prod, _ := PlanRestart(&hs[1], "pg")
	if got := Confirmation([]*Plan{staging}); got != "" {
		t.Errorf("staging: %q", got)
	}
	if got := Confirmation([]*Plan{prod}); got != "db-1" {
		t.Errorf("prod: %q", got)
	}
	if got := Confirmation([]*Plan{staging, prod}); got != "2" {
		t.Errorf("two hosts: %q", got)
	}
}

func manager(t *testing.T, ex Executor) (*Manager, string) {
	path := filepath.Join(t.TempDir(), "state", "audit.jsonl")
	return &Manager{Exec: ex, Audit: &memAudit{}, LockDir: t.TempDir(), Operator: "maya@laptop"}, path
}

// memAudit is an audit log in memory (the file and database ones are
// actions/record's, tested there); err makes every Append fail.
type memAudit struct {
	mu  sync.Mutex
	es  []Entry
	err error
}

func (a *memAudit) Append(e Entry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return a.err
	}
	a.es = append(a.es, SanitizeEntry(e))
	return nil
}

func (a *memAudit) Recent(n int) ([]Entry, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return LastActions(append([]Entry(nil), a.es...), n), nil
}

func (a *memAudit) Where() string { return "memory" }

func TestRun_AuditsEveryOutcome(t *testing.T) {
	hs := hosts(t)
	p, _ := PlanRestart(&hs[0], "api")
	ex := &fakeExec{out: "api: stopped\napi: started\n"}
	m, _ := manager(t, ex)
	polled := ""
	m.After = func(h string) { polled = h }
	var lines []string
	r := m.Run(context.Background(), p, func(l string) { lines = append(lines, l) })
	if r.Outcome != Succeeded || r.Err != nil || strings.Join(lines, "|") != "api: stopped|api: started" || polled != "web-1" {
		t.Fatalf("%+v lines %v polled %q", r, lines, polled)
	}

	ex.exit, ex.out = 1, "sudo: a password is required\n"
	r = m.Run(context.Background(), p, nil)
	if r.Outcome != Failed || !strings.Contains(r.Err.Error(), "sudo needs a password") {
		t.Errorf("sudo: %+v", r)
	}
	ex.exit, ex.out = 7, "api: ERROR (no such process)\n"
	r = m.Run(context.Background(), p, nil)
	if r.Outcome != Failed || r.Err.Error() != "exit 7: api: ERROR (no such process)" {
		t.Errorf("failure: %+v", r)
	}
	m.Cancelled(p)
	m.ReadOnly = true
	if r := m.Run(context.Background(), p, nil); r.Outcome != Refused || !errors.Is(r.Err, ErrReadOnly) {
		t.Errorf("read-only: %+v", r)
	}
	if len(ex.ran) != 3 {
		t.Errorf("commands run: %v", ex.ran)
	}
	es, err := m.Audit.Recent(10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Outcome)
		if e.Operator != "maya@laptop" || e.Host != "web-1" || e.Target != "api" || e.Kind != "restart" || e.Command != p.Command || e.Time.IsZero() {
			t.Errorf("incomplete entry %+v", e)
		}
	}
	if strings.Join(got, ",") != "succeeded,failed,failed,cancelled,refused" {
		t.Errorf("outcomes %v", got)
	}
	if es[0].Exit == nil || *es[0].Exit != 0 || len(es[0].Output) != 2 || es[2].Exit == nil || *es[2].Exit != 7 || es[4].Exit != nil {
		t.Errorf("exit/output: %+v", es)
	}
}

func TestRun_RefusesUnrecorded(t *testing.T) {
	hs := hosts(t)
	p, _ := PlanRestart(&hs[0], "api")
	ex := &fakeExec{}
	m := &Manager{Exec: ex, Audit: &memAudit{err: errors.New("audit log: not a directory")}, LockDir: t.TempDir()}
	r := m.Run(context.Background(), p, nil)
	if r.Outcome != Refused || !strings.Contains(r.Err.Error(), "refusing to act unrecorded") || len(ex.ran) != 0 {
		t.Errorf("%+v ran %v", r, ex.ran)
	}
}

func TestRun_OnePerTargetCancelAndTimeout(t *testing.T) {
	hs := hosts(t)
	p, _ := PlanRestart(&hs[0], "api")
	ex := &fakeExec{block: true}
	m, _ := manager(t, ex)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Result)
	go func() { done <- m.Run(ctx, p, nil) }()
	fleettest.Eventually(t, 5*time.Second, "the action to start", func() bool {
		ex.mu.Lock()
		defer ex.mu.Unlock()
		return len(ex.ran) == 1
	})
	if r := m.Run(context.Background(), p, nil); r.Outcome != Refused || !errors.Is(r.Err, ErrBusy) {
		t.Errorf("second action on the same target: %+v", r)
	}
	cancel()
	if r := <-done; r.Outcome != Cancelled {
		t.Errorf("cancelled: %+v", r)
	}
	p.Timeout = 50 * time.Millisecond
	if r := m.Run(context.Background(), p, nil); r.Outcome != Failed || !strings.Contains(r.Err.Error(), "did not finish within 50ms") {
		t.Errorf("timeout: %+v", r)
	}
}

func TestRolling_StopsAtFirstFailure(t *testing.T) {
	plans := rollingPlans(t)
	ex := &fakeExec{}
	m, _ := manager(t, ex)
	checked := 0
	waiting, said := make(chan struct{}), false
	defer func(d time.Duration) { RollingProgress = d }(RollingProgress)
	RollingProgress = time.Millisecond
	healthy := func(ctx context.Context, p *Plan) error {
		checked++
		if p.Host.Name == "web-2" {
			return errors.New("still STARTING after 30s")
		}
		select { // a service that takes a while to run again: until the wait has been said
		case <-waiting:
		case <-time.After(5 * time.Second):
		}
		return nil
	}
	var steps, lines []string
	var mu sync.Mutex
	onLine := func(p *Plan, l string) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, p.Host.Name+" | "+l)
		if strings.Contains(l, "still waiting") && !said {
			said = true
			close(waiting)
		}
	}
	rs := m.Rolling(context.Background(), plans, healthy, nil, onLine, func(i int, r Result) { steps = append(steps, r.Plan.Host.Name+":"+r.Outcome) })
	all := strings.Join(lines, "\n")
	for _, want := range []string{"web-1 | ── restart api (1 of 3)", "web-1 | ── waiting until api runs again", "web-1 | ── still waiting for api",
		"web-1 | ── api runs again", "web-2 | ── restart api (2 of 3)", "web-3 | ── skipped: not run: api failed on web-2"} {
		if !strings.Contains(all, want) {
			t.Errorf("steps lack %q:\n%s", want, all)
		}
	}
	if strings.Join(steps, ",") != "web-1:succeeded,web-2:failed" || checked != 2 || len(ex.ran) != 2 {
		t.Errorf("steps %v checked %d ran %v", steps, checked, ex.ran)
	}
	if len(rs) != 3 || rs[2].Outcome != Cancelled || !strings.Contains(rs[2].Err.Error(), "not run: api failed on web-2") {
		t.Errorf("results %+v", rs)
	}
}

func TestPlanDrill(t *testing.T) {
	c, err := config.Parse("t.toml", []byte(`
[[hosts]]
name = "db-1"
env = "prod"
[[hosts.backups]]
name = "pg"
kind = "files"
path = "/b/*.gz"
restore = "createdb {drill_id} && gunzip -c {artifact} | psql -d {drill_id}"
verify = "test -s {scratch}/x"
drill_host = "scratch-1"
[[hosts.backups]]
name = "repo"
kind = "restic"
repo = "/srv/restic"
password_file = "/etc/restic/pw"
[[hosts.backups]]
name = "bare"
kind = "files"
path = "/c/*"
[[hosts]]
name = "scratch-1"
`))
	if err != nil {
		t.Fatal(err)
	}
	db := &c.Hosts[0]
	newest := &fleet.BackupStatus{Newest: "/b/it's.gz", NewestAt: time.Now().Add(-time.Hour), Size: 10}
	d, err := PlanDrill(db, "pg", newest, c.Hosts, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if d.Plan.Host.Name != "scratch-1" || d.Source.Name != "db-1" || d.Plan.Kind != "drill" {
		t.Errorf("drill runs on %s for %s", d.Plan.Host.Name, d.Source.Name)
	}
	if !strings.Contains(d.Plan.Command, `gunzip -c '/b/it'\''s.gz'`) || !strings.Contains(d.Plan.Command, "createdb '"+d.ID+"'") ||
		!strings.Contains(d.Plan.Command, `test -s "$scratch"/x`) || !strings.Contains(d.Plan.Command, "trap cleanup EXIT") {
		t.Errorf("script:\n%s", d.Plan.Command)
	}
	r, err := PlanDrill(db, "repo", &fleet.BackupStatus{Newest: "a1b2c3"}, c.Hosts, time.Now())
	if err != nil || !strings.Contains(r.Plan.Command, "restore 'a1b2c3' --target \"$scratch\"") || !strings.Contains(r.Plan.Command, " check") {
		t.Errorf("restic defaults: %v\n%s", err, r.Plan.Command)
	}
	if _, err := PlanDrill(db, "bare", newest, c.Hosts, time.Now()); err == nil || !strings.Contains(err.Error(), "needs restore and verify") {
		t.Errorf("no restore/verify: %v", err)
	}
	if _, err := PlanDrill(db, "pg", nil, c.Hosts, time.Now()); err == nil || !strings.Contains(err.Error(), "no artefact known yet") {
		t.Errorf("no artefact: %v", err)
	}
	if _, err := PlanSnapshot(db, "pg"); err == nil || !strings.Contains(err.Error(), "has no snapshot command") {
		t.Errorf("no snapshot: %v", err)
	}
}

// A failed drill is summed up by the failing step's own error, not by
// the clean-up's last line.
func TestDrillFailure(t *testing.T) {
	for _, u := range []struct {
		tail []string
		exit int
		want string
	}{
		{[]string{"── drill d1: scratch /tmp/x", "── restore", "gzip: stdin: not in gzip format", "restore failed: exit 1", "── cleanup"}, 1,
			"restore failed (exit 1): gzip: stdin: not in gzip format"},
		{[]string{"── restore", "── verify", "count is 0", "", "verify failed: exit 3", "── cleanup"}, 3, "verify failed (exit 3): count is 0"},
		{[]string{"── restore", "restore failed: exit 2", "── cleanup"}, 2, "restore failed (exit 2), with no output"},
		{[]string{"── restore", "── verify", "── PASS", "── cleanup"}, 0, ""},
	} {
		if got := DrillFailure(u.tail, u.exit); got != u.want {
			t.Errorf("%q: %q, want %q", u.tail, got, u.want)
		}
	}
}

// A rolling restart skips a host the poller shows DOWN, says so, records
// it, and goes on with the others.
func TestRolling_SkipsDownHosts(t *testing.T) {
	plans := rollingPlans(t)
	ex := &fakeExec{}
	m, _ := manager(t, ex)
	var lines []string
	skip := func(p *Plan) string {
		if p.Host.Name == "web-2" {
			return "host is DOWN: connection refused"
		}
		return ""
	}
	rs := m.Rolling(context.Background(), plans, nil, skip, func(p *Plan, l string) { lines = append(lines, p.Host.Name+" | "+l) }, nil)
	if len(ex.ran) != 2 || len(rs) != 3 || rs[1].Outcome != Cancelled || rs[2].Outcome != Succeeded {
		t.Fatalf("ran %v, results %+v", ex.ran, rs)
	}
	if all := strings.Join(lines, "\n"); !strings.Contains(all, "web-2 | ── skipped: host is DOWN: connection refused") || !strings.Contains(all, "web-3 | ── restart api (3 of 3)") {
		t.Errorf("lines:\n%s", all)
	}
	if es, _ := m.Audit.Recent(10); len(es) != 3 || es[1].Host != "web-2" || es[1].Outcome != Cancelled {
		t.Errorf("audit %+v", es)
	}
}

// rollingPlans restart api on web-1, web-2 and web-3, in that order.
func rollingPlans(t *testing.T) []*Plan {
	hs := hosts(t)
	c := []fleet.Host{hs[0], hs[0], hs[0]}
	c[1].Name, c[2].Name = "web-2", "web-3"
	var plans []*Plan
	for i := range c {
		p, _ := PlanRestart(&c[i], "api")
		plans = append(plans, p)
	}
	return plans
}
