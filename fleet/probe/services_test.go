package probe

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

func svcSection(t testing.TB, file string, exit int) *Section {
	t.Helper()
	b, err := os.ReadFile("testdata/services/" + file)
	if err != nil {
		t.Fatal(err)
	}
	return &Section{Lines: strings.Split(strings.TrimRight(string(b), "\n"), "\n"), Exit: exit, Complete: true}
}

func TestParseService(t *testing.T) {
	yes, no := true, false
	uu := map[string]struct {
		svc      fleet.Service
		file     string
		exit     int
		state    string
		running  bool
		pid      int
		restarts int
		enabled  *bool
		auto     *bool
		check    fleet.State
		reason   string
	}{
		"systemd active": {svc: fleet.Service{Name: "nginx", Kind: "systemd", Unit: "nginx.service"}, file: "systemd-active.txt",
			state: "ACTIVE", running: true, pid: 812, restarts: 0, enabled: &yes, auto: &yes, check: fleet.OK},
		"systemd failed": {svc: fleet.Service{Name: "api-worker", Kind: "systemd", Unit: "api-worker.service"}, file: "systemd-failed.txt",
			state: "FAILED", restarts: 6, enabled: &yes, auto: &yes, check: fleet.Crit, reason: "service api-worker FAILED (failed)"},
		"systemd between restarts": {svc: fleet.Service{Name: "api-worker", Kind: "systemd", Unit: "api-worker.service"}, file: "systemd-auto-restart.txt",
			state: "ACTIVATING", restarts: 4, enabled: &yes, auto: &yes, check: fleet.Crit, reason: "service api-worker ACTIVATING (auto-restart)"},
		"systemd disabled, no restart": {svc: fleet.Service{Name: "cron", Kind: "systemd", Unit: "cron.service"}, file: "systemd-disabled-norestart.txt",
			state: "ACTIVE", running: true, pid: 455, restarts: 0, enabled: &no, auto: &no, check: fleet.Warn, reason: "service cron is not enabled at boot"},
		"systemd unknown unit": {svc: fleet.Service{Name: "nope", Kind: "systemd", Unit: "nope.service"}, file: "systemd-not-found.txt",
			state: "NOT-FOUND", restarts: -1, check: fleet.Crit, reason: "service nope NOT-FOUND (no such unit)"},
		"docker healthy": {svc: fleet.Service{Name: "app", Kind: "docker", Container: "app"}, file: "docker-running.txt",
			state: "RUNNING", running: true, pid: 4242, restarts: 2, enabled: &yes, auto: &yes, check: fleet.OK},
		"docker restarting": {svc: fleet.Service{Name: "app", Kind: "docker", Container: "app"}, file: "docker-restarting.txt",
			state: "RESTARTING", restarts: 17, enabled: &yes, auto: &yes, check: fleet.Crit, reason: "service app RESTARTING"},
		"docker exited, no policy": {svc: fleet.Service{Name: "app", Kind: "docker", Container: "app"}, file: "docker-exited-no-policy.txt",
			state: "EXITED", restarts: 0, enabled: &no, auto: &no, check: fleet.Crit},
		"docker unhealthy": {svc: fleet.Service{Name: "app", Kind: "docker", Container: "app"}, file: "docker-unhealthy.txt",
			state: "UNHEALTHY", pid: 5151, restarts: 0, enabled: &yes, auto: &yes, check: fleet.Crit, reason: "service app UNHEALTHY (unhealthy)"},
		"docker missing": {svc: fleet.Service{Name: "app", Kind: "docker", Container: "app"}, file: "docker-missing.txt", exit: 1,
			state: "NOT-FOUND", restarts: -1, check: fleet.Crit},
		"pm2 online": {svc: fleet.Service{Name: "queue", Kind: "pm2", Program: "queue"}, file: "pm2-jlist.txt",
			state: "ONLINE", running: true, pid: 12351, restarts: 0, auto: &yes, check: fleet.OK},
		"pm2 notices before the JSON": {svc: fleet.Service{Name: "queue", Kind: "pm2", Program: "queue"}, file: "pm2-jlist-notice.txt",
			state: "ONLINE", running: true, pid: 12351, restarts: 0, auto: &yes, check: fleet.OK},
		"pm2 errored": {svc: fleet.Service{Name: "mailer", Kind: "pm2", Program: "mailer"}, file: "pm2-jlist.txt",
			state: "ERRORED", restarts: 1, auto: &yes, check: fleet.Crit, reason: "service mailer ERRORED"},
		"pm2 stopped without autorestart": {svc: fleet.Service{Name: "cronjob", Kind: "pm2", Program: "cronjob"}, file: "pm2-jlist.txt",
			state: "STOPPED", restarts: 0, auto: &no, check: fleet.Crit},
		"pm2 unknown app": {svc: fleet.Service{Name: "x", Kind: "pm2", Program: "x"}, file: "pm2-jlist.txt",
			state: "NOT-FOUND", restarts: -1, check: fleet.Crit},
		"supervisor running": {svc: fleet.Service{Name: "api", Kind: "supervisor", Program: "api"}, file: "supervisor-running.txt",
			state: "RUNNING", running: true, pid: 1234, restarts: -1, check: fleet.OK},
		"supervisor fatal": {svc: fleet.Service{Name: "api", Kind: "supervisor", Program: "api"}, file: "supervisor-fatal.txt", exit: 3,
			state: "FATAL", restarts: -1, check: fleet.Crit, reason: "service api FATAL (Exited too quickly (process log may have details))"},
		"supervisor group": {svc: fleet.Service{Name: "api", Kind: "supervisor", Program: "api"}, file: "supervisor-grouped.txt", exit: 3,
			state: "BACKOFF", restarts: -1, check: fleet.Crit},
		"supervisor real running": {svc: fleet.Service{Name: "api", Kind: "supervisor", Program: "api"}, file: "supervisor-running-short.txt",
			state: "RUNNING", running: true, pid: 12791, restarts: -1, check: fleet.OK},
		"supervisor real fatal in a group": {svc: fleet.Service{Name: "crashy", Kind: "supervisor", Program: "crashy"}, file: "supervisor-fatal-grouped.txt", exit: 3,
			state: "FATAL", restarts: -1, check: fleet.Crit, reason: "service crashy FATAL (Exited too quickly"},
		"supervisor real not found": {svc: fleet.Service{Name: "nope", Kind: "supervisor", Program: "nope"}, file: "supervisor-not-found.txt", exit: 4,
			state: "NOT-FOUND", restarts: -1, check: fleet.Crit},
		"supervisord shutting down": {svc: fleet.Service{Name: "api", Kind: "supervisor", Program: "api"}, file: "supervisor-shutting-down.txt", exit: 1,
			restarts: -1, check: fleet.Unknown, reason: "service api: supervisord is not answering"},
		"supervisord down": {svc: fleet.Service{Name: "api", Kind: "supervisor", Program: "api"}, file: "supervisor-down.txt", exit: 7,
			restarts: -1, check: fleet.Unknown, reason: "service api: supervisord is not answering"},
	}
	at := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	for name, u := range uu {
		t.Run(name, func(t *testing.T) {
			st := ParseService(&u.svc, svcSection(t, u.file, u.exit), time.Hour, at)
			if st.State != u.state || st.Running != u.running || st.PID != u.pid || st.Restarts != u.restarts {
				t.Errorf("got state %q running %v pid %d restarts %d (err %q)", st.State, st.Running, st.PID, st.Restarts, st.Err)
			}
			if !samePtr(st.Enabled, u.enabled) || !samePtr(st.AutoRestart, u.auto) {
				t.Errorf("enabled %v auto %v", ptr(st.Enabled), ptr(st.AutoRestart))
			}
			c := fleet.ServiceCheck(&st)
			if c.State != u.check || (u.reason != "" && !strings.HasPrefix(c.Reason, u.reason)) {
				t.Errorf("check %s %q, want %s %q", c.State, c.Reason, u.check, u.reason)
			}
		})
	}
}

