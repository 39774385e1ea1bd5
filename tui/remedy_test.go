package tui

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet/config"

	"github.com/opsdeck/opsdeck/fleet"
)

// What to do is said for what failed, not for its check's name alone: a
// disk Prometheus has no figures of is not a disk that grew. Every check
// here comes from the real evaluation of a sample as a probe or the
// Prometheus source reports it, and is found by its key.
func TestRemedy(t *testing.T) {
	cfg, err := config.Parse("t.toml", []byte(remedyTOML))
	if err != nil {
		t.Fatal(err)
	}
	k := DefaultKeyMap()
	for _, u := range []struct {
		name, key, want string
		sample          func(*fleet.Sample)
		status          func(*fleet.HostStatus)
		banner          string
	}{
		{name: "disk over", key: "disk:/var", want: "du -xh --max-depth=2 /var",
			sample: func(s *fleet.Sample) { s.Disks[1].Used, s.Disks[1].Free = 97<<30, 3<<30 }},
		{name: "disk Prometheus lacks", key: "disk:/var", want: `resources = "ssh"`,
			sample: func(s *fleet.Sample) {
				s.Disks[1] = fleet.Disk{Mount: "/var", Err: "not in prometheus", ErrCause: fleet.CauseNotInSource}
			}},
		{name: "cpu Prometheus has no series of", key: "cpu", want: `resources = "ssh"`,
			sample: func(s *fleet.Sample) {
				s.MarkUnknownAs(fleet.MetricCPU, fleet.CauseNotInSource, "prometheus http://p:9090 has no series of it")
			}},
		{name: "cpu of a target Prometheus cannot scrape", key: "cpu", want: "node_exporter running",
			sample: func(s *fleet.Sample) {
				s.MarkUnknownAs(fleet.MetricCPU, fleet.CauseNotScraped, "prometheus cannot scrape its node_exporter (up == 0)")
			}},
		{name: "drills unknown", key: "backup:pg", want: "no verdict on its drills",
			sample: func(s *fleet.Sample) {
				s.Backups = []fleet.BackupStatus{{Name: "pg", NewestAt: s.At.Add(-time.Hour), Size: 1 << 20}}
			},
			status: func(st *fleet.HostStatus) { st.DrillsUnknown = "database unreachable" }},
		{name: "never drilled", key: "backup:pg", want: "runs a restore drill",
			sample: func(s *fleet.Sample) {
				s.Backups = []fleet.BackupStatus{{Name: "pg", NewestAt: s.At.Add(-time.Hour), Size: 1 << 20}}
			}},
		{name: "stale", key: "host", want: "R polls it now",
			status: func(st *fleet.HostStatus) { st.Last.At = now.Add(-time.Hour) }},
		{name: "stale while a shared source fails", key: "host", want: "shared source that is failing",
			status: func(st *fleet.HostStatus) { st.Last.At = now.Add(-time.Hour) }, banner: "⚠ prometheus http://p:9090 failing"},
	} {
		s := sample(now, 50)
		if u.sample != nil {
			u.sample(s)
		}
		st := fleet.HostStatus{Host: &cfg.Hosts[0], Last: s}
		if u.status != nil {
			u.status(&st)
		}
		c := &common{keys: &k, banner: u.banner}
		row := &hostRow{status: st, health: fleet.Assess(&st, now)}
		found := false
		for _, p := range hostProblems(row) {
			if p.Key() != u.key {
				continue
			}
			found = true
			if got := remedy(c, &row.status, p); !strings.Contains(got, u.want) {
				t.Errorf("%s: %s: remedy %q, want it to say %q", u.name, p.Reason, got, u.want)
			}
		}
		if !found {
			t.Errorf("%s: no problem %s among %v", u.name, u.key, hostProblems(row))
		}
	}
	// A host kept on SSH: its STALE is not the shared source's doing.
	ssh := cfg.Hosts[0]
	ssh.Resources = "ssh"
	st := fleet.HostStatus{Host: &ssh, Last: sample(now.Add(-time.Hour), 50)}
	row := &hostRow{status: st, health: fleet.Assess(&st, now)}
	if got := remedy(&common{keys: &k, banner: "⚠ failing"}, &st, hostProblems(row)[0]); !strings.Contains(got, "R polls it now") {
		t.Errorf("STALE of a host on SSH with the source failing: %q", got)
	}
}

const remedyTOML = `
[[hosts]]
name = "web-1"
address = "10.0.0.1"
allowed_ports = [22, 443]
  [[hosts.services]]
  name = "nginx"
  kind = "systemd"
  unit = "nginx.service"
  [[hosts.services]]
  name = "api"
  kind = "docker"
  container = "api-1"
  [[hosts.services]]
  name = "worker"
  kind = "pm2"
  program = "worker"
  [[hosts.services]]
  name = "queue"
  kind = "supervisor"
  program = "queue"
  [[hosts.backups]]
  name = "pg"
  kind = "files"
  path = "/var/backups/*.gz"
  max_age = "24h"
  restore = "cp {artifact} {scratch}/"
  verify = "true"
  drill_every = "168h"
  [[hosts.certs]]
  endpoint = "web-1.example.com:443"
`

