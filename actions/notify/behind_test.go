package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/report"
)

// A bastion DOWN with three hosts behind it is one notification, the
// bastion's; the hosts behind it are neither notified nor resolved, and
// what they said before (web2's CRIT disk) is not called OK meanwhile.
func TestNotify_OnlyTheRootOfUnreachableHosts(t *testing.T) {
	rcv := newReceiver(t)
	rec := Record{Values: memValues{}}
	o := Options{URL: rcv.URL + "/hook", Kind: "slack", Remind: map[fleet.State]time.Duration{fleet.Crit: time.Minute}}
	t0 := time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)
	host := func(name string, s fleet.State, behind string, fs ...report.Finding) report.HostReport {
		if len(fs) == 0 && s != fleet.OK {
			fs = []report.Finding{{Check: "host", Key: "host", Kind: fleet.KindHost, State: s, Reason: "x"}}
		}
		return report.HostReport{Name: name, State: s, Behind: behind, Findings: fs}
	}
	disk := report.Finding{Check: "disk /", Key: "disk:/", Kind: fleet.KindDisk, Subject: "/", State: fleet.Crit, Reason: "disk / 97%"}
	run := func(at time.Duration, hosts ...report.HostReport) string {
		t.Helper()
		rep := report.Report{Worst: fleet.OK, Hosts: hosts}
		for _, h := range hosts {
			rep.Worst = fleet.Worse(rep.Worst, h.State)
		}
		if _, err := Send(context.Background(), rec, rep, o, t0.Add(at)); err != nil {
			t.Fatal(err)
		}
		return rcv.take()
	}
	if got := run(0, host("bastion", fleet.OK, ""), host("web1", fleet.OK, ""), host("web2", fleet.Crit, "", disk), host("web3", fleet.OK, "")); !strings.Contains(got, "web2: disk:/ CRIT (was OK)") {
		t.Fatalf("first run: %q", got)
	}
	got := run(time.Minute, host("bastion", fleet.Down, ""), host("web1", fleet.Unreachable, "bastion"),
		host("web2", fleet.Unreachable, "bastion"), host("web3", fleet.Unreachable, "bastion"))
	if !strings.Contains(got, "bastion: host DOWN (was OK)") || strings.Contains(got, "web") {
		t.Errorf("bastion down: posted %q, want the bastion only", got)
	}
	// web2's disk, unknown now, is not reminded of as "still CRIT".
	got = run(90*time.Second, host("bastion", fleet.Down, ""), host("web1", fleet.Unreachable, "bastion"),
		host("web2", fleet.Down, ""), host("web3", fleet.Unreachable, "bastion"))
	if strings.Contains(got, "web2: disk") {
		t.Errorf("a reminder of a check nothing is known of: %q", got)
	}
	if got := run(2*time.Minute, host("bastion", fleet.OK, ""), host("web1", fleet.OK, ""), host("web2", fleet.Crit, "", disk), host("web3", fleet.OK, "")); !strings.Contains(got, "bastion: host OK (was DOWN)") || strings.Contains(got, "web1") || strings.Contains(got, "web3") ||
		strings.Contains(got, "web2: disk:/ CRIT (was") {
		t.Errorf("bastion back: posted %q, want the bastion, and web2's own news", got)
	}
}
