package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/sshx"
)

// LocalRunner runs commands on this machine, for hosts with address =
// "local": the same scripts as over SSH, without the transport.
type LocalRunner struct{}

// Run runs cmd with sh -c, stdin as its input, keeping limit bytes of
// stdout; the process group is killed when ctx ends.
func (LocalRunner) Run(ctx context.Context, cmd string, stdin []byte, limit int) (*sshx.Result, error) {
	c := exec.CommandContext(ctx, "sh", "-c", cmd)
	c.Stdin = bytes.NewReader(stdin)
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &limitWriter{&out, limit}, &limitWriter{&errOut, 4096}
	c.WaitDelay = time.Second
	err := c.Run()
	res := &sshx.Result{Stdout: out.Bytes(), Stderr: errOut.Bytes(), Truncated: out.Len() >= limit}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return nil, &sshx.Error{Kind: sshx.KindTimeout, Msg: "local command did not finish in time", Err: ctx.Err()}
	case errors.As(err, &ee):
		res.Exit = ee.ExitCode()
	case err != nil:
		return nil, err
	}
	return res, nil
}

type limitWriter struct {
	b     *bytes.Buffer
	limit int
}

func (w *limitWriter) Write(p []byte) (int, error) {
	if room := w.limit - w.b.Len(); room < len(p) {
		if room > 0 {
			w.b.Write(p[:room])
		}
		return len(p), nil
	}
	return w.b.Write(p)
}

// WithChecks adds the status of h's services and backups, read by running
// their commands through run, to the samples of src (this machine's
// gopsutil source).
func WithChecks(src fleet.Source, run Runner, h *fleet.Host) *LocalChecks {
	c := &LocalChecks{src: src, run: run, host: h, services: h.Services, nonce: newNonce()}
	if h.SecurityOn() {
		c.updates = newUpdatesChecker(run)
	}
	return c
}

// LocalChecks is a local host's source: gopsutil resources plus the same
// service and backup checks as over SSH.
type LocalChecks struct {
	src      fleet.Source
	run      Runner
	host     *fleet.Host
	services []fleet.Service
	nonce    string

	mu       sync.Mutex
	restarts restarts
	backups  backupCache
	security securityCache
	updates  *updatesChecker
}

// Recheck makes the next poll check every backup (after a snapshot).
func (s *LocalChecks) Recheck() { s.backups.Recheck() }

// WaitUpdates waits for a running updates check (a one-pass check wants
// its result).
func (s *LocalChecks) WaitUpdates(ctx context.Context) {
	if s.updates != nil {
		s.updates.wait(ctx)
	}
}

// Close ends a background updates check.
func (s *LocalChecks) Close() {
	if s.updates != nil {
		s.updates.Close()
	}
}

// Sample implements fleet.Source.
func (s *LocalChecks) Sample(ctx context.Context) (*fleet.Sample, error) {
	smp, err := s.src.Sample(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	due := s.backups.due(s.host.Backups, smp.At)
	var script strings.Builder
	fmt.Fprintf(&script, "m=%s\n", Quote("@@opsdeck-"+s.nonce))
	steps := backupSteps(s.host, due)
	secDue := s.updates != nil && s.security.due(smp.At)
	if secDue {
		steps = append(steps, securitySteps(s.host.Sudo != nil && *s.host.Sudo)...)
	}
	for i := range s.services {
		steps = append(steps, Step{fmt.Sprintf("svc%d", i), StatusCommand(&s.services[i])})
	}
	for _, st := range steps {
		fmt.Fprintf(&script, "echo \"$m begin %s\"\n%s\necho \"$m end %s $?\"\n", st.Name, st.Cmd, st.Name)
	}
	secs := map[string]*Section{}
	if len(steps) > 0 {
		var res *sshx.Result
		res, err = s.run.Run(ctx, "sh", []byte(script.String()), MaxOutput)
		if err == nil {
			secs = Split(res.Stdout, s.nonce)
		}
	}
	for i := range s.services {
		st := ParseService(&s.services[i], secs[fmt.Sprintf("svc%d", i)], smp.Uptime, smp.At)
		if err != nil {
			st.Err = fleet.Sanitize(err.Error(), 200)
		}
		s.restarts.apply(&st, smp.At)
		smp.Services = append(smp.Services, st)
	}
	fresh := backupStatuses(s.host, due, secs, smp.At)
	if err != nil {
		for i := range fresh {
			fresh[i].Err = fleet.Sanitize(err.Error(), 200)
		}
	}
	smp.Backups = s.backups.merge(s.host.Backups, fresh)
	var sec *fleet.SecurityStatus
	if secDue && err == nil {
		sec = securityStatus(secs, smp.At)
	}
	if s.updates != nil {
		smp.Security = s.security.merge(sec)
		if smp.Security != nil {
			s.updates.fill(smp.Security)
		}
		s.updates.poke(smp.At)
	}
	return smp, nil
}
