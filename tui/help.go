package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// helpModel is the help screen: every binding of the one table, by group,
// the disabled ones with why. While it is open keys only scroll it or
// close it.
type helpModel struct {
	base
	vp viewport.Model
}

func newHelpModel(c *common) *helpModel {
	vp := viewport.New(0, 0)
	vp.KeyMap = viewport.KeyMap{Up: c.keys.Up, Down: c.keys.Down, PageUp: c.keys.PageUp, PageDown: c.keys.PageDown}
	return &helpModel{base: base{c}, vp: vp}
}

func (h *helpModel) captures() bool { return true }

func (h *helpModel) SetSize(w, ht int) {
	h.vp.Width, h.vp.Height = w, max(1, ht)
	h.vp.SetContent(h.content(w))
}

func (h *helpModel) ShortHelp() []key.Binding {
	k := h.c.keys
	out := []key.Binding{withHelp(k.Back, "close help")}
	if h.vp.TotalLineCount() > h.vp.Height {
		out = append(out, withHelp(k.Down, "more"))
	}
	return out
}

func (h *helpModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if km, ok := msg.(tea.KeyMsg); ok {
		k := h.c.keys
		if key.Matches(km, k.Help, k.Back, k.Quit) {
			h.c.pop()
			return h, nil
		}
		h.vp, _ = h.vp.Update(km)
	}
	return h, nil
}

func (h *helpModel) View() string { return h.vp.View() }

// helpEntry is one line of the help screen.
type helpEntry struct{ key, desc, off string }

// helpGroups are the table's bindings by group, in table order, the
// disabled ones with why they are off.
func helpGroups(k *KeyMap) [][]helpEntry {
	var groups [][]helpEntry
	at := map[string]int{}
	for _, b := range bindings {
		i, ok := at[b.group]
		if !ok {
			i = len(groups)
			at[b.group] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], helpEntry{key: b.field(k).Help().Key, desc: b.desc, off: k.disabled[b.name]})
	}
	return groups
}

func (h *helpModel) content(width int) string {
	st := h.c.st
	var cols []string
	for _, g := range helpGroups(h.c.keys) {
		var b strings.Builder
		for _, e := range g {
			line := st.Help.FullKey.Render(fit(e.key, 8)) + " " + st.Help.FullDesc.Render(e.desc)
			if e.off != "" {
				line = st.Help.FullSeparator.Render(fit(e.key, 8) + " " + e.desc + " — off: " + e.off)
			}
			b.WriteString(line + "\n")
		}
		cols = append(cols, strings.TrimRight(b.String(), "\n"))
	}
	// Columns side by side while they fit, then on more rows.
	var rows []string
	for start := 0; start < len(cols); {
		end := start + 1
		for end < len(cols) && lipgloss.Width(joinCols(cols[start:end+1])) <= width {
			end++
		}
		rows = append(rows, joinCols(cols[start:end]), "")
		start = end
	}
	return lipgloss.JoinVertical(lipgloss.Left, append([]string{st.Detail.Title.Render("Keys"), ""}, rows...)...)
}

func joinCols(cols []string) string {
	padded := make([]string, len(cols))
	for i, c := range cols {
		padded[i] = lipgloss.NewStyle().PaddingRight(4).Render(c)
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, padded...)
}
