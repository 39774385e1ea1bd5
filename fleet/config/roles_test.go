package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/fleet"
)

func TestExpandRange(t *testing.T) {
	for pattern, want := range map[string]string{
		"web":             "web",
		"web[01-03]":      "web01 web02 web03",
		"web[01:03]":      "web01 web02 web03",
		"web[1-2,7,09]":   "web1 web2 web7 web09",
		"r[1-2]n[01-02]":  "r1n01 r1n02 r2n01 r2n02",
		"10.0.1.[11-13]":  "10.0.1.11 10.0.1.12 10.0.1.13",
		"db[8-10].a.b":    "db8.a db9.a db10.a",
		"x[098-100]-east": "x098-east x099-east x100-east",
	} {
		got, err := ExpandRange(pattern)
		if pattern == "db[8-10].a.b" {
			want = "db8.a.b db9.a.b db10.a.b"
		}
		if err != nil || strings.Join(got, " ") != want {
			t.Errorf("%s: %q %v, want %s", pattern, got, err, want)
		}
	}
	for pattern, want := range map[string]string{
		"web[3-1]":         "runs backwards",
		"web[a-b]":         "is not a number",
		"web[1-20000]":     "more than 10000 hosts",
		"a[1-200]b[1-200]": "more than 10000 hosts",
		"web[01":           "'[' without ']'",
		"web]":             "']' without '['",
		"web[]":            "empty []",
	} {
		if got, err := ExpandRange(pattern); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %q %v, want an error saying %q", pattern, got, err, want)
		}
	}
}

const rolesDoc = `[defaults]
user = "ops"

[roles.base]
tags = ["base"]
sudo = true
mounts = ["/var"]
[[roles.base.services]]
name = "cron"
kind = "systemd"
unit = "cron.service"

[roles.web]
tags = ["web"]
port = 2222
env = "prod"
thresholds = { disk = { warn = 70 } }
[[roles.web.services]]
name = "nginx"
kind = "systemd"
unit = "nginx.service"

[[hosts]]
name = "web[01-03]"
address = "10.0.1.[11-13]"
roles = ["base", "web"]
tags = ["edge"]
  [[hosts.services]]
  name = "nginx"
  kind = "systemd"
  unit = "openresty.service"

[[hosts]]
name = "db-1"
address = "{name}.prod.example.com"
roles = ["base"]
port = 2200
`

