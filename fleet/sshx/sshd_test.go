package sshx

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

func TestRealSSHD_Run(t *testing.T) {
	f := fleettest.StartFleet(t, 1)
	h := f.Hosts[0]
	p := NewPool(Options{KnownHosts: []string{f.KnownHosts}, NoAgent: true})
	defer p.Close()
	c := p.Client(Target{Name: h.Name, Addr: h.Addr(), User: h.User, IdentityFiles: []string{f.ClientKey.Path}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	res, err := c.Run(ctx, "sh", []byte("echo hello; echo $HOME; exit 3\n"), 1<<20)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, h.Log())
	}
	t.Logf("first run (dial+handshake+command) %v", time.Since(start))
	if !strings.HasPrefix(string(res.Stdout), "hello\n"+h.Dir) || res.Exit != 3 {
		t.Errorf("stdout %q exit %d", res.Stdout, res.Exit)
	}
	start = time.Now()
	if _, err := c.Run(ctx, "sh", []byte("true"), 10); err != nil {
		t.Fatal(err)
	}
	t.Logf("second run on the open connection %v", time.Since(start))
	// Killed by a signal: sshd sends exit-signal, not exit-status.
	if res, err := c.Run(ctx, "sh", []byte("kill -KILL $$\n"), 10); err != nil || res.Exit != 128+9 {
		t.Errorf("a shell killed by SIGKILL: %+v %v, want exit 137", res, err)
	}
}

// A server with two host key types whose known_hosts line holds only the
// ed25519 one: x/crypto prefers ECDSA, so without restricting the offered
// algorithms to the known types the host would be refused as changed
// (golang/go#29286).
func TestRealSSHD_SeveralHostKeyTypes(t *testing.T) {
	f := fleettest.StartFleet(t, 0)
	h := f.Add(t, "two-keys", fleettest.SSHDOptions{ECDSAKey: true})
	if err := os.WriteFile(f.KnownHosts, []byte(h.KnownHostsLine()), 0o600); err != nil {
		t.Fatal(err)
	}
	p := NewPool(Options{KnownHosts: []string{f.KnownHosts}, NoAgent: true})
	defer p.Close()
	c := p.Client(Target{Name: h.Name, Addr: h.Addr(), User: h.User, IdentityFiles: []string{f.ClientKey.Path}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Run(ctx, "sh", []byte("true"), 10); err != nil {
		t.Fatalf("a host known by its ed25519 key was refused: %v", err)
	}
}
