package actions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/opsdeck/opsdeck/fleet"
)

// LogLines is how many lines a log tail asks for before it follows, and
// TailKeep how many it keeps.
const (
	LogLines = 200
	TailKeep = 2000
)

// ErrNoLog: a process service has no log command configured.
var ErrNoLog = errors.New("no log command configured")

// LogCommand is the command that shows the last LogLines lines of a
// service's log and follows it, from the service's kind and names (every
// value quoted); for kind process the configured log command.
func LogCommand(s *fleet.Service) (string, error) {
	return serviceCommand(s, s.Log, "log", ErrNoLog, func(k *fleet.ServiceKind) func() string {
		if k.Log == nil {
			return nil
		}
		return func() string { return k.Log(s, LogLines) }
	})
}

// FollowCommand wraps a command that never ends by itself (it follows a
// log) so that it ends with its SSH session: the session's stdin is held
// open (sshx.Client.Stream) and read by cat; when opsdeck closes the
// session, stdin ends and `kill 0` ends everything the session started
// (sshd makes each session its own process group), the command and its
// children included. When the command ends first, so does the shell.
func FollowCommand(cmd string) string {
	return "exec 3<&0; { " + cmd + "\n} </dev/null 2>&1 & p=$!; { cat <&3 >/dev/null 2>&1; kill 0; } & wait $p"
}

// Streamer runs a command that streams until ctx ends.
type Streamer interface {
	Stream(ctx context.Context, h *fleet.Host, cmd string, out io.Writer) (int, error)
}

// Tail is a followed log: its lines in a bounded ring that readers poll,
// never waited on. Close ends the remote command.
type Tail struct {
	Host, Service, Command string
	lineRing
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	err    error
	exit   int
}

// StartTail follows the log of a host's service until Close or ctx ends.
func StartTail(ctx context.Context, s Streamer, h *fleet.Host, service string) (*Tail, error) {
	var svc *fleet.Service
	for i := range h.Services {
		if h.Services[i].Name == service {
			svc = &h.Services[i]
		}
	}
	if svc == nil {
		return nil, fmt.Errorf("host %s has no service %q", h.Name, service)
	}
	cmd, err := LogCommand(svc)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	t := &Tail{Host: h.Name, Service: service, Command: cmd, lineRing: lineRing{max: TailKeep}, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(t.done)
		lw := &lineWriter{onLine: t.add}
		exit, err := s.Stream(ctx, h, cmd, lw)
		lw.flush()
		t.mu.Lock()
		t.exit, t.err = exit, err
		if ctx.Err() != nil {
			t.err = nil // closed by the operator: not a failure
		}
		t.mu.Unlock()
	}()
	return t, nil
}

// Close ends the tail and its remote command.
func (t *Tail) Close() { t.cancel() }

// Done is closed when the command has ended.
func (t *Tail) Done() <-chan struct{} { return t.done }

// Ended says whether the command ended, and why when it did on its own:
// its exit status or the error that stopped it.
func (t *Tail) Ended() (ended bool, why string) {
	select {
	case <-t.done:
	default:
		return false, ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.err != nil:
		return true, fleet.Sanitize(t.err.Error(), 300)
	case t.exit != 0:
		return true, fmt.Sprintf("exit %d", t.exit)
	}
	return true, "ended"
}
