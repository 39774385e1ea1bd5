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
	run   Runner
	host  *fleet.Host
	nonce string

	mu       sync.Mutex
	prev     *Stat
	restarts restarts
	backups  backupCache
}

// NewSSHSource samples host h through r: resources (its mounts, or every
// real filesystem), services, and backups at their slower cadence.
func NewSSHSource(r Runner, h *fleet.Host) *SSHSource {
	return &SSHSource{run: r, host: h, nonce: newNonce()}
}

// Recheck makes the next poll check every backup (after a snapshot).
func (s *SSHSource) Recheck() { s.backups.Recheck() }

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
	h := s.host
	due := s.backups.due(h.Backups, time.Now())
	res, err := s.run.Run(ctx, "sh", Script(s.nonce, h.Mounts, h.Services, s.prev == nil, backupSteps(h, due)...), MaxOutput)
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
	secs := Split(res.Stdout, s.nonce)
	sample, next := Assemble(secs, s.prev, h.Mounts, h.Services, time.Now())
	for i := range sample.Services {
		s.restarts.apply(&sample.Services[i], sample.At)
	}
	sample.Backups = s.backups.merge(h.Backups, backupStatuses(h, due, secs, sample.At))
	// Output past MaxOutput is dropped: sections that completed are sound,
	// the one that was cut has no end marker and is unknown by itself.
	s.prev = next
	return sample, nil
}
