package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/fleet/sshx"
)

// An INI inventory with a range, nested children, group vars and host vars.
const ansibleINI = `[web]
web[01:20] ansible_user=deploy

[web:vars]
ansible_port=2222

[db]
db1 ansible_host=10.0.2.1 ansible_port=2201 ansible_user=postgres
db2 ansible_host=10.0.2.2

[eu:children]
web

[prod:children]
eu
db

[prod:vars]
opsdeck_env=prod

[lonely]
solo ansible_host=127.0.0.9
`

// The real ansible-inventory over an INI inventory: opsdeck config hosts
// --json lists exactly the hosts Ansible knows, each with the address,
// port, user and groups Ansible itself reports (asked through ansible's
// debug module, so both sides read the inventory on their own).
func TestConfigHosts_AnsibleInventory(t *testing.T) {
	for _, tool := range []string{"ansible-inventory", "ansible"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: run 'make test' (it installs Debian's ansible-core) or 'apt-get install ansible-core'", tool)
		}
	}
	dir := t.TempDir()
	ini := filepath.Join(dir, "hosts.ini")
	if err := os.WriteFile(ini, []byte(ansibleINI), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeFile(t, "fleet.toml", fmt.Sprintf(`[defaults]
user = "ops"
port = 22
ssh_config = "/dev/null"
[roles.db]
[[roles.db.services]]
name = "postgres"
kind = "systemd"
unit = "postgresql.service"
[[inventory]]
name = "prod"
kind = "ansible"
command = ["ansible-inventory", "-i", %q, "--list"]
timeout = "60s"
`, ini))
	home := t.TempDir() // ansible writes ~/.ansible
	// Ansible refuses a locale that is not UTF-8 (LC_ALL=C or POSIX).
	out, stderr, code := opsdeck(t, []string{"HOME=" + home, "LC_ALL=C.UTF-8"}, "config", "hosts", "--json", "-c", cfg)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	var got []sshx.HostLine
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	ours := map[string]sshx.HostLine{}
	for _, h := range got {
		ours[h.Name] = h
	}
	theirs := ansibleView(t, ini, home)
	if len(theirs) != 23 || len(got) != len(theirs) {
		t.Errorf("ansible knows %d hosts, opsdeck lists %d", len(theirs), len(got))
	}
	for name, a := range theirs {
		o, ok := ours[name]
		if !ok {
			t.Errorf("%s: not in opsdeck's list", name)
			continue
		}
		port, user := a.Port, a.User
		if port == 0 {
			port = 22 // [defaults], as ssh would
		}
		if user == "" {
			user = "ops"
		}
		tags := append([]string(nil), o.Tags...)
		sort.Strings(tags)
		if o.Address != a.Address || o.Port != port || o.User != user || strings.Join(tags, ",") != strings.Join(a.Tags, ",") {
			t.Errorf("%s: opsdeck %s:%d as %s in %v; ansible %s:%d as %s in %v", name, o.Address, o.Port, o.User, tags, a.Address, port, user, a.Tags)
		}
		if wantRole := strings.Contains(strings.Join(a.Tags, ","), "db"); wantRole != (strings.Join(o.Roles, ",") == "db") || o.Env != a.Env {
			t.Errorf("%s: roles %v env %q (ansible groups %v, opsdeck_env %q)", name, o.Roles, o.Env, a.Tags, a.Env)
		}
		if !strings.HasPrefix(o.Source, "inventory prod (ansible, ") {
			t.Errorf("%s: source %q", name, o.Source)
		}
	}
}

// ansibleView is each host as Ansible resolves it: address, port, user,
// groups and opsdeck_env.
func ansibleView(t *testing.T, ini, home string) map[string]sshx.HostLine {
	t.Helper()
	cmd := exec.Command("ansible", "all", "-i", ini, "-m", "debug", "-a",
		`msg=opsdeck|{{inventory_hostname}}|{{ansible_host|default(inventory_hostname)}}|{{ansible_port|default("")}}|{{ansible_user|default("")}}|{{group_names|join(",")}}|{{opsdeck_env|default("")}}|`)
	cmd.Env = append(os.Environ(), "HOME="+home, "ANSIBLE_NOCOLOR=1", "ANSIBLE_FORKS=4", "LC_ALL=C.UTF-8")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ansible: %v\n%s", err, out)
	}
	view := map[string]sshx.HostLine{}
	for _, l := range strings.Split(string(out), "\n") {
		i := strings.Index(l, `"msg": "opsdeck|`)
		if i < 0 {
			continue
		}
		f := strings.Split(l[i+len(`"msg": "opsdeck|`):], "|")
		if len(f) < 6 {
			t.Fatalf("ansible printed %q", l)
		}
		port, _ := strconv.Atoi(f[2])
		h := sshx.HostLine{Name: f[0], Address: f[1], Port: port, User: f[3], Env: f[5]}
		if f[4] != "" {
			h.Tags = strings.Split(f[4], ",")
			sort.Strings(h.Tags)
		}
		view[h.Name] = h
	}
	return view
}

// config show names where each effective value was written: the range's
// entry, the role, [defaults]; an unknown host gets a suggestion.
func TestConfigShow(t *testing.T) {
	example, _ := filepath.Abs("../../config.example.toml")
	out, stderr, code := opsdeck(t, nil, "config", "show", "web-3", "-c", example)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{"# web-3, defined at " + example + ":", "address            = 10.0.1.12 ", "(role web)", "([defaults])",
		"services[nginx]", "jump               = bastion"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	if _, stderr, code := opsdeck(t, nil, "config", "show", "web-33", "-c", example); code != 2 || !strings.Contains(stderr, `no host "web-33" in the fleet (did you mean "web-3"?)`) {
		t.Errorf("unknown host: exit %d: %s", code, stderr)
	}
}
