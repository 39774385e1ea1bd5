package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/opsdeck/opsdeck/fleet"
)

// bodyHeight is the lines between the header and the status line and
// footer.
func (m *Model) bodyHeight() int {
	h := m.height - 2 // header, footer
	if m.c.status.text != "" {
		h--
	}
	if m.c.banner != "" {
		h--
	}
	return max(0, h)
}

// paneHeight is what an output pane takes of a body of height h.
func paneHeight(h int) int { return max(min(h, 6), h/2) }

// layout sizes every component of the stack: full components take the
// body, the layers beneath a pane give it the lower part.
func (m *Model) layout() {
	c := m.c
	c.sized = true
	if !m.ready {
		return
	}
	body := m.bodyHeight()
	below := body // what the components beneath the topmost pane get
	for i := len(c.stack) - 1; i >= 0; i-- {
		x := c.stack[i]
		switch kindOf(x) {
		case kindPane:
			ph := paneHeight(body)
			x.SetSize(c.width, ph-1) // its separator line
			below = body - ph
		default:
			h := below
			if i > topPane(c) {
				h = body
			}
			x.SetSize(c.width, h)
		}
	}
}

// topPane is the index of the topmost pane in the stack, -1 without one.
func topPane(c *common) int {
	for i := len(c.stack) - 1; i >= 0; i-- {
		if kindOf(c.stack[i]) == kindPane {
			return i
		}
	}
	return -1
}

// View draws the stack, never taller or wider than the terminal: the
// topmost full component, then what is above it (a pane under it, a modal
// over it, a prompt in the footer).
func (m *Model) View() string {
	if !m.ready {
		return "opsdeck: starting…"
	}
	c := m.c
	body := m.bodyHeight()
	base := 0
	for i := len(c.stack) - 1; i >= 0; i-- {
		if kindOf(c.stack[i]) == kindFull {
			base = i
			break
		}
	}
	view := c.stack[base].View()
	footer := ""
	for _, x := range c.stack[base+1:] {
		switch kindOf(x) {
		case kindPane:
			ph := paneHeight(body)
			sep := c.st.Table.Muted.Render(strings.Repeat("─", c.width))
			view = padLines(view, body-ph) + "\n" + sep + "\n" + x.View()
		case kindModal:
			view = overlay(padLines(view, body), x.View(), c.width)
		case kindPrompt:
			footer = x.View()
		}
	}
	if footer == "" {
		footer = m.footerView()
	}
	parts := []string{m.headerView()}
	if c.banner != "" {
		parts = append(parts, c.bannerView())
	}
	if body > 0 {
		parts = append(parts, padLines(view, body))
	}
	if s := c.statusView(); s != "" {
		parts = append(parts, s)
	}
	parts = append(parts, footer)
	return clampLines(strings.Join(parts, "\n"), c.width, m.height)
}

// overlay draws box in the middle of bg, the lines of bg to its left and
// right still in sight.
func overlay(bg, box string, width int) string {
	lines := strings.Split(bg, "\n")
	boxLines := strings.Split(box, "\n")
	bw := lipgloss.Width(box)
	left := max(0, (width-bw)/2)
	top := max(0, (len(lines)-len(boxLines))/2)
	for i, bl := range boxLines {
		at := top + i
		if at >= len(lines) {
			break
		}
		l := lines[at]
		l += strings.Repeat(" ", max(0, left+bw-ansi.StringWidth(l)))
		lines[at] = ansi.Truncate(l, left, "") + bl + ansi.TruncateLeft(l, left+bw, "")
	}
	return strings.Join(lines, "\n")
}

// headerView is the top line: fleet, counts per state, data age, clock.
func (m *Model) headerView() string {
	c, st := m.c, m.c.st
	left := m.headerLeft()
	states, data := m.headerStates()
	clock := c.now.Format("15:04:05")
	// Narrow terminals lose the clock, then the fleet's name, never the
	// counts or the data's age.
	for _, v := range [][2]string{
		{left, states + st.Header.Muted.Render(" · "+data+" · "+clock)},
		{left, states + st.Header.Muted.Render(" · "+data)},
		{st.Header.Title.Render("opsdeck"), states + st.Header.Muted.Render(" · "+data)},
	} {
		if gap := c.width - ansi.StringWidth(v[0]) - ansi.StringWidth(v[1]); gap >= 1 {
			return v[0] + strings.Repeat(" ", gap) + v[1]
		}
	}
	return states + st.Header.Muted.Render(" · "+data)
}

