package fleet

import (
	"fmt"
	"strings"
	"time"
)

// Window is a recurring maintenance window ([[oncall.windows]]): while it
// is open it acts as a silence of what it matches. States and exit codes
// stay true; notifications stop and the screen says why.
type Window struct {
	Name string `toml:"name"`
	// What it matches, as a silence's matcher: globs, any of which may
	// match; an empty list matches everything.
	Hosts  []string `toml:"hosts"`
	Tags   []string `toml:"tags"`
	Roles  []string `toml:"roles"`
	Envs   []string `toml:"envs"`
	Checks []string `toml:"checks"`
	// Weekdays it opens on ("sun", "mon"… or whole names); empty: every day.
	Weekdays []string `toml:"weekdays"`
	// Days of the month it opens on (1–31); empty: every day. With
	// weekdays too, a day must be both ("the first Sunday": days 1–7).
	Days []int `toml:"days"`
	// From and Until are the time of day it opens and closes ("02:00",
	// "04:00"); an Until at or before From closes the next day.
	From  string `toml:"from"`
	Until string `toml:"until"`
	// TimeZone names the zone of From and Until ("Europe/Paris"); default
	// the machine's.
	TimeZone string `toml:"time_zone"`
	Note     string `toml:"note"`
}

// WindowRule is a window's schedule, worked out once (Window.Rule).
type WindowRule struct {
	weekdays   [7]bool
	anyWeekday bool
	days       [32]bool
	anyDay     bool
	from, to   time.Duration // since midnight
	loc        *time.Location
}

var weekdayNames = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// Rule checks the window and works out its rule: an error says what is
// wrong (a time, a weekday, a day, a zone, a window that never opens).
func (w *Window) Rule() (*WindowRule, error) {
	r := &WindowRule{anyWeekday: len(w.Weekdays) == 0, anyDay: len(w.Days) == 0, loc: time.Local}
	for _, d := range w.Weekdays {
		key := strings.ToLower(d)
		if len(key) > 3 {
			key = key[:3]
		}
		wd, ok := weekdayNames[key]
		if !ok || (len(d) > 3 && !strings.EqualFold(d, wd.String())) {
			return nil, fmt.Errorf("weekday %q: use sun, mon, tue, wed, thu, fri, sat", d)
		}
		r.weekdays[wd] = true
	}
	for _, d := range w.Days {
		if d < 1 || d > 31 {
			return nil, fmt.Errorf("day %d of the month: use 1–31", d)
		}
		r.days[d] = true
	}
	var err error
	if r.from, err = timeOfDay(w.From); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if r.to, err = timeOfDay(w.Until); err != nil {
		return nil, fmt.Errorf("until: %w", err)
	}
	if r.from == r.to {
		return nil, fmt.Errorf("from %s and until %s are the same time: the window would never be open (or never close)", w.From, w.Until)
	}
	if w.TimeZone != "" {
		if r.loc, err = time.LoadLocation(w.TimeZone); err != nil {
			return nil, fmt.Errorf("time_zone %q: %w", w.TimeZone, err)
		}
	}
	ref := time.Date(2026, 1, 1, 0, 0, 0, 0, r.loc)
	if _, _, ok := r.Next(ref); !ok {
		return nil, fmt.Errorf("no day is both one of %v and one of the days %v: the window never opens", w.Weekdays, w.Days)
	}
	return r, nil
}

func timeOfDay(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day (\"02:00\")", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// opensOn says whether the window opens on the day of t (in its zone).
func (r *WindowRule) opensOn(t time.Time) bool {
	return (r.anyWeekday || r.weekdays[t.Weekday()]) && (r.anyDay || r.days[t.Day()])
}

// span is the occurrence that opens on the day of t: its opening and
// closing, in the window's zone (the wall clock, across a change of
// daylight saving time too).
func (r *WindowRule) span(t time.Time) (time.Time, time.Time) {
	y, m, d := t.Date()
	from := time.Date(y, m, d, int(r.from/time.Hour), int(r.from%time.Hour/time.Minute), 0, 0, r.loc)
	endDay := d
	if r.to <= r.from {
		endDay++
	}
	to := time.Date(y, m, endDay, int(r.to/time.Hour), int(r.to%time.Hour/time.Minute), 0, 0, r.loc)
	return from, to
}

// Open is the occurrence open at now, if one is.
func (r *WindowRule) Open(now time.Time) (from, until time.Time, ok bool) {
	local := now.In(r.loc)
	for _, day := range []time.Time{local.AddDate(0, 0, -1), local} {
		if !r.opensOn(day) {
			continue
		}
		if f, u := r.span(day); !now.Before(f) && now.Before(u) {
			return f, u, true
		}
	}
	return time.Time{}, time.Time{}, false
}

// Next is the first occurrence that opens after now (within about two
// years: none means it never opens).
func (r *WindowRule) Next(now time.Time) (from, until time.Time, ok bool) {
	local := now.In(r.loc)
	for i := 0; i < 800; i++ {
		day := local.AddDate(0, 0, i)
		if !r.opensOn(day) {
			continue
		}
		if f, u := r.span(day); f.After(now) {
			return f, u, true
		}
	}
	return time.Time{}, time.Time{}, false
}
