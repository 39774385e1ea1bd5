package main

import (
	"encoding/json"
	"fmt"
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
