package sshx

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// keyring loads identity files once and talks to ssh-agent when
// SSH_AUTH_SOCK is set. Passwords and keyboard-interactive are never
// offered.
type keyring struct {
	agentSock string

	mu    sync.Mutex
	files map[string]fileKey
}

type fileKey struct {
	signer ssh.Signer
	err    error
}

func newKeyring(agentSock string) *keyring {
	return &keyring{agentSock: agentSock, files: map[string]fileKey{}}
}

// DefaultIdentityFiles are the keys ssh tries when none is configured.
func DefaultIdentityFiles() []string {
	home, err := os.UserHomeDir()
	if err != nil {
		return nil
	}
	var out []string
	for _, n := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
		out = append(out, filepath.Join(home, ".ssh", n))
	}
	return out
}

// ExpandHome turns a leading ~/ into the home directory.
func ExpandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, strings.TrimPrefix(p, "~"))
		}
	}
	return p
}

func (k *keyring) load(path string) fileKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	if fk, ok := k.files[path]; ok {
		return fk
	}
	var fk fileKey
	data, err := os.ReadFile(path)
	if err != nil {
		fk.err = err
	} else if s, err := ssh.ParsePrivateKey(data); err != nil {
		var pm *ssh.PassphraseMissingError
		if errors.As(err, &pm) {
			fk.err = fmt.Errorf("identity file %s is encrypted and opsdeck never asks for passphrases: load it into ssh-agent with ssh-add", path)
		} else {
			fk.err = fmt.Errorf("identity file %s: %w", path, err)
		}
	} else {
		fk.signer = s
	}
	k.files[path] = fk
	return fk
}

// signers returns the agent's keys then the identity files' keys; explicit
// lists whether files were configured (a missing configured file is an
// error, a missing default one is not). notes explains keys that could not
// be used.
//
// With identity files configured (explicit), only those keys are offered,
// as OpenSSH's IdentitiesOnly does: an agent key counts only when it is one
// of them (matched by its public key, from the key or its .pub file), so a
// host never sees every key the operator's agent holds.
func (k *keyring) signers(files []string, explicit bool) (out []ssh.Signer, notes []string) {
	var fileSigners []ssh.Signer
	wanted := map[string]bool{} // public keys of the configured files
	for _, f := range files {
		path := ExpandHome(f)
		fk := k.load(path)
		switch {
		case fk.signer != nil:
			fileSigners = append(fileSigners, fk.signer)
			wanted[string(fk.signer.PublicKey().Marshal())] = true
			continue
		case errors.Is(fk.err, os.ErrNotExist) && !explicit:
		case errors.Is(fk.err, os.ErrNotExist):
			notes = append(notes, fmt.Sprintf("identity file %s does not exist", f))
		case strings.Contains(fmt.Sprint(fk.err), "encrypted") && k.agentSock != "":
			// The agent may hold it; nothing to say unless auth fails.
			notes = append(notes, fk.err.Error())
		default:
			notes = append(notes, fk.err.Error())
		}
		if b, err := os.ReadFile(path + ".pub"); err == nil {
			if pub, _, _, _, err := ssh.ParseAuthorizedKey(b); err == nil {
				wanted[string(pub.Marshal())] = true
			}
		}
	}
	if k.agentSock != "" {
		if conn, err := net.Dial("unix", k.agentSock); err != nil {
			notes = append(notes, "ssh-agent unreachable: "+err.Error())
		} else {
			ss, err := agent.NewClient(conn).Signers()
			conn.Close() // signatures are made after this; see agentSigner
			if err != nil {
				notes = append(notes, "ssh-agent: "+err.Error())
			}
			for _, s := range ss {
				pub := s.PublicKey()
				if explicit && !wanted[string(pub.Marshal())] {
					continue
				}
				out = append(out, &agentSigner{sock: k.agentSock, pub: pub})
			}
		}
	}
	return append(out, fileSigners...), notes
}

// agentSigner signs through a fresh agent connection each time, so no
// connection to the agent is held open between polls.
type agentSigner struct {
	sock string
	pub  ssh.PublicKey
}

func (a *agentSigner) PublicKey() ssh.PublicKey { return a.pub }

func (a *agentSigner) Sign(rand io.Reader, data []byte) (*ssh.Signature, error) {
	return a.SignWithAlgorithm(rand, data, "")
}

func (a *agentSigner) SignWithAlgorithm(_ io.Reader, data []byte, algorithm string) (*ssh.Signature, error) {
	conn, err := net.Dial("unix", a.sock)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	ac := agent.NewClient(conn)
	var flags agent.SignatureFlags
	switch algorithm {
	case ssh.KeyAlgoRSASHA256:
		flags = agent.SignatureFlagRsaSha256
	case ssh.KeyAlgoRSASHA512:
		flags = agent.SignatureFlagRsaSha512
	}
	return ac.SignWithFlags(a.pub, data, flags)
}
