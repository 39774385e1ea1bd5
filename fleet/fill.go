package fleet

import (
	"encoding/binary"
	"errors"
	"time"
)

// A long, compact history of each watched mount's use, for the forecast
// of when it fills: one point per FillStep, FillPoints of them (26 hours),
// two bytes a value (space and inodes), kept across restarts.

// FillStep is the grain of the fill history with the default window: one
// point per mount every five minutes (the last reading of the step). A
// window of its own has a grain of its own (FillStepOf).
const FillStep = 5 * time.Minute

// FillStepOf is the grain of the history for a forecast window: 72 points
// a window (5 minutes for 6 hours), at least a second.
func FillStepOf(window time.Duration) time.Duration {
	return max(time.Second, (window / 72).Truncate(time.Second))
}

// FillPoints is how many steps the history keeps: 25 hours 50 minutes
// (what fits a history in 1,280 bytes, an allocation size of its own).
const FillPoints = 310

// fillNone marks a step with no reading (the host did not answer).
const fillNone = 0xFFFF

// FillHistory is one mount's history: the share of its space and of its
// inodes in use at each step, in 1/65534ths (fillNone: not read), and the
// sizes last seen (to say a rate in bytes). 1.3 KB.
type FillHistory struct {
	Total, Inodes uint64 // bytes and inodes, as last read
	step          int64  // seconds a step; 0: FillStep
	last          int64  // the step of the newest point (Unix seconds / step); 0: none
	restarted     int64  // Unix seconds of Restarted; 0: never
	used          [FillPoints]uint16
	iused         [FillPoints]uint16
}

// Restarted is when the history started over because the clock went back
// (zero: never): the steps before it are not comparable.
func (h *FillHistory) Restarted() time.Time {
	if h.restarted == 0 {
		return time.Time{}
	}
	return time.Unix(h.restarted, 0)
}

// NewFillHistory is an empty history for a forecast over window.
func NewFillHistory(window time.Duration) *FillHistory {
	return &FillHistory{step: int64(FillStepOf(window) / time.Second)}
}

// Step is the history's grain.
func (h *FillHistory) Step() time.Duration {
	if h.step == 0 {
		return FillStep
	}
	return time.Duration(h.step) * time.Second
}

// fillStep is the step a time falls in.
func (h *FillHistory) fillStep(at time.Time) int64 { return at.Unix() / int64(h.Step()/time.Second) }

// stepTime is when a step starts.
func (h *FillHistory) stepTime(step int64) time.Time {
	return time.Unix(step*int64(h.Step()/time.Second), 0)
}

func share(v float64) uint16 {
	switch {
	case v <= 0:
		return 0
	case v >= 1:
		return fillNone - 1
	}
	return uint16(v*(fillNone-1) + 0.5)
}

// Add records d's use read at at as the point of its step, unless the
// step has one already; it reports whether it added a point (a new one to
// forecast from). A reading older than the newest step is dropped; one
// more than a step older (the clock went back) starts the history over.
func (h *FillHistory) Add(at time.Time, d Disk) bool {
	s := h.fillStep(at)
	switch {
	case h.last == 0 || s < h.last-1:
		if h.last != 0 {
			h.restarted = at.Unix()
		}
		h.clear()
	case s <= h.last:
		return false // a step keeps its first reading: what its forecast was made from
	}
	if h.last != 0 {
		for gap := h.last + 1; gap < s && gap <= h.last+FillPoints; gap++ {
			h.used[gap%FillPoints], h.iused[gap%FillPoints] = fillNone, fillNone
		}
	}
	h.last = s
	h.Total, h.Inodes = d.Total, d.Inodes
	h.used[s%FillPoints] = share(d.UsedPercent() / 100)
	h.iused[s%FillPoints] = fillNone
	if d.Inodes > 0 {
		h.iused[s%FillPoints] = share(d.InodePercent() / 100)
	}
	return true
}

func (h *FillHistory) clear() {
	for i := range h.used {
		h.used[i], h.iused[i] = fillNone, fillNone
	}
}

// Last is when the newest point's step began (zero: none).
func (h *FillHistory) Last() time.Time {
	if h.last == 0 {
		return time.Time{}
	}
	return h.stepTime(h.last)
}

// points are the points of the last span (up to the newest step): hours
// before the newest step, and the share in use; inodes picks that table.
func (h *FillHistory) points(span time.Duration, inodes bool) []fillPoint {
	n := min(int(span/h.Step()), FillPoints)
	vals := &h.used
	if inodes {
		vals = &h.iused
	}
	out := make([]fillPoint, 0, n)
	for s := h.last - int64(n) + 1; s <= h.last; s++ {
		if s <= 0 {
			continue
		}
		if v := vals[s%FillPoints]; v != fillNone {
			out = append(out, fillPoint{t: -float64(h.last-s) * h.Step().Hours(), v: float64(v) / (fillNone - 1)})
		}
	}
	return out
}

// fillHeader is the bytes of a kept history before its points.
const fillHeader = 40

