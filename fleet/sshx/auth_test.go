package sshx

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// With identity files configured, the agent's other keys are not offered
// (OpenSSH's IdentitiesOnly); without, every agent key is.
func TestSigners_IdentitiesOnly(t *testing.T) {
	dir := t.TempDir()
	kr := agent.NewKeyring()
	for range 2 { // keys for other hosts
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		if err := kr.Add(agent.AddedKey{PrivateKey: priv}); err != nil {
			t.Fatal(err)
		}
	}
	// The configured identity is the agent's third key, encrypted on disk:
	// only its .pub file says which agent key it is.
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, _ := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("secret"))
	idPath := filepath.Join(dir, "id_ed25519")
	os.WriteFile(idPath, pem.EncodeToMemory(block), 0o600)
	kr.Add(agent.AddedKey{PrivateKey: priv})
	s, _ := ssh.NewSignerFromKey(priv)
	os.WriteFile(idPath+".pub", ssh.MarshalAuthorizedKey(s.PublicKey()), 0o644)
	sock := filepath.Join(dir, "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { agent.ServeAgent(kr, c); c.Close() }()
		}
	}()
	k := newKeyring(sock)
	got, _ := k.signers([]string{idPath}, true)
	if len(got) != 1 || !bytes.Equal(got[0].PublicKey().Marshal(), s.PublicKey().Marshal()) {
		t.Errorf("explicit identity: %d keys offered, want only the configured one", len(got))
	}
	all, _ := k.signers(nil, false)
	if len(all) != 3 {
		t.Errorf("no identity configured: %d agent keys offered, want all 3", len(all))
	}
}
