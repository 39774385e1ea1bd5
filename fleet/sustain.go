package fleet

import (
	"fmt"
	"time"
)

// Held is a metric's alarm over time: since when it has been at or above
// its warn and crit levels, and the alarm it raised. A level raises the
// alarm once held for Pair.For; the alarm then holds until the value drops
// below Pair.Clear (CRIT eases to WARN below warn), so a value that hovers
// around a level does not flap.
type Held struct {
	WarnSince, CritSince time.Time // start of the current run at or above warn, crit; zero when below
	Alarm                State     // OK, Warn or Crit
	Last                 time.Time // the last value fed
}

// Next feeds a value read at time at. A gap in the data longer than gap
// (when > 0) starts over: a run is only as long as it was seen.
func (h Held) Next(v float64, at time.Time, p Pair, gap time.Duration) Held {
	if !h.Last.IsZero() && gap > 0 && at.Sub(h.Last) > gap {
		h = Held{}
	}
	h.Last = at
	h.WarnSince = since(h.WarnSince, v >= p.Warn, at)
	h.CritSince = since(h.CritSince, v >= p.Crit, at)
	held := func(t time.Time) bool { return !t.IsZero() && at.Sub(t) >= p.For }
	switch {
	case h.Alarm != OK && v < p.ClearAt():
		h.Alarm = OK
	case held(h.CritSince):
		h.Alarm = Crit
	case h.Alarm == Crit && v >= p.Warn:
		// CRIT holds until the value is below warn.
	case held(h.WarnSince) || h.Alarm != OK:
		h.Alarm = Warn
	}
	return h
}

func since(t time.Time, above bool, at time.Time) time.Time {
	switch {
	case !above:
		return time.Time{}
	case t.IsZero():
		return at
	}
	return t
}

// heldCheck is the check of a metric whose alarm is h: "cpu 97% for 4m ≥
// 95%", "cpu 97% for 20s (alerts after 5m)", "cpu 80% (clears below 75%)".
func heldCheck(name string, v float64, p Pair, unit string, h Held) Check {
	c := Check{Name: name, Value: v, Limit: p, Unit: unit, State: h.Alarm}
	val := FormatValue(v, unit)
	dur := func(t time.Time) string {
		if p.For <= 0 || t.IsZero() {
			return ""
		}
		return " for " + FormatAge(h.Last.Sub(t))
	}
	switch {
	case h.Alarm == Crit:
		c.Reason = fmt.Sprintf("%s %s%s ≥ %s", name, val, dur(h.CritSince), FormatValue(p.Crit, unit))
	case h.Alarm == Warn && v >= p.Warn:
		c.Reason = fmt.Sprintf("%s %s%s ≥ %s", name, val, dur(h.WarnSince), FormatValue(p.Warn, unit))
	case h.Alarm == Warn:
		c.Reason = fmt.Sprintf("%s %s (clears below %s)", name, val, FormatValue(p.ClearAt(), unit))
	case !h.WarnSince.IsZero():
		c.Reason = fmt.Sprintf("%s %s%s (alerts after %s)", name, val, dur(h.WarnSince), FormatAge(p.For))
	default:
		c.Reason = name + " " + val
	}
	return c
}

// holdGap is how long a metric may go unread before its runs start over.
func holdGap(h *Host) time.Duration {
	return max(h.StaleAge(), 30*time.Second)
}

// Alarm is one metric's Held: Metric is "cpu", "memory", "load" or
// "disk", Mount the disk's mount point.
type Alarm struct {
	Metric, Mount string
	Held
}

// Alarms are a host's metrics' alarms, a few per host: a slice, so that
// replacing them on every poll is one allocation.
type Alarms []Alarm

// Get returns the alarm of a metric (mount "" unless a disk).
func (a Alarms) Get(metric, mount string) (Held, bool) {
	for i := range a {
		if a[i].Metric == metric && a[i].Mount == mount {
			return a[i].Held, true
		}
	}
	return Held{}, false
}

// The alarms of a mount's forecasts, beside its metrics'.
const (
	FillSpace  = "disk full"
	FillInodes = "inodes full"
)

// hold feeds a sample's metrics to the alarms in prev and returns an
// updated copy (prev is shared with snapshots). A carried CPU reading (our
// own checks ran) is not fed. An alarm not fed for longer than the gap is
// dropped: it would start over anyway.
func hold(prev Alarms, s *Sample, h *Host, fill Forecasts) Alarms {
	out := make(Alarms, 0, max(len(prev), 3+len(s.Disks)))
	gap := holdGap(h)
	l := h.Limits
	feed := func(metric, mount string, v float64, p Pair) {
		if p.Off {
			return
		}
		held, _ := prev.Get(metric, mount)
		out = append(out, Alarm{metric, mount, held.Next(v, s.At, p, gap)})
	}
	for i := range Resources { // host-wide
		r := &Resources[i]
		if r.Kind == KindCPU && s.CPUCarried {
			continue // our own checks' CPU is no alarm of the host's
		}
		if r.Value == nil {
			continue
		}
		if v, ok := r.Value(s); ok {
			feed(r.Name, "", v, *r.Limit(&l))
		}
	}
	for _, d := range s.Disks {
		for i := range Resources { // per mount
			r := &Resources[i]
			if r.Mount == nil {
				continue
			}
			if v, ok := r.Mount(d); ok {
				feed(r.Name, d.Mount, v, *r.Limit(&l))
			}
		}
		if f, ok := fill.Of(d.Mount); ok && !l.Full.Off { // the forecasts, held as levels
			p := Pair{Warn: 1, Crit: 2, For: l.Full.For}
			feed(FillSpace, d.Mount, f.Space.Level(l.Full), p)
			if d.Inodes > 0 {
				feed(FillInodes, d.Mount, f.Inodes.Level(l.Full), p)
			}
		}
	}
	fed := len(out)
	for _, a := range prev {
		if _, ok := out[:fed].Get(a.Metric, a.Mount); !ok && s.At.Sub(a.Last) <= gap {
			out = append(out, a)
		}
	}
	return out
}
