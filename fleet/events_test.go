package fleet

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestEventTracker(t *testing.T) {
	at := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	tr := NewEventTracker()
	ok := Health{State: OK, Checks: []Check{{Name: "disk /", State: OK}, {Name: "backup b", State: Unknown, Pending: true}}}
	if es := tr.Observe("h", Health{State: Unknown, Reason: "no data yet", Polling: true}, at); len(es) != 0 {
		t.Errorf("not polled yet: %v", es)
	}
	if es := tr.Observe("h", ok, at); len(es) != 0 {
		t.Errorf("a start-up OK is no news: %v", es)
	}
	crit := Health{State: Crit, Reason: "disk / 95%", Checks: []Check{{Name: "disk /", State: Crit, Reason: "disk / 95%"}}}
	es := tr.Observe("h", crit, at.Add(time.Minute))
	if len(es) != 2 || es[0].Check != HostCheck || es[1].Check != "disk /" || es[1].From != "OK" || es[1].To != "CRIT" || !es[1].Since.IsZero() {
		t.Fatalf("OK → CRIT: %+v", es)
	}
	// DOWN: no checks read; they keep their state, and only the host changes.
	es = tr.Observe("h", Health{State: Down, Reason: "refused"}, at.Add(2*time.Minute))
	if len(es) != 1 || es[0].To != "DOWN" || !es[0].Since.Equal(at.Add(time.Minute)) {
		t.Fatalf("CRIT → DOWN: %+v", es)
	}
	es = tr.Observe("h", crit, at.Add(3*time.Minute))
	if len(es) != 1 || es[0].From != "DOWN" || es[0].To != "CRIT" || !es[0].Since.Equal(at.Add(2*time.Minute)) {
		t.Fatalf("DOWN → CRIT (disk still CRIT, no event for it): %+v", es)
	}
	if since, changed := tr.Since("h", "disk /"); !changed || !since.Equal(at.Add(time.Minute)) {
		t.Errorf("disk / CRIT since %v", since)
	}
	tr.Observe("g", crit, at)
	if since, changed := tr.Since("g", "disk /"); changed || !since.Equal(at) {
		t.Errorf("failing at the first look: since %v changed %v", since, changed)
	}
	if es := tr.Observe("k", crit, at); len(es) != 2 || es[0].From != "" {
		t.Errorf("first seen failing is news: %+v", es)
	}
}

func TestEventLog_Rotates(t *testing.T) {
	l := &EventLog{Path: filepath.Join(t.TempDir(), "s", "events.jsonl"), MaxBytes: 300}
	for i := 0; i < 10; i++ {
		if err := l.Append([]Event{{Time: time.Unix(int64(i), 0), Host: "h", Check: "c", From: "OK", To: "CRIT", Reason: strings.Repeat("x", 50) + "\x1b[31m"}}); err != nil {
			t.Fatal(err)
		}
	}
	es, err := l.Read(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) == 0 || len(es) >= 10 || es[len(es)-1].Time.Unix() != 9 {
		t.Errorf("%d events kept, last %v: want the newest, bounded", len(es), es[len(es)-1].Time)
	}
	for i := 1; i < len(es); i++ {
		if es[i].Time.Before(es[i-1].Time) {
			t.Errorf("not oldest first: %v", es)
		}
	}
	if strings.Contains(es[0].Reason, "\x1b") {
		t.Error("reason not sanitised")
	}
}
