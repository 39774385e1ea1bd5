package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/actions/oncall"
	"github.com/opsdeck/opsdeck/fleet"
)

// auditModel lists the recent audit records, newest first, with a cursor;
// enter opens the whole record.
type auditModel struct {
	base
	entries        []actions.Entry // newest first
	err            error
	loaded         bool
	cursor, offset int
	width, height  int
}

// auditLimit is how many records the panel reads.
const auditLimit = 500

type auditMsg struct {
	entries []actions.Entry
	err     error
}

// loadAuditCmd reads the recent audit records (file I/O, so in a Cmd).
func loadAuditCmd(a actions.AuditLog) tea.Cmd {
	return func() tea.Msg {
		es, err := a.Recent(auditLimit)
		return auditMsg{entries: es, err: err}
	}
}

func openAudit(c *common) tea.Cmd {
	if _, ok := c.top().(*auditModel); ok {
		return nil
	}
	c.push(&auditModel{base: base{c}})
	return loadAuditCmd(c.opt.Actions.Audit)
}

func (a *auditModel) SetSize(w, h int) {
	a.width, a.height = w, h
	a.clamp()
}

func (a *auditModel) ShortHelp() []key.Binding {
	k := a.c.keys
	return []key.Binding{k.Up, k.Down, withHelp(k.Open, "whole record"), withHelp(k.Back, "close")}
}

func (a *auditModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case auditMsg:
		a.loaded, a.err = true, msg.err
		a.entries = newestFirst(msg.entries)
		a.clamp()
	case tea.KeyMsg:
		if key.Matches(msg, a.c.keys.Open) && len(a.entries) > 0 {
			a.clamp()
			a.c.push(newRecordModel(a.c, a.entries[a.cursor]))
			return a, nil
		}
		a.cursor = moveCursor(a.c.keys, msg, a.cursor, len(a.entries), a.rows())
		a.clamp()
	}
	return a, nil
}

func (a *auditModel) rows() int { return max(1, a.height-2) }

func (a *auditModel) clamp() {
	a.cursor, a.offset = scroll(a.cursor, a.offset, len(a.entries), a.rows())
}

func outcomeStyle(c *common, outcome string) func(...string) string {
	switch outcome {
	case actions.Failed:
		return c.st.Status.Crit.Render
	case actions.Refused, actions.Cancelled, actions.Interrupted, actions.Started:
		return c.st.Status.Warn.Render
	}
	return c.st.Status.OK.Render
}

