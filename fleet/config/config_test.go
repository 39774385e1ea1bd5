package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

func TestParse_Problems(t *testing.T) {
	uu := map[string]struct {
		doc  string
		want []string // each must appear in one problem line, in order
	}{
		"unknown key with suggestion": {
			doc:  "[[hosts]]\nname = \"a\"\nadress = \"x\"\n",
			want: []string{`config.toml:3:1: unknown key "adress" in [[hosts]] (did you mean "address"?)`},
		},
		"unknown key in defaults": {
			doc:  "[defaults]\npoll_intervall = \"5s\"\n[[hosts]]\nname = \"a\"\n",
			want: []string{`config.toml:2:1: unknown key "poll_intervall" in [defaults] (did you mean "poll_interval"?)`},
		},
		"unknown key at top level without a near match": {
			doc:  "zzzzzz = 1\n[[hosts]]\nname = \"a\"\n",
			want: []string{`config.toml:1:1: unknown key "zzzzzz" at top level`},
		},
		"unknown key in nested service": {
			doc: "[[hosts]]\nname = \"a\"\n[[hosts.services]]\nname = \"s\"\nkind = \"systemd\"\nunitt = \"x\"\n",
			want: []string{`config.toml:3:3: hosts[a].services[s].unit: missing required key "unit" for kind "systemd"`,
				`config.toml:6:1: unknown key "unitt" in [[hosts.services]] (did you mean "unit"?)`},
		},
		"every unknown key at once": {
			doc: "[[hosts]]\nname = \"a\"\nadress = \"x\"\n[[hosts]]\nnme = \"b\"\n",
			want: []string{`config.toml:3:1: unknown key "adress"`, `config.toml:4:3: hosts[#2].name: missing required key "name"`,
				`config.toml:5:1: unknown key "nme" in [[hosts]] (did you mean "name"?)`},
		},
		"wrong type": {
			doc:  "[[hosts]]\nname = \"a\"\nport = \"22\"\n",
			want: []string{`config.toml:3:8: hosts.port: wrong type: expected integer, got string`},
		},
		"wrong type for a list": {
			doc:  "[[hosts]]\nname = \"a\"\ntags = \"web\"\n",
			want: []string{`config.toml:3:8: hosts.tags: wrong type: expected array of strings, got string`},
		},
		"duration written as a number": {
			doc:  "[[hosts]]\nname = \"a\"\npoll_interval = 5\n",
			want: []string{`config.toml:3:17: hosts.poll_interval: wrong type: expected a duration string such as "30s" or "26h", got integer 5`},
		},
		"invalid duration": {
			doc:  "[[hosts]]\nname = \"a\"\ntimeout = \"5 parsecs\"\n",
			want: []string{`config.toml:3:11: hosts.timeout: invalid duration "5 parsecs"`},
		},
		"negative duration": {
			doc:  "[defaults]\ntimeout = \"-5s\"\n[[hosts]]\nname = \"a\"\n",
			want: []string{`config.toml:2:11: defaults.timeout: negative duration "-5s"`},
		},
		"invalid size": {
			doc:  "[[hosts]]\nname = \"a\"\n[[hosts.backups]]\nname = \"b\"\nkind = \"files\"\npath = \"/x/*\"\nmin_size = \"3 XB\"\n",
			want: []string{`config.toml:7:12: hosts.backups.min_size: invalid size "3 XB": unknown unit "XB"`},
		},
		"state url with a password": {
			doc:  "[state]\nurl = \"postgres://ops:pw@db/opsdeck\"\n[[hosts]]\nname = \"a\"\n",
			want: []string{`config.toml:2:1: state.url: holds a password: keep it out of the config`},
		},
		"state url not postgres": {
			doc:  "[state]\nurl = \"mysql://db/opsdeck\"\n[[hosts]]\nname = \"a\"\n",
			want: []string{`config.toml:2:1: state.url: scheme "mysql": the state database is PostgreSQL`},
		},
		"source kind and selector": {
			doc: "[[sources]]\nkind = \"graphite\"\nurl = \"http://prom:9090\"\nhosts = \"up{job=\\\"node\\\"} or vector(1)\"\n[[hosts]]\nname = \"a\"\n",
			want: []string{`config.toml:2:1: sources.0.kind: unknown source kind "graphite"`,
				`config.toml:4:1: sources.0.hosts: hosts "up{job=\"node\"} or vector(1)": use a series selector`},
		},
		"source url": {
			doc:  "[[sources]]\nkind = \"prometheus\"\nurl = \"prom:9090\"\n[[hosts]]\nname = \"a\"\nresources = \"snmp\"\n",
			want: []string{`config.toml:3:1: sources.0.url: url "prom:9090": use http://host:9090`, `config.toml:6:1: hosts[a].resources: resources "snmp"`},
		},
		"opsdeck source match": {
			doc:  "[[sources]]\nkind = \"opsdeck\"\nurl = \"http://prom:9090\"\nmatch = \"site=eu\"\n[[hosts]]\nname = \"a\"\n",
			want: []string{`config.toml:4:1: sources.0.match: match "site=eu": label matchers such as site="eu"`},
		},
		"match on a prometheus source": {
			doc:  "[[sources]]\nkind = \"prometheus\"\nurl = \"http://prom:9090\"\nmatch = 'site=\"eu\"'\n[[hosts]]\nname = \"a\"\n",
			want: []string{`config.toml:4:1: sources.0.match: match "site=\"eu\"": label matchers such as site="eu", for a source of kind "opsdeck"`},
		},
		"syntax error": {
			doc:  "[[hosts]]\nname = 'a\n",
			want: []string{`config.toml:2:`},
		},
		"duplicate host name": {
			doc:  "[[hosts]]\nname = \"web\"\n[[hosts]]\nname = \"web\"\n",
			want: []string{`config.toml:4:1: hosts[web].name: duplicate host name "web" (first defined at line 2)`},
		},
		"host without name": {
			doc:  "[[hosts]]\naddress = \"x\"\n",
			want: []string{`config.toml:1:3: hosts[#1].name: missing required key "name"`},
		},
		"no hosts": {
			doc:  "name = \"x\"\n",
			want: []string{`config.toml: hosts: no hosts`},
		},
		"unknown service kind with suggestion": {
			doc:  "[[hosts]]\nname = \"a\"\n[[hosts.services]]\nname = \"s\"\nkind = \"systemdd\"\n",
			want: []string{`config.toml:5:1: hosts[a].services[s].kind: unknown kind "systemdd" (did you mean "systemd"?)`},
		},
		"unknown backup kind": {
			doc:  "[[hosts]]\nname = \"a\"\n[[hosts.backups]]\nname = \"b\"\nkind = \"tape\"\n",
			want: []string{`config.toml:5:1: hosts[a].backups[b].kind: unknown kind "tape": use one of command, files, restic`},
		},
		"missing field for the kind": {
			doc:  "[[hosts]]\nname = \"a\"\n[[hosts.services]]\nname = \"api\"\nkind = \"supervisor\"\n",
			want: []string{`config.toml:3:3: hosts[a].services[api].program: missing required key "program" for kind "supervisor"`},
		},
		"restic needs repo and password file": {
			doc: "[[hosts]]\nname = \"a\"\n[[hosts.backups]]\nname = \"r\"\nkind = \"restic\"\n",
			want: []string{`hosts[a].backups[r].repo: missing required key "repo"`,
				`hosts[a].backups[r].password_file: missing required key "password_file"`},
		},
		"field of another kind": {
			doc:  "[[hosts]]\nname = \"a\"\n[[hosts.services]]\nname = \"n\"\nkind = \"systemd\"\nunit = \"n.service\"\nprogram = \"n\"\n",
			want: []string{`config.toml:7:1: hosts[a].services[n].program: key "program" is not used by kind "systemd"`},
		},
		"duplicate service": {
			doc:  "[[hosts]]\nname = \"a\"\n[[hosts.services]]\nname = \"n\"\nkind = \"systemd\"\nunit = \"n\"\n[[hosts.services]]\nname = \"n\"\nkind = \"systemd\"\nunit = \"n\"\n",
			want: []string{`config.toml:8:1: hosts[a].services[n].name: duplicate service name "n" on this host`},
		},
		"jump to a missing host": {
			doc:  "[[hosts]]\nname = \"bastion\"\n[[hosts]]\nname = \"web\"\njump = \"bastoin\"\n",
			want: []string{`config.toml:5:1: hosts[web].jump: jump host "bastoin" is not a configured host (did you mean "bastion"?)`},
		},
		"jump cycle": {
			doc:  "[[hosts]]\nname = \"a\"\njump = \"b\"\n[[hosts]]\nname = \"b\"\njump = \"a\"\n",
			want: []string{`config.toml:3:1: hosts[a].jump: jump cycle: a → b → a`, `config.toml:6:1: hosts[b].jump: jump cycle: b → a → b`},
		},
		"jump to itself": {
			doc:  "[[hosts]]\nname = \"a\"\njump = \"a\"\n",
			want: []string{`config.toml:3:1: hosts[a].jump: jump cycle: a → a`},
		},
		"window that never opens": {
			doc: "[[hosts]]\nname = \"db1\"\n[[oncall.windows]]\nname = \"db-patching\"\nweekdays = [\"sun\"]\nfrom = \"02:00\"\nuntil = \"02:00\"\n" +
				"[[oncall.windows]]\nname = \"zone\"\nfrom = \"02:00\"\nuntil = \"4:00pm\"\n" +
				"[[oncall.windows]]\nname = \"tz\"\nfrom = \"02:00\"\nuntil = \"04:00\"\ntime_zone = \"Mars/Olympus\"\nweekdays = [\"sunday\", \"funday\"]\n",
			want: []string{`config.toml:6:1: oncall.windows[db-patching].from: from 02:00 and until 02:00 are the same time`,
				`config.toml:11:1: oncall.windows[zone].until: until: "4:00pm" is not a time of day ("02:00")`,
				`config.toml:17:1: oncall.windows[tz].weekdays: weekday "funday": use sun, mon, tue, wed, thu, fri, sat`},
		},
		"parent not in the fleet": {
			doc:  "[[hosts]]\nname = \"core-sw1\"\n[[hosts]]\nname = \"db\"\nparents = [\"core-sw\"]\n",
			want: []string{`config.toml:5:1: hosts[db].parents: parent "core-sw" is not a configured host (did you mean "core-sw1"?)`},
		},
		"parent cycle through a jump host": {
			doc: "[[hosts]]\nname = \"gw\"\nparents = [\"db\"]\n[[hosts]]\nname = \"db\"\njump = \"gw\"\n[[hosts]]\nname = \"web\"\nparents = [\"web\"]\n",
			want: []string{`config.toml:3:1: hosts[gw].parents: parent cycle: gw → db → gw`,
				`config.toml:9:1: hosts[web].parents: host "web" is its own parent`},
		},
		"address read as an option": {
			doc:  "[[hosts]]\nname = \"web\"\naddress = \"-oProxyCommand=touch /tmp/x\"\n",
			want: []string{`config.toml:3:1: hosts[web].address: address "-oProxyCommand=touch /tmp/x" must not start with '-' (ssh would read it as an option)`},
		},
		"name read as an option, as the address": {
			doc:  "[[hosts]]\nname = \"-oProxyCommand=x\"\n",
			want: []string{`config.toml:1:3: hosts[-oProxyCommand=x].address: address "-oProxyCommand=x" must not start with '-'`},
		},
		"address with whitespace or control characters": {
			doc: "[[hosts]]\nname = \"a\"\naddress = \"10.0.0.1 -v\"\n[[hosts]]\nname = \"b\"\naddress = \"b\\u001b]0;x\"\n",
			want: []string{`config.toml:3:1: hosts[a].address: address "10.0.0.1 -v" must not hold whitespace`,
				`config.toml:6:1: hosts[b].address: address "b\x1b]0;x" holds the control character U+001B`},
		},
		"local host cannot jump": {
			doc:  "[[hosts]]\nname = \"b\"\n[[hosts]]\nname = \"me\"\naddress = \"local\"\njump = \"b\"\n",
			want: []string{`config.toml:6:1: hosts[me].jump: a host with address = "local" is this machine`},
		},
		"warn not below crit": {
			doc:  "[thresholds]\ndisk = { warn = 95, crit = 90 }\n[[hosts]]\nname = \"a\"\n",
			want: []string{`config.toml:2:1: thresholds.disk: warn (95) must be below crit (90)`},
		},
		"warn equal to inherited crit on a host": {
			doc:  "[[hosts]]\nname = \"a\"\n[hosts.thresholds]\ncpu = { warn = 95 }\n",
			want: []string{`config.toml:4:1: hosts[a].thresholds.cpu: warn (95) must be below crit (95)`},
		},
		"disk_full out of order": {
			doc: "[thresholds]\ndisk_full = { warn = \"2h\", crit = \"4h\", window = \"1m\", warn_free = 140 }\n[[hosts]]\nname = \"a\"\n",
			want: []string{`config.toml:2:1: thresholds.disk_full: crit (4h0m0s) must not be later than warn (2h0m0s)`,
				`thresholds.disk_full.window: 1m0s is too short`, `thresholds.disk_full.warn_free: is a percentage of free space: 0 to 100, got 140`},
		},
		"percent above 100": {
			doc:  "[thresholds]\nmemory = { warn = 80, crit = 120 }\n[[hosts]]\nname = \"a\"\n",
			want: []string{`config.toml:2:23: thresholds.memory.crit: is a percentage: must be at most 100, got 120`},
		},
		"poll interval too short": {
			doc:  "[[hosts]]\nname = \"a\"\npoll_interval = \"100ms\"\n",
			want: []string{`config.toml:3:1: hosts[a].poll_interval: poll interval 100ms is below the minimum of 1s`},
		},
		"port out of range": {
			doc:  "[[hosts]]\nname = \"a\"\nport = 70000\n",
			want: []string{`config.toml:3:1: hosts[a].port: port 70000 is out of range`},
		},
		"bad known_hosts policy": {
			doc:  "[defaults]\nknown_hosts_policy = \"yolo\"\n[[hosts]]\nname = \"a\"\n",
			want: []string{`config.toml:2:1: defaults.known_hosts_policy: unknown policy "yolo"`},
		},
		"drill host must exist": {
			doc:  "[[hosts]]\nname = \"a\"\n[[hosts.backups]]\nname = \"b\"\nkind = \"files\"\npath = \"/b/*\"\ndrill_host = \"nope\"\n",
			want: []string{`config.toml:7:1: hosts[a].backups[b].drill_host: drill_host "nope" is not a configured host`},
		},
		"relative mount": {
			doc:  "[[hosts]]\nname = \"a\"\nmounts = [\"var\"]\n",
			want: []string{`config.toml:3:1: hosts[a].mounts[0]: mount "var" must be an absolute path`},
		},
		"relative backup path (option injection)": {
			doc:  "[[hosts]]\nname = \"a\"\n[[hosts.backups]]\nname = \"b\"\nkind = \"files\"\npath = \"-delete/*.gz\"\n",
			want: []string{`config.toml:6:1: hosts[a].backups[b].path: path "-delete/*.gz" must be an absolute path`},
		},
		"placeholder inside quotes": {
			doc: "[[hosts]]\nname = \"a\"\n[[hosts.backups]]\nname = \"b\"\nkind = \"files\"\npath = \"/b/*.gz\"\n" +
				"restore = 'gunzip -c \"{artifact}\" > {scratch}/x'\nverify = \"cat '{scratch}/x'\"\ncleanup = \"echo \\\"{drill_id}\\\"\"\n",
			want: []string{`config.toml:7:1: hosts[a].backups[b].restore: {artifact} stands inside quotes`,
				`config.toml:8:1: hosts[a].backups[b].verify: {scratch} stands inside quotes`,
				`config.toml:9:1: hosts[a].backups[b].cleanup: {drill_id} stands inside quotes`},
		},
		"option-like names and control characters": {
			doc:  "[[hosts]]\nname = \"a\"\n[[hosts.services]]\nname = \"s\\u001b]0;pwned\\u0007\"\nkind = \"systemd\"\nunit = \"--help\"\n",
			want: []string{`holds the control character U+001B`, `unit "--help" must not start with '-'`},
		},
		"secrets in the config": {
			doc: "[[hosts]]\nname = \"a\"\n[[hosts.backups]]\nname = \"r\"\nkind = \"restic\"\nrepo = \"rest:https://u:hunter2@backup.example.com/\"\n" +
				"password_file = \"/etc/restic/pw\"\nsnapshot = \"PGPASSWORD=hunter2 pg_dump db\"\n",
			want: []string{`config.toml:6:1: hosts[a].backups[r].repo: looks like it holds a password in a URL`,
				`config.toml:8:1: hosts[a].backups[r].snapshot: looks like it holds a password or token`},
		},
		"NaN threshold and unbounded timeout": {
			doc:  "[defaults]\ntimeout = \"1h\"\n[thresholds]\ncpu = { warn = nan, crit = 95 }\n[[hosts]]\nname = \"a\"\n",
			want: []string{`config.toml:2:1: defaults.timeout: timeout 1h0m0s is over the maximum of 10m0s`, `cpu.warn: must be a number, got NaN`},
		},
		"several semantic problems in file order": {
			doc:  "[[hosts]]\nname = \"a\"\nport = 0\njump = \"zz\"\n[[hosts]]\nname = \"a\"\n",
			want: []string{`config.toml:4:1: hosts[a].jump`, `config.toml:6:1: hosts[a].name: duplicate`},
		},
	}
	for name, u := range uu {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("config.toml", []byte(u.doc))
			var ps fleet.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("want Problems, got %T %v", err, err)
			}
			if len(ps) != len(u.want) {
				t.Errorf("want %d problems, got %d:\n%v", len(u.want), len(ps), err)
			}
			for i, w := range u.want {
				if i >= len(ps) {
					break
				}
				if !strings.Contains(ps[i].Error(), w) {
					t.Errorf("problem %d:\n got %s\nwant it to contain %s", i, ps[i].Error(), w)
				}
			}
		})
	}
}

