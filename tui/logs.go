package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/opsdeck/opsdeck/actions"
)

// logModel follows a service's log: the newest lines at the bottom while
// it follows; scrolling up pauses, G follows again; / searches. Closing it
// ends the command on the host.
type logModel struct {
	base
	tail          *actions.Tail
	lines         []string
	next, dropped int
	offset        int // first line shown, when paused
	follow        bool
	query         string
	width, height int
}

// openLog starts following the log of a host's service.
func openLog(c *common, host, service string) {
	h, ok := c.data.row(host)
	if !ok || c.opt.Logs == nil {
		c.note("logs cannot be read here")
		return
	}
	t, err := actions.StartTail(c.opt.Context, c.opt.Logs, h.status.Host, service)
	if err != nil {
		c.fail("%v", err)
		return
	}
	c.push(&logModel{base: base{c}, tail: t, follow: true})
}

func (l *logModel) SetSize(w, h int) { l.width, l.height = w, h }

func (l *logModel) rows() int { return max(1, l.height-1) }

// closed ends the remote command.
func (l *logModel) closed() { l.tail.Close() }

func (l *logModel) ShortHelp() []key.Binding {
	k := l.c.keys
	out := []key.Binding{withHelp(k.Back, "close"), withHelp(k.Filter, "search")}
	if l.follow {
		return append(out, withHelp(k.Up, "pause"))
	}
	return append(out, withHelp(k.Bottom, "follow"))
}

func (l *logModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tickMsg:
		l.read()
	case tea.KeyMsg:
		l.key(msg)
	}
	return l, nil
}

func (l *logModel) key(msg tea.KeyMsg) {
	k := l.c.keys
	last := max(0, len(l.lines)-l.rows())
	if l.follow {
		l.offset = last
	}
	switch {
	case key.Matches(msg, k.Filter):
		l.c.push(newPrompt(l.c, "search: ", "text in the log", l.query, l.search, nil))
		return
	case key.Matches(msg, k.Bottom):
		l.follow = true
		return
	}
	l.offset = max(0, min(moveCursor(k, msg, l.offset, len(l.lines), l.rows()), last))
	l.follow = l.offset == last && !key.Matches(msg, k.Up, k.PageUp, k.Top)
}

// search shows the newest line with q and pauses there.
func (l *logModel) search(q string) {
	l.query = q
	if q == "" {
		return
	}
	for i := len(l.lines) - 1; i >= 0; i-- {
		if strings.Contains(strings.ToLower(l.lines[i]), strings.ToLower(q)) {
			l.follow, l.offset = false, max(0, min(i-l.rows()/2, len(l.lines)-l.rows()))
			return
		}
	}
}

// read takes the tail's new lines.
func (l *logModel) read() {
	lines, dropped, next := l.tail.Lines(l.next)
	l.next, l.dropped = next, l.dropped+dropped
	l.lines = append(l.lines, lines...)
	if n := len(l.lines) - actions.TailKeep; n > 0 {
		l.lines = l.lines[n:]
		l.offset = max(0, l.offset-n)
	}
}

func (l *logModel) View() string {
	st := l.c.st
	state := "following"
	if !l.follow {
		state = fmt.Sprintf("paused at line %d of %d (%s follows)", l.offset+1, len(l.lines), l.c.keys.Bottom.Help().Key)
	}
	if ended, why := l.tail.Ended(); ended {
		state = "the command ended: " + why
	}
	if l.query != "" {
		state += fmt.Sprintf(" · search %q", l.query)
	}
	var b strings.Builder
	b.WriteString(st.Detail.Title.Render(fmt.Sprintf("Log of %s on %s", l.tail.Service, l.tail.Host)) + " " +
		st.Detail.Muted.Render(state+" · $ "+l.tail.Command) + "\n")
	start := l.offset
	if l.follow {
		start = max(0, len(l.lines)-l.rows())
	}
	if len(l.lines) == 0 {
		b.WriteString(st.Detail.Muted.Render("waiting for the first line…"))
	}
	for i := start; i < len(l.lines) && i < start+l.rows(); i++ {
		line := l.lines[i]
		if l.query != "" && strings.Contains(strings.ToLower(line), strings.ToLower(l.query)) {
			line = st.Status.Warn.Render(line)
		}
		b.WriteString(line + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
