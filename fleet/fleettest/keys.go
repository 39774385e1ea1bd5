// Package fleettest is what opsdeck's tests share; everything it starts
// is stopped by PID at test cleanup:
//   - hosts: real OpenSSH sshd processes on 127.0.0.1 and 127.0.0.2
//     (StartSSHD, StartFleet with its keys and known_hosts), inside network
//     namespaces it creates (NewNetns); an in-process SSH server for unit
//     tests and benchmarks (StartServer, SilentListener);
//   - the parts around them: real supervisord (StartSupervisor),
//     PostgreSQL (StartPostgres, StartPostgresDB), Prometheus with
//     node_exporter, Alertmanager;
//   - waiting: Eventually (a condition within a deadline, never a sleep);
//   - measuring: ProcessCPU, and a host process tree's CPU (SSHD.CPU,
//     TreeCPU).
package fleettest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/ssh"
)

// Key is a generated ed25519 key pair, its private half in a file.
type Key struct {
	Path   string // OpenSSH private key file, mode 0600
	Signer ssh.Signer
}

// NewKey generates a key and writes it to dir/name.
func NewKey(tb testing.TB, dir, name string) *Key {
	tb.Helper()
	k, err := GenerateKey(filepath.Join(dir, name))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// GenerateKey makes an ed25519 key and writes it to path.
func GenerateKey(path string) (*Key, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "opsdeck test key")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, err
	}
	return &Key{Path: path, Signer: signer}, nil
}

// LoadKey reads a key written by GenerateKey.
func LoadKey(path string) (*Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	signer, err := ssh.ParsePrivateKey(b)
	if err != nil {
		return nil, err
	}
	return &Key{Path: path, Signer: signer}, nil
}

// AuthorizedLine is the key's authorized_keys line.
func (k *Key) AuthorizedLine() string {
	return string(ssh.MarshalAuthorizedKey(k.Signer.PublicKey()))
}

// hostKeys makes the server's host keys (an ed25519 one, and an ECDSA one
// when asked) and says them as sshd_config lines.
func (s *SSHD) hostKeys(ecdsa bool) string {
	tb, dir := s.tb, s.Dir
	s.HostKey = NewKey(tb, dir, "host_ed25519")
	lines := "HostKey " + s.HostKey.Path
	if ecdsa {
		path := filepath.Join(dir, "host_ecdsa")
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", path).CombinedOutput(); err != nil {
			tb.Fatalf("ssh-keygen: %v %s", err, out)
		}
		pubBytes, err := os.ReadFile(path + ".pub")
		must(tb, err)
		pub, _, _, _, err := ssh.ParseAuthorizedKey(pubBytes)
		must(tb, err)
		s.ECDSA = &ecdsaKey{Path: path, Pub: pub}
		lines += "\nHostKey " + path
	}
	return lines
}
