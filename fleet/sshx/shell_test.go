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
	args, err := ShellArgs(bastion, []string{f.KnownHosts}, PolicyStrict)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ssh", "-p", strings.Split(h.Addr(), ":")[1], "-l", h.User, "-i", f.ClientKey.Path, "-o", "IdentitiesOnly=yes",
		"-o", "UserKnownHostsFile=" + f.KnownHosts, "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes",
		"-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no", "--", "127.0.0.1"}
	if strings.Join(args, " ") != strings.Join(want, " ") {
		t.Errorf("argv\n got %q\nwant %q", args, want)
	}
	for _, tgt := range []Target{bastion, {Name: "inner", Addr: inner.Addr(), User: inner.User, IdentityFiles: []string{f.ClientKey.Path}, Jump: &bastion}} {
		a, err := ShellArgs(tgt, []string{f.KnownHosts}, PolicyStrict)
		if err != nil {
			t.Fatal(err)
		}
		// More options go before the "--" that ends them.
		opts := append([]string{"-o", "BatchMode=yes", "-F", "/dev/null"}, a[len(a)-2:]...)
		cmd := exec.Command(a[0], append(append(a[1:len(a)-2:len(a)-2], opts...), "echo", "reached-"+tgt.Name)...)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "reached-"+tgt.Name) {
			t.Errorf("%s: ssh %q: %v\n%s", tgt.Name, a, err, out)
		}
	}
}

// An address that ssh would read as an option never becomes a command
// line, not as the destination and not inside a jump's ProxyCommand; a
// good one ends ssh's options with "--".
func TestShellArgs_AddressLikeAnOption(t *testing.T) {
	marker := t.TempDir() + "/pwned"
	good := Target{Name: "bastion", Addr: "127.0.0.1:22", User: "ops"}
	for name, tgt := range map[string]Target{
		"destination": {Name: "web", Addr: "-oProxyCommand=touch " + marker + ":22", User: "ops"},
		"no port":     {Name: "web", Addr: "-oProxyCommand=touch " + marker, User: "ops"},
		"jump":        {Name: "web", Addr: "10.0.0.1:22", User: "ops", Jump: &Target{Name: "bad", Addr: "-oLocalCommand=x:22"}},
		"whitespace":  {Name: "web", Addr: "10.0.0.1 -v:22"},
		"empty":       {Name: "web", Addr: ":22"},
	} {
		args, err := ShellArgs(tgt, []string{"/dev/null"}, PolicyStrict)
		if err == nil || args != nil {
			t.Errorf("%s: argv %q, error %v: want no argv and an error", name, args, err)
		}
	}
	args, err := ShellArgs(Target{Name: "web", Addr: "10.0.0.1:22", Jump: &good}, []string{"/dev/null"}, PolicyStrict)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(args); n < 2 || args[n-2] != "--" || args[n-1] != "10.0.0.1" {
		t.Errorf("argv %q: want it to end with -- 10.0.0.1", args)
	}
	for _, a := range args {
		if strings.HasPrefix(a, "ProxyCommand=") && !strings.HasSuffix(a, " -- 127.0.0.1") {
			t.Errorf("jump's %q: want its destination after --", a)
		}
	}
}
