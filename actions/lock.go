package actions

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// targetLock is one action target's lock, held across processes: an flock
// on a file under the state directory. Two opsdeck processes (two
// operators, a dashboard and a cron job) never act on one target at once.
type targetLock struct{ f *os.File }

// lockTarget takes the lock of host/target for an action of kind, or says
// who holds it. The file names the holder (pid, since, operator) for the
// message of the one that is refused.
func lockTarget(dir, host, target, kind, operator string) (*targetLock, error) {
	if err := fleet.PrivateDir(dir); err != nil {
		return nil, fmt.Errorf("lock directory %s: %w", dir, err)
	}
	sum := sha256.Sum256([]byte(host + "\x00" + target))
	path := filepath.Join(dir, safeName(host)+"_"+safeName(target)+"_"+hex.EncodeToString(sum[:6])+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := readHolder(f)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s/%s: %s", ErrBusy, host, target, holder)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	note := fmt.Sprintf("pid=%d since=%s kind=%s operator=%s\n", os.Getpid(), time.Now().Format(time.RFC3339), kind, operator)
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(note), 0)
	}
	return &targetLock{f: f}, nil
}

func (l *targetLock) release() {
	l.f.Truncate(0)
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}

// readHolder describes the process that holds a lock from its note.
func readHolder(f *os.File) string {
	b := make([]byte, 512)
	n, _ := f.ReadAt(b, 0)
	fields := map[string]string{}
	for _, kv := range strings.Fields(string(b[:n])) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			fields[k] = v
		}
	}
	pid, _ := strconv.Atoi(fields["pid"])
	who := "another opsdeck"
	switch {
	case pid == os.Getpid():
		who = "this opsdeck"
	case pid > 0:
		who = fmt.Sprintf("another opsdeck (pid %d)", pid)
	}
	msg := who + " is " + Doing(fields["kind"])
	if t, err := time.Parse(time.RFC3339, fields["since"]); err == nil {
		msg += " since " + t.Local().Format("15:04:05")
	}
	if op := fields["operator"]; op != "" {
		msg += " (" + op + ")"
	}
	return msg
}

// Doing says what the holder of a target's lock for an action of kind is
// doing: "restarting it".
func Doing(kind string) string {
	switch Kind(kind) {
	case KindRestart:
		return "restarting it"
	case KindSnapshot:
		return "taking a snapshot"
	case KindDrill:
		return "running a restore drill"
	}
	return "acting on it"
}

// safeName keeps letters, digits, '-' and '.' of s for a file name.
func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= 40 {
			break
		}
		if r < 0x80 && (r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
