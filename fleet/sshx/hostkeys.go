package sshx

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/opsdeck/opsdeck/fleet"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Known-hosts policies.
const (
	PolicyStrict    = "strict"     // unknown hosts are refused
	PolicyAcceptNew = "accept-new" // unknown hosts are added; changed keys are still refused
)

// hostKeys checks server keys against known_hosts files. The first file is
// where accept-new appends. Files are re-read when they change on disk.
type hostKeys struct {
	files  []string
	policy string

	mu      sync.Mutex
	cb      ssh.HostKeyCallback
	stamp   string   // size+mtime of every file when cb was built
	usable  []string // the files cb was built from
	skipped []string // files left out, and why
	index   *keyIndex
}

func newHostKeys(files []string, policy string) *hostKeys {
	if policy == "" {
		policy = PolicyStrict
	}
	return &hostKeys{files: files, policy: policy}
}

func (k *hostKeys) callback() (ssh.HostKeyCallback, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	stamp := ""
	var existing []string
	for _, f := range k.files {
		fi, err := os.Stat(f)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue // no file: nothing is known from it
		case err != nil:
			return nil, fmt.Errorf("known_hosts %s: %w", f, err)
		}
		existing = append(existing, f)
		stamp += fmt.Sprintf("%s:%d:%d;", f, fi.Size(), fi.ModTime().UnixNano())
	}
	if k.cb != nil && stamp == k.stamp {
		return k.cb, nil
	}
	// x/crypto skips lines it cannot parse, as OpenSSH does, but refuses a
	// file with no valid line at all (or one line over 64 KiB): such a file
	// is left out with a note instead of taking every host down. Files are
	// parsed one by one only when all together fail.
	k.skipped, k.usable = nil, existing
	cb, err := knownhosts.New(existing...)
	if err != nil && len(existing) > 0 {
		k.usable = nil
		for _, f := range existing {
			if _, ferr := knownhosts.New(f); ferr != nil {
				k.skipped = append(k.skipped, fmt.Sprintf("%s skipped: %v", f, ferr))
				continue
			}
			k.usable = append(k.usable, f)
		}
		cb, err = knownhosts.New(k.usable...)
	}
	switch {
	case len(k.usable) == 0:
		k.cb = func(string, net.Addr, ssh.PublicKey) error { return &knownhosts.KeyError{} }
	case err != nil:
		return nil, fmt.Errorf("known_hosts: %w", err)
	default:
		k.cb = cb
	}
	k.stamp = stamp
	k.index = indexKeys(k.usable)
	return k.cb, nil
}

// indexed is the plain-line index of the files in use.
func (k *hostKeys) indexed() *keyIndex {
	if _, err := k.callback(); err != nil {
		return nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.index
}

// fakeKey has a type no known_hosts line can have, so checking it lists
// every key known for a host.
type fakeKey struct{}

func (fakeKey) Type() string                        { return "opsdeck-probe" }
func (fakeKey) Marshal() []byte                     { return []byte("opsdeck-probe") }
func (fakeKey) Verify([]byte, *ssh.Signature) error { return errors.New("not a key") }

// algorithms returns the host-key algorithms to offer for addr: only the
// types known_hosts holds for it, so a host with several key types is not
// refused for offering one we do not know (golang/go#29286). Nil for an
// unknown host: any algorithm, and the key will be refused or learnt.
func (k *hostKeys) algorithms(addr string) []string {
	keys, ok := k.indexed().known(addr)
	if !ok || len(keys) == 0 { // unknown hosts are rare: x/crypto says for sure
		cb, err := k.callback()
		if err != nil {
			return nil
		}
		var ke *knownhosts.KeyError
		if err := cb(addr, &net.TCPAddr{IP: net.IPv4zero}, fakeKey{}); !errors.As(err, &ke) {
			return nil
		}
		for _, w := range ke.Want {
			keys = append(keys, w.Key)
		}
	}
	var algos []string
	seen := map[string]bool{}
	for _, key := range keys {
		for _, a := range algorithmsFor(key.Type()) {
			if !seen[a] {
				seen[a] = true
				algos = append(algos, a)
			}
		}
	}
	return algos
}

func algorithmsFor(keyType string) []string {
	switch keyType {
	case ssh.KeyAlgoRSA:
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	case ssh.CertAlgoRSAv01:
		return []string{ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01, ssh.CertAlgoRSAv01}
	}
	return []string{keyType}
}

// check is the HostKeyCallback for a host called name.
func (k *hostKeys) check(name string) ssh.HostKeyCallback {
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		if k.indexed().accepts(hostname, key) {
			return nil
		}
		cb, err := k.callback()
		if err != nil {
			return &Error{KindOther, err.Error(), err}
		}
		err = cb(hostname, remote, key)
		var ke *knownhosts.KeyError
		var re *knownhosts.RevokedError
		if errors.As(err, &ke) && len(ke.Want) == 0 {
			// Patterns x/crypto does not match and OpenSSH does.
			if known, perr := k.patternVerdict(name, hostname, key); known || perr != nil {
				return perr
			}
		}
		switch {
		case err == nil:
			return nil
		case errors.As(err, &re):
			return &Error{KindHostKeyChanged, fmt.Sprintf("host key for %s [%s] is revoked in %s:%d; refusing to connect",
				name, hostname, re.Revoked.Filename, re.Revoked.Line), err}
		case !errors.As(err, &ke):
			return &Error{KindOther, err.Error(), err}
		case len(ke.Want) > 0:
			return changedKey(name, hostname, key, ke.Want[0].Line, ke.Want[0].Filename, err)
		case k.policy == PolicyAcceptNew:
			if err := k.add(hostname, key); err != nil {
				return &Error{KindOther, "cannot record new host key: " + err.Error(), err}
			}
			return nil
		}
		return &Error{KindHostKeyUnknown, fmt.Sprintf(
			"host key for %s [%s] is not in known_hosts (%s); refusing to connect. Fingerprint %s: verify it, then "+
				"ssh to the host once or set known_hosts_policy = \"accept-new\"",
			name, hostname, k.describeFiles(), ssh.FingerprintSHA256(key)), err}
	}
}

