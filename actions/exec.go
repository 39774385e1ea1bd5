package actions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"syscall"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/sshx"
)

// FleetExecutor runs commands over the hosts' persistent SSH connections,
// or on this machine for address = "local".
type FleetExecutor struct {
	Pool    *sshx.Pool
	Targets map[string]*sshx.Target
	// TargetOf, when set, is asked instead of Targets: the fleet may be
	// reloaded while the executor runs.
	TargetOf func(host string) (*sshx.Target, bool)
}

// Exec implements Executor.
func (e *FleetExecutor) Exec(ctx context.Context, h *fleet.Host, cmd string, out io.Writer) (int, error) {
	if h.Local() {
		return LocalExec(ctx, cmd, out)
	}
	c, err := e.client(h)
	if err != nil {
		return 0, err
	}
	return c.Exec(ctx, cmd, out)
}

// client is the persistent SSH client of a host.
func (e *FleetExecutor) client(h *fleet.Host) (*sshx.Client, error) {
	t, ok := e.Targets[h.Name]
	if e.TargetOf != nil {
		t, ok = e.TargetOf(h.Name)
	}
	switch {
	case !ok && h.Remote:
		return nil, fmt.Errorf("host %s is known only from its poller's series: this config does not say how to reach it, so opsdeck cannot act on it from here", h.Name)
	case !ok:
		return nil, fmt.Errorf("no SSH target for host %s", h.Name)
	}
	return e.Pool.Client(*t), nil
}

// Stream runs a command that follows a log until ctx ends. Over SSH it is
// wrapped (FollowCommand) to end with its session; on this machine the
// cancel ends its process group.
func (e *FleetExecutor) Stream(ctx context.Context, h *fleet.Host, cmd string, out io.Writer) (int, error) {
	if h.Local() {
		return LocalExec(ctx, cmd, out)
	}
	c, err := e.client(h)
	if err != nil {
		return 0, err
	}
	return c.Stream(ctx, FollowCommand(cmd), out)
}

// LocalExec runs cmd with sh -c on this machine, streaming its output.
func LocalExec(ctx context.Context, cmd string, out io.Writer) (int, error) {
	c := exec.CommandContext(ctx, "sh", "-c", cmd)
	c.Stdout, c.Stderr = out, out
	// On cancel the whole process group gets SIGTERM and time to clean up
	// (a drill's trap), then SIGKILL.
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGTERM) }
	c.WaitDelay = sshx.ExecGrace
	err := c.Run()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return 0, ctx.Err()
	case errors.As(err, &ee):
		return ee.ExitCode(), nil
	}
	return 0, err
}
