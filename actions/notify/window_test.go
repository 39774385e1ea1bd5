package notify

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/actions/oncall"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/report"
)

// A weekly window that opens in the next minute silences a CRIT host's
// notifications exactly while it is open: held from its first second,
// sent at its close. Its state and exit code stay CRIT all along, and
// the report says which window covers it. The clock is the test's.
func TestNotify_WeeklyWindow(t *testing.T) {
	rcv := newReceiver(t)
	rec := Record{Values: memValues{}}
	cfg := &fleet.Config{Hosts: []fleet.Host{{Name: "db-1", Tags: []string{"db"}}, {Name: "web-1"}}}
	// Sunday 01:59 UTC; the window opens at 02:00 on Sundays.
	t0 := time.Date(2026, 12, 6, 1, 59, 0, 0, time.UTC)
	windows := []fleet.Window{{Name: "db-patching", Tags: []string{"db"}, Weekdays: []string{"sun"}, From: "02:00", Until: "04:00", TimeZone: "UTC"}}
	board := (*oncall.Board)(nil).WithWindows(windows)
	o := Options{URL: rcv.URL + "/hook", Kind: "slack", Remind: map[fleet.State]time.Duration{fleet.Crit: 30 * time.Minute}}
	rep := func(s fleet.State) report.Report {
		r := report.Report{Worst: s}
		for _, h := range cfg.Hosts {
			hr := report.HostReport{Name: h.Name, State: fleet.OK}
			if h.Name == "db-1" && s != fleet.OK {
				hr.State = s
				hr.Findings = []report.Finding{{Check: "disk /", Key: "disk:/", Kind: fleet.KindDisk, State: s, Reason: "disk / 97%"}}
			}
			r.Hosts = append(r.Hosts, hr)
		}
		return r
	}
	run := func(at time.Duration, s fleet.State) (string, report.Report) {
		t.Helper()
		now := t0.Add(at)
		o.Quiet = board.Quiet(hostOf(cfg), now)
		r := rep(s)
		board.Annotate(&r, hostOf(cfg), now)
		if _, err := Send(context.Background(), rec, r, o, now); err != nil {
			t.Fatal(err)
		}
		return rcv.take(), r
	}
	if got, _ := run(0, fleet.OK); got != "" {
		t.Errorf("01:59, all OK: %q", got)
	}
	got, r := run(time.Minute, fleet.Crit) // 02:00:00, the window's first second
	if got != "" {
		t.Errorf("02:00, in the window: posted %q", got)
	}
	if f := r.Hosts[0].Findings[0]; f.State != fleet.Crit || !strings.HasPrefix(f.Silenced, "in window db-patching until 2026-12-06T04:00:00Z") || r.Exit() != report.ExitCrit {
		t.Errorf("in the window: %+v, exit %d: the state and exit stay CRIT, the window is named", f, r.Exit())
	}
	if got, _ := run(2*time.Hour+59*time.Second, fleet.Crit); got != "" { // 03:59:59, a reminder would be due
		t.Errorf("03:59:59, still in the window: posted %q", got)
	}
	if got, _ := run(2*time.Hour+time.Minute, fleet.Crit); !strings.Contains(got, "db-1: disk:/ CRIT (was OK)") { // 04:00: closed
		t.Errorf("04:00, the window closed: %q", got)
	}
	var list bytes.Buffer
	if err := oncall.WriteSilences(&list, cfg, board.Silences(t0.Add(90*time.Minute)), t0.Add(90*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if s := list.String(); !strings.Contains(s, "window:db-patching") || strings.Count(s, "window:db-patching") != 2 || !strings.Contains(s, "in force") ||
		!strings.Contains(s, "Dec 13 ") || !strings.Contains(s, "db-1") {
		t.Errorf("silence list shows the open and the next window:\n%s", s)
	}
}
