package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
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

// WithChecks adds the status of h's services and backups and its security
// checklist, read by running their commands through run, to the samples of
// src (this machine's gopsutil source).
func WithChecks(src fleet.Source, run Runner, h *fleet.Host, opt Options) *LocalChecks {
	return &LocalChecks{hostChecks: newHostChecks(h, run, opt), src: src, run: run, nonce: newNonce()}
}

// LocalChecks is a local host's source: gopsutil resources plus the same
// service, backup and security checks as over SSH.
type LocalChecks struct {
	*hostChecks
	src   fleet.Source
	run   Runner
	nonce string

	mu sync.Mutex
}

// Sample implements fleet.Source: gopsutil's resources, then the services'
// status in one local script.
func (s *LocalChecks) Sample(ctx context.Context) (*fleet.Sample, error) {
	smp, err := s.src.Sample(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	secs := map[string]*Section{}
	if steps := s.serviceSteps(); len(steps) > 0 {
		secs, err = runSteps(ctx, s.run, steps)
	}
	for i := range s.host.Services {
		st := ParseService(&s.host.Services[i], secs[fmt.Sprintf("svc%d", i)], smp.Uptime, smp.At)
		if err != nil {
			st.Err = fleet.Sanitize(err.Error(), 200)
		}
		smp.Services = append(smp.Services, st)
	}
	s.finish(smp)
	return smp, nil
}
