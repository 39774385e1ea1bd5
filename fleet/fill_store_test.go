package fleet

import (
	"strings"
	"testing"
	"time"
)

// A host whose /var fills steadily: its disk check turns WARN from the
// forecast, an hour after the mount is under 40 % free and full within a
// day, long before its 80 % threshold; the check keeps the disk's key,
// with a cause of its own and the time left in its reason.
func TestStore_DiskFillsUpWarnsEarly(t *testing.T) {
	h := Host{Name: "db-1", Limits: DefaultLimits, PollInterval: Duration{Duration: time.Minute}, Timeout: Duration{Duration: 10 * time.Second}}
	store := NewStore([]Host{h})
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var last time.Time
	check := func() Check {
		st, _ := store.Status("db-1")
		for _, c := range Assess(&st, last).Checks {
			if c.Key() == "disk:/var" {
				return c
			}
		}
		t.Fatal("no disk:/var check")
		return Check{}
	}
	feed := func(from, to time.Duration) {
		for at := from; at <= to; at += time.Minute {
			last = t0.Add(at)
			s := &Sample{At: last, Disks: []Disk{fillDisk(0.30 + 0.03*at.Hours())}}
			store.Record(Observation{Host: "db-1", At: last, Sample: s})
		}
	}
	feed(0, 10*time.Hour)
	if c := check(); c.State != OK {
		t.Errorf("at 10h: %+v", c)
	}
	feed(10*time.Hour+time.Minute, 11*time.Hour+10*time.Minute)
	c := check()
	if c.State != Warn || c.Cause != CauseFillsUp || !strings.HasPrefix(c.Reason, "disk /var full in ~12h (") {
		t.Errorf("at 11h10m (63%% used): %s %s %q", c.State, c.Cause, c.Reason)
	}
	st, _ := store.Status("db-1")
	if f := fillOf(st, "/var").Space; !f.Filling || f.FullIn < 11*time.Hour || f.FullIn > 13*time.Hour {
		t.Errorf("forecast %+v", f)
	}
}

func fillOf(st HostStatus, mount string) MountForecast {
	f, _ := st.Fill.Of(mount)
	return f
}