func samePtr(a, b *bool) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func ptr(b *bool) string {
	if b == nil {
		return "nil"
	}
	if *b {
		return "true"
	}
	return "false"
}

func TestParseService_Since(t *testing.T) {
	at := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	st := ParseService(&fleet.Service{Name: "n", Kind: "systemd"}, svcSection(t, "systemd-disabled-norestart.txt", 0), time.Hour, at)
	// Booted an hour ago; active since 912.345678 s after boot.
	if want := at.Add(-time.Hour).Add(912345678 * time.Microsecond); !st.Since.Equal(want) {
		t.Errorf("since %v, want %v", st.Since, want)
	}
	st = ParseService(&fleet.Service{Name: "api", Kind: "supervisor", Program: "api"}, svcSection(t, "supervisor-running.txt", 0), time.Hour, at)
	if want := at.Add(-(51*time.Hour + 4*time.Minute + 5*time.Second)); !st.Since.Equal(want) {
		t.Errorf("supervisor since %v, want %v", st.Since, want)
	}
}

func TestParseService_SudoAndProcess(t *testing.T) {
	sec := &Section{Lines: []string{"sudo: a password is required"}, Exit: 1, Complete: true}
	st := ParseService(&fleet.Service{Name: "n", Kind: "systemd"}, sec, 0, time.Now())
	if !strings.Contains(st.Err, "sudo needs a password") || fleet.ServiceCheck(&st).State != fleet.Unknown {
		t.Errorf("sudo: %+v", st)
	}
	p := fleet.Service{Name: "w", Kind: "process", Pattern: "worker"}
	st = ParseService(&p, &Section{Lines: []string{"4242", "4243"}, Complete: true}, 0, time.Now())
	if !st.Running || st.PID != 4242 {
		t.Errorf("pgrep: %+v", st)
	}
	st = ParseService(&p, &Section{Exit: 1, Complete: true}, 0, time.Now())
	if st.Running || fleet.ServiceCheck(&st).State != fleet.Crit {
		t.Errorf("no process: %+v", st)
	}
	st = ParseService(&p, &Section{Lines: []string{"42"}, Complete: false}, 0, time.Now())
	if st.Err == "" {
		t.Error("a cut section was trusted")
	}
}

