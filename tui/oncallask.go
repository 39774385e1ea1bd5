package tui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/actions/oncall"
	"github.com/opsdeck/opsdeck/fleet"
)

// Making acknowledgements and silences from the dashboard: a question in
// the footer, then the record written off the screen's goroutine.

// onCallMsg is the end of an acknowledgement or silence made from the
// dashboard: what to say, or why it failed.
type onCallMsg struct {
	note string
	err  error
}

// openAck asks for a note and acknowledges each problem (a group: every
// host of it). The record is written off the screen's goroutine.
func openAck(c *common, xs []problem) tea.Cmd {
	desk := c.opt.OnCall
	switch {
	case desk == nil:
		c.fail("acknowledgements are not available here")
		return nil
	case c.opt.ReadOnly:
		c.fail("acknowledge is disabled: read-only mode")
		return nil
	}
	what := xs[0].row.status.Host.Name + " " + xs[0].check.Name
	if len(xs) > 1 {
		what = fmt.Sprintf("%s on %d hosts", xs[0].check.Name, len(xs))
	}
	c.push(newAsk(c, "ack "+what+": ", "what you are doing about it", func(note string) (tea.Cmd, error) {
		if strings.TrimSpace(note) == "" {
			return nil, errors.New("say what you are doing about it (the team sees it), then enter; esc drops it")
		}
		if err := oncall.CheckNote(note); err != nil {
			return nil, err
		}
		now := c.now
		return func() tea.Msg {
			var errs []error
			for _, x := range xs {
				if _, err := desk.Acknowledge(x.row.status.Host, x.check, note, 0, now); err != nil {
					errs = append(errs, err)
				}
			}
			_, err := desk.Refresh(now)
			errs = append(errs, err)
			return onCallMsg{note: "acknowledged " + what, err: errors.Join(errs...)}
		}, nil
	}))
	return nil
}

// openSilence asks how long and why, and silences the hosts (every check
// of theirs).
func openSilence(c *common, hosts []*fleet.Host) tea.Cmd {
	desk := c.opt.OnCall
	switch {
	case desk == nil:
		c.fail("silences are not available here")
		return nil
	case c.opt.ReadOnly:
		c.fail("silence is disabled: read-only mode")
		return nil
	case len(hosts) == 0:
		return nil
	}
	names := make([]string, len(hosts))
	for i, h := range hosts {
		names[i] = h.Name
	}
	label := hostsLabel(hosts)
	c.push(newAsk(c, "silence "+label+" for: ", "2h kernel upgrade (how long, then why)", func(text string) (tea.Cmd, error) {
		first, note, _ := strings.Cut(strings.TrimSpace(text), " ")
		d, err := time.ParseDuration(first)
		if err != nil || d <= 0 {
			return nil, errors.New("say how long first, then why: 2h kernel upgrade")
		}
		if strings.TrimSpace(note) == "" {
			return nil, errors.New("after how long, say why: 2h kernel upgrade")
		}
		if err := oncall.CheckNote(strings.TrimSpace(note)); err != nil {
			return nil, err
		}
		now := c.now
		m := oncall.Matcher{Hosts: names}
		return func() tea.Msg {
			s, err := desk.Silence(m, now, now.Add(d), strings.TrimSpace(note), now)
			if err != nil {
				return onCallMsg{err: err}
			}
			_, err = desk.Refresh(now)
			return onCallMsg{note: fmt.Sprintf("silenced %s until %s", label, s.Until.In(c.opt.Location).Format("15:04")), err: err}
		}, nil
	}))
	return nil
}

// askModel is a one-line question in the footer: enter answers it, esc
// drops it with nothing done. An answer submit refuses keeps the question
// open, and the status line says what is missing: the keys typed next
// still go to the question, never to the table under it.
type askModel struct {
	base
	input  textinput.Model
	submit func(string) (tea.Cmd, error)
}

func newAsk(c *common, prompt, placeholder string, submit func(string) (tea.Cmd, error)) *askModel {
	in := textinput.New()
	in.Prompt = prompt
	in.PromptStyle = c.st.Filter.Prompt
	in.TextStyle = c.st.Filter.Text
	in.Placeholder = placeholder
	in.CharLimit = oncall.MaxNote + 20
	in.Cursor.SetMode(cursor.CursorStatic) // no blink: nothing to wake the screen for
	in.Focus()
	return &askModel{base: base{c}, input: in, submit: submit}
}

func (a *askModel) kind() kind       { return kindPrompt }
func (a *askModel) captures() bool   { return true }
func (a *askModel) SetSize(w, _ int) { a.input.Width = max(10, w-len(a.input.Prompt)-4) }
func (a *askModel) View() string     { return a.input.View() }

func (a *askModel) ShortHelp() []key.Binding {
	return []key.Binding{withHelp(a.c.keys.Submit, "done"), withHelp(a.c.keys.Back, "cancel")}
}

func (a *askModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return a, nil
	}
	switch {
	case key.Matches(km, a.c.keys.Submit):
		cmd, err := a.submit(a.input.Value())
		if err != nil {
			a.c.fail("%v", err)
			return a, nil
		}
		a.c.pop()
		return a, cmd
	case key.Matches(km, a.c.keys.Back):
		a.c.pop()
		return a, nil
	}
	var cmd tea.Cmd
	a.input, cmd = a.input.Update(km)
	return a, cmd
}

// ackTracker says on the status line when an acknowledgement ends (the
// check OK, worse, expired, removed): a problem raised again is news.
type ackTracker struct {
	gen  int
	seen map[string]*oncall.Ack
}

func (t *ackTracker) poll(c *common) {
	v := c.onCallView()
	if v == nil || c.onCallGen() == t.gen {
		return
	}
	t.gen = c.onCallGen()
	now := map[string]*oncall.Ack{}
	for _, a := range v.Acks() {
		now[a.ID] = a
	}
	if t.seen != nil {
		for id, a := range t.seen {
			if why, ended := v.EndedWhy(id); ended {
				if _, still := now[id]; !still {
					c.note("%s's acknowledgement of %s on %s ended: %s", actions.UserOf(a.By), a.Check, a.Host, fleet.Sanitize(why, 120))
				}
			}
		}
	}
	t.seen = now
}
