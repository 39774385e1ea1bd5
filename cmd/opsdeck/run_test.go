package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

// opsdeck run on real sshd hosts: identical outputs are one block, the
// host that differs its own, each host's run audited; a change command
// on a production host runs nowhere without its name confirmed.
func TestRun_GroupsAndAudits(t *testing.T) {
	f := fleettest.StartFleet(t, 3)
	marker := filepath.Join(t.TempDir(), "changed")
	var hosts strings.Builder
	for _, h := range f.Hosts {
		fmt.Fprintf(&hosts, "[[hosts]]\nname = %q\naddress = %q\nport = %d\n", h.Name, h.Listen, h.Port)
		if h.Name == "host-3" {
			hosts.WriteString("env = \"prod\"\n")
		}
	}
	cfg := writeFile(t, "fleet.toml", fmt.Sprintf(`%s[[commands]]
name = "who"
kind = "inspect"
command = "test {host} = host-2 && echo other || echo same; echo {address}"
[[commands]]
name = "touch"
kind = "change"
command = "touch %s"
%s`, f.Defaults(), marker, hosts.String()))
	state := []string{"XDG_STATE_HOME=" + t.TempDir()}
	out, errOut, code := opsdeck(t, state, "run", "who", "host-[1-3]", "-c", cfg)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	addr := f.Hosts[0].Listen
	for _, want := range []string{"host-[1,3] (2)\n---------------\nsame\n" + addr, "host-2 (1)\n---------------\nother\n" + addr} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	audit, _, _ := opsdeck(t, state, "audit", "--json", "-c", cfg)
	ran := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(audit), "\n") {
		var e actions.Entry
		if json.Unmarshal([]byte(l), &e) == nil && e.Kind == "run" {
			ran[e.Host] = e.Outcome
		}
	}
	if len(ran) != 3 || ran["host-1"] != actions.Succeeded || ran["host-2"] != actions.Succeeded {
		t.Errorf("audit: %v\n%s", ran, audit)
	}
	// A change on the production host-3: --yes is not enough.
	out, errOut, code = opsdeck(t, state, "run", "touch", "--env", "prod", "--yes", "-c", cfg)
	if code == 0 || !strings.Contains(errOut, "host-3 is a production host and --yes is not enough") {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the change ran without its host's name confirmed")
	}
	out, errOut, code = opsdeck(t, state, "run", "touch", "host-3", "--yes", "--confirm", "host-3", "-c", cfg)
	if _, err := os.Stat(marker); code != 0 || err != nil {
		t.Errorf("confirmed change: exit %d, marker %v\n%s\n%s", code, err, out, errOut)
	}
}

// opsdeck run on 200 simulated hosts (in-process SSH servers: 200 real
// sshd would cost the test more than it shows): the identical outputs are
// one block, the hosts that differ theirs, and a host that never answers
// times out alone while the run ends.
func TestRun_200SimulatedHosts(t *testing.T) {
	dir := t.TempDir()
	hostKey, clientKey := fleettest.NewKey(t, dir, "host_key"), fleettest.NewKey(t, dir, "id_ed25519")
	var known, hosts strings.Builder
	for i := range 200 {
		name := fmt.Sprintf("sim%03d", i+1)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s := fleettest.Serve(ln, hostKey, clientKey, func(cmd string, _ []byte) ([]byte, int, bool) {
			switch {
			case !strings.Contains(cmd, "uptime"): // only the configured command is ever sent
				return []byte("unexpected command: " + cmd + "\n"), 99, false
			case name == "sim150":
				return nil, 0, true // never answers
			case i%50 == 7:
				return []byte("load average: 9.00\n"), 1, false
			}
			return []byte("load average: 0.10\n"), 0, false
		})
		t.Cleanup(s.Close)
		known.WriteString(s.KnownHostsLine())
		_, port, _ := net.SplitHostPort(s.Addr)
		fmt.Fprintf(&hosts, "[[hosts]]\nname = %q\naddress = \"127.0.0.1\"\nport = %s\n", name, port)
	}
	knownHosts := writeFile(t, "known_hosts", known.String())
	cfg := writeFile(t, "fleet.toml", fmt.Sprintf(`%s[defaults]
identity_files = [%q]
known_hosts = %q
ssh_config = "/dev/null"
security = false
[[commands]]
name = "load"
kind = "inspect"
command = "uptime"
timeout = "3s"
%s`, fleettest.Hermetic, clientKey.Path, knownHosts, hosts.String()))
	state := []string{"XDG_STATE_HOME=" + t.TempDir()}
	out, errOut, code := opsdeck(t, state, "run", "load", "sim[001-200]", "-c", cfg, "--format", "json")
	if code != 1 {
		t.Errorf("exit %d, want the worst of the hosts' (1)\n%s", code, errOut)
	}
	var groups []actions.Group
	if err := json.Unmarshal([]byte(out), &groups); err != nil {
		t.Fatalf("%v\n%s\n%s", err, out, errOut)
	}
	if len(groups) != 3 {
		t.Fatalf("%d groups, want 3: %+v", len(groups), groups)
	}
	ok, busy, hung := groups[0], groups[1], groups[2]
	if len(ok.Hosts) != 195 || ok.Output[0] != "load average: 0.10" || ok.Exit != 0 ||
		ok.Label != "sim[001-007,009-057,059-107,109-149,151-157,159-200] (195)" {
		t.Errorf("the identical block: %s %v %d", ok.Label, ok.Output, ok.Exit)
	}
	if busy.Label != "sim[008,058,108,158] (4)" || busy.Exit != 1 {
		t.Errorf("the block that differs: %+v", busy)
	}
	if hung.Label != "sim150 (1)" || !strings.Contains(hung.Err, "did not finish within 3s") {
		t.Errorf("the host that never answers: %+v", hung)
	}
}