func TestStatusCommand_Quotes(t *testing.T) {
	yes := true
	for _, u := range []struct {
		svc  fleet.Service
		want string
	}{
		{fleet.Service{Kind: "systemd", Unit: "a b;rm -rf /"}, `-- 'a b;rm -rf /' 2>&1`},
		{fleet.Service{Kind: "supervisor", Program: "it's", Conf: "/etc/s v.conf"}, `supervisorctl -c '/etc/s v.conf' status 'it'\''s' 2>&1`},
		{fleet.Service{Kind: "process", Pattern: "$(reboot)", Sudo: &yes}, `sudo -n pgrep -f -- '$(reboot)' 2>&1`},
	} {
		if got := StatusCommand(&u.svc); !strings.HasSuffix(got, u.want) {
			t.Errorf("%q does not end with %q", got, u.want)
		}
	}
}

func TestRestarts_Flapping(t *testing.T) {
	var r restarts
	at := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	st := func(pid int) *fleet.ServiceStatus {
		return &fleet.ServiceStatus{Name: "w", Kind: "process", Running: true, PID: pid, Restarts: -1}
	}
	pids := []int{10, 11, 12, 13, 14}
	var last *fleet.ServiceStatus
	for i, pid := range pids {
		last = st(pid)
		r.apply(last, at.Add(time.Duration(i)*time.Minute))
	}
	if last.Restarts != 4 || last.Recent != 4 {
		t.Fatalf("restarts %d recent %d", last.Restarts, last.Recent)
	}
	if c := fleet.ServiceCheck(last); c.State != fleet.Warn || c.Reason != "service w FLAPPING: restarted 4× in 10 min" {
		t.Errorf("%s %q", c.State, c.Reason)
	}
	later := st(14)
	r.apply(later, at.Add(30*time.Minute))
	if later.Recent != 0 || later.Restarts != 4 || fleet.ServiceCheck(later).State != fleet.OK {
		t.Errorf("after the window: %+v", later)
	}
	// Kinds with their own counter: the delta counts.
	var r2 restarts
	a := &fleet.ServiceStatus{Name: "s", Running: true, Restarts: 6}
	r2.apply(a, at)
	b := &fleet.ServiceStatus{Name: "s", Running: true, Restarts: 9}
	r2.apply(b, at.Add(time.Minute))
	if a.Recent != 0 || b.Recent != 3 || b.Restarts != 9 {
		t.Errorf("counter: a %+v b %+v", a, b)
	}
}

func fuzzService(f *testing.F, svc fleet.Service, files ...string) {
	for _, file := range files {
		b, _ := os.ReadFile("testdata/services/" + file)
		f.Add(string(b), 0)
	}
	f.Fuzz(func(t *testing.T, out string, exit int) {
		sec := &Section{Lines: strings.Split(out, "\n"), Exit: exit, Complete: true}
		st := ParseService(&svc, sec, time.Hour, time.Now())
		if st.Running && st.Err != "" {
			t.Fatal("running and unreadable")
		}
		if st.PID < 0 || st.Restarts < -1 {
			t.Fatalf("%+v", st)
		}
		if strings.ContainsAny(st.State+st.Detail+st.Err, "\x1b\x07\n") {
			t.Fatalf("control characters: %q", st.State+st.Detail+st.Err)
		}
		fleet.ServiceCheck(&st)
	})
}

