package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/opsdeck/opsdeck/fleet"
)

// problemsModel lists every failing check, worst first and newest first
// within a state, of one host or of the whole fleet: its full reason
// wrapped, since when, and what to do where that is known. ↑/↓ pick one,
// enter opens its host.
type problemsModel struct {
	base
	host   string // "" for the fleet
	vp     viewport.Model
	list   []problem
	items  []problemItem // list grouped: what the cursor moves over
	open   map[string]bool
	cursor int
	starts []int  // the first line of each item in the content
	gen    uint64 // the data generation rendered
	quiet  int    // the on-call view's generation rendered
}

func openProblems(c *common, host string) {
	vp := viewport.New(0, 0)
	vp.KeyMap = viewport.KeyMap{PageUp: c.keys.PageUp, PageDown: c.keys.PageDown}
	c.push(&problemsModel{base: base{c}, host: host, vp: vp, open: map[string]bool{}})
}

func (p *problemsModel) SetSize(w, h int) {
	p.vp.Width, p.vp.Height = w, max(1, h)
	p.render()
}

func (p *problemsModel) ShortHelp() []key.Binding {
	k := p.c.keys
	out := []key.Binding{k.Up, k.Down}
	if p.host == "" {
		out = append(out, withHelp(k.Open, "its host / unfold"))
	}
	return append(out, k.Ack, k.Silence, withHelp(k.Back, "close"), k.History)
}

func (p *problemsModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tickMsg:
		if p.gen != p.c.data.gen || p.quiet != p.c.onCallGen() { // at most once a second (ages), and only on news
			p.render()
		}
	case tea.KeyMsg:
		k := p.c.keys
		switch {
		case key.Matches(msg, k.Open) && p.host == "" && len(p.items) > 0:
			if it := p.items[p.cursor]; len(it.xs) > 1 || len(it.behind) > 0 {
				p.open[it.key] = !p.open[it.key]
				p.render()
				p.show()
			} else {
				p.c.push(newDetailModel(p.c, it.xs[0].row.status.Host))
			}
		case key.Matches(msg, k.Ack) && len(p.items) > 0:
			return p, openAck(p.c, p.items[p.cursor].xs)
		case key.Matches(msg, k.Silence) && len(p.items) > 0:
			return p, openSilence(p.c, p.items[p.cursor].hosts())
		case key.Matches(msg, k.Up, k.Down, k.Top, k.Bottom):
			p.cursor = max(0, min(moveCursor(k, msg, p.cursor, len(p.items), 1), len(p.items)-1))
			p.render()
			p.show()
		default:
			var cmd tea.Cmd
			p.vp, cmd = p.vp.Update(msg)
			return p, cmd
		}
	}
	return p, nil
}

// show scrolls the selected problem into sight.
func (p *problemsModel) show() {
	if p.cursor >= len(p.starts) {
		return
	}
	top, end := p.starts[p.cursor], p.vp.TotalLineCount()
	if p.cursor+1 < len(p.starts) {
		end = p.starts[p.cursor+1]
	}
	switch {
	case top < p.vp.YOffset:
		p.vp.SetYOffset(top)
	case end > p.vp.YOffset+p.vp.Height:
		p.vp.SetYOffset(min(top, end-p.vp.Height))
	}
}

func (p *problemsModel) View() string { return p.vp.View() }

// problem is one failing check of one host.
type problem struct {
	row   *hostRow
	check fleet.Check
	how   handling // set by groupProblems
}

