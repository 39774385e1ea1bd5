package sshx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/fleet/config"
)

func TestResolve_SSHConfig(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "ssh_config")
	os.WriteFile(sc, []byte(`
Host web
  HostName 10.0.0.5
  Port 2200
  User deploy
  IdentityFile /keys/web
  ProxyJump gate

Host gate
  HostName 192.0.2.1
  User jumper

Host db
  HostName 10.0.0.9
  User dbuser
  Port 2201
`), 0o600)
	cfg, err := config.Parse("t.toml", []byte(`
[defaults]
user = "ops"
port = 2222
ssh_config = "`+sc+`"
identity_files = ["/keys/default"]
[[hosts]]
name = "web-1"
address = "web"
[[hosts]]
name = "db-1"
address = "db"
user = "root"
jump = "bastion"
[[hosts]]
name = "bastion"
address = "203.0.113.7"
[[hosts]]
name = "me"
address = "local"
`))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := Resolve(cfg)
	if err != nil {
		t.Fatal(err)
	}
	web := ts["web-1"]
	if web.Addr != "10.0.0.5:2200" || web.User != "deploy" || len(web.IdentityFiles) != 1 || web.IdentityFiles[0] != "/keys/web" {
		t.Errorf("web-1 from ssh_config: %+v", web)
	}
	if web.Jump == nil || web.Jump.Addr != "192.0.2.1:22" || web.Jump.User != "jumper" {
		t.Errorf("web-1 ProxyJump: %+v", web.Jump)
	}
	db := ts["db-1"]
	if db.Addr != "10.0.0.9:2201" || db.User != "root" {
		t.Errorf("db-1: opsdeck user must win over ssh_config: %+v", db)
	}
	if db.Jump == nil || db.Jump.Name != "bastion" || db.Jump.Addr != "203.0.113.7:2222" || db.Jump.User != "ops" {
		t.Errorf("db-1 jump: %+v", db.Jump)
	}
	if db.Jump != ts["bastion"] {
		t.Error("the jump target is not the bastion host's own target (its connection would not be shared)")
	}
	if _, ok := ts["me"]; ok {
		t.Error("a local host got an SSH target")
	}
	if got := cfg.Hosts[1].Endpoint(); got != "root@10.0.0.9:2201" || cfg.Hosts[1].Resolved.Via != "bastion" {
		t.Errorf("db-1 endpoint %q via %q", got, cfg.Hosts[1].Resolved.Via)
	}
}

func TestResolve_MissingSSHConfig(t *testing.T) {
	cfg, err := config.Parse("t.toml", []byte("[defaults]\nssh_config = \"/nonexistent/ssh_config\"\n[[hosts]]\nname = \"a\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Resolve(cfg); err == nil {
		t.Error("a configured ssh_config that does not exist must be an error")
	}
}

// A HostName from ssh_config that ssh would read as an option, or that
// holds whitespace, is refused with the ssh_config line that gave it.
func TestResolve_SSHConfigHostNameLikeAnOption(t *testing.T) {
	sc := filepath.Join(t.TempDir(), "ssh_config")
	os.WriteFile(sc, []byte("Host ok\n  HostName 10.0.0.5\n\nHost web\n  User deploy\n  HostName -oProxyCommand=touch%20/tmp/x\n\nHost spaced\n  HostName \"10.0.0.6 -v\"\n"), 0o600)
	for alias, want := range map[string]string{
		"web":    sc + `:6: HostName "-oProxyCommand=touch%20/tmp/x" must not start with '-'`,
		"spaced": sc + `:9: HostName "10.0.0.6 -v" must not hold whitespace`,
	} {
		cfg, err := config.Parse("t.toml", []byte("[defaults]\nssh_config = \""+sc+"\"\n[[hosts]]\nname = \"ok-1\"\naddress = \"ok\"\n[[hosts]]\nname = \"h\"\naddress = \""+alias+"\"\n"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Resolve(cfg)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "host h: ") {
			t.Errorf("%s: %v, want it to say %q", alias, err, want)
		}
	}
}
