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
	security securityCache
	updates  *updatesChecker // nil when the security checklist is off
}

// NewSSHSource samples host h through r: resources (its mounts, or every
// real filesystem), services, backups at their slower cadence, and the
// security checklist (pending updates in the background).
func NewSSHSource(r Runner, h *fleet.Host) *SSHSource {
	s := &SSHSource{run: r, host: h, nonce: newNonce()}
	if h.SecurityOn() {
		s.updates = newUpdatesChecker(r)
	}
	return s
}

// WaitUpdates waits for a running updates check (a one-pass check wants
// its result).
func (s *SSHSource) WaitUpdates(ctx context.Context) {
	if s.updates != nil {
		s.updates.wait(ctx)
	}
}

// Close ends a background updates check.
func (s *SSHSource) Close() {
	if s.updates != nil {
		s.updates.Close()
	}
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
	now := time.Now()
	due := s.backups.due(h.Backups, now)
	steps := backupSteps(h, due)
	secDue := s.updates != nil && s.security.due(now)
	if secDue {
		steps = append(steps, securitySteps(h.Sudo != nil && *h.Sudo)...)
	}
	res, err := s.run.Run(ctx, "sh", Script(s.nonce, h.Mounts, h.Services, s.prev == nil, steps...), MaxOutput)
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
	var fresh *fleet.SecurityStatus
	if secDue {
		fresh = securityStatus(secs, sample.At)
	}
	if s.updates != nil {
		sample.Security = s.security.merge(fresh)
		if sample.Security != nil {
			s.updates.fill(sample.Security)
		}
		s.updates.poke(now)
	}
	// Output past MaxOutput is dropped: sections that completed are sound,
	// the one that was cut has no end marker and is unknown by itself.
	s.prev = next
	return sample, nil
}
