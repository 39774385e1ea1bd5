package fleet

import (
	"strings"
	"testing"
	"time"
)

// A CPU rule held for a minute, fed through the store every 5 s as the
// poller does: a 10 s spike never alarms; two minutes above do, and the
// alarm clears only below clear.
func TestHeld_SustainedCPUWithHysteresis(t *testing.T) {
	h := testHost("web-1")
	h.Limits.CPU = Pair{Warn: 85, Crit: 95, For: time.Minute, Clear: 75}
	store := NewStore([]Host{*h})
	at := t0
	feed := func(cpu float64, d time.Duration) Health {
		t.Helper()
		var hl Health
		for end := at.Add(d); at.Before(end); at = at.Add(5 * time.Second) {
			s := okSample(at)
			s.CPU = cpu
			store.Record(Observation{Host: "web-1", At: at, Sample: s})
			st, _ := store.Status("web-1")
			hl = Assess(&st, at)
		}
		return hl
	}
	feed(20, time.Minute)
	if hl := feed(99, 10*time.Second); hl.State != OK || !strings.Contains(cpuReason(hl), "alerts after 1m") {
		t.Fatalf("10s spike: %s %q", hl.State, cpuReason(hl))
	}
	if hl := feed(20, 30*time.Second); hl.State != OK {
		t.Fatalf("after the spike: %s", hl.State)
	}
	hl := feed(99, 2*time.Minute)
	if hl.State != Crit || hl.Reason != "cpu 99% for 1m ≥ 95%" {
		t.Fatalf("two minutes above: %s %q", hl.State, hl.Reason)
	}
	if hl := feed(90, 10*time.Second); hl.State != Crit {
		t.Errorf("90%% after CRIT (above warn): %s, want CRIT to hold", hl.State)
	}
	if hl := feed(80, 30*time.Second); hl.State != Warn || hl.Reason != "cpu 80% (clears below 75%)" {
		t.Errorf("80%% after CRIT: %s %q", hl.State, hl.Reason)
	}
	if hl := feed(76, 30*time.Second); hl.State != Warn {
		t.Errorf("76%%: %s, want WARN until below 75", hl.State)
	}
	if hl := feed(74, 5*time.Second); hl.State != OK {
		t.Errorf("74%%: %s, want OK", hl.State)
	}
}

func cpuReason(h Health) string {
	for _, c := range h.Checks {
		if c.Name == "cpu" {
			return c.Reason
		}
	}
	return ""
}

func TestHeld_Rules(t *testing.T) {
	p := Pair{Warn: 80, Crit: 90}
	uu := map[string]struct {
		values []float64
		p      Pair
		want   State
	}{
		"immediate rule alarms at once":  {[]float64{95}, p, Crit},
		"immediate rule clears at once":  {[]float64{95, 10}, p, OK},
		"held rule needs the whole time": {[]float64{95, 95, 95}, Pair{Warn: 80, Crit: 90, For: 15 * time.Second}, OK},
		"held rule after the whole time": {[]float64{95, 95, 95, 95}, Pair{Warn: 80, Crit: 90, For: 15 * time.Second}, Crit},
		"a dip restarts the run":         {[]float64{95, 95, 95, 70, 95, 95}, Pair{Warn: 80, Crit: 90, For: 15 * time.Second}, OK},
		"clear above warn means warn":    {[]float64{95, 79}, Pair{Warn: 80, Crit: 90, Clear: 85}, OK},
	}
	for name, u := range uu {
		t.Run(name, func(t *testing.T) {
			var h Held
			at := t0
			for _, v := range u.values {
				h = h.Next(v, at, u.p, 0)
				at = at.Add(5 * time.Second)
			}
			if h.Alarm != u.want {
				t.Errorf("alarm = %s, want %s", h.Alarm, u.want)
			}
		})
	}
	// A gap in the data starts the run over.
	h := Held{}.Next(95, t0, Pair{Warn: 80, Crit: 90, For: time.Minute}, 30*time.Second)
	h = h.Next(95, t0.Add(2*time.Minute), Pair{Warn: 80, Crit: 90, For: time.Minute}, 30*time.Second)
	if h.Alarm != OK || !h.WarnSince.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("after a gap: %+v", h)
	}
}

func TestHeld_OffSkipsTheMetric(t *testing.T) {
	h := testHost("h")
	h.Limits.CPU.Off = true
	s := okSample(t0)
	s.CPU = 100
	for _, c := range Evaluate(s, h.Limits, nil, nil) {
		if c.Name == "cpu" {
			t.Fatalf("cpu checked while off: %+v", c)
		}
	}
}

// A disk that cannot be read for one poll keeps its alarm's run; one not
// seen for longer than the gap is dropped, and every copy handed out stays
// as it was (snapshots share it).
func TestHold_CarriesUnreadAlarmsUntilTheGap(t *testing.T) {
	h := testHost("h")
	h.Limits.Disk = Pair{Warn: 40, Crit: 90, For: 10 * time.Second}
	s := okSample(t0) // /var at 50 %
	a := hold(nil, s, h, nil)
	first := append(Alarms(nil), a...)

	s2 := okSample(t0.Add(5 * time.Second))
	s2.Disks[1].Err = "df timed out"
	b := hold(a, s2, h, nil)
	if v, ok := b.Get("disk", "/var"); !ok || !v.WarnSince.Equal(t0) {
		t.Fatalf("unread /var after 5s: %+v %v, want its run kept from t0", v, ok)
	}
	s3 := okSample(t0.Add(15 * time.Second))
	c := hold(b, s3, h, nil)
	if v, _ := c.Get("disk", "/var"); v.Alarm != Warn {
		t.Errorf("/var above warn for 15s with for=10s: %s", v.Alarm)
	}
	for i := range first {
		if a[i] != first[i] {
			t.Fatalf("hold changed its input: %+v, was %+v", a[i], first[i])
		}
	}
	late := okSample(t0.Add(time.Hour))
	late.Disks = late.Disks[:1]
	if _, ok := hold(c, late, h, nil).Get("disk", "/var"); ok {
		t.Errorf("/var unseen for an hour still has an alarm")
	}
}
