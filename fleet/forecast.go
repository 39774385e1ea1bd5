package fleet

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// The forecast of when a mount fills: a robust fit over hours, made only
// when the mount has filled over the whole window and over its last part
// too, so a sawtooth of log rotation, a burst cleaned up, a boot or a
// cache refilled and emptied does not cry wolf.

// FillLimits say when a forecast is a finding ([thresholds] disk_full):
// WARN when the mount is full within Warn at its rate and has less than
// WarnFree percent free, CRIT within Crit and under CritFree percent, each
// held For. The defaults are the node_exporter mixin's.
type FillLimits struct {
	Window             time.Duration // the span the rate is fitted over
	Warn, Crit         time.Duration // full within
	WarnFree, CritFree float64       // and less free than this, percent
	For                time.Duration
	Off                bool
}

// DefaultFillLimits are the node_exporter mixin's: full within 24 h with
// under 40 % free warns, within 4 h with under 20 % free is critical, over
// a 6 h window; held an hour.
var DefaultFillLimits = FillLimits{Window: 6 * time.Hour, Warn: 24 * time.Hour, Crit: 4 * time.Hour, WarnFree: 40, CritFree: 20, For: time.Hour}

// Forecast is when a mount's space (or inode table) fills at its rate.
type Forecast struct {
	// Ready: there is enough history to say; Why says what is missing
	// when not, or why the mount is not taken as filling.
	Ready   bool
	Why     string
	Filling bool
	FullIn  time.Duration // from At, at Rate
	Rate    float64       // share of the mount per hour
	PerHour float64       // bytes (inodes) per hour
	Free    float64       // share free at At
	At      time.Time     // the newest point
}

// Level is the forecast's alarm level, for holding: 2 CRIT, 1 WARN, 0.
func (f Forecast) Level(l FillLimits) float64 {
	switch {
	case !f.Filling:
		return 0
	case f.FullIn <= l.Crit && f.Free*100 < l.CritFree:
		return 2
	case f.FullIn <= l.Warn && f.Free*100 < l.WarnFree:
		return 1
	}
	return 0
}

// Says is the forecast in words: "full in ~5h (2.1 GiB/h)".
func (f Forecast) Says(inodes bool) string {
	rate := FormatBytes(uint64(f.PerHour)) + "/h"
	if inodes {
		rate = fmt.Sprintf("%.0f inodes/h", f.PerHour)
	}
	return "full in ~" + FormatLeft(f.FullIn) + " (" + rate + ")"
}

// FormatLeft is a time left as FormatAge says an age, rounded to its unit
// rather than cut: 3m54s is "4m", 5h40m "6h".
func FormatLeft(d time.Duration) string {
	switch {
	case d < time.Minute:
		return FormatAge(d.Round(time.Second))
	case d.Round(time.Minute) < time.Hour:
		return FormatAge(d.Round(time.Minute))
	case d.Round(time.Hour) < 48*time.Hour:
		return FormatAge(d.Round(time.Hour))
	}
	return FormatAge(d.Round(24 * time.Hour))
}

type fillPoint struct{ t, v float64 } // hours before the newest step; share in use

