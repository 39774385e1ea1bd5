package sshx

import (
	"context"
	"crypto/ed25519"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
	"go.uber.org/goleak"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func echoHandler(cmd string, stdin []byte) ([]byte, int, bool) {
	if strings.Contains(string(stdin), "hang") {
		return nil, 0, true
	}
	return append([]byte(cmd+":"), stdin...), 0, false
}

func poolFor(s *fleettest.Server) (*Pool, Target) {
	p := NewPool(Options{KnownHosts: []string{s.KnownHosts}, NoAgent: true})
	return p, Target{Name: "mem", Addr: s.Addr, User: "u", IdentityFiles: []string{s.ClientKey.Path}}
}

func TestRun_InProcess(t *testing.T) {
	defer goleak.VerifyNone(t)
	s := fleettest.StartServer(t, echoHandler)
	p, tgt := poolFor(s)
	c := p.Client(tgt)
	ctx := context.Background()
	res, err := c.Run(ctx, "sh", []byte("echo hi"), 1024)
	if err != nil || string(res.Stdout) != "sh:echo hi" {
		t.Fatalf("%q %v", res.Stdout, err)
	}
	// The output cap keeps the first bytes and says it cut.
	res, err = c.Run(ctx, "sh", []byte(strings.Repeat("x", 5000)), 100)
	if err != nil || len(res.Stdout) != 100 || !res.Truncated {
		t.Fatalf("capped: len %d truncated %v err %v", len(res.Stdout), res.Truncated, err)
	}
	p.Close()
	s.Close()
}

// A peer that accepts TCP and never speaks would hang ssh.Dial forever
// (golang/go#51926); the dial must give up at the caller's deadline.
func TestRun_SilentPeerGivesUpAtDeadline(t *testing.T) {
	addr := fleettest.SilentListener(t)
	p := NewPool(Options{NoAgent: true})
	defer p.Close()
	c := p.Client(Target{Name: "silent", Addr: addr, User: "u"})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Run(ctx, "sh", nil, 10)
	if KindOf(err) != KindNoBanner || !strings.Contains(err.Error(), "no SSH handshake") {
		t.Fatalf("err = %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("gave up after %v; the deadline was 300ms", took)
	}
}

func TestRun_CommandThatNeverExits(t *testing.T) {
	s := fleettest.StartServer(t, echoHandler)
	p, tgt := poolFor(s)
	defer p.Close()
	c := p.Client(tgt)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.Run(ctx, "sh", []byte("hang"), 10)
	if KindOf(err) != KindSlow || !strings.Contains(err.Error(), "did not finish in time") {
		t.Fatalf("err = %v", err)
	}
	// The next command works on a fresh connection.
	res, err := c.Run(context.Background(), "sh", []byte("again"), 100)
	if err != nil || string(res.Stdout) != "sh:again" {
		t.Fatalf("after timeout: %q %v", res.Stdout, err)
	}
}

func TestRun_Refused(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	p := NewPool(Options{NoAgent: true})
	defer p.Close()
	_, err := p.Client(Target{Name: "x", Addr: addr}).Run(context.Background(), "sh", nil, 10)
	if KindOf(err) != KindRefused {
		t.Fatalf("err = %v", err)
	}
}

// Name resolution is not exercised against a real resolver: tests contact
// loopback only. The classification is checked on the error net returns.
func TestClassify(t *testing.T) {
	for _, u := range []struct {
		err  error
		want Kind
	}{
		{&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "web-9.example", IsNotFound: true}}, KindDNS},
		{&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, KindRefused},
		{&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.EHOSTUNREACH)}, KindUnreachable},
		{context.DeadlineExceeded, KindTimeout},
		{errors.New("ssh: handshake failed: ssh: unable to authenticate, attempted methods [none publickey]"), KindAuth},
	} {
		err := classify(u.err, "web-9.example:22")
		if KindOf(err) != u.want {
			t.Errorf("classify(%v) = %v", u.err, err)
		}
	}
	if err := classify(&net.DNSError{Err: "no such host", Name: "web-9.example"}, "x"); !strings.Contains(err.Error(), "cannot resolve web-9.example") {
		t.Errorf("dns message: %v", err)
	}
}

