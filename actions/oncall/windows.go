package oncall

import (
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// window is a maintenance window of the config, its schedule worked out.
type window struct {
	w     fleet.Window
	rule  *fleet.WindowRule
	match Matcher
}

// WithWindows is the board with the config's recurring maintenance
// windows: each acts as a silence while it is open (Silenced,
// SilenceOfHost), and Silences lists its open and next occurrence. A
// window whose schedule does not work out is left out (the config
// refuses it at load).
func (o *Board) WithWindows(ws []fleet.Window) *Board {
	out := &Board{acks: map[string]*Ack{}, ended: map[string]string{}}
	if o != nil {
		*out = *o
	}
	out.windows = nil
	for _, w := range ws {
		r, err := w.Rule()
		if err != nil {
			continue
		}
		out.windows = append(out.windows, window{w: w, rule: r,
			match: Matcher{Hosts: w.Hosts, Tags: w.Tags, Roles: w.Roles, Envs: w.Envs, Checks: w.Checks}})
	}
	return out
}

// silence is the window's occurrence from–until as a silence.
func (w *window) silence(from, until time.Time) *Silence {
	note := "maintenance window " + w.w.Name
	if w.w.Note != "" {
		note += ": " + w.w.Note
	}
	return &Silence{ID: "window:" + w.w.Name, Match: w.match, From: from, Until: until, Note: note, By: "config", Window: w.w.Name}
}

// openWindows are the windows open at now, as silences.
func (o *Board) openWindows(now time.Time) []*Silence {
	if o == nil {
		return nil
	}
	var out []*Silence
	for i := range o.windows {
		if f, u, ok := o.windows[i].rule.Open(now); ok {
			out = append(out, o.windows[i].silence(f, u))
		}
	}
	return out
}

// windowSilences are each window's open occurrence and its next one.
func (o *Board) windowSilences(now time.Time) []*Silence {
	var out []*Silence
	for i := range o.windows {
		w := &o.windows[i]
		if f, u, ok := w.rule.Open(now); ok {
			out = append(out, w.silence(f, u))
		}
		if f, u, ok := w.rule.Next(now); ok {
			out = append(out, w.silence(f, u))
		}
	}
	return out
}
