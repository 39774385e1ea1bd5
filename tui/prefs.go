package tui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/opsdeck/opsdeck/fleet"
)

// Prefs are the dashboard choices that outlive a run: the sort order and
// the filter, kept in $XDG_STATE_HOME/opsdeck/ui.json.
type Prefs struct {
	Sort   string `json:"sort,omitempty"` // a sortOrder name: "worst first", "name", "cpu"…
	Filter string `json:"filter,omitempty"`
}

// LoadPrefs reads the preferences at path; a missing file is the defaults.
func LoadPrefs(path string) (Prefs, error) {
	var p Prefs
	if path == "" {
		return p, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return Prefs{}, fmt.Errorf("%s: %w", path, err)
	}
	if len(p.Filter) > 64 {
		p.Filter = p.Filter[:64]
	}
	return p, nil
}

// SavePrefs writes the preferences atomically (a temporary file renamed
// over the old one), so a crash never leaves half a file.
func SavePrefs(path string, p Prefs) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return fleet.WriteFileAtomic(path, append(data, '\n'), 0o600)
}

type prefsSavedMsg struct {
	p   Prefs
	err error
}

// savePrefs keeps p (file I/O, so in a Cmd).
func (c *common) savePrefs(p Prefs) tea.Cmd {
	c.prefs = p
	return c.writePrefs()
}

// writePrefs writes the wanted prefs when they differ from the kept ones.
// One write at a time: Cmds run concurrently, and a later choice written
// by an earlier Cmd could otherwise land first; what changes during a
// write is written when it ends.
func (c *common) writePrefs() tea.Cmd {
	if c.opt.PrefsPath == "" || c.prefsSaving || c.prefs == c.prefsKept {
		return nil
	}
	c.prefsSaving = true
	path, p := c.opt.PrefsPath, c.prefs
	return func() tea.Msg { return prefsSavedMsg{p: p, err: SavePrefs(path, p)} }
}

// prefsSaved ends a write and starts the next when the choice changed
// meanwhile. A failed write is said, and tried again at the next change.
func (c *common) prefsSaved(msg prefsSavedMsg) tea.Cmd {
	c.prefsSaving = false
	if msg.err != nil {
		c.fail("cannot keep the sort and filter: %v", msg.err)
		return nil
	}
	c.prefsKept = msg.p
	return c.writePrefs()
}
