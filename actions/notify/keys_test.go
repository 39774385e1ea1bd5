package notify

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/report"
)

// fleetReport is a report of web-1 with a failing disk and an OK cpu, the
// disk's check worded as words says.
func fleetReport(words string, disk fleet.State) report.Report {
	return report.Report{Worst: disk, Hosts: []report.HostReport{{Name: "web-1", State: disk, Findings: []report.Finding{
		{Check: words, Key: "disk:/var", Kind: fleet.KindDisk, Subject: "/var", State: disk, Reason: words + " 97%"},
		{Check: "cpu", Key: "cpu", Kind: fleet.KindCPU, State: fleet.OK},
	}}}}
}

// Rewording a check's display words sends nothing and saves the same
// record: what was sent is kept by key.
func TestSend_RewordingSendsNothing(t *testing.T) {
	rcv := newReceiver(t)
	rec := Record{Values: memValues{}}
	o := Options{URL: rcv.URL, Remind: map[fleet.State]time.Duration{fleet.Crit: time.Hour}}
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	if _, err := Send(context.Background(), rec, fleetReport("disk /var", fleet.Crit), o, now); err != nil {
		t.Fatal(err)
	}
	if got := rcv.take(); !strings.Contains(got, "web-1: disk:/var CRIT (was OK)") {
		t.Fatalf("first run posted %q", got)
	}
	before := string(rec.Values.(memValues)[StateName])
	if _, err := Send(context.Background(), rec, fleetReport("space on /var", fleet.Crit), o, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := rcv.take(); got != "" {
		t.Errorf("reworded check posted %q", got)
	}
	if after := string(rec.Values.(memValues)[StateName]); after != before {
		t.Errorf("record changed: %s → %s", before, after)
	}
	if !strings.Contains(before, `"web-1/disk:/var":"CRIT"`) {
		t.Errorf("record not keyed by the check's key: %s", before)
	}
}

// A record written by the release before keys (by the checks' words, the
// states as text) is read without a single re-notification: what was
// sent, and since when a finding fails (its reminder), are kept under the
// keys; another run's entries of a shared record are left as they were.
func TestSend_ReadsTheNameKeyedRecord(t *testing.T) {
	rcv := newReceiver(t)
	since := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	old := memValues{
		// As the release before this one wrote them.
		StateName:     []byte(`{"web-1/host":"CRIT","web-1/disk /var":"CRIT","other/disk /srv":"WARN","other/host":"WARN"}`),
		RemindersName: []byte(`{"web-1/disk /var":{"since":"2026-12-06T08:00:00Z","at":"2026-12-06T09:30:00Z"}}`),
	}
	rec := Record{Values: old}
	o := Options{URL: rcv.URL, Remind: map[fleet.State]time.Duration{fleet.Crit: time.Hour}}
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	if _, err := Send(context.Background(), rec, fleetReport("disk /var", fleet.Crit), o, now); err != nil {
		t.Fatal(err)
	}
	if got := rcv.take(); got != "" {
		t.Errorf("upgrading re-notified: %q", got)
	}
	var st map[string]string
	json.Unmarshal(old[StateName], &st)
	if st["web-1/disk:/var"] != "CRIT" || st["other/disk /srv"] != "WARN" || len(st) != 4 {
		t.Errorf("record after upgrade: %v", st)
	}
	var rems map[string]reminder
	json.Unmarshal(old[RemindersName], &rems)
	if r, ok := rems["web-1/disk:/var"]; !ok || !r.Since.Equal(since) {
		t.Errorf("reminder after upgrade: %v", rems)
	}
	// The reminder is due an hour after it was last sent, counted from
	// when the finding began failing under its old name.
	if _, err := Send(context.Background(), rec, fleetReport("disk /var", fleet.Crit), o, now.Add(31*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := rcv.take(); !strings.Contains(got, "web-1: disk:/var still CRIT for 2h, not acknowledged") {
		t.Errorf("reminder: %q", got)
	}
}
