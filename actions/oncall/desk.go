package oncall

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/actions"

	"github.com/opsdeck/opsdeck/fleet"
)

// Audit kinds and outcomes of the on-call records.
const (
	KindAck     actions.Kind = "ack"
	KindSilence actions.Kind = "silence"

	Acknowledged = "acknowledged"
	Silenced     = "silenced"
	Ended        = "ended"   // an acknowledgement ended by itself (OK, worse, expired)
	Removed      = "removed" // ended by somebody
)

// Desk is one process's hand on the team's on-call log: it makes and ends
// acknowledgements and silences, each an audit record too, ends the
// acknowledgements whose check got better or worse, and keeps the log
// folded for readers.
type Desk struct {
	Log      Log
	Audit    actions.AuditLog
	Operator string
	// MaxSilence bounds a silence's length (MaxSilence when 0).
	MaxSilence time.Duration
	// Windows are the config's maintenance windows (set before the first
	// Refresh; SetWindows after a reload).
	Windows []fleet.Window

	mu   sync.Mutex
	view *Board
	gen  int
}

// Refresh reads the log and folds it.
func (d *Desk) Refresh(now time.Time) (*Board, error) {
	rs, err := d.Log.Read(now.Add(-Window))
	if err != nil {
		return nil, fmt.Errorf("on-call log %s: %w", d.Log.Where(), err)
	}
	d.mu.Lock()
	v := Fold(rs).WithWindows(d.Windows)
	v.ReadAt = now
	d.view = v
	d.gen++
	d.mu.Unlock()
	return v, nil
}

// SetWindows makes ws the maintenance windows, in the view at once.
func (d *Desk) SetWindows(ws []fleet.Window) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.Windows = ws
	if d.view != nil {
		d.view = d.view.WithWindows(ws)
		d.gen++
	}
}

// Reloaded takes the windows of a reloaded config; nil (a refused
// reload) changes nothing.
func (d *Desk) Reloaded(c *fleet.Config) {
	if c != nil {
		d.SetWindows(c.OnCall.Windows)
	}
}

// Gen counts the reads: a reader that saw one knows whether there is a
// newer.
func (d *Desk) Gen() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.gen
}

// View is the log as last read; nil before the first read.
func (d *Desk) View() *Board {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.view
}

// ErrAckOK refuses to acknowledge a check that is not failing.
var ErrAckOK = errors.New("the check is OK: there is nothing to acknowledge")

// Acknowledge records that the operator is on h's failing check c, with a
// note, until the check is OK or worse (or for, when above 0). The audit
// record is written first: no record, no acknowledgement.
func (d *Desk) Acknowledge(h *fleet.Host, c fleet.Check, note string, dur time.Duration, now time.Time) (*Ack, error) {
	if err := CheckNote(note); err != nil {
		return nil, err
	}
	if c.State == fleet.OK || c.NotApplicable || c.Pending {
		return nil, fmt.Errorf("%s on %s: %w", c.Key(), h.Name, ErrAckOK)
	}
	if dur < 0 {
		return nil, errors.New("--for must be positive")
	}
	a := &Ack{ID: "ack-" + actions.NewAuditID(), Host: h.Name, Check: c.Key(), State: c.State, Note: note, By: d.Operator, At: now.UTC()}
	if c.Unit == "%" {
		a.Value, a.Unit = c.Value, c.Unit
	}
	if dur > 0 {
		a.Until = a.At.Add(dur)
	}
	reason := note
	if dur > 0 {
		reason += " (for " + dur.String() + ")"
	}
	if err := d.audit(KindAck, h.Name, a.Check, Acknowledged, fmt.Sprintf("%s %s: %s", c.State, c.Key(), reason), now); err != nil {
		return nil, err
	}
	if _, err := d.Log.Append(Record{Op: OpAck, At: a.At, By: d.Operator, Ack: a}); err != nil {
		return nil, fmt.Errorf("on-call log %s: %w", d.Log.Where(), err)
	}
	return a, nil
}

// EndAck ends an acknowledgement: by somebody (removed) or by itself
// (ended, why says how). Of several processes that end one, one records
// it.
func (d *Desk) EndAck(a *Ack, outcome, why string, now time.Time) error {
	added, err := d.Log.Append(Record{Op: OpUnack, At: now.UTC(), By: d.Operator, ID: a.ID, Why: why})
	if err != nil {
		return fmt.Errorf("on-call log %s: %w", d.Log.Where(), err)
	}
	if !added {
		return nil
	}
	return d.audit(KindAck, a.Host, a.Check, outcome, fmt.Sprintf("%s's acknowledgement (%s): %s", a.By, a.Note, why), now)
}

