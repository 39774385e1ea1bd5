package sshx

import (
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/opsdeck/opsdeck/fleet"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// TrustKey replaces the known_hosts line that holds a host's old key with
// the key it now presents, as seen in kc (never a key fetched again: what
// the operator was shown is what is trusted). It refuses when that line no
// longer holds the old key. The file is rewritten whole (a temporary file
// renamed over it, its mode kept) under the lock accept-new appends with;
// the next connection reads it again.
func (p *Pool) TrustKey(kc *fleet.KeyChange) error {
	return p.keys.replace(kc)
}

func (k *hostKeys) replace(kc *fleet.KeyChange) error {
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(kc.NewKey))
	if err != nil {
		return fmt.Errorf("the new key of %s does not parse: %w", kc.Host, err)
	}
	if ssh.FingerprintSHA256(key) != kc.New {
		return fmt.Errorf("the new key of %s is not %s", kc.Host, kc.New)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	fh, err := os.OpenFile(kc.File, os.O_RDWR|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	defer fh.Close()
	if err := syscall.Flock(int(fh.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	fi, err := fh.Stat()
	if err != nil {
		return err
	}
	data := make([]byte, fi.Size())
	if _, err := fh.ReadAt(data, 0); err != nil && fi.Size() > 0 {
		return err
	}
	lines := strings.Split(string(data), "\n")
	if kc.Line < 1 || kc.Line > len(lines) {
		return fmt.Errorf("%s has no line %d any more", kc.File, kc.Line)
	}
	_, _, old, _, _, err := ssh.ParseKnownHosts([]byte(lines[kc.Line-1]))
	if err != nil || ssh.FingerprintSHA256(old) != kc.Old {
		return fmt.Errorf("%s:%d no longer holds %s (changed since): look again before trusting", kc.File, kc.Line, kc.Old)
	}
	lines[kc.Line-1] = knownhosts.Line([]string{kc.Hostname}, key)
	if err := fleet.WriteFileAtomic(kc.File, []byte(strings.Join(lines, "\n")), fi.Mode().Perm()); err != nil {
		return err
	}
	k.cb = nil // re-read on next use
	return nil
}