func TestAuth_Errors(t *testing.T) {
	s := fleettest.StartServer(t, echoHandler)
	dir := t.TempDir()
	other := fleettest.NewKey(t, dir, "other")
	p := NewPool(Options{KnownHosts: []string{s.KnownHosts}, NoAgent: true})
	defer p.Close()
	_, err := p.Client(Target{Name: "a", Addr: s.Addr, User: "u", IdentityFiles: []string{other.Path}}).Run(context.Background(), "sh", nil, 10)
	if KindOf(err) != KindAuth || !strings.Contains(err.Error(), "u@"+s.Addr+" accepted none of the offered keys") {
		t.Errorf("wrong key: %v", err)
	}
	// An encrypted key without an agent: a clear error, never a prompt.
	enc := filepath.Join(dir, "encrypted")
	block, err := ssh.MarshalPrivateKeyWithPassphrase(ed25519.NewKeyFromSeed(make([]byte, 32)), "", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(enc, pem.EncodeToMemory(block), 0o600)
	_, err = p.Client(Target{Name: "b", Addr: s.Addr, User: "u", IdentityFiles: []string{enc}}).Run(context.Background(), "sh", nil, 10)
	if KindOf(err) != KindAuth || !strings.Contains(err.Error(), "is encrypted") || !strings.Contains(err.Error(), "ssh-add") {
		t.Errorf("encrypted key: %v", err)
	}
	_, err = p.Client(Target{Name: "c", Addr: s.Addr, User: "u", IdentityFiles: []string{filepath.Join(dir, "missing")}}).Run(context.Background(), "sh", nil, 10)
	if KindOf(err) != KindAuth || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing key: %v", err)
	}
}

// A host known by one key type must be offered only that type, even when
// it also has keys of other types (golang/go#29286).
func TestHostKeyAlgorithms(t *testing.T) {
	s := fleettest.StartServer(t, echoHandler)
	k := newHostKeys([]string{s.KnownHosts}, PolicyStrict)
	if got := k.algorithms(s.Addr); strings.Join(got, ",") != "ssh-ed25519" {
		t.Errorf("algorithms = %v", got)
	}
	if got := k.algorithms("127.0.0.1:1"); got != nil {
		t.Errorf("unknown host: %v", got)
	}
	if got := algorithmsFor("ssh-rsa"); strings.Join(got, ",") != "rsa-sha2-512,rsa-sha2-256,ssh-rsa" {
		t.Errorf("rsa: %v", got)
	}
}

func TestHostKey_UnknownAndChanged(t *testing.T) {
	s := fleettest.StartServer(t, echoHandler)
	dir := t.TempDir()
	empty := filepath.Join(dir, "known_hosts")
	p := NewPool(Options{KnownHosts: []string{empty}, NoAgent: true})
	_, err := p.Client(Target{Name: "n", Addr: s.Addr, User: "u", IdentityFiles: []string{s.ClientKey.Path}}).Run(context.Background(), "sh", nil, 10)
	p.Close()
	if KindOf(err) != KindHostKeyUnknown {
		t.Fatalf("unknown host: %v", err)
	}
	other := fleettest.NewKey(t, dir, "k")
	os.WriteFile(empty, []byte("# comment\n"+knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, other.Signer.PublicKey())+"\n"), 0o600)
	p = NewPool(Options{KnownHosts: []string{empty}, NoAgent: true})
	defer p.Close()
	_, err = p.Client(Target{Name: "n", Addr: s.Addr, User: "u", IdentityFiles: []string{s.ClientKey.Path}}).Run(context.Background(), "sh", nil, 10)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindHostKeyChanged || !strings.Contains(e.Msg, "at line 2") {
		t.Fatalf("changed key: %v", err)
	}
	var kc interface{ KeyChange() *fleet.KeyChange }
	if !errors.As(err, &kc) {
		t.Fatal("a changed key carries no KeyChange")
	}
	if c := kc.KeyChange(); c.Line != 2 || c.File != empty || c.Old != ssh.FingerprintSHA256(other.Signer.PublicKey()) ||
		c.New == c.Old || !strings.HasPrefix(c.New, "SHA256:") || !strings.HasPrefix(c.NewKey, "ssh-") || c.Hostname != knownhosts.Normalize(s.Addr) {
		t.Errorf("key change %+v", c)
	}
}

