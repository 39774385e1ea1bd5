package fleet

import (
	"testing"
	"time"
)

func TestEventTracker(t *testing.T) {
	at := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	tr := NewEventTracker()
	ok := Health{State: OK, Checks: []Check{{Kind: KindDisk, Subject: "/", Name: "disk /", State: OK}, {Kind: KindBackup, Subject: "b", Name: "backup b", State: Unknown, Pending: true}}}
	if es := tr.Observe("h", Health{State: Unknown, Reason: "no data yet", Polling: true}, at); len(es) != 0 {
		t.Errorf("not polled yet: %v", es)
	}
	if es := tr.Observe("h", ok, at); len(es) != 0 {
		t.Errorf("a start-up OK is no news: %v", es)
	}
	crit := Health{State: Crit, Reason: "disk / 95%", Checks: []Check{{Kind: KindDisk, Subject: "/", Name: "disk /", State: Crit, Reason: "disk / 95%"}}}
	es := tr.Observe("h", crit, at.Add(time.Minute))
	if len(es) != 2 || es[0].Check != HostCheck || es[1].Check != "disk /" || es[1].Key != "disk:/" || es[1].From != "OK" || es[1].To != "CRIT" || !es[1].Since.IsZero() {
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
	if since, changed := tr.Since("h", "disk:/"); !changed || !since.Equal(at.Add(time.Minute)) {
		t.Errorf("disk / CRIT since %v", since)
	}
	tr.Observe("g", crit, at)
	if since, changed := tr.Since("g", "disk:/"); changed || !since.Equal(at) {
		t.Errorf("failing at the first look: since %v changed %v", since, changed)
	}
	if es := tr.Observe("k", crit, at); len(es) != 2 || es[0].From != "" {
		t.Errorf("first seen failing is news: %+v", es)
	}
}
