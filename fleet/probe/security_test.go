package probe

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

func secLines(t testing.TB, file string) []string {
	t.Helper()
	b, err := os.ReadFile("testdata/security/" + file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

func TestParseListeners(t *testing.T) {
	ls, from, err := ParseListeners(secLines(t, "ss-debian12.txt"))
	if err != nil || from != "ss" || len(ls) != 1 || ls[0] != (fleet.Listener{Proto: "tcp", Addr: "0.0.0.0", Port: 2024}) {
		t.Errorf("ss: %+v %s %v", ls, from, err)
	}
	ls, from, err = ParseListeners(secLines(t, "proc-net-debian12.txt"))
	if err != nil || from != "/proc/net" || len(ls) != 1 || ls[0] != (fleet.Listener{Proto: "tcp", Addr: "0.0.0.0", Port: 2024}) {
		t.Errorf("/proc/net: %+v %s %v", ls, from, err)
	}
	ls, _, err = ParseListeners([]string{"#proc", "#tcp6",
		"   0: 00000000000000000000000001000000:1538 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   107        0 1 1 0 100 0 0 10 0",
		"   1: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0",
		"   2: 0100007F:0050 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 100 0 0 10 0",
	})
	if err != nil || len(ls) != 2 || ls[0].Addr != "::1" || ls[0].Port != 5432 || ls[1].Addr != "::" || ls[1].Port != 8080 {
		t.Errorf("tcp6: %+v %v", ls, err)
	}
}

func TestSecurityChecks_Listeners(t *testing.T) {
	ls, _, err := ParseListeners(secLines(t, "ss-public-postgres.txt"))
	if err != nil || len(ls) != 6 {
		t.Fatalf("%+v %v", ls, err)
	}
	h := &fleet.Host{Name: "db", DBPorts: fleet.DefaultDBPorts, AllowedPorts: []int{22, 5432}}
	checks := fleet.SecurityChecks(h, &fleet.SecurityStatus{Listeners: ls, Pending: -1, Security: -1})
	byName := map[string]fleet.Check{}
	for _, c := range checks {
		byName[c.Name] = c
	}
	db := byName["database ports"]
	if db.State != fleet.Crit || db.Reason != "postgres listening on 0.0.0.0:5432; postgres listening on ::5432" &&
		db.Reason != "postgres listening on 0.0.0.0:5432; postgres listening on [::]:5432" {
		t.Errorf("db ports: %s %q", db.State, db.Reason)
	}
	if strings.Contains(db.Reason, "redis") || strings.Contains(db.Reason, "elasticsearch") {
		t.Errorf("loopback-only databases reported: %q", db.Reason)
	}
	if op := byName["open ports"]; op.State != fleet.Warn || op.Reason != "ports open that allowed_ports does not list: tcp/8080, udp/68" {
		t.Errorf("open ports: %s %q", op.State, op.Reason)
	}
	loop := &fleet.SecurityStatus{Listeners: []fleet.Listener{{Proto: "tcp", Addr: "127.0.0.1", Port: 5432}, {Proto: "tcp", Addr: "::1", Port: 5432}}}
	for _, c := range fleet.SecurityChecks(&fleet.Host{DBPorts: fleet.DefaultDBPorts}, loop) {
		if c.Name == "database ports" && c.State != fleet.OK {
			t.Errorf("loopback postgres: %s %q", c.State, c.Reason)
		}
	}
}

func TestParseSSHD(t *testing.T) {
	kv, from, err := ParseSSHD(secLines(t, "sshd-T-debian12.txt"))
	if err != nil || from != "sshd -T" || kv["passwordauthentication"] != "yes" || kv["permitrootlogin"] != "without-password" {
		t.Fatalf("%v %s %v", kv["passwordauthentication"], from, err)
	}
	c := fleet.SecurityChecks(&fleet.Host{}, &fleet.SecurityStatus{SSHD: kv, SSHDFrom: from, ListenErr: "x"})
	found := false
	for _, x := range c {
		if x.Name == "sshd" {
			found = x.State == fleet.Warn && x.Reason == "sshd: PasswordAuthentication yes (from sshd -T)"
		}
	}
	if !found {
		t.Errorf("sshd check %+v", c)
	}
	kv, from, _ = ParseSSHD([]string{"#files", "# comment", "PermitRootLogin yes", "PasswordAuthentication no", "PermitRootLogin no",
		"Match User backup", "PasswordAuthentication yes"})
	if from != "config files" || kv["permitrootlogin"] != "yes" || kv["passwordauthentication"] != "no" {
		t.Errorf("files: first value wins, Match ignored: %v", kv)
	}
}

func TestParseUpdates(t *testing.T) {
	mgr, p, sec, reboot, err := ParseUpdates(append([]string{"#apt"}, secLines(t, "apt-upgrade-debian12.txt")...))
	if err != nil || mgr != "apt" || p != 30 || sec != 12 || reboot {
		t.Errorf("apt: %s %d %d %v %v", mgr, p, sec, reboot, err)
	}
	mgr, p, sec, reboot, err = ParseUpdates(append(append([]string{"#dnf"}, secLines(t, "dnf-check-update.txt")...), "#security", "2", "#reboot-required"))
	if err != nil || mgr != "dnf" || p != 3 || sec != 2 || !reboot {
		t.Errorf("dnf: %s %d %d %v %v", mgr, p, sec, reboot, err)
	}
	if mgr, _, _, _, _ := ParseUpdates(nil); mgr != "" {
		t.Error("no package manager")
	}
	if _, _, _, _, err := ParseUpdates([]string{"#apt", "garbage"}); err == nil {
		t.Error("garbage accepted")
	}
	c := fleet.SecurityChecks(&fleet.Host{}, &fleet.SecurityStatus{ListenErr: "x", PkgManager: "apt", Pending: 30, Security: 12, Reboot: true})
	var got []string
	for _, x := range c {
		got = append(got, x.Name+":"+x.State.String()+":"+x.Reason)
	}
	if !strings.Contains(strings.Join(got, "|"), "updates:WARN:12 security update(s) pending (30 in all)") || !strings.Contains(strings.Join(got, "|"), "reboot:WARN:reboot required") {
		t.Errorf("%v", got)
	}
}

func FuzzParseListeners(f *testing.F) {
	for _, file := range []string{"ss-debian12.txt", "proc-net-debian12.txt", "ss-public-postgres.txt"} {
		b, _ := os.ReadFile("testdata/security/" + file)
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, s string) {
		ls, _, err := ParseListeners(strings.Split(s, "\n"))
		if err != nil {
			return
		}
		for _, l := range ls {
			if l.Port < 0 || l.Port > 65535 || strings.ContainsAny(l.Addr, "\x1b\n") {
				t.Fatalf("%+v", l)
			}
		}
	})
}

func FuzzParseSSHD(f *testing.F) {
	b, _ := os.ReadFile("testdata/security/sshd-T-debian12.txt")
	f.Add(string(b))
	f.Add("#files\nPermitRootLogin yes\nMatch all\n")
	f.Fuzz(func(t *testing.T, s string) { ParseSSHD(strings.Split(s, "\n")) })
}

func FuzzParseUpdates(f *testing.F) {
	b, _ := os.ReadFile("testdata/security/apt-upgrade-debian12.txt")
	f.Add("#apt\n" + string(b))
	b, _ = os.ReadFile("testdata/security/dnf-check-update.txt")
	f.Add("#dnf\n" + string(b) + "#security\n1\n")
	f.Fuzz(func(t *testing.T, s string) {
		_, p, sec, _, err := ParseUpdates(strings.Split(s, "\n"))
		if err == nil && (p < -1 || sec < -1) {
			t.Fatalf("%d %d", p, sec)
		}
	})
}

func TestParseSSHD_NotRunning(t *testing.T) {
	if _, _, err := ParseSSHD([]string{"#not-running"}); err != ErrNoSSHD {
		t.Fatalf("%v, want ErrNoSSHD", err)
	}
	s := securityStatus(map[string]*Section{"listen": {Complete: true}, "sshd": {Complete: true, Lines: []string{"#not-running"}}}, time.Now())
	if !s.SSHDAbsent || s.SSHDErr != "" {
		t.Fatalf("%+v", s)
	}
	for _, c := range fleet.SecurityChecks(&fleet.Host{}, s) {
		if c.Name == "sshd" && (!c.NotApplicable || c.State != fleet.OK || c.Reason != "sshd: not running here") {
			t.Errorf("sshd: %+v", c)
		}
	}
	// Updates read on a host without apt or dnf: said, no finding.
	var updates *fleet.Check
	for _, c := range fleet.SecurityChecks(&fleet.Host{}, &fleet.SecurityStatus{ListenErr: "x", UpdatesRead: true, Pending: -1, Security: -1}) {
		if c.Name == "updates" {
			updates = &c
		}
	}
	if updates == nil || !updates.NotApplicable || updates.State != fleet.OK || updates.Reason != "updates: not checked (no apt/dnf)" {
		t.Errorf("updates: %+v", updates)
	}
}
