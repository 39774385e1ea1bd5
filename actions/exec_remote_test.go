package actions

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/sshx"
)

// A host known only from its poller's series (a fleet read back from
// Prometheus) has no way to it in this config: an action on it says so,
// and nothing runs, least of all on this machine.
func TestExec_RemoteHostSaysSo(t *testing.T) {
	e := &FleetExecutor{TargetOf: func(string) (*sshx.Target, bool) { return nil, false }}
	_, err := e.Exec(context.Background(), &fleet.Host{Name: "node-7", Remote: true}, "true", io.Discard)
	if err == nil || !strings.Contains(err.Error(), "known only from its poller's series") {
		t.Fatalf("an action on a host known only from Prometheus: %v", err)
	}
}
