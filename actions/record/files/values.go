package files

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// Values are named values kept one file each in Dir (name.json), written
// atomically: the check command's memory of what it notified. The
// database keeps the same in a table (pg.DB.Value).
type Values struct{ Dir string }

// DefaultValues are the state directory's.
func DefaultValues() Values { return Values{Dir: fleet.StateDir()} }

// Path is the file of a value.
func (v Values) Path(name string) string { return filepath.Join(v.Dir, name+".json") }

// Value is a value and when it was written; found false when it never
// was (an unreadable file counts as never: the next write replaces it).
func (v Values) Value(name string) (value []byte, at time.Time, found bool, err error) {
	b, err := os.ReadFile(v.Path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, time.Time{}, false, nil
	}
	if err != nil {
		return nil, time.Time{}, false, err
	}
	if fi, err := os.Stat(v.Path(name)); err == nil {
		at = fi.ModTime()
	}
	return b, at, true, nil
}

// SetValue writes a value atomically, in a private directory.
func (v Values) SetValue(name string, value []byte) error {
	if err := fleet.PrivateDir(v.Dir); err != nil {
		return err
	}
	return fleet.WriteFileAtomic(v.Path(name), value, 0o600)
}
