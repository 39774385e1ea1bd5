package fleet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// ErrNoStateDir: neither XDG_STATE_HOME nor HOME says where opsdeck keeps
// its state (audit log, drill history, locks).
var ErrNoStateDir = errors.New("no state directory: set HOME or XDG_STATE_HOME (opsdeck keeps its audit log there)")

// PrivateDir makes dir (0700) when missing and checks it is ours: a real
// directory, not a symlink, owned by this user, not writable by others.
// A state directory someone else controls could redirect the audit log.
func PrivateDir(dir string) error {
	if dir == "" || !filepath.IsAbs(dir) {
		return ErrNoStateDir
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case fi.Mode()&os.ModeSymlink != 0 || !fi.IsDir():
		return fmt.Errorf("%s is not a directory (a symlink?): refusing to keep state there", dir)
	case ok && int(st.Uid) != os.Getuid():
		return fmt.Errorf("%s belongs to uid %d, not to us (%d): refusing to keep state there", dir, st.Uid, os.Getuid())
	case fi.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("%s is writable by others (%v): refusing to keep state there", dir, fi.Mode().Perm())
	}
	return nil
}

// OpenPrivate opens a state file for appending, in a PrivateDir, never
// through a symlink.
func OpenPrivate(path string) (*os.File, error) {
	if err := PrivateDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY|syscall.O_NOFOLLOW, 0o600)
}

// WriteFileAtomic replaces path with data, mode perm: written to a
// temporary file beside it, synced, then renamed over it, so a reader (or
// a crash) never sees half a file.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := errors.Join(tmp.Chmod(perm), tmp.Sync(), tmp.Close()); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
