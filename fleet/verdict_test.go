package fleet

import (
	"strings"
	"testing"
	"time"
)

// A reader composes a check's words from what the exposition carries
// (kind, subject, cause, state, value, limit) with the poller's own code:
// for a figure over its threshold, and for a service's settings, the
// words are the poller's to the letter.
func TestSaid_AsThePollerSaysIt(t *testing.T) {
	now := time.Now()
	lim := Limits{CPU: Pair{Warn: 80, Crit: 90}, Memory: Pair{Warn: 85, Crit: 95}, Load: Pair{Warn: 2, Crit: 4},
		Disk: Pair{Warn: 80, Crit: 90}, Inodes: Pair{Warn: 80, Crit: 90}}
	smp := &Sample{At: now, CPU: 93.4, MemTotal: 100, MemUsed: 86, Cores: 2, Load1: 1,
		Disks: []Disk{{Mount: "/var", Total: 100, Used: 97, Free: 3, Inodes: 10, IUsed: 1}}}
	no := false
	smp.Services = []ServiceStatus{{Name: "nginx", Running: true, State: "RUNNING", Enabled: &no}, {Name: "cron", Running: true, State: "RUNNING", AutoRestart: &no}}
	said := 0
	for _, c := range Evaluate(smp, lim, nil, nil) {
		if c.State == OK {
			continue
		}
		back := Check{Kind: c.Kind, Subject: c.Subject, Name: c.Name, State: c.State, Cause: c.Cause, Value: c.Value, Limit: c.Limit, Unit: c.Unit}
		if got := Said(back); got != c.Reason {
			t.Errorf("%s: a reader says %q, the poller %q", c.Key(), got, c.Reason)
		}
		said++
	}
	if said != 5 { // cpu, memory, disk /var, nginx, cron
		t.Fatalf("%d failing checks, want 5", said)
	}
	if got := Said(Check{Kind: KindService, Subject: "db", Name: "service db", State: Crit, Cause: CauseNotRunning}); got != "service db not running" {
		t.Errorf("a stopped service read back: %q", got)
	}
}

// A verdict read back is shown as its poller gave it while it is
// current, and STALE with the reason when its reader says it is not or
// when its poller has not judged it for two intervals and the timeout.
func TestVerdict_Health(t *testing.T) {
	h := &Host{Name: "web-1", PollInterval: Duration{Duration: 5 * time.Second}, Timeout: Duration{Duration: 10 * time.Second}}
	now := time.Now()
	disk := Check{Kind: KindDisk, Subject: "/var", Name: "disk /var", State: Crit, Cause: CauseOver, Value: 97, Limit: Pair{Warn: 80, Crit: 90}, Unit: "%"}
	disk.Reason = Said(disk)
	v := &Verdict{State: Crit, Checks: []Check{{Kind: KindCPU, Name: "cpu", State: OK}, disk}, At: now, Judged: now.Add(-19 * time.Second), By: "1/4 of site eu"}
	if hl := v.Health(h, now); hl.State != Crit || hl.Reason != "disk /var 97% ≥ 90%" {
		t.Errorf("current: %s %q", hl.State, hl.Reason)
	}
	if hl := v.Health(h, now.Add(2*time.Second)); hl.State != Stale || !strings.Contains(hl.Reason, "poller 1/4 of site eu has not judged it for 21s") {
		t.Errorf("its poller silent 21s (stale after 20s): %s %q", hl.State, hl.Reason)
	}
	v.Within = 2*15*time.Second + 10*time.Second // a poller scraped every 15 s
	if hl := v.Health(h, now.Add(20*time.Second)); hl.State != Crit {
		t.Errorf("judged 39s ago by a poller scraped every 15s: %s %q", hl.State, hl.Reason)
	}
	if hl := v.Health(h, now.Add(22*time.Second)); hl.State != Stale {
		t.Errorf("judged 41s ago by a poller scraped every 15s: %s", hl.State)
	}
	v.Within = 0
	v.Old = "poller 1/4 of site eu not scraped since 14:02:00"
	if hl := v.Health(h, now); hl.State != Stale || hl.Reason != v.Old || len(hl.Checks) != 0 {
		t.Errorf("not scraped: %s %q, %d checks", hl.State, hl.Reason, len(hl.Checks))
	}
	down := &Verdict{State: Down, Cause: CauseRefused, At: now, Judged: now, By: "0/4"}
	if hl := down.Health(h, now); hl.State != Down || hl.Reason != "connection refused (its poller 0/4 says)" {
		t.Errorf("down: %s %q", hl.State, hl.Reason)
	}
	first := &Verdict{State: Unknown, Cause: CausePolling, Judged: now, By: "0/4"}
	if hl := first.Health(h, now); !hl.Polling {
		t.Error("a first poll read back is not drawn as polling")
	}
}

// A host known only from the series leaves the store when its poller,
// answering, no longer has it; a configured one stays, STALE.
func TestJudge_GoneFromItsPoller(t *testing.T) {
	store := NewStore([]Host{{Name: "configured"}})
	now := time.Now()
	ok := func(name string) Judged {
		return Judged{Name: name, Verdict: &Verdict{State: OK, At: now, Judged: now, By: "0/1"}, Figures: &Sample{At: now}}
	}
	store.Judge([]Judged{ok("configured"), ok("remote")}, Host{}, nil)
	if snap, _ := store.Snapshot(); len(snap) != 2 || !snap[1].Host.Remote {
		t.Fatalf("after the first read: %d hosts", len(snap))
	}
	store.Judge(nil, Host{}, func(string, *Verdict) *Verdict { return Gone })
	snap, _ := store.Snapshot()
	if len(snap) != 1 || snap[0].Host.Name != "configured" {
		t.Fatalf("after both left their poller: %v", snap)
	}
	if hl := Assess(&snap[0], now); hl.State != Stale || hl.Reason != Gone.Old {
		t.Errorf("the configured host: %s %q", hl.State, hl.Reason)
	}
	if _, ok := store.Status("remote"); ok {
		t.Error("the remote host is still in the store")
	}
}
