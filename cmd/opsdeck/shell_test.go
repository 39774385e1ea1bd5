package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/fleet/config"
	"github.com/opsdeck/opsdeck/fleet/probe"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

// The dashboard's s runs the system ssh with the host's options from the
// config: its argv names the user, port, identity and known_hosts file,
// and run with `true` it reaches the real test host.
func TestShell_SystemSSH(t *testing.T) {
	f := fleettest.StartFleet(t, 1)
	h := f.Hosts[0]
	_, conn := connectTest(t, fmt.Sprintf("%s[[hosts]]\nname = \"web-1\"\naddress = %q\nport = %d\nuser = %q\n",
		f.Defaults(), h.Listen, h.Port, h.User))
	cmd, argv, err := shellOf(conn, "web-1")
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Join(argv, " ")
	for _, want := range []string{fmt.Sprintf("-p %d", h.Port), "-l " + h.User, "-i " + f.ClientKey.Path, "IdentitiesOnly=yes",
		"UserKnownHostsFile=" + f.KnownHosts, "StrictHostKeyChecking=yes", "PasswordAuthentication=no", h.Listen} {
		if !strings.Contains(line, want) {
			t.Errorf("argv lacks %q: %s", want, line)
		}
	}
	c := cmd.(*execCommand)
	// Options go before the "--" that ends them; after the host is the
	// remote command.
	n := len(c.Args)
	if n < 2 || c.Args[n-2] != "--" || c.Args[n-1] != h.Listen {
		t.Fatalf("argv does not end with -- %s: %q", h.Listen, c.Args)
	}
	c.Args = append(append(c.Args[:n-2:n-2], "-o", "BatchMode=yes", "--", h.Listen), "true")
	if out, err := c.CombinedOutput(); err != nil {
		t.Errorf("ssh … true: %v\n%s", err, out)
	}
}

// connectTest loads a config written from toml and connects to its fleet,
// closed at the end of the test.
func connectTest(t *testing.T, toml string) (*fleet.Config, *probe.Fleet) {
	t.Helper()
	cfg, err := config.Load(writeFile(t, "fleet.toml", toml))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := probe.Connect(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	return cfg, conn
}