// Every problem the problems pane can show — made by the real evaluation
// from what a probe can report, never from hand-typed reasons — gets a
// remedy that names what to change (the setting and its value, the
// command, the port), or none: never "the setting named above".
func TestRemedy_EveryProblemNamesWhatToChange(t *testing.T) {
	cfg, err := config.Parse("t.toml", []byte(remedyTOML))
	if err != nil {
		t.Fatal(err)
	}
	h := &cfg.Hosts[0]
	k := DefaultKeyMap()
	c := &common{keys: &k}
	yes, no := true, false
	svc := func(name string, f func(*fleet.ServiceStatus)) fleet.ServiceStatus {
		s := fleet.ServiceStatus{Name: name, State: "RUNNING", Running: true, Restarts: 0}
		f(&s)
		return s
	}
	type situation struct {
		sample func(*fleet.Sample)
		status func(*fleet.HostStatus)
	}
	situations := map[string]situation{
		"resources over": {sample: func(s *fleet.Sample) {
			s.CPU, s.MemUsed, s.Load1 = 99, s.MemTotal, 40
			s.Disks[1].Used, s.Disks[1].Free, s.Disks[1].Inodes, s.Disks[1].IUsed = 99<<30, 1<<30, 100, 99
		}},
		"resources unknown": {sample: func(s *fleet.Sample) {
			s.MarkUnknown(fleet.MetricCPU, "not in prometheus")
			s.MarkUnknown(fleet.MetricMemory, "prometheus cannot scrape its node_exporter (up == 0)")
			s.Disks[1].Err = "not in prometheus"
		}},
		"services": {sample: func(s *fleet.Sample) {
			s.Services = []fleet.ServiceStatus{
				svc("nginx", func(v *fleet.ServiceStatus) { v.Enabled = &no }),
				svc("api", func(v *fleet.ServiceStatus) { v.Running, v.State = false, "EXITED" }),
				svc("worker", func(v *fleet.ServiceStatus) { v.AutoRestart = &no }),
				svc("queue", func(v *fleet.ServiceStatus) { v.Recent = fleet.FlapRestarts }),
			}
		}},
		"services, other faults": {sample: func(s *fleet.Sample) {
			s.Services = []fleet.ServiceStatus{
				svc("nginx", func(v *fleet.ServiceStatus) { v.AutoRestart = &no }),
				svc("api", func(v *fleet.ServiceStatus) { v.Enabled, v.AutoRestart = &no, &yes }),
				svc("worker", func(v *fleet.ServiceStatus) { v.Err = "pm2: command not found" }),
			}
		}},
		"security findings": {sample: func(s *fleet.Sample) {
			s.Security = &fleet.SecurityStatus{CheckedAt: s.At, SSHDFrom: "sshd -T",
				SSHD:        map[string]string{"passwordauthentication": "yes", "permitrootlogin": "yes"},
				Listeners:   []fleet.Listener{{Proto: "tcp", Addr: "0.0.0.0", Port: 5432}, {Proto: "tcp", Addr: "::", Port: 8080}, {Proto: "tcp", Addr: "0.0.0.0", Port: 22}},
				UpdatesRead: true, PkgManager: "apt", Pending: 3, Security: 1, Reboot: true}
		}},
		"security unreadable": {sample: func(s *fleet.Sample) {
			s.Security = &fleet.SecurityStatus{CheckedAt: s.At, ListenErr: "check failed: timeout", SSHDErr: "no settings read",
				UpdatesRead: true, PkgManager: "dnf", Pending: 2, Security: -1}
		}},
		"one sshd setting": {sample: func(s *fleet.Sample) {
			s.Security = &fleet.SecurityStatus{CheckedAt: s.At, SSHDFrom: "config files", SSHD: map[string]string{"permitrootlogin": "yes"},
				UpdatesRead: true, PkgManager: "yum", Pending: 1, Security: -1}
		}},
		"backup old, drill failed": {sample: func(s *fleet.Sample) {
			s.Backups = []fleet.BackupStatus{{Name: "pg", NewestAt: s.At.Add(-72 * time.Hour), Size: 1 << 20}}
		}, status: func(st *fleet.HostStatus) {
			st.Drills = map[string]fleet.DrillSummary{"pg": {Last: &fleet.DrillRecord{Time: now.Add(-time.Hour), Passed: false}}}
		}},
		"backup missing, drills unknown": {sample: func(s *fleet.Sample) {
			s.Backups = []fleet.BackupStatus{{Name: "pg"}}
		}, status: func(st *fleet.HostStatus) { st.DrillsUnknown = "database unreachable" }},
		"backup never drilled": {sample: func(s *fleet.Sample) {
			s.Backups = []fleet.BackupStatus{{Name: "pg", NewestAt: s.At.Add(-time.Hour), Size: 1 << 20}}
		}},
		"cert expiring": {sample: func(s *fleet.Sample) {
			s.Certs = []fleet.CertStatus{{Endpoint: "web-1.example.com:443", NotAfter: now.Add(24 * time.Hour), CheckedAt: now}}
		}},
		"cert untrusted": {sample: func(s *fleet.Sample) {
			s.Certs = []fleet.CertStatus{{Endpoint: "web-1.example.com:443", NotAfter: now.Add(90 * 24 * time.Hour), TrustErr: "unknown authority"}}
		}},
		"down, refused": {status: func(st *fleet.HostStatus) {
			st.Err, st.ErrAt = "dial tcp 10.0.0.1:22: connect: connection refused", now
		}},
		"down, no banner": {status: func(st *fleet.HostStatus) { st.Err, st.ErrAt = "no SSH banner within 10s", now }},
		"stale":           {status: func(st *fleet.HostStatus) { st.Last.At = now.Add(-time.Hour) }},
	}
	// A remedy that points elsewhere instead of naming what to change.
	vague := regexp.MustCompile(`named above|…|\.\.\.|the setting\b|the port\b|the unit\b|the command\b`)
	seen := 0
	for name, u := range situations {
		s := sample(now, 50)
		s.Disks[1].Inodes, s.Disks[1].IUsed = 100, 10
		if u.sample != nil {
			u.sample(s)
		}
		st := fleet.HostStatus{Host: h, Last: s, Drills: map[string]fleet.DrillSummary{}}
		if u.status != nil {
			u.status(&st)
		}
		row := &hostRow{status: st, health: fleet.Assess(&st, now)}
		probs := hostProblems(row)
		if len(probs) == 0 {
			t.Errorf("%s: no problem: the situation does not test what it says", name)
		}
		for _, p := range probs {
			seen++
			todo := remedy(c, &row.status, p)
			t.Logf("%s: %s %s: %q", name, p.State, p.Reason, todo)
			if m := vague.FindString(todo); m != "" {
				t.Errorf("%s: %s: remedy %q refers to %q instead of naming it", name, p.Reason, todo, m)
			}
			named := namedIn(h, &st, p)
			for _, want := range named {
				if !strings.Contains(todo, want) {
					t.Errorf("%s: %s: remedy %q does not name %q", name, p.Reason, todo, want)
				}
			}
		}
	}
	if seen < 30 {
		t.Errorf("only %d problems walked: the situations lost their findings", seen)
	}
}

