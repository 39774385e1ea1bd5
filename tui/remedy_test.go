package tui

import (
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/fleet"
)

// What to do is said for what failed, not for its check's name alone: a
// disk Prometheus has no figures of is not a disk that grew.
func TestRemedy(t *testing.T) {
	k := DefaultKeyMap()
	c := &common{keys: &k}
	h := &fleet.Host{Name: "web-1"}
	for _, u := range []struct {
		check fleet.Check
		want  string
	}{
		{fleet.Check{Name: "disk /var", State: fleet.Crit, Reason: "disk /var 97% ≥ 90%"}, "du -xh --max-depth=2 /var"},
		{fleet.Check{Name: "disk /srv", State: fleet.Unknown, Reason: "disk /srv: not in prometheus"}, `resources = "ssh"`},
		{fleet.Check{Name: "cpu", State: fleet.Unknown, Reason: "cpu: prometheus http://p:9090 has no series of it: no instance=\"web-1\""}, `resources = "ssh"`},
		{fleet.Check{Name: "cpu", State: fleet.Unknown, Reason: "cpu: prometheus cannot scrape its node_exporter (up == 0)"}, "node_exporter running"},
		{fleet.Check{Name: "backup pg", State: fleet.Unknown, Reason: "backup pg: drill history unknown: database unreachable"}, "no verdict on its drills"},
		{fleet.Check{Name: "backup pg", State: fleet.Warn, Reason: "backup pg: never restore-tested"}, "runs a restore drill"},
		{fleet.Check{Name: fleet.HostCheck, State: fleet.Stale, Reason: "no new data for 50s"}, "R polls it now"},
	} {
		if got := remedy(c, h, u.check); !strings.Contains(got, u.want) {
			t.Errorf("%s: %q, want it to say %q", u.check.Reason, got, u.want)
		}
	}
	// STALE while a shared source fails: polling the host does not help.
	c.banner = "⚠ prometheus http://p:9090 failing for 40s: connection refused"
	stale := fleet.Check{Name: fleet.HostCheck, State: fleet.Stale, Reason: "no new data for 50s"}
	if got := remedy(c, h, stale); !strings.Contains(got, "shared source that is failing") {
		t.Errorf("STALE with the source failing: %q", got)
	}
	if got := remedy(c, &fleet.Host{Name: "db-1", Resources: "ssh"}, stale); !strings.Contains(got, "R polls it now") {
		t.Errorf("STALE of a host on SSH with the source failing: %q", got)
	}
}