func FuzzParseSystemd(f *testing.F) {
	fuzzService(f, fleet.Service{Name: "s", Kind: "systemd", Unit: "s"}, "systemd-active.txt", "systemd-failed.txt", "systemd-not-found.txt")
}

func FuzzParseSupervisor(f *testing.F) {
	fuzzService(f, fleet.Service{Name: "api", Kind: "supervisor", Program: "api"}, "supervisor-running.txt", "supervisor-fatal.txt", "supervisor-grouped.txt")
}

func FuzzParseDocker(f *testing.F) {
	fuzzService(f, fleet.Service{Name: "app", Kind: "docker", Container: "app"}, "docker-running.txt", "docker-restarting.txt", "docker-missing.txt")
}

func FuzzParsePM2(f *testing.F) {
	fuzzService(f, fleet.Service{Name: "queue", Kind: "pm2", Program: "queue"}, "pm2-jlist.txt", "pm2-jlist-notice.txt")
}

func FuzzParseProcess(f *testing.F) {
	f.Add("123\n456", 0)
	fuzzService(f, fleet.Service{Name: "p", Kind: "process", Pattern: "p"})
}

// A path find could read as an option never reaches it as one.
func TestFindCommand_NoOptionInjection(t *testing.T) {
	for glob, want := range map[string]string{
		"-delete/*.gz":      `find './-delete' -maxdepth 1 -type f -name '*.gz'`,
		"-delete":           `find '.' -maxdepth 1 -type f -name '-delete'`,
		"/srv/b/*/x.tar":    `find '/srv/b' -type f -path '/srv/b/*/x.tar'`,
		"-exec/*/x":         `find './-exec' -type f -path './-exec/*/x'`,
		"/var/backups/*.gz": `find '/var/backups' -maxdepth 1 -type f -name '*.gz'`,
	} {
		if got := FindCommand(glob); !strings.HasPrefix(got, want) {
			t.Errorf("%q: %s, want %s…", glob, got, want)
		}
	}
}

// A restart opsdeck did is not a crash: the new PID (or counter step) it
// causes is not counted; the next one is.
func TestRestarts_OwnRestartNotCounted(t *testing.T) {
	var r restarts
	at := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	st := func(pid int) *fleet.ServiceStatus {
		return &fleet.ServiceStatus{Name: "w", Kind: "process", Running: true, PID: pid, Restarts: -1}
	}
	r.apply(st(10), at)
	r.expect("w", at.Add(time.Second))
	own := st(11)
	r.apply(own, at.Add(5*time.Second))
	if own.Restarts != 0 || own.Recent != 0 {
		t.Errorf("opsdeck's restart counted: %+v", own)
	}
	crash := st(12)
	r.apply(crash, at.Add(time.Minute))
	if crash.Restarts != 1 || crash.Recent != 1 {
		t.Errorf("a crash after it not counted: %+v", crash)
	}
	r.expect("w", at.Add(2*time.Minute))
	late := st(13)
	r.apply(late, at.Add(10*time.Minute)) // long after: not ours
	if late.Restarts != 2 {
		t.Errorf("a restart long after ours was taken for it: %+v", late)
	}
	var c restarts
	c.apply(&fleet.ServiceStatus{Name: "s", Running: true, Restarts: 6}, at)
	c.expect("s", at)
	b := &fleet.ServiceStatus{Name: "s", Running: true, Restarts: 8}
	c.apply(b, at.Add(time.Second))
	if b.Recent != 1 {
		t.Errorf("counter kinds: %d recent, want 1 (2 steps, 1 ours)", b.Recent)
	}
}

// Every service kind of the table has its status parser.
func TestParseService_EveryKind(t *testing.T) {
	for _, k := range fleet.ServiceKinds {
		st := ParseService(&fleet.Service{Name: "x", Kind: k.Name}, &Section{Complete: true, Lines: []string{"garbage"}}, time.Hour, time.Now())
		if strings.Contains(st.Err, "unknown kind") {
			t.Errorf("%s: no parser: %s", k.Name, st.Err)
		}
	}
}