// namedIn is what a problem's remedy must name: the sshd settings with
// the values to give them, the ports, the unit or container, the command
// of the host's package manager.
func namedIn(h *fleet.Host, st *fleet.HostStatus, p fleet.Check) []string {
	sec := st.Last.Security
	switch {
	case p.Name == "sshd" && p.State == fleet.Warn:
		var out []string
		for _, f := range fleet.SSHDFindings(sec.SSHD) {
			out = append(out, f.Key+" "+f.Want)
		}
		return out
	case p.Name == "sshd":
		return []string{"sshd -T"}
	case p.Name == "database ports" || p.Name == "open ports":
		var out []string
		for _, l := range sec.Listeners {
			if l.Port != 22 {
				out = append(out, fmt.Sprint(l.Port))
			}
		}
		if p.Name == "database ports" {
			out = out[:1]
		}
		return out
	case p.Name == "updates":
		return []string{map[string]string{"apt": "apt-get upgrade", "dnf": "dnf upgrade", "yum": "yum update"}[sec.PkgManager]}
	case p.Name == "service nginx" && p.State == fleet.Warn:
		return []string{"nginx.service"}
	case p.Name == "service api" && p.State == fleet.Warn:
		return []string{"api-1"}
	case strings.HasPrefix(p.Name, "cert "):
		return []string{"web-1.example.com:443"}
	}
	return nil
}

// Checks that do not apply to a host say so, are shown as n/a and are
// never a finding: a workstation without sshd or a package manager is OK.
func TestSecurity_NotApplicableIsNoFinding(t *testing.T) {
	cfg, err := config.Parse("t.toml", []byte("[[hosts]]\nname = \"laptop\"\naddress = \"local\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := sample(now, 50)
	s.Security = &fleet.SecurityStatus{CheckedAt: now, SSHDAbsent: true, UpdatesRead: true, Pending: -1, Security: -1}
	st := fleet.HostStatus{Host: &cfg.Hosts[0], Last: s}
	row := &hostRow{status: st, health: fleet.Assess(&st, now)}
	if row.health.State != fleet.OK || len(hostProblems(row)) != 0 {
		t.Fatalf("state %s, problems %v: want OK and none", row.health.State, hostProblems(row))
	}
	var b strings.Builder
	k := DefaultKeyMap()
	sections{c: &common{st: asciiStyles(t), keys: &k, now: now}, r: row}.security(&b)
	for _, want := range []string{"sshd             – n/a     sshd: not running here", "updates          – n/a     updates: not checked (no apt/dnf)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("detail's security section lacks %q:\n%s", want, b.String())
		}
	}
}