// MarshalBinary writes the history in 40 bytes plus 4 a step.
func (h *FillHistory) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, fillHeader+4*FillPoints)
	b = binary.BigEndian.AppendUint64(b, uint64(h.Step()/time.Second))
	b = binary.BigEndian.AppendUint64(b, h.Total)
	b = binary.BigEndian.AppendUint64(b, h.Inodes)
	b = binary.BigEndian.AppendUint64(b, uint64(h.last))
	b = binary.BigEndian.AppendUint64(b, uint64(h.restarted))
	for i := range h.used {
		b = binary.BigEndian.AppendUint16(b, h.used[i])
		b = binary.BigEndian.AppendUint16(b, h.iused[i])
	}
	return b, nil
}

// UnmarshalBinary reads what MarshalBinary wrote.
func (h *FillHistory) UnmarshalBinary(b []byte) error {
	if len(b) != fillHeader+4*FillPoints || binary.BigEndian.Uint64(b) == 0 {
		return errors.New("fill history: not this version's")
	}
	h.step = int64(binary.BigEndian.Uint64(b))
	h.Total, h.Inodes = binary.BigEndian.Uint64(b[8:]), binary.BigEndian.Uint64(b[16:])
	h.last = int64(binary.BigEndian.Uint64(b[24:]))
	h.restarted = int64(binary.BigEndian.Uint64(b[32:]))
	for i := range h.used {
		h.used[i] = binary.BigEndian.Uint16(b[fillHeader+4*i:])
		h.iused[i] = binary.BigEndian.Uint16(b[fillHeader+2+4*i:])
	}
	return nil
}

// MountForecast is a mount's forecasts: of its space, of its inodes.
type MountForecast struct {
	Mount         string
	Space, Inodes Forecast
}

// Forecasts are a host's mounts' forecasts (a slice: a host has few).
type Forecasts []MountForecast

// Of is the forecasts of mount.
func (fs Forecasts) Of(mount string) (MountForecast, bool) {
	for i := range fs {
		if fs[i].Mount == mount {
			return fs[i], true
		}
	}
	return MountForecast{}, false
}

// fillOf is the history of mount, or nil.
func (e *entry) fillOf(mount string) *FillHistory {
	for i, m := range e.fillMounts {
		if m == mount {
			return e.fill[i]
		}
	}
	return nil
}

// setFill keeps h as mount's history.
func (e *entry) setFill(mount string, h *FillHistory) {
	for i, m := range e.fillMounts {
		if m == mount {
			e.fill[i] = h
			return
		}
	}
	e.fillMounts, e.fill = append(e.fillMounts, mount), append(e.fill, h)
}

// addFill puts a sample's mounts in their histories and, for each that
// moved to a new step, forecasts again (a new slice: snapshots keep theirs).
func (e *entry) addFill(s *Sample) {
	l := e.status.Host.Limits.Full
	if l.Off { // no forecast: no history kept either
		e.fill, e.fillMounts, e.status.Fill = nil, nil, nil
		return
	}
	var next Forecasts
	for _, d := range s.Disks {
		if d.Err != "" || d.Total == 0 {
			continue
		}
		h := e.fillOf(d.Mount)
		if h == nil || h.Step() != FillStepOf(l.Window) { // a new window: a history of its grain
			h = NewFillHistory(l.Window)
			e.setFill(d.Mount, h)
		}
		if _, had := e.status.Fill.Of(d.Mount); !h.Add(s.At, d) && had {
			continue
		}
		if next == nil {
			next = append(make(Forecasts, 0, len(s.Disks)), e.status.Fill...)
		}
		f := MountForecast{Mount: d.Mount, Space: h.Forecast(l, false)}
		if d.Inodes > 0 {
			f.Inodes = h.Forecast(l, true)
		}
		replaced := false
		for i := range next {
			if next[i].Mount == d.Mount {
				next[i], replaced = f, true
			}
		}
		if !replaced {
			next = append(next, f)
		}
	}
	if next != nil {
		e.status.Fill = next
	}
}

// FillHistories are the fill histories of every host of the store, by
// host and mount, as MarshalBinary writes them: for keeping across
// restarts.
func (s *Store) FillHistories() map[string]map[string][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]map[string][]byte, len(s.hosts))
	for _, e := range s.hosts {
		for i, h := range e.fill {
			mount := e.fillMounts[i]
			b, _ := h.MarshalBinary()
			if out[e.status.Host.Name] == nil {
				out[e.status.Host.Name] = map[string][]byte{}
			}
			out[e.status.Host.Name][mount] = b
		}
	}
	return out
}

// LoadFillHistories puts kept histories back, for the store's hosts that
// have none yet, and forecasts from them at once: a dashboard started an
// hour ago on a host watched for a day forecasts as if it never stopped
// (its alarm is held anew). One that does not read is skipped.
func (s *Store) LoadFillHistories(kept map[string]map[string][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for host, mounts := range kept {
		e, ok := s.byName[host]
		if !ok || e.fill != nil {
			continue
		}
		l := e.status.Host.Limits.Full
		var fill Forecasts
		for mount, b := range mounts {
			h := &FillHistory{}
			if h.UnmarshalBinary(b) != nil {
				continue
			}
			e.setFill(mount, h)
			f := MountForecast{Mount: mount, Space: h.Forecast(l, false)}
			if h.Inodes > 0 {
				f.Inodes = h.Forecast(l, true)
			}
			fill = append(fill, f)
		}
		e.status.Fill = fill
		s.version++
		e.ver = s.version
	}
}
