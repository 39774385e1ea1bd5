package fleet

import (
	"slices"
	"testing"
)

// Every service kind can be read, restarted and followed: by a command of
// its own, or by the service's own command, which it then asks for in the
// config (process: restart, log).
func TestServiceKinds_HaveTheirCommands(t *testing.T) {
	s := &Service{Name: "x", Unit: "x.service", Program: "x", Container: "x", Pattern: "x"}
	for _, k := range ServiceKinds {
		if k.Status == nil || k.Status(s) == "" {
			t.Errorf("%s: no status command", k.Name)
		}
		if k.Restart == nil && !slices.Contains(k.Uses, "restart") {
			t.Errorf("%s: no restart command, and no restart field for the service's own", k.Name)
		}
		if k.Log == nil && !slices.Contains(k.Uses, "log") {
			t.Errorf("%s: no log command, and no log field for the service's own", k.Name)
		}
		for _, f := range k.Needs {
			if !slices.Contains(k.Uses, f) {
				t.Errorf("%s: needs %s but does not list it among its fields", k.Name, f)
			}
		}
	}
}

// sudo -n is added in one place, and a script goes through sh -c quoted.
func TestWithSudo(t *testing.T) {
	if got := WithSudo(false, "ls"); got != "ls" {
		t.Errorf("off: %q", got)
	}
	if got := SudoScript(true, "echo 'a'; ls"); got != `sudo -n sh -c 'echo '\''a'\''; ls'` {
		t.Errorf("script: %q", got)
	}
}
