package oncall

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opsdeck/opsdeck/fleet"
)

// Acknowledgements and silences: what an on-call team says about problems.
// They change what is notified and how a problem is drawn, never a state
// or an exit code. Both are records of an append-only log (Log) that
// every process of the team folds the same way (Board), so two
// dashboards on one shared record see each other's within a poll.

// Ack acknowledges one failing check of one host: somebody is on it.
type Ack struct {
	ID    string      `json:"id"`
	Host  string      `json:"host"`
	Check string      `json:"check"`           // the check's key: disk:/var
	State fleet.State `json:"state"`           // the state acknowledged
	Value float64     `json:"value,omitempty"` // its figure then, for a measured check
	Unit  string      `json:"unit,omitempty"`
	Note  string      `json:"note"`
	By    string      `json:"by"`
	At    time.Time   `json:"at"`
	Until time.Time   `json:"until,omitzero"` // zero: until the check is OK or worse
}

// Matcher picks hosts and checks: each field is a list of globs (path.Match),
// any of which may match; an empty field matches everything.
type Matcher struct {
	Hosts  []string `json:"hosts,omitempty"`
	Tags   []string `json:"tags,omitempty"`
	Roles  []string `json:"roles,omitempty"`
	Envs   []string `json:"envs,omitempty"`
	Checks []string `json:"checks,omitempty"` // a key (disk:/var, disk:*) or a kind (disk)
}

// Silence stops notifications about what it matches, from From until
// Until: a maintenance window.

// Says is how the screen and the notifications say a silence at now:
// "in window db-patching until 04:00", or "silenced until Dec 8 04:00 by
// alice" (the day when it is not within a day).
func (s *Silence) Says(now time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.Local
	}
	until := s.Until.In(loc).Format("15:04")
	if s.Until.Sub(now) >= 20*time.Hour {
		until = s.Until.In(loc).Format("Jan 2 15:04")
	}
	if s.Window != "" {
		return "in window " + s.Window + " until " + until
	}
	return "silenced until " + until + " by " + s.By
}

type Silence struct {
	ID    string    `json:"id"`
	Match Matcher   `json:"match"`
	From  time.Time `json:"from"`
	Until time.Time `json:"until"`
	Note  string    `json:"note"`
	By    string    `json:"by"`
	At    time.Time `json:"at"`
	// Window names the config's maintenance window this is an occurrence
	// of ("" for a silence somebody set).
	Window string `json:"window,omitempty"`
}

// The operations of the on-call log.
const (
	OpAck     = "ack"     // an acknowledgement made
	OpUnack   = "unack"   // it ended: removed, expired, the check OK or worse
	OpSilence = "silence" // a silence made
	OpExpire  = "expire"  // a silence ended before its time
)

// Record is one entry of the on-call log.
type Record struct {
	Op      string    `json:"op"`
	At      time.Time `json:"at"`
	By      string    `json:"by"`
	Ack     *Ack      `json:"ack,omitempty"`
	Silence *Silence  `json:"silence,omitempty"`
	ID      string    `json:"id,omitempty"`  // what an unack or expire ends
	Why     string    `json:"why,omitempty"` // why it ended
}

// Log is where the team's acknowledgements and silences are kept:
// files in the state directory or the shared database.
type Log interface {
	// Append adds a record. An unack or expire of what already ended is
	// not added again (added is false): of two processes that see an
	// acknowledgement end, one records it.
	Append(r Record) (added bool, err error)
	// Read returns the records since a time, oldest first.
	Read(since time.Time) ([]Record, error)
	Where() string
}

// Window is how far back the log is read: acknowledgements older
// than this are not in force any more (MaxSilence is shorter).
const Window = 30 * 24 * time.Hour

// Limits of what is said.
const (
	MaxNote        = 200                     // characters of a note
	MaxSilence     = fleet.DefaultMaxSilence // the longest silence by default
	AckOld         = 12 * time.Hour          // an acknowledgement older than this is marked so
	AckWorsePoints = 2.0                     // a % check this many points past its acknowledged figure is worse
)

