package tui

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/themes"
)

// glyphs put a shape beside every state word so status never depends on
// colour alone.
var glyphs = map[fleet.State]string{
	fleet.OK:          "●",
	fleet.Warn:        "▲",
	fleet.Crit:        "✖",
	fleet.Down:        "✖",
	fleet.HostKey:     "⚠",
	fleet.Unreachable: "⊘",
	fleet.Stale:       "◌",
	fleet.Slow:        "◔",
	fleet.Unknown:     "?",
}

// stateStyle is the theme style of a state.
func stateStyle(st *themes.Styles, s fleet.State) lipgloss.Style {
	switch s {
	case fleet.OK:
		return st.Status.OK
	case fleet.Warn:
		return st.Status.Warn
	case fleet.Crit:
		return st.Status.Crit
	case fleet.Down:
		return st.Status.Down
	case fleet.HostKey:
		return st.Status.Crit.Reverse(true)
	case fleet.Stale, fleet.Slow:
		return st.Status.Stale
	case fleet.Unreachable: // nothing known of it: its parent is the problem
		return st.Status.Unknown
	}
	return st.Status.Unknown
}

// hostStateLabel is a host's state label; "… POLLING", muted, while its
// first poll is on its way: no verdict, and nothing wrong either.
func hostStateLabel(st *themes.Styles, h fleet.Health) string {
	if h.Polling {
		return st.Detail.Muted.Render("… POLLING")
	}
	return stateLabel(st, h.State)
}

// stateLabel is "✖ CRIT" in the state's style.
func stateLabel(st *themes.Styles, s fleet.State) string {
	return stateStyle(st, s).Render(glyphs[s] + " " + s.String())
}

// fit pads or cuts s (which may hold escape sequences) to exactly w cells.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-sw)
}

// fitRight right-aligns s in w cells.
func fitRight(s string, w int) string {
	sw := ansi.StringWidth(s)
	if sw >= w {
		return fit(s, w)
	}
	return strings.Repeat(" ", w-sw) + s
}

// clampLines cuts every line to width and keeps at most height lines, so a
// frame never wraps or scrolls the terminal.
func clampLines(s string, width, height int) string {
	lines := strings.Split(s, "\n")
	if height > 0 && len(lines) > height {
		lines = lines[:height]
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > width {
			lines[i] = ansi.Truncate(l, width, "…")
		}
	}
	return strings.Join(lines, "\n")
}

func pct(v float64) string { return fmt.Sprintf("%.0f%%", math.Floor(v)) }

// formatUptime renders an uptime compactly: "41d", "23h", "12m".
func formatUptime(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	case d >= time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dm", int(d.Minutes()))
}

var sparkBars = []rune("▁▂▃▄▅▆▇█")

// sparkline draws the last width values (percentages 0–100) as bars.
func sparkline(values []float64, width int) string {
	if width <= 0 || len(values) == 0 {
		return ""
	}
	if len(values) > width {
		values = values[len(values)-width:]
	}
	var b strings.Builder
	for _, v := range values {
		i := int(v / 100 * float64(len(sparkBars)-1))
		i = max(0, min(i, len(sparkBars)-1))
		b.WriteRune(sparkBars[i])
	}
	return b.String()
}

func secs(n int64) time.Duration { return time.Duration(n) * time.Second }

// plural renders "1 poll", "2 polls".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