// headerLeft is the header's left: the fleet's name, read-only, the
// actions running, the last reload.
func (m *Model) headerLeft() string {
	c, st := m.c, m.c.st
	name := "opsdeck"
	if n := c.opt.Config.Name; n != "" {
		name += " · " + fleet.Sanitize(n, 40)
	}
	left := st.Header.Title.Render(name)
	if c.opt.ReadOnly {
		left += " " + st.Header.Muted.Render("[read-only]")
	}
	if m.runs.running > 0 {
		left += " " + st.Status.Warn.Render("▶ "+plural(m.runs.running, "action")+" running")
	}
	if c.reloaded != "" {
		left += " " + st.Header.Muted.Render(c.reloaded)
	}
	return left
}

// headerStates are the hosts counted by state (with those acknowledged
// or silenced) and the age of the data.
func (m *Model) headerStates() (states, data string) {
	c, st := m.c, m.c.st
	counts := map[fleet.State]int{}
	polling := 0
	var freshest, stalest int64 = -1, -1
	for i := range c.data.hosts {
		if c.data.hosts[i].health.Polling {
			polling++
		} else {
			counts[c.data.hosts[i].health.State]++
		}
		if s := c.data.hosts[i].status.Last; s != nil {
			age := int64(c.now.Sub(s.At).Seconds())
			if freshest < 0 || age < freshest {
				freshest = age
			}
			stalest = max(stalest, age)
		}
	}
	parts := []string{st.Header.Text.Render(plural(len(c.data.hosts), "host") + ":")}
	ackedHosts, silencedHosts, handled := countHandled(c)
	for _, s := range fleet.AllStates {
		if n := counts[s]; n > 0 || s == fleet.OK {
			part := stateStyle(st, s).Render(fmt.Sprintf("%d %s", n, s))
			var quiet []string
			if h := ackedHosts[s]; h > 0 {
				quiet = append(quiet, fmt.Sprintf("%d acked", h))
			}
			if h := silencedHosts[s]; h > 0 {
				quiet = append(quiet, fmt.Sprintf("%d silenced", h))
			}
			if len(quiet) > 0 {
				part += st.Header.Muted.Render(" (" + strings.Join(quiet, ", ") + ")")
			}
			parts = append(parts, part)
		}
	}
	if handled > 0 {
		parts = append(parts, st.Header.Muted.Render(fmt.Sprintf("🔇 %d", handled)))
	}
	if polling > 0 {
		parts = append(parts, st.Header.Muted.Render(fmt.Sprintf("%d polling", polling)))
	}
	data = "no data yet"
	if freshest >= 0 {
		data = "data " + fleet.FormatAge(secs(freshest)) + " old"
		if fleet.FormatAge(secs(stalest)) != fleet.FormatAge(secs(freshest)) {
			data = "data " + fleet.FormatAge(secs(freshest)) + "–" + fleet.FormatAge(secs(stalest)) + " old"
		}
	}
	return strings.Join(parts, " "), data
}

// footerView is the bottom line: the keys of the top component, and the
// help and quit keys always, at any width.
func (m *Model) footerView() string {
	c := m.c
	h := help.New()
	h.Styles = c.st.Help
	right := h.ShortHelpView([]key.Binding{c.keys.Help, c.keys.Quit})
	if captures(c.top()) {
		right = h.ShortHelpView([]key.Binding{c.keys.ForceQuit})
	}
	room := max(0, c.width-ansi.StringWidth(right)-3)
	h.Width = room
	left := h.ShortHelpView(c.top().ShortHelp())
	if ansi.StringWidth(left) > room {
		left = ansi.Truncate(left, room, "…")
	}
	if left == "" {
		return right
	}
	return left + c.st.Help.ShortSeparator.Render(" • ") + right
}

// padLines makes s exactly n lines, so the footer stays at the bottom.
func padLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	for len(lines) < n {
		lines = append(lines, "")
	}
	return strings.Join(lines[:n], "\n")
}
