package tui

import (
	"fmt"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/opsdeck/opsdeck/themes"
)

// component is one layer of the screen: the fleet table, a host's detail,
// a dialog, a panel. The root keeps them in a stack: keys go to the top one
// only, ticks and sizes to all, and View draws the same stack (see
// Model.View), so what is on the screen is what the keys reach.
type component interface {
	tea.Model
	ShortHelp() []key.Binding // its keys, for the footer
	SetSize(width, height int)
}

// base is what every component holds: the shared state. It has nothing to
// start (Init).
type base struct{ c *common }

func (base) Init() tea.Cmd { return nil }

// dialogBase is a modal box that takes every key and sizes itself.
type dialogBase struct{ base }

func (dialogBase) kind() kind       { return kindModal }
func (dialogBase) captures() bool   { return true }
func (dialogBase) SetSize(_, _ int) {}

// kind says how a component is drawn over the ones beneath it.
type kind int

const (
	kindFull   kind = iota // covers the body
	kindPane               // the lower part of the body; the layer beneath stays in sight above it
	kindModal              // a box in the middle of the body, over the layer beneath
	kindPrompt             // the footer line; the body beneath stays drawn
)

// kinded is implemented by components that are not kindFull.
type kinded interface{ kind() kind }

func kindOf(c component) kind {
	if k, ok := c.(kinded); ok {
		return k.kind()
	}
	return kindFull
}

// capturing is implemented by components that take every key while on top
// (dialogs, the filter prompt, help): the root's own keys do not apply.
type capturing interface{ captures() bool }

func captures(c component) bool {
	k, ok := c.(capturing)
	return ok && k.captures()
}

// closer is implemented by components that must act when they are closed
// (a dialog records that nothing was run).
type closer interface{ closed() }

// common is what every component shares: the options, styles, keys, the
// fleet's data, the clock of this frame, the status line and the stack.
type common struct {
	opt    Options
	st     *themes.Styles
	keys   *KeyMap
	data   *fleetData
	now    time.Time
	status status
	stack  []component
	width  int
	height int  // the terminal's
	quit   bool // set by a component that wants the program to end
	// prefs are the sort and filter wanted, prefsKept the ones last
	// written; prefsSaving is set while a write runs.
	prefs, prefsKept Prefs
	prefsSaving      bool
	// sized is set when the stack changed, so the root lays it out again.
	sized bool
	// banner is a failing source's line under the header, "" when none.
	banner string
	// reloaded is the last reload's time and summary, for the header.
	reloaded string
}

func (c *common) push(x component) {
	c.stack = append(c.stack, x)
	c.sized = false
}

// pop closes the top layer; the fleet table at the bottom stays.
func (c *common) pop() {
	if len(c.stack) <= 1 {
		return
	}
	top := c.stack[len(c.stack)-1]
	c.stack = c.stack[:len(c.stack)-1]
	if cl, ok := top.(closer); ok {
		cl.closed()
	}
	c.sized = false
}

func (c *common) top() component { return c.stack[len(c.stack)-1] }

// find returns the topmost component of type T in the stack.
func find[T component](c *common) (T, bool) {
	for i := len(c.stack) - 1; i >= 0; i-- {
		if x, ok := c.stack[i].(T); ok {
			return x, true
		}
	}
	var zero T
	return zero, false
}

// status is the message line above the footer. An error stays until it is
// dismissed (esc on the fleet) or superseded; a note goes after a while.
type status struct {
	text string
	err  bool
	at   time.Time
}

// noteFor is how long a note (not an error) stays on the status line.
const noteFor = 10 * time.Second

func (c *common) note(format string, args ...any) {
	c.status = status{text: fmt.Sprintf(format, args...), at: c.now}
	c.sized = false
}

func (c *common) fail(format string, args ...any) {
	c.status = status{text: fmt.Sprintf(format, args...), err: true, at: c.now}
	c.sized = false
}

func (c *common) dismiss() bool {
	had := c.status.text != ""
	c.status = status{}
	c.sized = false
	return had
}

// expire drops a note that has been shown long enough.
func (c *common) expire() {
	if c.status.text != "" && !c.status.err && c.now.Sub(c.status.at) > noteFor {
		c.dismiss()
	}
}

func (c *common) statusView() string {
	s := c.status
	if s.text == "" {
		return ""
	}
	style := c.st.Flash
	if s.err {
		style = c.st.Status.Crit
	}
	line := s.at.Format("15:04:05") + " " + s.text
	if s.err {
		line += " (" + c.keys.Back.Help().Key + " dismisses)"
	}
	return style.Render(fit(line, c.width))
}

// readOnlyWhy is why actions are off, "" when they are on.
func readOnlyWhy(opt Options) string {
	switch {
	case opt.ReadOnly:
		return "read-only mode (--read-only)"
	case opt.Actions == nil:
		return "actions are not available here"
	}
	return ""
}