// Forecast fits the history's last l.Window (inodes: the inode table's).
func (h *FillHistory) Forecast(l FillLimits, inodes bool) Forecast {
	f := Forecast{At: h.Last()}
	pts := h.points(l.Window, inodes)
	need := l.Window / 2
	if len(pts) < 3 || hours(pts[len(pts)-1].t-pts[0].t) < need || len(pts) < int(need/h.Step()) {
		have := time.Duration(0)
		if len(pts) > 1 {
			have = hours(pts[len(pts)-1].t - pts[0].t)
		}
		f.Why = fmt.Sprintf("%s of history: a forecast needs %s", FormatAge(have), FormatAge(need))
		return f
	}
	f.Ready = true
	cur := pts[len(pts)-1].v
	f.Free = 1 - cur
	slope, icpt := theilSen(pts)
	tail := pointsSince(pts, -l.Window.Hours()/4)
	head := pointsUntil(pts, pts[0].t+l.Window.Hours()/4)
	tailSlope, _ := theilSen(tail)
	net := median(values(tail)) - median(values(head))
	dev := spread(pts, slope, icpt)
	span := mid(tail) - mid(head)
	switch {
	case slope <= 0 || len(tail) < 3 || tailSlope <= 0:
		f.Why = "not filling over " + FormatAge(l.Window) + " and its last part"
	case net < slope*span/2 || slope*l.Window.Hours() < 2*dev:
		f.Why = "not filling for good: what it gains is given back (rotation, a burst cleaned up)"
	case cur < icpt-max(0.02, 3*dev):
		f.Why = "space was freed lately: a forecast waits until it fills again"
	default:
		f.Filling, f.Rate = true, slope
		f.FullIn = hours((1 - cur) / slope)
		size := h.Total
		if inodes {
			size = h.Inodes
		}
		f.PerHour = slope * float64(size)
	}
	return f
}

func hours(h float64) time.Duration { return time.Duration(h * float64(time.Hour)) }

// theilSen is the median of the slopes between every two points, and the
// median intercept with it: a fit one outlier (or a third of them) does
// not move.
func theilSen(pts []fillPoint) (slope, intercept float64) {
	if len(pts) < 2 {
		return 0, 0
	}
	slopes := make([]float64, 0, len(pts)*(len(pts)-1)/2)
	for i := range pts {
		for j := i + 1; j < len(pts); j++ {
			if dt := pts[j].t - pts[i].t; dt > 0 {
				slopes = append(slopes, (pts[j].v-pts[i].v)/dt)
			}
		}
	}
	slope = median(slopes)
	icpts := make([]float64, len(pts))
	for i, p := range pts {
		icpts[i] = p.v - slope*p.t
	}
	return slope, median(icpts)
}

// spread is how far the points stray from the line (the median absolute
// deviation of the residuals): a fill that rises less than twice that
// over the window is a sawtooth, not a trend.
func spread(pts []fillPoint, slope, icpt float64) float64 {
	res := make([]float64, len(pts))
	for i, p := range pts {
		res[i] = p.v - (icpt + slope*p.t)
	}
	m := median(res)
	for i := range res {
		res[i] = math.Abs(res[i] - m)
	}
	return median(res)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func pointsSince(pts []fillPoint, t float64) []fillPoint {
	i := sort.Search(len(pts), func(i int) bool { return pts[i].t >= t })
	return pts[i:]
}

func pointsUntil(pts []fillPoint, t float64) []fillPoint {
	i := sort.Search(len(pts), func(i int) bool { return pts[i].t > t })
	return pts[:i]
}

func values(pts []fillPoint) []float64 {
	out := make([]float64, len(pts))
	for i, p := range pts {
		out[i] = p.v
	}
	return out
}

// mid is the middle time of pts.
func mid(pts []fillPoint) float64 {
	if len(pts) == 0 {
		return 0
	}
	return (pts[0].t + pts[len(pts)-1].t) / 2
}

// forecastCheck is a mount's space (inodes) check made worse by its
// forecast's alarm, when that is worse than the threshold's: its key stays
// the mount's (disk:/var), its cause is CauseFillsUp, its reason says when
// it is full: "disk /var full in ~5h (2.1 GiB/h)".
func forecastCheck(c Check, held Alarms, fill Forecasts, mount string) Check {
	alarm, inodes := FillSpace, false
	if c.Kind == KindInodes {
		alarm, inodes = FillInodes, true
	}
	h, ok := held.Get(alarm, mount)
	if !ok || h.Alarm <= c.State || h.Alarm == OK {
		return c
	}
	mf, _ := fill.Of(mount)
	f := mf.Space
	if inodes {
		f = mf.Inodes
	}
	c.State, c.Cause = h.Alarm, CauseFillsUp
	c.Reason = c.Name + " " + f.Says(inodes)
	if !f.Filling {
		c.Reason = c.Name + " " + FormatValue(c.Value, c.Unit) + ": was filling; " + f.Why
	}
	return c
}
