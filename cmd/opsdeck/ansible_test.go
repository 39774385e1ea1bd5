package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
	"github.com/opsdeck/opsdeck/fleet/report"
	"github.com/opsdeck/opsdeck/fleet/sshx"
)

// galeraINI is an inventory as many public READMEs write it: the old
// ansible_ssh_* variables, a range group, children. mariadb-3 also has an
// ansible_host that leads nowhere: Ansible takes ansible_ssh_host first.
const galeraINI = `mariadb-1 ansible_ssh_host=127.0.0.1 ansible_ssh_port=%d ansible_ssh_user=%s
mariadb-2 ansible_ssh_host=127.0.0.1 ansible_ssh_port=%d ansible_ssh_user=%s
mariadb-3 ansible_host=127.0.0.9 ansible_ssh_host=127.0.0.1 ansible_ssh_port=%d ansible_ssh_user=%s

[galera]
mariadb-[1:3]

[db:children]
galera
`

// The real ansible reaches real sshd hosts through two inventories — the
// Galera-style INI above, and a directory with group_vars and host_vars
// where the web hosts jump through a bastion named in
// ansible_ssh_common_args — and opsdeck, given the same inventories by
// path, reaches each at the address, port and user Ansible's ad-hoc
// command used, through the same jump host (the bastion's sshd logs
// both forwardings).
func TestAnsible_SameHostsAsAnsible(t *testing.T) {
	for _, tool := range []string{"ansible-inventory", "ansible"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: run 'make test' (it installs Debian's ansible-core) or 'apt-get install ansible-core'", tool)
		}
	}
	f := fleettest.StartFleet(t, 3)
	bastion := f.Add(t, "bastion", fleettest.SSHDOptions{})
	web := f.Add(t, "web-1", fleettest.SSHDOptions{Listen: "127.0.0.2"})
	u := fleettest.User(t)
	dir := t.TempDir()
	galera := filepath.Join(dir, "inventory.ini")
	write := func(path, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(galera, fmt.Sprintf(galeraINI, f.Hosts[0].Port, u, f.Hosts[1].Port, u, f.Hosts[2].Port, u))
	site := filepath.Join(dir, "site")
	write(filepath.Join(site, "hosts.yml"), fmt.Sprintf("all:\n  children:\n    edge:\n      hosts:\n        bastion:\n          ansible_host: 127.0.0.1\n          ansible_port: %d\n    web:\n      hosts:\n        web-1:\n", bastion.Port))
	write(filepath.Join(site, "group_vars", "all.yml"), "ansible_user: "+u+"\n")
	write(filepath.Join(site, "group_vars", "web.yml"), fmt.Sprintf("ansible_ssh_common_args: '-o ProxyJump=%s@127.0.0.1:%d'\n", u, bastion.Port))
	write(filepath.Join(site, "host_vars", "web-1.yml"), fmt.Sprintf("ansible_host: 127.0.0.2\nansible_port: %d\n", web.Port))
	home := t.TempDir()                                       // ansible writes ~/.ansible
	remote, err := os.MkdirTemp("", "opsdeck-ansible-remote") // the hosts' user (unprivileged) writes Ansible's modules there
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(remote) })
	if err := os.Chmod(remote, 0o1777); err != nil {
		t.Fatal(err)
	}
	sshConfig := filepath.Join(dir, "ssh_config") // ssh passes -F on to the ProxyJump's own ssh
	write(sshConfig, fmt.Sprintf("Host *\n  IdentityFile %s\n  IdentitiesOnly yes\n  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n  BatchMode yes\n", f.ClientKey.Path, f.KnownHosts))
	env := []string{"HOME=" + home, "LC_ALL=C.UTF-8", "ANSIBLE_NOCOLOR=1", "ANSIBLE_SSH_ARGS=-F " + sshConfig,
		"ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3", "ANSIBLE_FORKS=4", "ANSIBLE_REMOTE_TMP=" + filepath.Join(remote, "tmp")}

	before := strings.Count(bastion.Log(), "127.0.0.2 port "+strconv.Itoa(web.Port))
	theirs := map[string]string{}
	for _, inv := range []string{galera, site} {
		for k, v := range ansibleReached(t, inv, env) {
			theirs[k] = v
		}
	}
	viaAnsible := strings.Count(bastion.Log(), "127.0.0.2 port "+strconv.Itoa(web.Port))
	if viaAnsible <= before {
		t.Errorf("ansible did not reach web-1 through the bastion:\n%s", bastion.Log())
	}

	cfg := writeFile(t, "fleet.toml", f.Defaults()+fmt.Sprintf(`
[[inventory]]
name = "galera"
kind = "ansible"
path = %q
timeout = "60s"
[[inventory]]
name = "site"
kind = "ansible"
path = %q
timeout = "60s"
`, galera, site))
	out, stderr, code := opsdeck(t, env, "config", "hosts", "--json", "-c", cfg)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	var lines []sshx.HostLine
	if err := json.Unmarshal([]byte(out), &lines); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	ours := map[string]string{}
	for _, l := range lines {
		ours[l.Name] = fmt.Sprintf("%s %s %d", l.User, l.Address, l.Port)
		if want := map[bool]string{true: "bastion", false: ""}[l.Name == "web-1"]; l.Via != want {
			t.Errorf("%s: via %q, want %q", l.Name, l.Via, want)
		}
	}
	if len(theirs) != 5 || len(ours) != len(theirs) {
		t.Errorf("ansible reached %v, opsdeck lists %v", theirs, ours)
	}
	for name, a := range theirs {
		if ours[name] != a {
			t.Errorf("%s: opsdeck %q, ansible %q (user, server address and port)", name, ours[name], a)
		}
	}
	// And opsdeck itself gets there: every host answers, web-1 through the bastion.
	out, stderr, code = opsdeck(t, append(env, "XDG_STATE_HOME="+t.TempDir()), "check", "--json", "-c", cfg)
	var rep report.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 {
		t.Fatalf("check: exit %d %v\n%s\n%s", code, err, out, stderr)
	}
	for _, h := range rep.Hosts {
		if h.State != fleet.OK {
			t.Errorf("%s: %s %s", h.Name, h.State, h.Reason)
		}
	}
	if n := strings.Count(bastion.Log(), "127.0.0.2 port "+strconv.Itoa(web.Port)); n <= viaAnsible {
		t.Errorf("opsdeck did not reach web-1 through the bastion")
	}
}

// ansibleReached runs ansible's ad-hoc command on every host of inv and
// returns, by host, the user it logged in as and the server address and
// port sshd saw ($SSH_CONNECTION): where Ansible really went.
func ansibleReached(t *testing.T, inv string, env []string) map[string]string {
	t.Helper()
	cmd := exec.Command("ansible", "all", "-i", inv, "-m", "command", "-a", `sh -c 'echo "opsdeck-seen $(id -un) $SSH_CONNECTION"'`)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ansible -i %s: %v\n%s", inv, err, out)
	}
	seen := map[string]string{}
	host := ""
	for _, l := range strings.Split(string(out), "\n") {
		if name, _, ok := strings.Cut(l, " | "); ok {
			host = name
		}
		if f := strings.Fields(l); len(f) == 6 && f[0] == "opsdeck-seen" {
			seen[host] = f[1] + " " + f[4] + " " + f[5]
		}
	}
	return seen
}