// CheckNote refuses a note that is empty, too long or holds control
// characters: it is shown to the team and sent in notifications.
func CheckNote(note string) error {
	switch {
	case strings.TrimSpace(note) == "":
		return errors.New("a note is needed: say what is being done (--note)")
	case utf8.RuneCountInString(note) > MaxNote:
		return fmt.Errorf("the note has %d characters; at most %d", utf8.RuneCountInString(note), MaxNote)
	case !utf8.ValidString(note) || fleet.Sanitize(note, MaxNote) != note:
		return errors.New("the note holds control characters or invalid text: write plain text")
	}
	return nil
}

// Matches reports whether the silence's matcher picks h's check key.
func (m Matcher) Matches(h *fleet.Host, check string) bool {
	return anyGlob(m.Hosts, h.Name) && anyGlobOf(m.Tags, h.Tags) && anyGlobOf(m.Roles, h.Roles) &&
		anyGlob(m.Envs, h.Env) && m.matchCheck(check)
}

// MatchesHost reports whether the host part of the matcher picks h.
func (m Matcher) MatchesHost(h *fleet.Host) bool {
	return anyGlob(m.Hosts, h.Name) && anyGlobOf(m.Tags, h.Tags) && anyGlobOf(m.Roles, h.Roles) && anyGlob(m.Envs, h.Env)
}

func (m Matcher) matchCheck(check string) bool {
	if len(m.Checks) == 0 {
		return true
	}
	kind, _, _ := strings.Cut(check, ":")
	for _, g := range m.Checks {
		if glob(g, check) || (!strings.Contains(g, ":") && glob(g, kind)) {
			return true
		}
	}
	return false
}

// Empty reports whether the matcher matches every host and check.
func (m Matcher) Empty() bool {
	return len(m.Hosts)+len(m.Tags)+len(m.Roles)+len(m.Envs)+len(m.Checks) == 0
}

func (m Matcher) String() string {
	var parts []string
	for _, f := range []struct {
		name string
		vals []string
	}{{"host", m.Hosts}, {"tag", m.Tags}, {"role", m.Roles}, {"env", m.Envs}, {"check", m.Checks}} {
		if len(f.vals) > 0 {
			parts = append(parts, f.name+"="+strings.Join(f.vals, ","))
		}
	}
	return strings.Join(parts, " ")
}

func glob(pattern, s string) bool {
	ok, err := path.Match(pattern, s)
	return err == nil && ok
}

func anyGlob(patterns []string, s string) bool {
	return len(patterns) == 0 || slices.ContainsFunc(patterns, func(p string) bool { return glob(p, s) })
}

func anyGlobOf(patterns, vals []string) bool {
	return len(patterns) == 0 || slices.ContainsFunc(vals, func(v string) bool { return anyGlob(patterns, v) })
}

// ValidGlobs refuses a malformed glob, naming it.
func (m Matcher) ValidGlobs() error {
	for _, ps := range [][]string{m.Hosts, m.Tags, m.Roles, m.Envs, m.Checks} {
		for _, p := range ps {
			if _, err := path.Match(p, ""); err != nil || fleet.Sanitize(p, 200) != p {
				return fmt.Errorf("%q is not a usable glob", fleet.Sanitize(p, 200))
			}
		}
	}
	return nil
}

// Active reports whether the silence is in force at now.
func (s *Silence) Active(now time.Time) bool { return !now.Before(s.From) && now.Before(s.Until) }

// AckEnds says whether an acknowledgement ends given its check as now
// evaluated (found false: the check is gone or OK), and why.
func AckEnds(a *Ack, c fleet.Check, found bool, now time.Time) (why string, ends bool) {
	switch {
	case !a.Until.IsZero() && !now.Before(a.Until):
		return "expired", true
	case !found || c.State == fleet.OK:
		return "the check is OK again", true
	case c.State > a.State && c.State != fleet.Unknown:
		return fmt.Sprintf("worse: was %s, now %s", a.State, c.State), true
	case a.Unit == "%" && c.Unit == "%" && c.Value >= a.Value+AckWorsePoints:
		return fmt.Sprintf("worse: was %.0f%%, now %.0f%%", a.Value, c.Value), true
	}
	return "", false
}

