package oncall

import (
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
)

// While opsdeck restarts a service, and for a while after, its failure is
// the restart's own: not notified.
func TestNotify_RestartByOpsdeckIsQuiet(t *testing.T) {
	now := time.Now()
	audit := &memAuditLog{es: []actions.Entry{
		{ID: "1", Time: now.Add(-30 * time.Second), Host: "web-1", Kind: actions.KindRestart, Target: "nginx", Outcome: actions.Succeeded, Operator: "alice@a"},
		{ID: "2", Time: now.Add(-time.Hour), Host: "web-2", Kind: actions.KindRestart, Target: "nginx", Outcome: actions.Succeeded},
		{ID: "3", Time: now.Add(-time.Hour), Host: "web-3", Kind: actions.KindRestart, Target: "api", Outcome: actions.Started},
	}}
	q := RestartsQuiet(audit, now)
	for _, u := range []struct {
		host, key string
		quiet     bool
	}{
		{"web-1", "service:nginx", true}, {"web-1", "service:api", false}, {"web-2", "service:nginx", false}, {"web-3", "service:api", true},
	} {
		if got := q(u.host, u.key) != ""; got != u.quiet {
			t.Errorf("%s %s: quiet %v, want %v", u.host, u.key, got, u.quiet)
		}
	}
}

type memAuditLog struct{ es []actions.Entry }

func (m *memAuditLog) Append(e actions.Entry) error        { m.es = append(m.es, e); return nil }
func (m *memAuditLog) Recent(int) ([]actions.Entry, error) { return m.es, nil }
func (m *memAuditLog) Where() string                       { return "memory" }

// A host that stops answering does not end its acknowledgements: its
// checks are unknown, not OK.
func TestJudged_HostNotAnswering(t *testing.T) {
	h := &fleet.Host{Name: "web-1", Limits: fleet.DefaultLimits, PollInterval: fleet.Duration{Duration: 5 * time.Second}, Timeout: fleet.Duration{Duration: 5 * time.Second}}
	now := time.Now()
	s := fleet.HostStatus{Host: h, Last: &fleet.Sample{At: now, Disks: []fleet.Disk{{Mount: "/var", Total: 100, Used: 97, Free: 3}}}}
	if cs, ok := Judged(&s, now); !ok || len(cs) == 0 {
		t.Fatalf("answering: %v %v", cs, ok)
	}
	s.Err, s.ErrAt = "connection refused", now
	if cs, ok := Judged(&s, now); ok {
		t.Errorf("a host that does not answer is judged: %v", cs)
	}
	if _, ok := Judged(&fleet.HostStatus{Host: h}, now); ok {
		t.Error("a host never polled is judged")
	}
}
