package actions

import (
	"path/filepath"

	"github.com/opsdeck/opsdeck/fleet"
)

// AuditLog is where attempted actions are recorded: a JSON-lines file
// (actions/record/files, the default) or a shared database
// (actions/record/pg). Append returns only once the
// record is durable: the write-ahead rule rests on it.
type AuditLog interface {
	Append(Entry) error
	// Recent returns the last n actions, newest last: each one's result,
	// or its intent when no result was recorded.
	Recent(n int) ([]Entry, error)
	// Where names the record for the screen: a path, or the database.
	Where() string
}

// DrillHistory is where restore drills are recorded: a JSON-lines file
// or a shared database (actions/record).
type DrillHistory interface {
	Append(fleet.DrillRecord) error
	// Each hands fn every recorded drill, oldest first.
	Each(fn func(fleet.DrillRecord)) error
	Where() string
}

// Locker holds one action target against every other opsdeck sharing the
// record: file locks on this machine, or database advisory locks across
// machines. Lock fails with ErrBusy, naming the holder, when another holds
// it.
type Locker interface {
	Lock(host, target, kind, operator string) (release func(), err error)
}

// FileLocks are flock(2) files in Dir, one per target.
type FileLocks struct{ Dir string }

// Lock takes the target's lock file.
func (l FileLocks) Lock(host, target, kind, operator string) (func(), error) {
	lk, err := lockTarget(l.Dir, host, target, kind, operator)
	if err != nil {
		return nil, err
	}
	return lk.release, nil
}

// locks is the manager's Locker: Locks, or lock files in LockDir, or in
// "locks" beside a file audit log, or in the state directory.
func (m *Manager) locks() Locker {
	if m.Locks != nil {
		return m.Locks
	}
	dir := m.LockDir
	if dir == "" {
		if a, ok := m.Audit.(interface{ Dir() string }); ok { // a file audit log
			dir = filepath.Join(a.Dir(), "locks")
		} else {
			dir = filepath.Join(fleet.StateDir(), "locks")
		}
	}
	return FileLocks{Dir: dir}
}
