package oncall

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/actions"

	"github.com/opsdeck/opsdeck/fleet"
)

type memOnCall struct {
	mu sync.Mutex
	rs []Record
}

func (m *memOnCall) Append(r Record) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if (r.Op == OpUnack || r.Op == OpExpire) && Fold(m.rs).Ended(r.ID) {
		return false, nil
	}
	m.rs = append(m.rs, r)
	return true, nil
}

func (m *memOnCall) Read(since time.Time) ([]Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Record(nil), m.rs...), nil
}

func (m *memOnCall) Where() string { return "memory" }

func TestDesk_AcknowledgeAndSettle(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	audit := &memAudit{}
	log := &memOnCall{}
	alice := &Desk{Log: log, Audit: audit, Operator: "alice@a"}
	bob := &Desk{Log: log, Audit: audit, Operator: "bob@b"}
	h := &fleet.Host{Name: "host3"}
	disk := fleet.Check{Kind: fleet.KindDisk, Subject: "/var", State: fleet.Crit, Value: 96, Unit: "%"}
	if _, err := alice.Acknowledge(h, fleet.Check{Kind: fleet.KindDisk, Subject: "/", State: fleet.OK}, "looking", 0, now); err == nil || !strings.Contains(err.Error(), "nothing to acknowledge") {
		t.Errorf("an OK check acknowledged: %v", err)
	}
	a, err := alice.Acknowledge(h, disk, "cleaning /var/log", 0, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []*Desk{alice, bob} {
		d.Refresh(now)
		if got, ok := d.View().Ack("host3", "disk:/var"); !ok || got.ID != a.ID || got.By != "alice@a" || got.Note != "cleaning /var/log" {
			t.Errorf("%s sees %+v %v", d.Operator, got, ok)
		}
	}
	checks := func(c fleet.Check) func(string) ([]fleet.Check, bool) {
		return func(string) ([]fleet.Check, bool) { return []fleet.Check{c}, true }
	}
	if ended, _ := bob.Settle(checks(disk), now); len(ended) != 0 {
		t.Errorf("unchanged, yet ended %v", ended)
	}
	fuller := disk
	fuller.Value = 99
	// Both see the disk fill further; one of them records the end.
	e1, err1 := alice.Settle(checks(fuller), now.Add(time.Minute))
	e2, err2 := bob.Settle(checks(fuller), now.Add(time.Minute))
	if err1 != nil || err2 != nil || len(e1)+len(e2) != 2 {
		t.Errorf("settle: %v %v %v %v", e1, e2, err1, err2)
	}
	var outcomes []string
	for _, e := range audit.entries() {
		outcomes = append(outcomes, string(e.Kind)+" "+e.Outcome+" "+e.Reason)
	}
	got := strings.Join(outcomes, "\n")
	if strings.Count(got, "ack ended") != 1 || !strings.Contains(got, "ack acknowledged CRIT disk:/var: cleaning /var/log") ||
		!strings.Contains(got, "worse: was 96%, now 99%") {
		t.Errorf("audit:\n%s", got)
	}
	alice.Refresh(now)
	if _, ok := alice.View().Ack("host3", "disk:/var"); ok {
		t.Error("the ended acknowledgement is still in force")
	}
}

func TestDesk_SilenceRefusals(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	d := &Desk{Log: &memOnCall{}, Audit: &memAudit{}, Operator: "alice@a"}
	m := Matcher{Tags: []string{"kernel"}}
	for _, u := range []struct {
		m           Matcher
		from, until time.Time
		note, want  string
	}{
		{m, now, time.Time{}, "kernel upgrade", "needs an end"},
		{m, now, now.Add(8 * 24 * time.Hour), "kernel upgrade", "longer than the longest silence (168h0m0s)"},
		{m, now.Add(time.Hour), now.Add(30 * time.Minute), "kernel upgrade", "before it starts"},
		{Matcher{}, now, now.Add(time.Hour), "kernel upgrade", "a silence of everything"},
		{m, now, now.Add(time.Hour), "", "a note is needed"},
		{m, now, now.Add(time.Hour), "x\x07", "control characters"},
	} {
		if _, err := d.Silence(u.m, u.from, u.until, u.note, now); err == nil || !strings.Contains(err.Error(), u.want) {
			t.Errorf("%s %s–%s %q: %v, want %q", u.m, u.from, u.until, u.note, err, u.want)
		}
	}
	s, err := d.Silence(m, now.Add(time.Hour), now.Add(2*time.Hour), "kernel upgrade", now)
	if err != nil {
		t.Fatal(err)
	}
	d.Refresh(now)
	if got := d.View().Silences(now); len(got) != 1 || got[0].ID != s.ID {
		t.Errorf("silences %v", got)
	}
	d.Expire(s, now)
	d.Refresh(now)
	if got := d.View().Silences(now); len(got) != 0 {
		t.Errorf("expired, yet %v", got)
	}
}

// memAudit is an audit log in memory.
type memAudit struct {
	mu sync.Mutex
	es []actions.Entry
}

func (a *memAudit) Append(e actions.Entry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.es = append(a.es, actions.SanitizeEntry(e))
	return nil
}

func (a *memAudit) Recent(n int) ([]actions.Entry, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return actions.LastActions(append([]actions.Entry(nil), a.es...), n), nil
}

func (a *memAudit) Where() string { return "memory" }

func (a *memAudit) entries() []actions.Entry {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]actions.Entry(nil), a.es...)
}

// The config's windows are silences while open, in the view at once after
// a reload, and cannot be expired: they are the config's.
func TestDesk_Windows(t *testing.T) {
	sun := time.Date(2026, 12, 6, 2, 30, 0, 0, time.UTC)
	w := fleet.Window{Name: "db-patching", Hosts: []string{"db-*"}, Weekdays: []string{"sun"}, From: "02:00", Until: "04:00", TimeZone: "UTC"}
	d := &Desk{Log: &memOnCall{}, Audit: &memAudit{}, Operator: "alice@a", Windows: []fleet.Window{w}}
	if _, err := d.Refresh(sun); err != nil {
		t.Fatal(err)
	}
	db, web := &fleet.Host{Name: "db-1"}, &fleet.Host{Name: "web-1"}
	s, ok := d.View().Silenced(db, "disk:/", sun)
	if !ok || s.Window != "db-patching" || s.Says(sun, time.UTC) != "in window db-patching until 04:00" {
		t.Fatalf("db-1 in the window: %+v %v", s, ok)
	}
	if _, ok := d.View().Silenced(web, "disk:/", sun); ok {
		t.Error("web-1 is not in the window")
	}
	if _, ok := d.View().Silenced(db, "disk:/", sun.Add(90*time.Minute)); ok {
		t.Error("silenced after the window closed")
	}
	if err := d.Expire(s, sun); err == nil || !strings.Contains(err.Error(), "change [[oncall.windows]] and reload") {
		t.Errorf("expire a window: %v", err)
	}
	d.Reloaded(nil) // a refused reload changes nothing
	if _, ok := d.View().Silenced(db, "disk:/", sun); !ok {
		t.Error("a refused reload ended the window")
	}
	d.Reloaded(&fleet.Config{}) // a reload that removed it
	if _, ok := d.View().Silenced(db, "disk:/", sun); ok {
		t.Error("still silenced after the window was removed")
	}
}