func TestParse_DefaultsApplied(t *testing.T) {
	c, err := Parse("c.toml", []byte(`
[defaults]
user = "deploy"
port = 2222
poll_interval = "7s"
sudo = true
[thresholds]
disk = { warn = 70, crit = 80 }
[[hosts]]
name = "a"
[[hosts]]
name = "b"
address = "10.0.0.2"
port = 22
user = "root"
poll_interval = "1m"
sudo = false
[hosts.thresholds]
disk = { crit = 99 }
[[hosts.backups]]
name = "x"
kind = "files"
path = "/x/*"
min_size = "2GiB"
`))
	if err != nil {
		t.Fatal(err)
	}
	a, b := c.Hosts[0], c.Hosts[1]
	if a.Address != "a" || a.Port != 0 || a.User != "" || a.Interval() != 7*time.Second || !*a.Sudo || a.Timeout.Duration != fleet.DefaultTimeout {
		t.Errorf("host a did not inherit defaults: %+v", a)
	}
	if b.Port != 22 || b.User != "root" || b.Interval() != time.Minute || *b.Sudo {
		t.Errorf("host b values were overridden: %+v", b)
	}
	if a.Limits.Disk != (fleet.Pair{Warn: 70, Crit: 80}) || a.Limits.CPU != fleet.DefaultLimits.CPU {
		t.Errorf("host a limits = %+v", a.Limits)
	}
	if b.Limits.Disk != (fleet.Pair{Warn: 70, Crit: 99}) {
		t.Errorf("host b disk limits = %+v, want warn from [thresholds], crit from host", b.Limits.Disk)
	}
	if bk := b.Backups[0]; bk.MinSize != 2<<30 || bk.MaxAge.Duration != fleet.DefaultMaxAge {
		t.Errorf("backup = %+v", bk)
	}
}

