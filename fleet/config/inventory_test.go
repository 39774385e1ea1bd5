package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// invDir writes files into a fresh directory and returns it.
func invDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func hostsOf(c *fleet.Config) string {
	var out []string
	for _, h := range c.Hosts {
		out = append(out, fmt.Sprintf("%s@%s:%d/%s %v %s roles=%v", h.Name, h.Address, h.Port, h.User, h.Tags, h.Env, h.Roles))
	}
	return strings.Join(out, "\n")
}

// An ssh_config's Host entries without wildcards, narrowed by match, with
// their HostName, Port, User and IdentityFile.
func TestInventory_SSHConfig(t *testing.T) {
	dir := invDir(t, map[string]string{"ssh_config": `Host *
  ServerAliveInterval 30
Host web-1 web-2
  HostName %h.example.com
  User deploy
Host db-1
  HostName 10.0.0.9
  Port 2201
  IdentityFile /keys/db
Host !bad web-?
  User nobody
`, "c.toml": ""})
	doc := "[[inventory]]\nkind = \"ssh_config\"\npath = \"ssh_config\"\nmatch = \"web-*\"\n[[inventory]]\nkind = \"ssh_config\"\nname = \"dbs\"\npath = \"" + dir + "/ssh_config\"\nmatch = \"db-*\"\n"
	c, err := Parse(filepath.Join(dir, "c.toml"), []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := "web-1@web-1.example.com:0/deploy []  roles=[]\nweb-2@web-2.example.com:0/deploy []  roles=[]\ndb-1@10.0.0.9:2201/ []  roles=[]"
	if got := hostsOf(c); got != want {
		t.Errorf("hosts:\n%s\nwant\n%s", got, want)
	}
	if c.Hosts[2].IdentityFiles[0] != "/keys/db" || c.Hosts[2].From != "inventory dbs (ssh_config, Host db-1)" {
		t.Errorf("db-1: %v from %q", c.Hosts[2].IdentityFiles, c.Hosts[2].From)
	}
}

// Prometheus file_sd, JSON and YAML: the target's host is the host; its
// exporter port is not SSH's (ssh_port is); labels are tags, env is env.
func TestInventory_FileSD(t *testing.T) {
	dir := invDir(t, map[string]string{
		"targets.json": `[{"targets": ["web-1:9100", "10.0.0.7:9100"], "labels": {"job": "node", "env": "prod", "ssh_port": "2222"}}]`,
		"targets.yml":  "- targets: ['db-1.example.com:9100']\n  labels:\n    job: node\n    __meta_x: y\n",
	})
	doc := "[roles.db]\nport = 2200\n[[inventory]]\nkind = \"file_sd\"\npath = \"targets.json\"\n[[inventory]]\nkind = \"file_sd\"\npath = \"targets.yml\"\nroles = [\"db\"]\n"
	c, err := Parse(filepath.Join(dir, "c.toml"), []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := "web-1@web-1:2222/ [job=node] prod roles=[]\n10.0.0.7@10.0.0.7:2222/ [job=node] prod roles=[]\ndb-1.example.com@db-1.example.com:2200/ [job=node]  roles=[db]"
	if got := hostsOf(c); got != want {
		t.Errorf("hosts:\n%s\nwant\n%s", got, want)
	}
}

// A hung inventory command is killed at its timeout, one that prints too
// much is cut off, one that prints garbage is named with the first
// problem: each time the last good list is kept and the notes say so.
func TestInventory_FailuresKeepTheLastGoodList(t *testing.T) {
	dir := invDir(t, map[string]string{
		"inv.json": `{"_meta": {"hostvars": {"web01": {"ansible_host": "10.0.0.1"}}}, "web": {"hosts": ["web01"]}}`,
		"inv.sh": `case "$(cat mode 2>/dev/null)" in
hang) exec sleep 60;;
flood) exec head -c 104857600 /dev/zero;;
garbage) echo '{"web": {"hosts": ["a",]}}';;
fail) echo 'inventory source unreachable' >&2; exit 3;;
empty) echo '[WARNING]: Unable to parse hosts.ini as an inventory source' >&2; echo '{"_meta": {"hostvars": {}}, "all": {"children": ["ungrouped"]}}'; exit 0;;
esac
cat inv.json`,
	})
	// Reading 64 MiB takes seconds under -race on a busy machine: the
	// flood gets a long timeout, so what stops it is the cap.
	doc := func(timeout string) string {
		return "[[inventory]]\nname = \"prod\"\nkind = \"ansible\"\ncommand = [\"sh\", \"inv.sh\"]\ntimeout = \"" + timeout + "\"\n"
	}
	l := &Loader{}
	timeout := "2s"
	load := func() *fleet.Config {
		t.Helper()
		c, err := l.Parse(filepath.Join(dir, "c.toml"), []byte(doc(timeout)))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := load(); len(c.Hosts) != 1 || c.Hosts[0].Address != "10.0.0.1" || len(c.Notes) != 0 {
		t.Fatalf("first read: %s %v", hostsOf(c), c.Notes)
	}
	for mode, want := range map[string]string{
		"hang":    "inventory prod: command sh did not finish within its timeout; killed; keeping its last good list (1 host(s)",
		"flood":   "inventory prod: command sh printed more than 64.0 MiB; cut off; keeping its last good list",
		"garbage": `inventory prod: output of sh inv.sh: not an Ansible inventory's JSON: line 1, column 25: invalid character ']'`,
		"fail":    "inventory prod: command sh exited 3: inventory source unreachable; keeping its last good list",
		// ansible-inventory's answer to a source it cannot parse: empty, exit 0.
		"empty": "inventory prod: output of sh inv.sh: no hosts in it (it said: [WARNING]: Unable to parse hosts.ini as an inventory source); keeping its last good list",
	} {
		os.WriteFile(filepath.Join(dir, "mode"), []byte(mode), 0o600)
		timeout = map[bool]string{true: "120s", false: "2s"}[mode == "flood"]
		start := time.Now()
		c := load()
		if len(c.Hosts) != 1 || c.Hosts[0].Name != "web01" || len(c.Notes) != 1 || !strings.Contains(c.Notes[0], want) {
			t.Errorf("%s: hosts %s, notes %q\nwant the last good host and a note saying %q", mode, hostsOf(c), c.Notes, want)
		}
		if mode == "hang" && time.Since(start) > 30*time.Second {
			t.Errorf("a hung command held the load for %v", time.Since(start))
		}
	}
	// Without a last good list, a failing inventory adds no host and says so.
	c, err := Parse(filepath.Join(dir, "c.toml"), []byte(doc("2s")))
	if err != nil || len(c.Hosts) != 0 || len(c.Notes) != 1 || !strings.Contains(c.Notes[0], "none of its hosts are watched until it answers") {
		t.Errorf("first read failing: %v %s %q", err, hostsOf(c), c.Notes)
	}
}

// Values from an inventory pass the config's checks; a host named twice
// keeps its first definition, said once.
func TestInventory_ValuesChecked(t *testing.T) {
	dir := invDir(t, map[string]string{
		"bad.json": `{"_meta": {"hostvars": {"web01": {"ansible_host": "-oProxyCommand=touch /tmp/x"}}}, "web": {"hosts": ["web01"]}}`,
		"dup.json": `{"web": {"hosts": ["web-1", "web-2"]}}`,
	})
	c, err := Parse(filepath.Join(dir, "c.toml"), []byte("[[hosts]]\nname = \"web-1\"\n[[inventory]]\nkind = \"ansible\"\npath = \"bad.json\"\n[[inventory]]\nkind = \"ansible\"\npath = \"dup.json\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(c.Notes, "\n")
	for _, want := range []string{
		`inventory ansible bad.json: host web01: address "-oProxyCommand=touch /tmp/x" must not start with '-'`,
		"host web-1 of inventory ansible dup.json (ansible, web) is already defined at " + filepath.Join(dir, "c.toml") + ":1: the first definition is kept",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	if got := hostsOf(c); !strings.Contains(got, "web-2") || strings.Contains(got, "web01") || strings.Count(got, "web-1@") != 1 {
		t.Errorf("hosts:\n%s", got)
	}
}
