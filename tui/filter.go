package tui

import (
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// promptModel is a one-line text prompt in the footer (the filter, a log
// search): the layer beneath stays drawn and follows each change. Enter
// keeps the text, esc clears it; both close the prompt. Letters are text
// here: q does not quit.
type promptModel struct {
	base
	input  textinput.Model
	change func(string)   // each edit
	done   func() tea.Cmd // when it closes, kept or cleared
}

func newPrompt(c *common, prompt, placeholder, value string, change func(string), done func() tea.Cmd) *promptModel {
	in := textinput.New()
	in.Prompt = prompt
	in.PromptStyle = c.st.Filter.Prompt
	in.TextStyle = c.st.Filter.Text
	in.Placeholder = placeholder
	in.CharLimit = 64
	in.SetValue(value)
	in.Focus()
	if done == nil {
		done = func() tea.Cmd { return nil }
	}
	return &promptModel{base: base{c}, input: in, change: change, done: done}
}

// newFilterModel is the table's filter prompt; the filter is kept in
// ui.json when it closes.
func newFilterModel(c *common, t *tableModel) *promptModel {
	return newPrompt(c, "/", "name, env, tag or state (crit, !ok)", t.filter, t.setFilter,
		func() tea.Cmd { return c.savePrefs(t.prefs()) })
}

func (p *promptModel) kind() kind       { return kindPrompt }
func (p *promptModel) captures() bool   { return true }
func (p *promptModel) Init() tea.Cmd    { return textinput.Blink }
func (p *promptModel) SetSize(w, _ int) { p.input.Width = max(10, w-len(p.input.Prompt)-4) }

func (p *promptModel) ShortHelp() []key.Binding {
	return []key.Binding{withHelp(p.c.keys.Submit, "keep"), withHelp(p.c.keys.Back, "clear")}
}

func (p *promptModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return p, nil
	}
	switch {
	case key.Matches(km, p.c.keys.Submit):
		p.c.pop()
		return p, p.done()
	case key.Matches(km, p.c.keys.Back):
		p.change("")
		p.c.pop()
		return p, p.done()
	}
	var cmd tea.Cmd
	before := p.input.Value()
	p.input, cmd = p.input.Update(km)
	if v := p.input.Value(); v != before {
		p.change(v)
	}
	return p, cmd
}

func (p *promptModel) View() string { return p.input.View() }
