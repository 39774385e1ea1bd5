package fleet

import (
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// fillRun feeds a 16 GiB mount read once a minute, its use at each time
// given by shape (hours since t0 → share in use), through a history, its
// forecast at each new step and the alarm held as the dashboard holds it.
type fillRun struct {
	t0      time.Time
	h       FillHistory
	l       FillLimits
	alarm   Held
	f       Forecast
	raised  map[State]time.Duration // when each alarm was first raised, since t0
	cleared time.Duration           // when the alarm last cleared
}

const fillTotal = 16 << 30

func newFillRun() *fillRun {
	return &fillRun{t0: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), l: DefaultFillLimits, raised: map[State]time.Duration{}}
}

func fillDisk(share float64) Disk {
	used := uint64(share * fillTotal)
	return Disk{Mount: "/var", Total: fillTotal, Used: used, Free: fillTotal - used, Inodes: 1000, IUsed: 10}
}

// run feeds from..to (since t0) of shape, at clock t0+at+skew.
func (r *fillRun) run(from, to time.Duration, skew time.Duration, shape func(h float64) float64) {
	for at := from; at <= to; at += time.Minute {
		now := r.t0.Add(at + skew)
		if r.h.Add(now, fillDisk(shape(at.Hours()))) || !r.f.At.Equal(r.h.Last()) {
			r.f = r.h.Forecast(r.l, false)
		}
		was := r.alarm.Alarm
		r.alarm = r.alarm.Next(r.f.Level(r.l), now, Pair{Warn: 1, Crit: 2, For: r.l.For}, 0)
		if s := r.alarm.Alarm; s != OK {
			if _, ok := r.raised[s]; !ok {
				r.raised[s] = at
			}
		} else if was != OK {
			r.cleared = at
		}
	}
}

func near(t *testing.T, what string, got, want, tol time.Duration) {
	t.Helper()
	if got < want-tol || got > want+tol {
		t.Errorf("%s at %s, want %s ± %s", what, got, want, tol)
	}
}

// A steady fill of 3 %/h from 30 %: under 40 % free (60 % used) at 10 h,
// full at 23 h 20 m. WARN an hour after 10 h (its for), CRIT an hour after
// it is full within 4 h (88 % used, 19 h 20 m); the forecast within 5 % of
// the truth.
func TestForecast_SteadyFill(t *testing.T) {
	r := newFillRun()
	steady := func(h float64) float64 { return 0.30 + 0.03*h }
	r.run(0, 12*time.Hour, 0, steady)
	truth := time.Duration((23.0+1.0/3-12)*float64(time.Hour)) + 5*time.Minute // from the step's start
	if !r.f.Filling || math.Abs(float64(r.f.FullIn-truth)) > 0.05*float64(truth) {
		t.Errorf("at 12h: %+v, want full in %s", r.f, truth)
	}
	if got := r.f.Says(false); !strings.HasPrefix(got, "full in ~11h") || !strings.Contains(got, "MiB/h") {
		t.Errorf("says %q", got)
	}
	r.run(12*time.Hour+time.Minute, 22*time.Hour, 0, steady)
	near(t, "WARN", r.raised[Warn], 11*time.Hour, 10*time.Minute)
	near(t, "CRIT", r.raised[Crit], 20*time.Hour+20*time.Minute, 10*time.Minute)
}

// Log rotation every hour: 50 % → 80 % and back, for a day. Under 40 %
// free most of each hour, filling fast within it; never a finding.
func TestForecast_HourlyRotationNeverFires(t *testing.T) {
	r := newFillRun()
	r.run(0, 24*time.Hour, 0, func(h float64) float64 { return 0.50 + 0.30*(h-math.Floor(h)) })
	if len(r.raised) > 0 {
		t.Errorf("a sawtooth raised %v; last forecast %+v", r.raised, r.f)
	}
}