func TestExampleConfigIsValid(t *testing.T) {
	c, err := Load(filepath.Join("..", "..", "config.example.toml"))
	if err != nil {
		t.Fatalf("config.example.toml must pass validation:\n%v", err)
	}
	kinds := map[string]bool{}
	for _, h := range c.Hosts {
		for _, s := range h.Services {
			kinds["service:"+s.Kind] = true
		}
		for _, b := range h.Backups {
			kinds["backup:"+b.Kind] = true
		}
	}
	for k := range serviceKinds {
		if !kinds["service:"+k] {
			t.Errorf("config.example.toml shows no service of kind %q", k)
		}
	}
	for k := range backupKinds {
		if !kinds["backup:"+k] {
			t.Errorf("config.example.toml shows no backup of kind %q", k)
		}
	}
}

func TestDefaultConfig(t *testing.T) {
	c := Default()
	if len(c.Hosts) != 1 || !c.Hosts[0].Local() {
		t.Fatalf("default fleet = %+v, want one local host", c.Hosts)
	}
	if want, _ := os.Hostname(); want != "" && c.Hosts[0].Name != want {
		t.Errorf("default host name = %q, want hostname %q", c.Hosts[0].Name, want)
	}
}

func TestLocate(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv(fleet.ConfigEnv, "")
	if l, err := fleet.Locate(""); err != nil || l.From != fleet.FromEmbedded {
		t.Fatalf("no file anywhere: got %+v %v, want embedded default", l, err)
	}
	xdg := filepath.Join(dir, "opsdeck", "config.toml")
	os.MkdirAll(filepath.Dir(xdg), 0o755)
	os.WriteFile(xdg, []byte("[[hosts]]\nname='a'\n"), 0o644)
	if l, _ := fleet.Locate(""); l.Path != xdg || l.From != fleet.FromXDG {
		t.Errorf("XDG file: got %+v", l)
	}
	env := filepath.Join(dir, "env.toml")
	os.WriteFile(env, []byte("[[hosts]]\nname='b'\n"), 0o644)
	t.Setenv(fleet.ConfigEnv, env)
	if l, _ := fleet.Locate(""); l.Path != env || l.From != fleet.FromEnv {
		t.Errorf("env: got %+v", l)
	}
	if l, _ := fleet.Locate(xdg); l.Path != xdg || l.From != fleet.FromFlag {
		t.Errorf("flag beats env: got %+v", l)
	}
	if _, err := fleet.Locate(filepath.Join(dir, "missing.toml")); err == nil || !strings.Contains(err.Error(), "missing.toml (from --config)") {
		t.Errorf("missing flag file: err = %v", err)
	}
	t.Setenv(fleet.ConfigEnv, filepath.Join(dir, "gone.toml"))
	if _, err := fleet.Locate(""); err == nil || !strings.Contains(err.Error(), "$OPSDECK_CONFIG") {
		t.Errorf("missing env file: err = %v", err)
	}
}

