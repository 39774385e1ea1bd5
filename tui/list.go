package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// moveCursor moves a list's cursor by the key pressed: a row, a page, to
// either end. n is the list's length, page the rows shown.
func moveCursor(k *KeyMap, msg tea.KeyMsg, cursor, n, page int) int {
	step := max(1, page-1)
	switch {
	case key.Matches(msg, k.Up):
		return cursor - 1
	case key.Matches(msg, k.Down):
		return cursor + 1
	case key.Matches(msg, k.PageUp):
		return cursor - step
	case key.Matches(msg, k.PageDown):
		return cursor + step
	case key.Matches(msg, k.Top):
		return 0
	case key.Matches(msg, k.Bottom):
		return n - 1
	}
	return cursor
}

// scroll keeps a cursor on one of n rows and that row among the rows shown
// from offset; it returns both.
func scroll(cursor, offset, n, rows int) (int, int) {
	cursor = max(0, min(cursor, n-1))
	if cursor < offset {
		offset = cursor
	}
	if cursor >= offset+rows {
		offset = cursor - rows + 1
	}
	return cursor, max(0, min(offset, n-rows))
}

// listHeader is a list panel's title line, then why nothing is listed
// when that is so: it could not be read, it is being read, it is empty.
func listHeader(c *common, title, about string, n int, noun string, loaded bool, err error, empty string) string {
	st := c.st
	s := st.Detail.Title.Render(title) + " " + st.Detail.Muted.Render(fmt.Sprintf("%s · %s, newest first", about, plural(n, noun))) + "\n"
	switch {
	case err != nil:
		s += st.Status.Crit.Render(fmt.Sprintf("cannot read the %s: %v", strings.ToLower(title), err)) + "\n"
	case !loaded:
		s += st.Detail.Muted.Render("reading…")
	case n == 0:
		s += st.Detail.Muted.Render(empty)
	}
	return s
}

// rowCursor marks the row under a list's cursor.
func rowCursor(c *common, on bool) string {
	if on {
		return c.st.Header.Title.Render("▶ ")
	}
	return "  "
}

// newestFirst is a log read oldest first, reversed.
func newestFirst[T any](log []T) []T {
	out := make([]T, len(log))
	for i := range log {
		out[len(log)-1-i] = log[i]
	}
	return out
}