// A nightly burst at 03:00 (65 % → 85 % in 30 minutes), cleaned by 03:30:
// never a finding, during it or after.
func TestForecast_NightlyBurstNeverFires(t *testing.T) {
	r := newFillRun()
	burst := func(h float64) float64 {
		d := math.Mod(h, 24) - 27 + 24 // hours since 03:00 of the day (t0 is 00:00 the day before)
		if d >= 0 && d < 0.5 {
			return 0.65 + 0.40*d
		}
		return 0.65
	}
	r.run(0, 48*time.Hour, 0, burst)
	if len(r.raised) > 0 {
		t.Errorf("a burst cleaned up raised %v; last forecast %+v", r.raised, r.f)
	}
}

// A disk filling, then freed by the operator: the finding ends at once.
func TestForecast_FreedEnds(t *testing.T) {
	r := newFillRun()
	shape := func(h float64) float64 {
		if h >= 14 {
			return 0.45 // freed at 14 h, steady since
		}
		return 0.30 + 0.03*h
	}
	r.run(0, 16*time.Hour, 0, shape)
	if _, ok := r.raised[Warn]; !ok {
		t.Fatalf("no WARN before it was freed: %+v", r.f)
	}
	near(t, "cleared", r.cleared, 14*time.Hour, 10*time.Minute)
	if r.alarm.Alarm != OK || r.f.Filling {
		t.Errorf("after freeing: %s, %+v", r.alarm.Alarm, r.f)
	}
}

// Too little history: no forecast, and the detail says why.
func TestForecast_TooLittleHistory(t *testing.T) {
	r := newFillRun()
	r.run(0, 2*time.Hour, 0, func(h float64) float64 { return 0.80 + 0.05*h })
	if r.f.Ready || r.f.Filling || !strings.Contains(r.f.Why, "of history: a forecast needs 3h") {
		t.Errorf("%+v", r.f)
	}
}

// The clock goes back two hours: the history starts over (its steps are
// not comparable), no forecast until it has enough again; a step forward
// leaves a gap the forecast works around.
func TestForecast_ClockSteps(t *testing.T) {
	r := newFillRun()
	steady := func(h float64) float64 { return 0.30 + 0.03*h }
	r.run(0, 12*time.Hour, 0, steady)
	r.run(12*time.Hour+time.Minute, 13*time.Hour, -2*time.Hour, steady)
	if r.h.Restarted().IsZero() || r.f.Ready {
		t.Errorf("after the clock went back: restarted %v, %+v", r.h.Restarted(), r.f)
	}
	r.run(13*time.Hour+time.Minute, 17*time.Hour, -2*time.Hour, steady)
	if !r.f.Filling {
		t.Errorf("no forecast 4h after the clock went back: %+v", r.f)
	}
	r.run(17*time.Hour+time.Minute, 19*time.Hour, 0, steady) // two hours forward
	if !r.f.Filling {
		t.Errorf("a step forward lost the forecast: %+v", r.f)
	}
}

// A dashboard restarted in the middle forecasts at once from the history
// it kept: the same forecast as one that never stopped.
func TestForecast_KeptAcrossRestart(t *testing.T) {
	r := newFillRun()
	steady := func(h float64) float64 { return 0.30 + 0.03*h }
	r.run(0, 10*time.Hour, 0, steady)
	b, err := r.h.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back FillHistory
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if got, want := back.Forecast(r.l, false), r.h.Forecast(r.l, false); got != want || !got.Filling {
		t.Errorf("after a restart %+v, before %+v", got, want)
	}
	if err := back.UnmarshalBinary(b[:10]); err == nil {
		t.Error("a short record read as a history")
	}
}

// The long history costs at most 2 KB a watched mount.
func TestFillHistory_Size(t *testing.T) {
	if n := unsafe.Sizeof(FillHistory{}); n > 2048 {
		t.Errorf("a mount's history is %d bytes", n)
	}
}

