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

// WithServices adds the status of services, read by running their status
// commands through run, to the samples of src (this machine's gopsutil
// source).
func WithServices(src fleet.Source, run Runner, services []fleet.Service) fleet.Source {
	if len(services) == 0 {
		return src
	}
	return &serviceSource{src: src, run: run, services: services, nonce: newNonce()}
}

type serviceSource struct {
	src      fleet.Source
	run      Runner
	services []fleet.Service
	nonce    string

	mu       sync.Mutex
	restarts restarts
}

func (s *serviceSource) Sample(ctx context.Context) (*fleet.Sample, error) {
	smp, err := s.src.Sample(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var script strings.Builder
	fmt.Fprintf(&script, "m=%s\n", Quote("@@opsdeck-"+s.nonce))
	for i := range s.services {
		fmt.Fprintf(&script, "echo \"$m begin svc%d\"\n%s\necho \"$m end svc%d $?\"\n", i, StatusCommand(&s.services[i]), i)
	}
	res, err := s.run.Run(ctx, "sh", []byte(script.String()), MaxOutput)
	secs := map[string]*Section{}
	if err == nil {
		secs = Split(res.Stdout, s.nonce)
	}
	for i := range s.services {
		st := ParseService(&s.services[i], secs[fmt.Sprintf("svc%d", i)], smp.Uptime, smp.At)
		if err != nil {
			st.Err = fleet.Sanitize(err.Error(), 200)
		}
		s.restarts.apply(&st, smp.At)
		smp.Services = append(smp.Services, st)
	}
	return smp, nil
}
