package sshx

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

// The system ssh, run with the options opsdeck gives it, reaches a real
// sshd directly and through a jump host: the same user, port, identity
// and known_hosts as opsdeck's own connections, nothing else.
func TestShellArgs_RealSSH(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Fatal("ssh is not installed: run 'make test' (it installs openssh-server, with the client) or 'apt-get install openssh-client'")
	}
	f := fleettest.StartFleet(t, 1)
	h := f.Hosts[0]
	inner := f.Add(t, "inner", fleettest.SSHDOptions{Listen: "127.0.0.2"})
	bastion := Target{Name: h.Name, Addr: h.Addr(), User: h.User, IdentityFiles: []string{f.ClientKey.Path}}
	args := ShellArgs(bastion, []string{f.KnownHosts}, PolicyStrict)
	want := []string{"ssh", "-p", strings.Split(h.Addr(), ":")[1], "-l", h.User, "-i", f.ClientKey.Path, "-o", "IdentitiesOnly=yes",
		"-o", "UserKnownHostsFile=" + f.KnownHosts, "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes",
		"-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no", "127.0.0.1"}
	if strings.Join(args, " ") != strings.Join(want, " ") {
		t.Errorf("argv\n got %q\nwant %q", args, want)
	}
	for _, tgt := range []Target{bastion, {Name: "inner", Addr: inner.Addr(), User: inner.User, IdentityFiles: []string{f.ClientKey.Path}, Jump: &bastion}} {
		a := ShellArgs(tgt, []string{f.KnownHosts}, PolicyStrict)
		cmd := exec.Command(a[0], append(a[1:], "-o", "BatchMode=yes", "-F", "/dev/null", "echo", "reached-"+tgt.Name)...)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "reached-"+tgt.Name) {
			t.Errorf("%s: ssh %q: %v\n%s", tgt.Name, a, err, out)
		}
	}
}