func TestParseSize(t *testing.T) {
	uu := map[string]struct {
		in   string
		want fleet.Size
		err  bool
	}{
		"bytes":   {"1024", 1024, false},
		"KB":      {"512KB", 512000, false},
		"MB":      {"1MB", 1e6, false},
		"GiB":     {"2GiB", 2 << 30, false},
		"lower":   {"3mib", 3 << 20, false},
		"space":   {"1.5 GB", 1.5e9, false},
		"unit":    {"3XB", 0, true},
		"empty":   {"", 0, true},
		"letters": {"MB", 0, true},
	}
	for name, u := range uu {
		t.Run(name, func(t *testing.T) {
			got, err := fleet.ParseSize(u.in)
			if (err != nil) != u.err || got != u.want {
				t.Errorf("ParseSize(%q) = %d, %v; want %d, err=%v", u.in, got, err, u.want, u.err)
			}
		})
	}
}

// A UTF-8 byte order mark, as some editors write, is not a problem.
func TestParse_BOM(t *testing.T) {
	c, err := Parse("c.toml", []byte("\xef\xbb\xbfname = \"bom\"\n[[hosts]]\nname = \"a\"\n"))
	if err != nil || c.Name != "bom" {
		t.Fatalf("%v", err)
	}
}

func TestQuotedPlaceholder(t *testing.T) {
	for cmd, want := range map[string]string{
		`gunzip -c {artifact} | psql -d {drill_id}`:          "",
		`gunzip -c "{artifact}"`:                             "{artifact}",
		`cat '{scratch}/x'`:                                  "{scratch}",
		`test "$(psql -tA -d {drill_id} -c 'select 1')" = 1`: "",
		`test "$(echo "{artifact}")" = x`:                    "{artifact}",
		`echo \"{artifact}\"`:                                "",
		`echo "a" {artifact} 'b'`:                            "",
		`[ -n "$(ls -A {scratch})" ] && restic check`:        "",
	} {
		if got := quotedPlaceholder(cmd); got != want {
			t.Errorf("%s: %q, want %q", cmd, got, want)
		}
	}
}