// Settle ends the acknowledgements in force whose check is now OK, worse,
// or past its time. checks gives a host's checks as now evaluated; ok false
// means the host is not known here (another config's): its
// acknowledgements are left alone.
func (d *Desk) Settle(checks func(host string) ([]fleet.Check, bool), now time.Time) (ended []*Ack, err error) {
	var errs []error
	for _, a := range d.View().Acks() {
		cs, known := checks(a.Host)
		if !known {
			continue
		}
		var cur fleet.Check
		found := false
		for _, c := range cs {
			if c.Key() == a.Check {
				cur, found = c, true
			}
		}
		why, ends := AckEnds(a, cur, found, now)
		if !ends {
			continue
		}
		if err := d.EndAck(a, Ended, why, now); err != nil {
			errs = append(errs, err)
			continue
		}
		ended = append(ended, a)
	}
	if len(ended) > 0 {
		_, err := d.Refresh(now)
		errs = append(errs, err)
	}
	return ended, errors.Join(errs...)
}

// Silence records a silence of what m matches from from until until.
func (d *Desk) Silence(m Matcher, from, until time.Time, note string, now time.Time) (*Silence, error) {
	if err := CheckNote(note); err != nil {
		return nil, err
	}
	if err := m.ValidGlobs(); err != nil {
		return nil, err
	}
	if m.Empty() {
		return nil, errors.New("a silence of everything: name hosts, tags, roles, envs or checks")
	}
	limit := d.MaxSilence
	if limit <= 0 {
		limit = MaxSilence
	}
	switch {
	case until.IsZero():
		return nil, errors.New("a silence needs an end (--for 2h or --until 2026-12-05T04:00)")
	case !until.After(from):
		return nil, fmt.Errorf("it would end (%s) before it starts (%s)", until.Format(time.RFC3339), from.Format(time.RFC3339))
	case !until.After(now):
		return nil, fmt.Errorf("it would end in the past (%s)", until.Format(time.RFC3339))
	case until.Sub(from) > limit:
		return nil, fmt.Errorf("%s is longer than the longest silence (%s): make it shorter, or raise [oncall] max_silence", until.Sub(from).Round(time.Minute), limit)
	}
	s := &Silence{ID: "sil-" + actions.NewAuditID(), Match: m, From: from.UTC(), Until: until.UTC(), Note: note, By: d.Operator, At: now.UTC()}
	reason := fmt.Sprintf("%s from %s until %s: %s", m, s.From.Format(time.RFC3339), s.Until.Format(time.RFC3339), note)
	// Its matcher stands where a host would: what it silences.
	if err := d.audit(KindSilence, m.String(), s.ID, Silenced, reason, now); err != nil {
		return nil, err
	}
	if _, err := d.Log.Append(Record{Op: OpSilence, At: s.At, By: d.Operator, Silence: s}); err != nil {
		return nil, fmt.Errorf("on-call log %s: %w", d.Log.Where(), err)
	}
	return s, nil
}

// Expire ends a silence before its time.
func (d *Desk) Expire(s *Silence, now time.Time) error {
	if s.Window != "" {
		return fmt.Errorf("%s is the config's maintenance window %s: change [[oncall.windows]] and reload", s.ID, s.Window)
	}
	added, err := d.Log.Append(Record{Op: OpExpire, At: now.UTC(), By: d.Operator, ID: s.ID, Why: "expired by " + d.Operator})
	if err != nil {
		return fmt.Errorf("on-call log %s: %w", d.Log.Where(), err)
	}
	if !added {
		return nil
	}
	return d.audit(KindSilence, s.Match.String(), s.ID, Removed, fmt.Sprintf("%s's silence of %s (%s), ended early", s.By, s.Match, s.Note), now)
}

func (d *Desk) audit(kind actions.Kind, host, target, outcome, reason string, now time.Time) error {
	e := actions.Entry{ID: actions.NewAuditID(), Time: now.UTC(), Operator: d.Operator, Host: host, Kind: kind, Target: target, Outcome: outcome, Reason: reason}
	if err := d.Audit.Append(e); err != nil {
		return fmt.Errorf("%w, refusing to act unrecorded: %v", actions.ErrAudit, err)
	}
	return nil
}

// ErrNoCheck refuses to acknowledge a key no failing check of the host has.
var ErrNoCheck = errors.New("no such failing check")

// AckKey acknowledges the check of h named key among checks (the host as
// just judged); a key that names none says which checks fail instead.
func (d *Desk) AckKey(h *fleet.Host, checks []fleet.Check, key, note string, dur time.Duration, now time.Time) (*Ack, error) {
	var failing []string
	for _, c := range checks {
		if c.Key() == key {
			return d.Acknowledge(h, c, note, dur, now)
		}
		if c.State != fleet.OK && !c.NotApplicable {
			failing = append(failing, fmt.Sprintf("%s (%s)", c.Key(), c.State))
		}
	}
	msg := fmt.Sprintf("%s has no check %q that fails now", h.Name, fleet.Sanitize(key, 80))
	if len(failing) > 0 {
		msg += "; failing: " + strings.Join(failing, ", ")
	} else {
		msg += "; nothing fails there: there is nothing to acknowledge"
	}
	return nil, noCheck(msg)
}

// noCheck is ErrNoCheck, saying what fails instead.
type noCheck string

func (e noCheck) Error() string        { return string(e) }
func (e noCheck) Is(target error) bool { return target == ErrNoCheck }
