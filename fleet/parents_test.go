package fleet

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// parentFleet is bastion ← web1, web2 (jump); core-sw ← db (named parent);
// vpn ← web2 (web2 behind its jump host and a named parent); gw ← deep,
// gw behind bastion: two levels.
func parentFleet() *Store {
	hosts := []Host{
		{Name: "bastion"},
		{Name: "web1", Jump: "bastion"},
		{Name: "web2", Resolved: Endpoint{Jump: "bastion"}}, // ssh_config's ProxyJump
		{Name: "core-sw"}, {Name: "core-sw2"},
		{Name: "db", Parents: []string{"core-sw", "core-sw2"}},
		{Name: "gw", Jump: "bastion"},
		{Name: "deep", Jump: "gw"},
	}
	for i := range hosts {
		hosts[i].Limits, hosts[i].PollInterval = DefaultLimits, Duration{Duration: time.Hour}
	}
	return NewStore(hosts)
}

func stateOf(t *testing.T, s *Store, host string, now time.Time) Health {
	t.Helper()
	st, ok := s.Status(host)
	if !ok {
		t.Fatalf("no host %s", host)
	}
	return Assess(&st, now)
}

func TestBehind_ChildrenOfADownParentAreUnreachable(t *testing.T) {
	s := parentFleet()
	t0 := time.Date(2026, 12, 6, 14, 0, 0, 0, time.Local)
	for _, h := range []string{"bastion", "web1", "web2", "core-sw", "core-sw2", "db", "gw", "deep"} {
		s.Record(Observation{Host: h, At: t0, Sample: okSample(t0)})
	}
	down := t0.Add(2 * time.Minute)
	s.Record(Observation{Host: "bastion", At: down, Err: errors.New("timeout")})
	now := down.Add(time.Second)
	if h := stateOf(t, s, "bastion", now); h.State != Down {
		t.Fatalf("bastion: %s, want DOWN", h.State)
	}
	for _, c := range []string{"web1", "web2", "gw", "deep"} {
		h := stateOf(t, s, c, now)
		if h.State != Unreachable || h.Cause != CauseUnreachable || !strings.HasPrefix(h.Reason, "behind bastion") ||
			!strings.Contains(h.Reason, "DOWN since 14:02") {
			t.Errorf("%s: %s %q, want UNREACHABLE behind bastion (DOWN since 14:02)", c, h.State, h.Reason)
		}
		if len(h.Checks) != 0 {
			t.Errorf("%s: old figures judged: %v", c, h.Checks)
		}
	}
	if h := stateOf(t, s, "deep", now); !strings.Contains(h.Reason, "via gw") {
		t.Errorf("deep: %q, want it behind bastion via gw", h.Reason)
	}
	// A second failure of the bastion keeps its "since".
	s.Record(Observation{Host: "bastion", At: down.Add(time.Minute), Err: errors.New("timeout")})
	if st, _ := s.Status("web1"); !st.Behind.Since.Equal(down) {
		t.Errorf("since moved to %v, want %v", st.Behind.Since, down)
	}
	// One named parent of two down: db still has a path.
	s.Record(Observation{Host: "core-sw", At: down, Err: errors.New("refused")})
	if h := stateOf(t, s, "db", now); h.State != OK {
		t.Errorf("db with one parent of two up: %s %q, want OK", h.State, h.Reason)
	}
	s.Record(Observation{Host: "core-sw2", At: down, Err: errors.New("refused")})
	if h := stateOf(t, s, "db", now); h.State != Unreachable || !strings.HasPrefix(h.Reason, "behind core-sw ") {
		t.Errorf("db with both parents down: %s %q, want UNREACHABLE behind core-sw", h.State, h.Reason)
	}
	// A child that answered since its parent failed is not behind it: its
	// path does not need it.
	s.Record(Observation{Host: "db", At: now, Sample: okSample(now)})
	if h := stateOf(t, s, "db", now); h.State != OK {
		t.Errorf("db answering: %s %q, want OK", h.State, h.Reason)
	}
	// The bastion answers: its children are judged on their own again.
	up := now.Add(time.Minute)
	s.Record(Observation{Host: "bastion", At: up, Sample: okSample(up)})
	for _, c := range []string{"web1", "web2", "gw", "deep"} {
		if st, _ := s.Status(c); st.Behind != nil {
			t.Errorf("%s still behind %+v", c, st.Behind)
		}
	}
}

func TestBehind_HostKeyParentAndChangedVersion(t *testing.T) {
	s := parentFleet()
	t0 := time.Date(2026, 12, 6, 14, 0, 0, 0, time.Local)
	s.Record(Observation{Host: "web1", At: t0, Sample: okSample(t0)})
	_, v := s.Changed(0)
	s.Record(Observation{Host: "bastion", At: t0.Add(time.Second), Err: keyChanged{}})
	changed, _ := s.Changed(v)
	var names []string
	for _, st := range changed {
		names = append(names, st.Host.Name)
	}
	if got := strings.Join(names, ","); got != "bastion,web1,web2,gw,deep" {
		t.Errorf("changed after the parent failed: %s, want the parent and every host behind it", got)
	}
	if h := stateOf(t, s, "web1", t0.Add(2*time.Second)); h.State != Unreachable || !strings.Contains(h.Reason, "HOSTKEY since") {
		t.Errorf("web1: %s %q, want UNREACHABLE behind a HOSTKEY bastion", h.State, h.Reason)
	}
}

func TestBehind_Reload(t *testing.T) {
	s := parentFleet()
	t0 := time.Now()
	s.Record(Observation{Host: "bastion", At: t0, Err: errors.New("timeout")})
	if st, _ := s.Status("web1"); st.Behind == nil {
		t.Fatal("web1 not behind the bastion")
	}
	s.Apply([]Host{{Name: "bastion"}, {Name: "web1"}}) // web1 is reached directly now
	if st, _ := s.Status("web1"); st.Behind != nil {
		t.Errorf("web1 behind %+v after its jump host was dropped", st.Behind)
	}
}

type keyChanged struct{}

func (keyChanged) Error() string { return "host key changed" }
func (keyChanged) KeyChange() *KeyChange {
	return &KeyChange{Host: "bastion", Old: "SHA256:a", New: "SHA256:b"}
}

// BenchmarkRecord_Bastion records the answers of a bastion with 1,000
// hosts behind it, alternately down and back: each flip works out where
// every host behind it is. ns/op is one recorded answer of the bastion.
func BenchmarkRecord_Bastion(b *testing.B) {
	s := bastionStore(1000)
	t0 := time.Now()
	smp := okSample(t0)
	down := errors.New("timeout")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		at := t0.Add(time.Duration(i) * time.Second)
		if i%2 == 0 {
			s.Record(Observation{Host: "bastion", At: at, Err: down})
		} else {
			s.Record(Observation{Host: "bastion", At: at, Sample: smp})
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/host-behind")
}

// BenchmarkRecord_BastionSteady is the same bastion answering every
// time: the hosts behind it are not looked at.
func BenchmarkRecord_BastionSteady(b *testing.B) {
	s := bastionStore(1000)
	t0 := time.Now()
	smp := okSample(t0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Record(Observation{Host: "bastion", At: t0.Add(time.Duration(i) * time.Second), Sample: smp})
	}
}

// bastionStore is a store of a bastion with n hosts behind it.
func bastionStore(n int) *Store {
	hosts := []Host{{Name: "bastion"}}
	for i := 0; i < n; i++ {
		hosts = append(hosts, Host{Name: "web" + strconv.Itoa(i), Jump: "bastion"})
	}
	return NewStore(hosts)
}
