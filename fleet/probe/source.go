package probe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/sshx"
)

// Runner runs a command with stdin on a host; *sshx.Client is one.
type Runner interface {
	Run(ctx context.Context, cmd string, stdin []byte, limit int) (*sshx.Result, error)
}

// SSHSource samples a host by running the probe script over its persistent
// SSH connection.
type SSHSource struct {
	run      Runner
	mounts   []string
	services []fleet.Service
	nonce    string

	mu       sync.Mutex
	prev     *Stat
	restarts restarts
}

// NewSSHSource samples through r, watching mounts (every real filesystem
// when empty) and services.
func NewSSHSource(r Runner, mounts []string, services []fleet.Service) *SSHSource {
	return &SSHSource{run: r, mounts: mounts, services: services, nonce: newNonce()}
}

func newNonce() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Sample runs one probe. A transport failure is an error (the host is
// DOWN); a broken section only makes its metric unknown.
func (s *SSHSource) Sample(ctx context.Context) (*fleet.Sample, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	res, err := s.run.Run(ctx, "sh", Script(s.nonce, s.mounts, s.services, s.prev == nil), MaxOutput)
	if err != nil {
		return nil, err
	}
	if res.Exit != 0 {
		msg := strings.TrimSpace(string(res.Stderr))
		if msg == "" {
			msg = "no message"
		}
		return nil, &sshx.Error{Kind: sshx.KindCommand, Msg: fmt.Sprintf("probe script exited %d: %s", res.Exit, fleet.Sanitize(msg, 200))}
	}
	sample, next := Assemble(Split(res.Stdout, s.nonce), s.prev, s.mounts, s.services, time.Now())
	for i := range sample.Services {
		s.restarts.apply(&sample.Services[i], sample.At)
	}
	// Output past MaxOutput is dropped: sections that completed are sound,
	// the one that was cut has no end marker and is unknown by itself.
	s.prev = next
	return sample, nil
}
