package tui

import (
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// filterModel is the filter prompt in the footer line: the table beneath
// stays drawn and narrows as the operator types.
type filterModel struct {
	base
	table *tableModel
	input textinput.Model
}

func newFilterModel(c *common, t *tableModel) *filterModel {
	in := textinput.New()
	in.Prompt = "/"
	in.PromptStyle = c.st.Filter.Prompt
	in.TextStyle = c.st.Filter.Text
	in.Placeholder = "name, env, tag or state (crit, !ok)"
	in.CharLimit = 64
	in.SetValue(t.filter)
	in.Focus()
	return &filterModel{base: base{c}, table: t, input: in}
}

func (f *filterModel) kind() kind       { return kindPrompt }
func (f *filterModel) captures() bool   { return true }
func (f *filterModel) Init() tea.Cmd    { return textinput.Blink }
func (f *filterModel) SetSize(w, _ int) { f.input.Width = max(10, w-4) }

func (f *filterModel) ShortHelp() []key.Binding {
	return []key.Binding{withHelp(f.c.keys.Submit, "keep"), withHelp(f.c.keys.Back, "clear")}
}

// Update edits the filter. Enter keeps it, esc clears it; both close the
// prompt. Letters are text here: q does not quit.
func (f *filterModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return f, nil
	}
	switch {
	case key.Matches(km, f.c.keys.Submit):
		f.c.pop()
		return f, f.c.savePrefs(f.table.prefs())
	case key.Matches(km, f.c.keys.Back):
		f.table.setFilter("")
		f.c.pop()
		return f, f.c.savePrefs(f.table.prefs())
	}
	var cmd tea.Cmd
	f.input, cmd = f.input.Update(km)
	if v := f.input.Value(); v != f.table.filter {
		f.table.setFilter(v)
	}
	return f, cmd
}

func (f *filterModel) View() string { return f.input.View() }