// Roles and ranges: each range value is a host, the address zipped with
// it; a host's own keys win over its roles', roles in order, lists joined
// by name; every merged value is located where it was written.
func TestParse_RolesAndRanges(t *testing.T) {
	c, err := Parse("config.toml", []byte(rolesDoc))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range c.Hosts {
		var svcs []string
		for _, s := range h.Services {
			svcs = append(svcs, s.Name+"="+s.Unit)
		}
		got = append(got, fmt.Sprintf("%s %s:%d %s %v %v %v sudo=%v disk.warn=%g %s", h.Name, h.Address, h.Port, h.Env, h.Tags, h.Mounts, svcs, *h.Sudo, h.Limits.Disk.Warn, h.From))
	}
	want := []string{
		"web01 10.0.1.11:2222 prod [edge base web] [/var] [cron=cron.service nginx=openresty.service] sudo=true disk.warn=70 config.toml:23",
		"web02 10.0.1.12:2222 prod [edge base web] [/var] [cron=cron.service nginx=openresty.service] sudo=true disk.warn=70 config.toml:23",
		"web03 10.0.1.13:2222 prod [edge base web] [/var] [cron=cron.service nginx=openresty.service] sudo=true disk.warn=70 config.toml:23",
		"db-1 db-1.prod.example.com:2200  [base] [/var] [cron=cron.service] sudo=true disk.warn=80 config.toml:33",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("hosts:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	// Where each value came from: the host's range entry, or the role.
	for path, line := range map[string]int{
		"hosts.1.name": 24, "hosts.1.address": 25, "hosts.1.port": 15, "hosts.1.env": 16,
		"hosts.1.services.0.unit": 11, "hosts.1.services.1.unit": 31, "hosts.1.thresholds.disk.warn": 17,
		"hosts.3.port": 37, "hosts.3.sudo": 6, "hosts.3.services.0": 8, "hosts.3.name": 34,
	} {
		if p := c.Origin.Pos(path); p.Line != line {
			t.Errorf("%s at line %d, want %d", path, p.Line, line)
		}
	}
}

// What is wrong in a role or a range is said once, at its line, with the
// hosts it reaches; references and ranges are checked with file:line.
func TestParse_RolesAndRangesProblems(t *testing.T) {
	for name, u := range map[string]struct{ doc, want string }{
		"role's service is said once at its line": {
			"[roles.web]\n[[roles.web.services]]\nname = \"x\"\nkind = \"systemd\"\n[[hosts]]\nname = \"w[1-3]\"\nroles = [\"web\"]\n",
			`config.toml:2:3: hosts[w1].services[x].unit: missing required key "unit" for kind "systemd" (and 2 more host(s) with the same line)`},
		"unknown role": {
			"[roles.web]\nport = 22\n[[hosts]]\nname = \"a\"\nroles = [\"wbe\"]\n",
			`config.toml:5:1: hosts[a].roles[0]: unknown role "wbe" (did you mean "web"?)`},
		"range too big": {
			"[[hosts]]\nname = \"w[1-20000]\"\n",
			`config.toml:2:1: hosts[w[1-20000]].name: host range "w[1-20000]": expands to more than 10000 hosts`},
		"address range of another length": {
			"[[hosts]]\nname = \"w[1-3]\"\naddress = \"10.0.0.[1-2]\"\n",
			`config.toml:3:1: hosts[w[1-3]].address: address range "10.0.0.[1-2]" expands to 2 addresses for 3 host names`},
		"range overlaps another host": {
			"[[hosts]]\nname = \"w2\"\n[[hosts]]\nname = \"w[1-3]\"\n",
			`config.toml:4:1: hosts[w2].name: duplicate host name "w2" (first defined at line 2)`},
		"role value of the wrong type": {
			"[roles.web]\npoll_interval = 5\n[[hosts]]\nname = \"a\"\n",
			`config.toml:2:`},
		"a role with a host's own key": {
			"[roles.web]\naddress = \"10.0.0.1\"\n[[hosts]]\nname = \"a\"\n",
			`config.toml:2:1: roles.web.address: a role has no address: it is a host's own`},
		"command with an unknown placeholder": {
			"[[commands]]\nname = \"ls\"\nkind = \"inspect\"\ncommand = \"ls {hots}\"\n[[hosts]]\nname = \"a\"\n",
			`config.toml:4:1: hosts[a].commands[ls].command: unknown placeholder {hots}: the placeholders are {host} and {address}`},
		"command with a placeholder in quotes": {
			"[[hosts]]\nname = \"a\"\n[[hosts.commands]]\nname = \"ls\"\nkind = \"inspect\"\ncommand = \"ls '{host}'\"\n",
			`config.toml:6:1: hosts[a].commands[ls].command: {host} stands inside quotes`},
		"command without a kind, for no check": {
			"[roles.web]\n[[roles.web.commands]]\nname = \"x\"\ncommand = \"true\"\nfor = [\"dsk\"]\n[[hosts]]\nname = \"a\"\nroles = [\"web\"]\n",
			`config.toml:2:3: hosts[a].commands[x].kind: missing required key "kind"`},
		"role's bad threshold": {
			"[roles.web]\nthresholds = { disk = { warn = 95, crit = 90 } }\n[[hosts]]\nname = \"a\"\nroles = [\"web\"]\n",
			`config.toml:2:16: hosts[a].thresholds.disk: warn (95) must be below crit (90)`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("config.toml", []byte(u.doc))
			var ps fleet.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("want Problems, got %T %v", err, err)
			}
			if !strings.Contains(ps.Error(), u.want) {
				t.Errorf("got\n%v\nwant it to say %s", err, u.want)
			}
		})
	}
}

// Runbook commands join like services: a host's own, then its roles',
// then [[commands]]', by name; the shell's own ${VAR} is no placeholder.
func TestParse_Commands(t *testing.T) {
	c, err := Parse("config.toml", []byte(`[[commands]]
name = "disk-use"
kind = "inspect"
command = "df -h; echo ${HOME}"
[[commands]]
name = "uptime"
kind = "inspect"
command = "uptime"
[roles.web]
[[roles.web.commands]]
name = "nginx-test"
kind = "inspect"
command = "nginx -t"
for = ["service"]
[[hosts]]
name = "web-[1-2]"
roles = ["web"]
[[hosts.commands]]
name = "uptime"
kind = "inspect"
command = "uptime -p"
timeout = "5s"
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range c.Hosts {
		var got []string
		for _, cmd := range h.Commands {
			got = append(got, fmt.Sprintf("%s=%s/%s", cmd.Name, cmd.Command, cmd.Timeout.Duration))
		}
		want := "nginx-test=nginx -t/1m0s uptime=uptime -p/5s disk-use=df -h; echo ${HOME}/1m0s"
		if strings.Join(got, " ") != want {
			t.Errorf("%s: %v\nwant %s", h.Name, got, want)
		}
	}
	if p := c.Origin.Pos("hosts.1.commands.2.command"); p.Line != 4 {
		t.Errorf("a [[commands]] command located at line %d, want 4", p.Line)
	}
}