// Board is the on-call log folded: the acknowledgements and silences in
// force, and when they were read.
type Board struct {
	acks     map[string]*Ack // by host + "\x00" + check
	silences []*Silence
	windows  []window          // the config's maintenance windows (WithWindows)
	ended    map[string]string // id → why it ended
	ReadAt   time.Time
}

// Fold folds the log's records, oldest first.
func Fold(rs []Record) *Board {
	o := &Board{acks: map[string]*Ack{}, ended: map[string]string{}}
	for _, r := range rs {
		if r.Op == OpUnack || r.Op == OpExpire {
			if _, seen := o.ended[r.ID]; !seen {
				o.ended[r.ID] = r.Why
			}
		}
	}
	var silences []*Silence
	for _, r := range rs {
		switch {
		case r.Op == OpAck && r.Ack != nil && !o.Ended(r.Ack.ID):
			o.acks[r.Ack.Host+"\x00"+r.Ack.Check] = r.Ack // a newer one replaces an older
		case r.Op == OpSilence && r.Silence != nil && !o.Ended(r.Silence.ID):
			silences = append(silences, r.Silence)
		}
	}
	sort.SliceStable(silences, func(a, b int) bool { return silences[a].From.Before(silences[b].From) })
	o.silences = silences
	return o
}

// Ack is the acknowledgement in force of a host's check.
func (o *Board) Ack(host, check string) (*Ack, bool) {
	if o == nil {
		return nil, false
	}
	a, ok := o.acks[host+"\x00"+check]
	return a, ok
}

// Acks are the acknowledgements in force, oldest first.
func (o *Board) Acks() []*Ack {
	if o == nil {
		return nil
	}
	out := make([]*Ack, 0, len(o.acks))
	for _, a := range o.acks {
		out = append(out, a)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].At.Before(out[b].At) })
	return out
}

// Silences are the silences not ended: in force or still to come at now
// (those past their end are left out).
func (o *Board) Silences(now time.Time) []*Silence {
	if o == nil {
		return nil
	}
	var out []*Silence
	for _, s := range o.silences {
		if now.Before(s.Until) {
			out = append(out, s)
		}
	}
	if len(o.windows) > 0 {
		out = append(out, o.windowSilences(now)...)
		sort.SliceStable(out, func(a, b int) bool { return out[a].From.Before(out[b].From) })
	}
	return out
}

// Silenced is the silence in force at now that matches h's check (the
// one that ends last), if any.
func (o *Board) Silenced(h *fleet.Host, check string, now time.Time) (*Silence, bool) {
	if o == nil {
		return nil, false
	}
	var best *Silence
	for _, s := range append(o.openWindows(now), o.silences...) {
		if s.Active(now) && s.Match.Matches(h, check) && (best == nil || s.Until.After(best.Until)) {
			best = s
		}
	}
	return best, best != nil
}

// Ended reports whether an acknowledgement or silence was ended.
func (o *Board) Ended(id string) bool {
	_, ok := o.EndedWhy(id)
	return ok
}

// EndedWhy is why an acknowledgement or silence ended, if it did.
func (o *Board) EndedWhy(id string) (string, bool) {
	if o == nil {
		return "", false
	}
	why, ok := o.ended[id]
	return why, ok
}

// SilenceOfHost is the silence in force at now whose hosts include h
// (whatever checks it names), if any.
func (o *Board) SilenceOfHost(h *fleet.Host, now time.Time) (*Silence, bool) {
	if o == nil {
		return nil, false
	}
	for _, s := range append(o.openWindows(now), o.silences...) {
		if s.Active(now) && s.Match.MatchesHost(h) {
			return s, true
		}
	}
	return nil, false
}
