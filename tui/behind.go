package tui

import (
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
)

// unreachable says whether a problem is a host UNREACHABLE behind another:
// the fleet's problems pane hangs it under that host's.
func unreachable(x problem) bool {
	return x.check.State == fleet.Unreachable && x.row.status.Behind != nil
}

// hangBehind hangs each UNREACHABLE problem under the item that holds the
// DOWN host it is behind: one root problem, the hosts behind it folded.
// Those whose root has no item stay, one item per root.
func hangBehind(items []problemItem, behind []problem) []problemItem {
	if len(behind) == 0 {
		return items
	}
	byRoot := map[string][]problem{}
	for _, x := range behind {
		byRoot[x.row.status.Behind.Root] = append(byRoot[x.row.status.Behind.Root], x)
	}
	for i := range items {
		for _, x := range items[i].xs {
			name := x.row.status.Host.Name
			if kids, ok := byRoot[name]; ok && x.check.Kind == fleet.KindHost {
				items[i].behind = append(items[i].behind, kids...)
				delete(byRoot, name)
			}
		}
	}
	roots := make([]string, 0, len(byRoot))
	for r := range byRoot {
		roots = append(roots, r)
	}
	sort.Strings(roots)
	for _, r := range roots {
		items = append(items, problemItem{key: "behind\x00" + r, xs: byRoot[r]})
	}
	return items
}

// writeBehind writes the hosts behind an item's DOWN host: folded, how
// many and which; unfolded, each with its reason.
func writeBehind(b *strings.Builder, c *common, it problemItem, open bool, width int) {
	st := c.st
	names := make([]string, len(it.behind))
	for i, x := range it.behind {
		names[i] = x.row.status.Host.Name
	}
	sort.Strings(names)
	line := stateStyle(st, fleet.Unreachable).Render(glyphs[fleet.Unreachable]+" "+plural(len(names), "host")+" behind it unreachable: ") + actions.FoldNames(names)
	if !open {
		line += st.Detail.Muted.Render(" (" + c.keys.Open.Help().Key + " shows each)")
	}
	wrap := lipgloss.NewStyle().Width(max(20, width-4))
	out := strings.TrimRight(b.String(), "\n") + "\n" + indent(wrap.Render(line), "    ") + "\n"
	if open {
		for _, x := range it.behind {
			out += indent(fit(fmt.Sprintf("%s %s %s", stateLabel(st, fleet.Unreachable), st.Detail.Title.Render(x.row.status.Host.Name),
				fleet.Sanitize(x.check.Reason, 200)), width-6), "      ") + "\n"
		}
	}
	b.Reset()
	b.WriteString(out + "\n")
}
