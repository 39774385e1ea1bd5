package sshx

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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

// A host forgotten by a reload (removed, or reached differently): a
// command still running on its connection runs to its end, then the
// connection closes and the real sshd sees it go; the next Client for the
// name is a new one.
func TestRealSSHD_ForgetClosesWhenIdle(t *testing.T) {
	f := fleettest.StartFleet(t, 1)
	h := f.Hosts[0]
	p := NewPool(Options{KnownHosts: []string{f.KnownHosts}, NoAgent: true})
	defer p.Close()
	tgt := Target{Name: h.Name, Addr: h.Addr(), User: h.User, IdentityFiles: []string{f.ClientKey.Path}}
	c := p.Client(tgt)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	release := filepath.Join(t.TempDir(), "release")
	done := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		var out strings.Builder
		close(started)
		code, err := c.Exec(ctx, "while [ ! -e "+release+" ]; do sleep 0.05; done; echo finished", &out)
		if err == nil && (code != 0 || !strings.Contains(out.String(), "finished")) {
			err = fmt.Errorf("exit %d, output %q", code, out.String())
		}
		done <- err
	}()
	<-started
	fleettest.Eventually(t, 10*time.Second, "the command running, as sshd sees it", func() bool { return strings.Contains(h.Log(), "Starting session: command") })
	p.Forget(h.Name)
	if p.Client(tgt) == c {
		t.Error("a forgotten name gives back the old client")
	}
	if !c.Connected() {
		t.Fatal("Forget closed a connection a command was still using")
	}
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the running command: %v", err)
	}
	fleettest.Eventually(t, 10*time.Second, "the connection closed once idle, as sshd sees it", func() bool {
		l := h.Log()
		return !c.Connected() && (strings.Contains(l, "Connection closed by") || strings.Contains(l, "Disconnected from"))
	})
}
