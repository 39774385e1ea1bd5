package config

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The variables of Ansible's ssh connection with their aliases, in
// Ansible's precedence (ansible_ssh_host before ansible_host, a host's
// own before its groups' under the same name); a jump host from the ssh
// arguments, linked to the inventory host it is; ansible_connection local
// and the connections opsdeck cannot use.
func TestAnsible_ConnectionVariables(t *testing.T) {
	inv := `{
  "_meta": {"hostvars": {
    "mariadb-1": {"ansible_ssh_host": "10.0.3.1", "ansible_ssh_port": 2201, "ansible_ssh_user": "root"},
    "mariadb-2": {"ansible_host": "10.0.9.9", "ansible_ssh_host": "10.0.3.2", "ansible_port": "22", "ansible_ssh_port": "2202", "ansible_user": "x", "ansible_ssh_user": "root",
                  "ansible_private_key_file": "/k/other", "ansible_ssh_private_key_file": "/k/galera"},
    "mariadb-3": {"ansible_host": "10.0.3.3", "ansible_ssh_common_args": "-o ProxyJump=ops@10.0.0.5:2200 -o StrictHostKeyChecking=yes"},
    "web-1": {"ansible_host": "10.0.4.1", "ansible_ssh_extra_args": "-J bastion"},
    "web-2": {"ansible_host": "10.0.4.2", "ansible_ssh_common_args": "-o ProxyCommand=\"ssh -q -W %h:%p -p 2200 ops@10.0.0.5\""},
    "web-3": {"ansible_host": "10.0.4.3", "ansible_ssh_common_args": "-J admin@gw.example.com:2222"},
    "bastion": {"ansible_host": "10.0.0.5", "ansible_port": 2200, "ansible_user": "ops"},
    "ctl": {"ansible_connection": "local"},
    "win-1": {"ansible_connection": "winrm"},
    "sw-1": {"ansible_connection": "ansible.netcommon.network_cli"}
  }},
  "galera": {"hosts": ["mariadb-1", "mariadb-2", "mariadb-3"]},
  "web": {"hosts": ["web-1", "web-2", "web-3"]},
  "ungrouped": {"hosts": ["bastion", "ctl", "win-1", "sw-1"]}
}`
	dir := invDir(t, map[string]string{"inv.json": inv})
	c, err := Parse(filepath.Join(dir, "c.toml"), []byte("[[inventory]]\nname = \"galera\"\nkind = \"ansible\"\npath = \"inv.json\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, h := range c.Hosts {
		got[h.Name] = strings.Join([]string{h.Address, strconv.Itoa(h.Port), h.User, strings.Join(h.IdentityFiles, ","), h.Jump, h.ProxyJump}, "|")
	}
	want := map[string]string{
		"mariadb-1": "10.0.3.1|2201|root|||",
		"mariadb-2": "10.0.3.2|2202|root|/k/galera||",
		"mariadb-3": "10.0.3.3|0|||bastion|",
		"web-1":     "10.0.4.1|0|||bastion|",
		"web-2":     "10.0.4.2|0|||bastion|",
		"web-3":     "10.0.4.3|0||||admin@gw.example.com:2222",
		"bastion":   "10.0.0.5|2200|ops|||",
		"ctl":       "local|0||||",
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: %q, want %q", name, got[name], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("hosts %v, want %d", got, len(want))
	}
	if len(c.Left) != 1 || !strings.Contains(c.Left[0], "2 host(s) left out") || !strings.Contains(c.Left[0], "sw-1 (ansible_connection ansible.netcommon.network_cli)") ||
		!strings.Contains(c.Left[0], "win-1 (ansible_connection winrm)") || len(c.Notes) != 0 {
		t.Errorf("left out: %q; notes %q", c.Left, c.Notes)
	}
}

// A ProxyCommand that is not "ssh -W %h:%p host" cannot be reproduced: the
// inventory says so, rather than reaching the host some other way.
func TestAnsible_ProxyCommandOpsdeckCannotFollow(t *testing.T) {
	for args, want := range map[string]string{
		`-o ProxyCommand="nc -X connect -x proxy:3128 %h %p"`: `ProxyCommand "nc -X connect -x proxy:3128 %h %p" is not "ssh -W %h:%p host"`,
		`-o 'ProxyJump=a,b'`:            `ProxyJump "a,b" has several hops`,
		`-o "ProxyCommand=ssh -W %h:%p`: "unbalanced quotes",
	} {
		if _, err := sshJump(args); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", args, err, want)
		}
	}
	for args, want := range map[string]string{
		"-J bastion":                                  "bastion",
		"-Jops@b:2200":                                "ops@b:2200",
		"-oProxyJump=b -o ProxyJump=none":             "",
		`-o "ProxyJump b"`:                            "b",
		`-o ProxyCommand='ssh -l ops -W [%h]:%p b'`:   "ops@b",
		`-C -o ControlMaster=auto -o ProxyJump=b -vv`: "b",
	} {
		if got, err := sshJump(args); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", args, got, err, want)
		}
	}
}

// path may name an INI inventory when ansible-inventory is not installed:
// the error says what to install or write, and no host is made up.
func TestAnsible_INIWithoutAnsibleInventory(t *testing.T) {
	dir := invDir(t, map[string]string{"inventory.ini": "[galera]\nmariadb-[1:3] ansible_ssh_user=root\n"})
	t.Setenv("PATH", t.TempDir())
	c, err := Parse(filepath.Join(dir, "c.toml"), []byte("[[hosts]]\nname = \"x\"\naddress = \"local\"\n[[inventory]]\nkind = \"ansible\"\npath = \"inventory.ini\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Notes) != 1 || !strings.Contains(c.Notes[0], "inventory.ini: not JSON: an INI or YAML inventory (or a directory) is read through ansible-inventory, which is not installed: install Ansible (Debian: apt-get install ansible-core)") ||
		len(c.Hosts) != 1 {
		t.Errorf("notes %q, %d hosts", c.Notes, len(c.Hosts))
	}
}
