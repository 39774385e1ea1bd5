package fleet

import (
	"strings"
	"testing"
	"time"
)

func TestWindow_Schedule(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, paris)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, u := range []struct {
		w          Window
		now        string
		open       string // "from–until", "" for closed
		next       string
		wantErrHas string
	}{
		{w: Window{Weekdays: []string{"sun"}, From: "02:00", Until: "04:00"}, now: "2026-12-06 02:00", open: "2026-12-06 02:00–2026-12-06 04:00", next: "2026-12-13 02:00"},
		{w: Window{Weekdays: []string{"sun"}, From: "02:00", Until: "04:00"}, now: "2026-12-06 04:00", open: "", next: "2026-12-13 02:00"},
		{w: Window{Weekdays: []string{"Sunday"}, From: "02:00", Until: "04:00"}, now: "2026-12-05 23:59", open: "", next: "2026-12-06 02:00"},
		// over midnight: opened Saturday, still open on Sunday morning
		{w: Window{Weekdays: []string{"sat"}, From: "22:00", Until: "02:00"}, now: "2026-12-06 01:30", open: "2026-12-05 22:00–2026-12-06 02:00", next: "2026-12-12 22:00"},
		// the first Sunday of the month
		{w: Window{Weekdays: []string{"sun"}, Days: []int{1, 2, 3, 4, 5, 6, 7}, From: "02:00", Until: "04:00"}, now: "2026-12-07 00:00", open: "", next: "2027-01-03 02:00"},
		// the night the clocks go forward (2027-03-28 02:00 → 03:00): the window is an hour shorter
		{w: Window{Weekdays: []string{"sun"}, From: "01:00", Until: "04:00"}, now: "2027-03-28 03:30", open: "2027-03-28 01:00–2027-03-28 04:00", next: "2027-04-04 01:00"},
		{w: Window{Days: []int{31}, Weekdays: []string{"mon"}, From: "01:00", Until: "02:00"}, now: "2026-12-06 00:00", next: "2027-05-31 01:00"},
		{w: Window{Days: []int{0}, From: "01:00", Until: "02:00"}, wantErrHas: "day 0 of the month"},
	} {
		w := u.w
		w.TimeZone = "Europe/Paris"
		r, err := w.Rule()
		if u.wantErrHas != "" {
			if err == nil || !strings.Contains(err.Error(), u.wantErrHas) {
				t.Errorf("%+v: %v, want %q", w, err, u.wantErrHas)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%+v: %v", w, err)
		}
		now := at(u.now)
		open := ""
		if f, until, ok := r.Open(now); ok {
			open = f.Format("2006-01-02 15:04") + "–" + until.Format("2006-01-02 15:04")
		}
		if open != u.open {
			t.Errorf("%+v at %s: open %q, want %q", w, u.now, open, u.open)
		}
		if f, _, ok := r.Next(now); !ok || f.Format("2006-01-02 15:04") != u.next {
			t.Errorf("%+v at %s: next %v, want %s", w, u.now, f, u.next)
		}
	}
}