func (p *problemsModel) render() {
	c := p.c
	p.gen = c.data.gen
	since := func(x problem) time.Time { // a change seen; the zero time for one failing at the first look
		if c.opt.Since != nil {
			if t, changed := c.opt.Since(x.row.status.Host.Name, x.check.Key()); changed {
				return t
			}
		}
		return time.Time{}
	}
	p.list = p.list[:0]
	for i := range c.data.hosts {
		r := &c.data.hosts[i]
		if p.host != "" && r.status.Host.Name != p.host {
			continue
		}
		for _, chk := range hostProblems(r) {
			p.list = append(p.list, problem{row: r, check: chk})
		}
	}
	p.quiet = c.onCallGen()
	p.items = groupProblems(c, p.list, p.host == "", since)
	p.cursor = max(0, min(p.cursor, len(p.items)-1))
	what := "the fleet"
	if p.host != "" {
		what = p.host
	}
	var b strings.Builder
	b.WriteString(c.st.Detail.Title.Render("Problems") + " " + c.st.Detail.Muted.Render(
		fmt.Sprintf("of %s, worst and newest first: %s", what, plural(len(p.list), "failing check"))) + "\n\n")
	if len(p.list) == 0 {
		b.WriteString(c.st.Status.OK.Render("● nothing fails") + "\n")
	}
	p.starts = p.starts[:0]
	line := strings.Count(b.String(), "\n")
	for i, it := range p.items {
		p.starts = append(p.starts, line)
		var one strings.Builder
		one.WriteString(rowCursor(c, i == p.cursor))
		if len(it.xs) > 1 {
			writeGroup(&one, c, it, p.open[it.key], p.vp.Width-2)
		} else {
			writeProblem(&one, c, it.xs[0], p.vp.Width-2)
		}
		if len(it.behind) > 0 {
			writeBehind(&one, c, it, p.open[it.key], p.vp.Width-2)
		}
		line += strings.Count(one.String(), "\n")
		b.WriteString(one.String())
	}
	p.vp.SetContent(strings.TrimRight(b.String(), "\n"))
}

// hostProblems are a host's failing checks; a host that does not answer
// is one problem, whatever its last data said.
func hostProblems(r *hostRow) []fleet.Check {
	if r.health.State.Old() || (r.health.State == fleet.Unknown && len(r.health.Checks) == 0) {
		if r.health.State == fleet.Unknown && r.status.Last == nil && r.status.Err == "" {
			return nil // not polled yet
		}
		return []fleet.Check{{Kind: fleet.KindHost, Cause: r.health.Cause, Name: fleet.HostCheck, State: r.health.State, Reason: r.health.Reason}}
	}
	return r.problems()
}

// writeProblem writes one problem: state, host and check, since when, the
// reason wrapped to width, what to do.
func writeProblem(b *strings.Builder, c *common, x problem, width int) {
	st, h := c.st, x.row.status.Host
	head := stateLabel(st, x.check.State) + " " + st.Detail.Title.Render(h.Name) + " " + x.check.Name
	if c.opt.Since != nil {
		switch since, changed := c.opt.Since(h.Name, x.check.Key()); {
		case changed:
			head += st.Detail.Muted.Render(fmt.Sprintf(" · since %s (%s)", since.In(c.opt.Location).Format("15:04:05"), fleet.FormatAge(c.now.Sub(since))))
		case !since.IsZero():
			head += st.Detail.Muted.Render(" · already so when first checked, " + since.In(c.opt.Location).Format("15:04:05"))
		}
	}
	wrap := lipgloss.NewStyle().Width(max(20, width-4))
	b.WriteString(head + "\n")
	b.WriteString(indent(wrap.Render(fleet.Sanitize(x.check.Reason, 1000)), "    ") + "\n")
	if kc := x.row.status.KeyChange; kc != nil && x.check.Name == fleet.HostCheck {
		b.WriteString(indent(wrap.Render(st.Status.Warn.Render("→ ")+keyChangeHelp(c, kc)), "    ") + "\n\n")
		return
	}
	if todo := remedy(c, &x.row.status, x.check); todo != "" {
		b.WriteString(indent(wrap.Render(st.Status.Warn.Render("→ ")+todo), "    ") + "\n")
	}
	if line := handledLine(c, h, x.check.Key()); line != "" {
		b.WriteString(indent(wrap.Render(line), "    ") + "\n")
	}
	b.WriteString("\n")
}

func indent(s, by string) string {
	return by + strings.ReplaceAll(s, "\n", "\n"+by)
}