// accept-new appends on a line of its own even when the file lacks a final
// newline, so the last known host keeps its key; a known_hosts file with
// nothing usable in it is left out with a note, not every host refused.
func TestHostKey_AcceptNewKeepsTheLastLine(t *testing.T) {
	a := fleettest.StartServer(t, echoHandler)
	b := fleettest.StartServer(t, echoHandler)
	dir := t.TempDir()
	known := filepath.Join(dir, "known_hosts")
	os.WriteFile(known, []byte(knownhosts.Line([]string{knownhosts.Normalize(a.Addr)}, a.HostKey.Signer.PublicKey())), 0o600) // no final newline
	run := func(policy string, s *fleettest.Server, files ...string) error {
		p := NewPool(Options{KnownHosts: files, Policy: policy, NoAgent: true})
		defer p.Close()
		_, err := p.Client(Target{Name: "n", Addr: s.Addr, User: "u", IdentityFiles: []string{s.ClientKey.Path}}).Run(context.Background(), "sh", nil, 10)
		return err
	}
	if err := run(PolicyAcceptNew, b, known); err != nil {
		t.Fatalf("accept-new of b: %v", err)
	}
	for name, s := range map[string]*fleettest.Server{"a (the line that had no newline)": a, "b (added)": b} {
		if err := run(PolicyStrict, s, known); err != nil {
			b, _ := os.ReadFile(known)
			t.Errorf("%s after the append: %v\n%s", name, err, b)
		}
	}
	junk := filepath.Join(dir, "junk_hosts")
	os.WriteFile(junk, []byte("this is not a known_hosts line\n"), 0o600)
	if err := run(PolicyStrict, a, junk, known); err != nil {
		t.Errorf("a junk file took the good one down: %v", err)
	}
	err := run(PolicyStrict, a, junk)
	if KindOf(err) != KindHostKeyUnknown || !strings.Contains(err.Error(), "junk_hosts skipped") {
		t.Errorf("only a junk file: %v", err)
	}
}

// known_hosts patterns match as OpenSSH 9 matches them (checked with
// OpenSSH 9.2 against a host on another port than 22): a bare host, `*`,
// `127.0.0.*` and `[*]:*` accept; a negated pattern does not; another key
// under a matching pattern is a changed key.
func TestHostKey_OpenSSHPatterns(t *testing.T) {
	s := fleettest.StartServer(t, echoHandler)
	dir := t.TempDir()
	key := s.HostKey.Signer.PublicKey()
	other := fleettest.NewKey(t, dir, "other").Signer.PublicKey()
	line := func(pattern string, k ssh.PublicKey) string {
		return pattern + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) + "\n"
	}
	for name, u := range map[string]struct {
		content string
		want    Kind // KindOther: connected
	}{
		"bare host":          {line("127.0.0.1", key), KindOther},
		"star":               {line("*", key), KindOther},
		"address wildcard":   {line("127.0.0.*", key), KindOther},
		"bracketed wildcard": {line("[*]:*", key), KindOther},
		"negated":            {line("127.0.0.*,!127.0.0.1", key), KindHostKeyUnknown},
		"other key":          {line("*", other), KindHostKeyChanged},
	} {
		t.Run(name, func(t *testing.T) {
			known := filepath.Join(t.TempDir(), "known_hosts")
			os.WriteFile(known, []byte(u.content), 0o600)
			p := NewPool(Options{KnownHosts: []string{known}, NoAgent: true})
			defer p.Close()
			_, err := p.Client(Target{Name: "n", Addr: s.Addr, User: "u", IdentityFiles: []string{s.ClientKey.Path}}).Run(context.Background(), "sh", nil, 10)
			switch {
			case u.want == KindOther && err != nil:
				t.Errorf("refused: %v", err)
			case u.want != KindOther && KindOf(err) != u.want:
				t.Errorf("got %v, want kind %v", err, u.want)
			}
		})
	}
}
