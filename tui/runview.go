package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
)

// groupedView is the output pane of a runbook command on many hosts: the
// finished hosts' outputs grouped as clush -b does (the hosts that printed
// the same, folded: web[01-05,07] (6)), then where the others stand. It
// is built again only when a host finishes.
type groupedView struct {
	done   int      // hosts finished when lines was built
	lines  []string // the groups, drawn
	offset int      // the first line shown
}

// build groups the finished hosts' outputs when one more has finished.
func (g *groupedView) build(c *common, run *actions.Run) {
	outs := run.Outputs()
	if len(outs) == g.done && g.lines != nil {
		return
	}
	g.done = len(outs)
	st := c.st
	g.lines = g.lines[:0]
	for _, gr := range actions.GroupOutputs(outs) {
		head, style := "exit 0", st.Status.OK
		switch {
		case gr.Err != "":
			head, style = gr.Err, st.Status.Crit
		case gr.Exit != 0:
			head, style = fmt.Sprintf("exit %d", gr.Exit), st.Status.Warn
		}
		g.lines = append(g.lines, style.Render("─ "+gr.Label+" · "+head))
		if gr.Dropped > 0 {
			g.lines = append(g.lines, st.Detail.Muted.Render(fmt.Sprintf("  … %d earlier lines not kept (each host keeps its newest %d)", gr.Dropped, actions.HostLines)))
		}
		for _, l := range gr.Output {
			g.lines = append(g.lines, "  "+l)
		}
	}
}

// progress says where the hosts stand: done, running, waiting, timed
// out, skipped.
func progress(c *common, run *actions.Run) string {
	var running, queued []string
	done, timedOut, skipped := 0, 0, 0
	for _, h := range run.Hosts() {
		s, r := h.State()
		switch s {
		case actions.HostQueued:
			queued = append(queued, h.Host)
		case actions.HostRunning:
			running = append(running, h.Host)
		default:
			done++
			if r.TimedOut {
				timedOut++
			}
			if r.Skipped {
				skipped++
			}
		}
	}
	parts := []string{fmt.Sprintf("%d of %d done", done, len(run.Hosts()))}
	if len(running) > 0 {
		parts = append(parts, "running: "+actions.FoldNames(running))
	}
	if len(queued) > 0 {
		parts = append(parts, fmt.Sprintf("%d waiting", len(queued)))
	}
	if timedOut > 0 {
		parts = append(parts, fmt.Sprintf("%d timed out", timedOut))
	}
	if skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d not run", skipped))
	}
	if !run.Finished() {
		parts = append(parts, c.keys.Cancel.Help().Key+" cancels")
	}
	return strings.Join(parts, " · ")
}

// rows is how many lines of the groups fit under the title in height,
// keeping one for the line that says what is above and below when they do
// not all fit.
func (g *groupedView) rows(height int) int {
	room := max(0, height-1)
	if len(g.lines) > room {
		room = max(0, room-1)
	}
	return room
}

// scroll moves the view by a key; it reports whether the key was one.
func (g *groupedView) scroll(k *KeyMap, km tea.KeyMsg, height int) bool {
	room := g.rows(height)
	page := max(1, room-1)
	switch {
	case key.Matches(km, k.Up):
		g.offset--
	case key.Matches(km, k.Down):
		g.offset++
	case key.Matches(km, k.PageUp):
		g.offset -= page
	case key.Matches(km, k.PageDown):
		g.offset += page
	case key.Matches(km, k.Top):
		g.offset = 0
	case key.Matches(km, k.Bottom):
		g.offset = len(g.lines)
	default:
		return false
	}
	g.offset = max(0, min(g.offset, len(g.lines)-room))
	return true
}

// view draws the run's title and progress, then as many lines of the
// groups as fit from the offset, saying what is above and below.
func (g *groupedView) view(c *common, run *actions.Run, width, height int) string {
	st := c.st
	head := st.Detail.Title.Render(fleet.Sanitize(run.Title, 200)) + " · " + st.Detail.Muted.Render(progress(c, run))
	out := []string{fit(head, width)}
	room, lines := g.rows(height), g.lines
	g.offset = max(0, min(g.offset, len(lines)-room))
	shown := lines[g.offset:min(len(lines), g.offset+room)]
	for _, l := range shown {
		out = append(out, fit(l, width))
	}
	if len(lines) > len(shown) {
		out = append(out, st.Detail.Muted.Render(fit(fmt.Sprintf("%d lines above, %d below (%s/%s scroll)", g.offset, len(lines)-g.offset-len(shown),
			c.keys.Up.Help().Key, c.keys.Down.Help().Key), width)))
	}
	return strings.Join(out, "\n")
}