// Growth of 2 %/h under an hourly rotation of 5 %: the sawtooth does not
// hide a disk that fills for good. Under 40 % free from about 14 h (the
// top of each tooth first), full within 24 h all along: WARN held an hour
// later.
func TestForecast_GrowthUnderRotationWarns(t *testing.T) {
	r := newFillRun()
	r.run(0, 24*time.Hour, 0, func(h float64) float64 { return 0.30 + 0.02*h + 0.05*(h-math.Floor(h)) })
	near(t, "WARN", r.raised[Warn], 15*time.Hour+30*time.Minute, 45*time.Minute)
	if !r.f.Filling || r.f.Rate < 0.018 || r.f.Rate > 0.024 {
		t.Errorf("rate %.4f/h, want about 0.02: %+v", r.f.Rate, r.f)
	}
}

// A window of minutes (as the lab's test of a 16 MiB tmpfs scales it)
// has a grain of its own: 12 minutes, a point every 10 seconds; a mount
// filled at 1.5 MiB a minute is forecast within 5 % of the truth.
func TestForecast_MinutesWindow(t *testing.T) {
	l := FillLimits{Window: 12 * time.Minute, Warn: 20 * time.Minute, Crit: 5 * time.Minute, WarnFree: 40, CritFree: 20, For: time.Minute}
	h := NewFillHistory(l.Window)
	if h.Step() != 10*time.Second {
		t.Fatalf("step %s", h.Step())
	}
	const total = 16 << 20
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var f Forecast
	for s := 0; s <= 8*60; s += 2 {
		used := uint64(float64(s) / 60 * 1.5 * (1 << 20))
		if h.Add(t0.Add(time.Duration(s)*time.Second), Disk{Mount: "/data", Total: total, Used: used, Free: total - used}) {
			f = h.Forecast(l, false)
		}
	}
	truth := time.Duration((16.0/1.5 - 8) * float64(time.Minute)) // full at 10m40s
	if !f.Filling || math.Abs(float64(f.FullIn-truth)) > 0.05*float64(truth) {
		t.Errorf("at 8m: %+v, want full in %s", f, truth)
	}
	if f.Level(l) != 1 {
		t.Errorf("level %v at 8m (75%% used, full in %s)", f.Level(l), f.FullIn)
	}
}

// A time left is rounded to its unit, not cut: the forecast's words stay
// within half a unit of its figure.
func TestFormatLeft(t *testing.T) {
	for d, want := range map[time.Duration]string{
		3*time.Minute + 54*time.Second: "4m", 3*time.Minute + 20*time.Second: "3m", 59*time.Minute + 40*time.Second: "1h",
		5*time.Hour + 40*time.Minute: "6h", 47*time.Hour + 20*time.Minute: "47h", 47*time.Hour + 40*time.Minute: "2d", 40 * time.Second: "40s",
	} {
		if got := FormatLeft(d); got != want {
			t.Errorf("FormatLeft(%s) = %s, want %s", d, got, want)
		}
	}
}

// BenchmarkFillCost is what the fill history costs the store: the heap of
// 5,000 hosts of one watched mount each, two samples kept, with the
// forecast on and off; fill-KB/mount is the difference.
func BenchmarkFillCost(b *testing.B) {
	const n = 5000
	heap := func(off bool) float64 {
		hosts := make([]Host, n)
		for i := range hosts {
			hosts[i] = Host{Name: "h" + strconv.Itoa(i), Limits: DefaultLimits}
			hosts[i].Limits.Full.Off = off
		}
		var ms0, ms1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms0)
		store := NewStore(hosts)
		at := time.Now()
		for c := 0; c < 2; c++ {
			for i := range hosts {
				s := &Sample{At: at.Add(time.Duration(c) * time.Second), Disks: []Disk{{Mount: "/", Total: 100 << 30, Used: 10 << 30, Free: 90 << 30, Inodes: 1000, IUsed: 10}}}
				store.Record(Observation{Host: hosts[i].Name, At: s.At, Sample: s})
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&ms1)
		runtime.KeepAlive(store)
		return float64(ms1.HeapInuse - ms0.HeapInuse)
	}
	var on, off float64
	for i := 0; i < b.N; i++ {
		off += heap(true)
		on += heap(false)
	}
	b.ReportMetric((on-off)/float64(b.N)/n/1024, "fill-KB/mount")
	b.ReportMetric(on/float64(b.N)/n/1024, "store-KB/host")
}