// Hosts a Prometheus covers poll at its interval unless they set their
// own; this machine and resources = "ssh" hosts keep theirs.
func TestParse_SourceInterval(t *testing.T) {
	c, err := Parse("config.toml", []byte(`[defaults]
poll_interval = "5s"
[[sources]]
kind = "prometheus"
url = "http://127.0.0.1:9090"
[[hosts]]
name = "a"
[[hosts]]
name = "b"
poll_interval = "2s"
[[hosts]]
name = "c"
resources = "ssh"
[[hosts]]
name = "me"
address = "local"
`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Duration{"a": 15 * time.Second, "b": 2 * time.Second, "c": 5 * time.Second, "me": 5 * time.Second}
	for _, h := range c.Hosts {
		if h.Interval() != want[h.Name] {
			t.Errorf("%s polls every %s, want %s", h.Name, h.Interval(), want[h.Name])
		}
	}
	if s := c.Sources[0]; s.Hosts != `up{job="node"}` || s.InstanceLabel != "instance" || s.Interval.Duration != 15*time.Second {
		t.Errorf("source defaults: %+v", s)
	}
}

// A source's match is PromQL label matchers, and only them: nothing
// else reaches the queries it is put into.
func TestMatchers(t *testing.T) {
	for _, ok := range []string{`site="eu"`, `site="eu", env=~"prod|stage"`, ` site != "x" `, `a="b\"c"`} {
		if !matchers.MatchString(ok) {
			t.Errorf("refused %s", ok)
		}
	}
	for _, bad := range []string{`site=eu`, `site="eu"}`, `{site="eu"}`, `site="eu"} or vector(1) or {a="b"`, `site="eu" or vector(1)`, `="x"`} {
		if matchers.MatchString(bad) {
			t.Errorf("took %s", bad)
		}
	}
}