func (a *auditModel) View() string {
	st := a.c.st
	var b strings.Builder
	b.WriteString(listHeader(a.c, "Audit log", a.c.opt.Actions.Audit.Where(), len(a.entries), "record", a.loaded, a.err, "no actions recorded yet"))
	for i := a.offset; i < len(a.entries) && i < a.offset+a.rows(); i++ {
		e := a.entries[i]
		cursor := rowCursor(a.c, i == a.cursor)
		line := fmt.Sprintf("%s %s %s %s %s on %s", e.Time.In(a.c.opt.Location).Format("01-02 15:04:05"), outcomeStyle(a.c, e.Outcome)(fit(e.Outcome, 11)),
			fleet.Sanitize(e.Operator, 40), e.Kind, fleet.Sanitize(e.Target, 40), fleet.Sanitize(e.Host, 40))
		if e.Command != "" {
			line += st.Detail.Muted.Render(" $ " + fleet.Sanitize(e.Command, 300))
		}
		b.WriteString(cursor + line + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// recordModel is one audit record in full: who, where, the exact command,
// its exit, duration, reason and the tail of its output.
type recordModel struct {
	base
	e  actions.Entry
	vp viewport.Model
}

func newRecordModel(c *common, e actions.Entry) *recordModel {
	vp := viewport.New(0, 0)
	vp.KeyMap = viewport.KeyMap{Up: c.keys.Up, Down: c.keys.Down, PageUp: c.keys.PageUp, PageDown: c.keys.PageDown}
	return &recordModel{base: base{c}, e: e, vp: vp}
}

func (r *recordModel) SetSize(w, h int) {
	r.vp.Width, r.vp.Height = w, max(1, h)
	r.vp.SetContent(r.content())
}

func (r *recordModel) ShortHelp() []key.Binding {
	k := r.c.keys
	return []key.Binding{k.Up, k.Down, withHelp(k.Back, "back to the list")}
}

func (r *recordModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if km, ok := msg.(tea.KeyMsg); ok {
		var cmd tea.Cmd
		r.vp, cmd = r.vp.Update(km)
		return r, cmd
	}
	return r, nil
}

func (r *recordModel) View() string { return r.vp.View() }

func (r *recordModel) content() string {
	st, e := r.c.st, r.e
	var b strings.Builder
	field := func(label, value string) {
		b.WriteString(st.Detail.Label.Render(fmt.Sprintf("%-10s", label)) + " " + value + "\n")
	}
	b.WriteString(st.Detail.Title.Render("Audit record") + " " + st.Detail.Muted.Render(fleet.Sanitize(e.ID, 64)) + "\n\n")
	field("time", e.Time.In(r.c.opt.Location).Format("2006-01-02 15:04:05 MST"))
	field("outcome", outcomeStyle(r.c, e.Outcome)(e.Outcome))
	field("operator", fleet.Sanitize(e.Operator, 80))
	field("host", fleet.Sanitize(e.Host, 80))
	field("action", string(e.Kind)+" "+fleet.Sanitize(e.Target, 80))
	field("command", "$ "+fleet.Sanitize(e.Command, 2000))
	exit := "-"
	if e.Exit != nil {
		exit = fmt.Sprint(*e.Exit)
	}
	field("exit", exit)
	field("duration", (time.Duration(e.DurationMS) * time.Millisecond).String())
	if e.Outcome == actions.Started {
		field("result", st.Status.Warn.Render("none recorded (running, or opsdeck stopped)"))
	}
	if e.Reason != "" {
		field("reason", fleet.Sanitize(e.Reason, 2000))
	}
	b.WriteString("\n" + st.Detail.Section.Render("Output (tail)") + "\n")
	if len(e.Output) == 0 {
		b.WriteString(st.Detail.Muted.Render("none recorded") + "\n")
	}
	for _, l := range e.Output {
		b.WriteString(fleet.Sanitize(l, 1000) + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// TeamMsg is news from the record shared with other opsdeck processes
// (actions.TeamNews).
type TeamMsg = actions.TeamNews

// teamNews puts the latest of others' actions on the status line and
// reloads an open audit panel.
func teamNews(c *common, msg TeamMsg) tea.Cmd {
	switch {
	case msg.Err != nil:
		c.fail("shared record: %s (an action is refused while its intent cannot be recorded)", fleet.Sanitize(msg.Err.Error(), 200))
		return nil
	case len(msg.Entries) == 0:
		c.note("shared record answers again")
		return nil
	}
	e := msg.Entries[len(msg.Entries)-1]
	what := string(e.Kind) + " " + e.Target
	switch {
	case e.Kind == oncall.KindSilence && e.Host != "": // its host: what it silences
		what = "silence of " + e.Host + " (" + e.Target + ")"
	case e.Host != "":
		what += " on " + e.Host
	}
	what = fleet.Sanitize(what, 120)
	if e.Outcome == actions.Started {
		c.note("%s: %s started", fleet.Sanitize(e.Operator, 60), what)
	} else {
		c.note("%s: %s: %s", fleet.Sanitize(e.Operator, 60), what, e.Outcome)
	}
	if _, ok := find[*auditModel](c); ok && c.opt.Actions != nil {
		return loadAuditCmd(c.opt.Actions.Audit)
	}
	return nil
}