// patternVerdict matches hostname against the plain known_hosts lines by
// OpenSSH's rules: known when one holds key; a changed-key error when one
// holds another key of the same type; neither when none matches.
func (k *hostKeys) patternVerdict(name, hostname string, key ssh.PublicKey) (known bool, err error) {
	var other *patternMatch
	for _, m := range openSSHMatches(k.usableFiles(), hostname) {
		if bytes.Equal(m.key.Marshal(), key.Marshal()) {
			return true, nil
		}
		if m.key.Type() == key.Type() && other == nil {
			other = &m
		}
	}
	if other != nil {
		return false, changedKey(name, hostname, key, other.line, other.file, nil)
	}
	return false, nil
}

// usableFiles are the known_hosts files in use (not skipped).
func (k *hostKeys) usableFiles() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.usable
}

// changedKey is the error of a host whose key is not the one known_hosts
// holds for it at file:line.
func changedKey(name, hostname string, key ssh.PublicKey, line int, file string, err error) error {
	kc := &fleet.KeyChange{Host: name, Hostname: knownhosts.Normalize(hostname), File: file, Line: line,
		Old: "unreadable", New: ssh.FingerprintSHA256(key), NewKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))}
	if old, err := keyAt(file, line); err == nil {
		kc.Old = ssh.FingerprintSHA256(old)
	}
	return &changedKeyError{&Error{KindHostKeyChanged, fmt.Sprintf(
		"host key for %s [%s] has changed: possible man-in-the-middle; fingerprint now %s, known_hosts holds %s at line %d (%s). "+
			"If the change is expected, remove that line (ssh-keygen -R) and reconnect",
		name, hostname, kc.New, kc.Old, line, file), err}, kc}
}

// keyAt is the key on a line of a known_hosts file.
func keyAt(file string, line int) (ssh.PublicKey, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(data), "\n")
	if line < 1 || line > len(lines) {
		return nil, fmt.Errorf("%s has no line %d", file, line)
	}
	_, _, key, _, _, err := ssh.ParseKnownHosts([]byte(lines[line-1]))
	return key, err
}

func (k *hostKeys) describeFiles() string {
	if len(k.files) == 0 {
		return "no file configured"
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.skipped) > 0 {
		return k.files[0] + "; " + strings.Join(k.skipped, "; ")
	}
	return k.files[0]
}

// add appends a host key to the first known_hosts file, creating it.
func (k *hostKeys) add(hostname string, key ssh.PublicKey) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.files) == 0 {
		return errors.New("no known_hosts file configured")
	}
	f := k.files[0]
	if err := os.MkdirAll(filepath.Dir(f), 0o700); err != nil {
		return err
	}
	fh, err := os.OpenFile(f, os.O_APPEND|os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	// Another opsdeck (or ssh's own accept-new) may append at the same time.
	if err := syscall.Flock(int(fh.Fd()), syscall.LOCK_EX); err != nil {
		fh.Close()
		return err
	}
	line := knownhosts.Line([]string{knownhosts.Normalize(hostname)}, key) + "\n"
	if fi, err := fh.Stat(); err == nil && fi.Size() > 0 {
		last := make([]byte, 1)
		if _, err := fh.ReadAt(last, fi.Size()-1); err == nil && last[0] != '\n' {
			line = "\n" + line // a file without a final newline: never glue our line onto its last one
		}
	}
	if _, err := fh.WriteString(line); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Sync(); err != nil {
		fh.Close()
		return err
	}
	k.cb = nil // re-read on next use
	return fh.Close()
}
