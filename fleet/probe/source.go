package probe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
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
	*hostChecks
	run   Runner
	nonce string

	mu       sync.Mutex
	prev     *Stat
	svc      []Step              // the service steps of the last scripts
	scripts  [2][]byte           // the last scripts without a baseline, without and with df -i, reused while svc stays
	tables   map[string]*Section // the last df -i and mount table, carried into the polls that do not ask
	tablesAt time.Time           // when they were read whole
}

// TablesEvery is how often a poll reads what changes slowly: the inode
// tables (df -i: they fill slowly, and each df costs the host a process)
// and the mount table (a third of a poll's answer, the same every time).
// A filesystem mounted since shows within that time; one unmounted leaves
// df's output, and the screen, at once.
var TablesEvery = time.Minute

// slowSections are the sections a poll in TablesEvery reads.
var slowSections = [...]string{"dfi", "mounts"}

// NewSSHSource samples host h through r: each poll reads resources (its
// mounts, or every real filesystem) and services; backups and the security
// checklist (pending updates when opt says so) run apart, in sessions of
// their own.
func NewSSHSource(r Runner, h *fleet.Host, opt Options) *SSHSource {
	return &SSHSource{hostChecks: newHostChecks(h, r, opt), run: r, nonce: newNonce()}
}

func newNonce() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// scriptFor is the probe for a poll at now: the same bytes as the last
// such poll's while the services' steps are (the script is built once, not
// every few seconds).
func (s *SSHSource) scriptFor(now time.Time) []byte {
	h := s.host
	svc := make([]Step, len(h.Services))
	for i := range h.Services {
		svc[i] = Step{"svc" + strconv.Itoa(i), s.live.command(&h.Services[i], now)}
	}
	tables := s.tablesAt.IsZero() || now.Sub(s.tablesAt) >= TablesEvery
	if baseline := s.baseline(s.prev == nil); baseline > 0 {
		return Script(s.nonce, h.Mounts, svc, baseline, tables)
	}
	if !slices.Equal(svc, s.svc) {
		s.scripts, s.svc = [2][]byte{}, svc
	}
	i := 0
	if tables {
		i = 1
	}
	if s.scripts[i] == nil {
		s.scripts[i] = Script(s.nonce, h.Mounts, svc, 0, tables)
	}
	return s.scripts[i]
}

// carryTables keeps the slow sections a poll read whole (a copy: the
// poll's output is not kept) and gives the polls that did not ask the
// last ones. Until every asked section came whole, the next poll asks
// again.
func (s *SSHSource) carryTables(secs map[string]*Section, at time.Time) {
	if s.tables == nil {
		s.tables = make(map[string]*Section, len(slowSections))
	}
	asked, whole := false, true
	for _, name := range slowSections {
		d, ok := secs[name]
		switch {
		case ok && d.Complete:
			asked, s.tables[name] = true, d.clone()
		case ok:
			asked, whole = true, false
		case s.tables[name] != nil:
			secs[name] = s.tables[name]
		}
	}
	if asked && whole {
		s.tablesAt = at
	}
}

// Connect makes the host's connection (see fleet.Connector).
func (s *SSHSource) Connect(ctx context.Context, budget time.Duration) error {
	if c, ok := s.run.(fleet.Connector); ok {
		return c.Connect(ctx, budget)
	}
	return nil
}

// Sample runs one probe. A transport failure is an error (the host is
// DOWN); a broken section only makes its metric unknown.
func (s *SSHSource) Sample(ctx context.Context) (*fleet.Sample, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.host
	now := time.Now()
	res, err := s.run.Run(ctx, "sh", s.scriptFor(now), MaxOutput)
	if err != nil {
		return nil, err
	}
	if res.Truncated {
		// A poll prints kilobytes: a host that floods is broken or hostile.
		// The session was closed at the cap; nothing of it is trusted.
		return nil, &sshx.Error{Kind: sshx.KindCommand, Msg: "probe output over " + fleet.FormatBytes(MaxOutput) + ", cut"}
	}
	if res.Exit != 0 {
		msg := strings.TrimSpace(string(res.Stderr))
		if msg == "" {
			msg = "no message"
		}
		return nil, &sshx.Error{Kind: sshx.KindCommand, Msg: fmt.Sprintf("probe script exited %d: %s", res.Exit, fleet.Sanitize(msg, 200))}
	}
	secs := Split(res.Stdout, s.nonce)
	res.Release() // Split copied what it keeps
	s.carryTables(secs, now)
	sample, next := Assemble(secs, s.prev, h.Mounts, h.Services, time.Now())
	s.live.apply(h.Services, secs, s.nonce, sample.Services, sample.At)
	s.finish(sample)
	s.prev = next
	return sample, nil
}
