package sshx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// Result is the output of a command.
type Result struct {
	Stdout    []byte
	Stderr    []byte // nil when the output was cut (the session was closed mid-stream)
	Truncated bool   // stdout reached the limit: the session was closed there and Exit is -1
	Exit      int
}

// Run runs cmd on the host with stdin as its input, keeping at most limit
// bytes of stdout: at the limit the session is closed, so a host that
// floods costs one limit of reading, not its whole output. Every step is
// bounded by ctx, enforced by closing the session (or the connection, when
// the host stopped answering requests).
func (c *Client) Run(ctx context.Context, cmd string, stdin []byte, limit int) (*Result, error) {
	streams := &struct{ out, err capped }{capped{limit: limit, full: make(chan struct{})}, capped{limit: 4096}}
	out, errOut := &streams.out, &streams.err
	exit, cut, err := c.exec(ctx, cmd, stdin, out, errOut, out.full, 0, false)
	if err != nil {
		return nil, err
	}
	if cut {
		return &Result{Stdout: out.buf.Bytes(), Truncated: true, Exit: -1}, nil
	}
	return &Result{Stdout: out.buf.Bytes(), Stderr: errOut.buf.Bytes(), Exit: exit}, nil
}

// Exec runs cmd and streams its stdout and stderr to out as they arrive
// (an operator's action). When ctx ends the command gets SIGTERM and
// ExecGrace to clean up (a drill drops its scratch database) before it is
// killed. It returns the exit status; nothing is written to out after it
// returns.
func (c *Client) Exec(ctx context.Context, cmd string, out io.Writer) (int, error) {
	g := &gate{w: out}
	defer g.close()
	exit, _, err := c.exec(ctx, cmd, nil, g, g, nil, ExecGrace, false)
	return exit, err
}

// Stream runs cmd until it ends or ctx does, streaming its output to out,
// with its stdin held open for as long as the session lives: a command
// that follows a log ends when its stdin ends (see actions.FollowCommand).
// On cancel the session is closed at once: nothing is waited for.
func (c *Client) Stream(ctx context.Context, cmd string, out io.Writer) (int, error) {
	g := &gate{w: out}
	defer g.close()
	exit, _, err := c.exec(ctx, cmd, nil, g, g, nil, 0, true)
	return exit, err
}

// ExecGrace is how long a cancelled action may take to clean up.
const ExecGrace = 10 * time.Second

// exec runs one command in a session of its own. holdStdin keeps its stdin
// open until the session ends (after stdin is written). full, when not nil, is
// closed by stdout at its limit: the session is then closed and cut is
// true. Nothing here waits on the host beyond ctx (and grace, for a
// command asked to stop): clean-up that the host would have to answer runs
// in the background and ends with the connection at the latest.
func (c *Client) exec(ctx context.Context, cmd string, stdin []byte, stdout, stderr io.Writer, full <-chan struct{}, grace time.Duration, holdStdin bool) (exit int, cut bool, err error) {
	cli, err := c.conn(ctx, 0)
	if err != nil {
		return 0, false, err
	}
	select {
	case c.sessions <- struct{}{}:
		defer func() { <-c.sessions }()
	case <-ctx.Done():
		return 0, false, &Error{KindTimeout, "too many sessions in flight to " + c.target.Name, ctx.Err()}
	}
	sess, err := newSession(ctx, cli)
	if err != nil {
		if ctx.Err() != nil {
			c.drop(cli, "no session opened in time") // a connection that cannot open a session is dead
			return 0, false, &Error{KindTimeout, c.target.Name + " stopped answering (no session opened in time)", err}
		}
		return 0, false, c.lost(cli, err)
	}
	sess.Stdout, sess.Stderr = stdout, stderr
	// Write stdin to the channel ourselves: Session.Stdin would copy it
	// through an io.Pipe and a 32 KiB buffer on every command.
	in, err := sess.StdinPipe()
	if err != nil {
		sess.Close()
		return 0, false, c.lost(cli, err)
	}
	// One goroutine starts the command, writes its stdin and waits for
	// it: its first message is Start's result, its second Wait's.
	done := make(chan error, 2)
	go func() {
		if err := sess.Start(cmd); err != nil {
			done <- err
			return
		}
		done <- nil
		if _, err := in.Write(stdin); err == nil && !holdStdin {
			in.Close()
		}
		done <- sess.Wait()
	}()
	select {
	case err := <-done:
		if err != nil {
			sess.Close()
			return 0, false, c.lost(cli, err)
		}
	case <-ctx.Done():
		// A session opened and the exec request was never answered: only
		// closing the connection gives the request back.
		c.drop(cli, "a command was never started")
		c.pool.async(func() {
			if <-done == nil {
				sess.Close()
				<-done
			}
		})
		return 0, false, &Error{KindTimeout, c.target.Name + " opened a session but never started the command (exec request not answered in time)", ctx.Err()}
	}
	select {
	case err = <-done:
		sess.Close()
		select {
		case <-full: // the output reached the cap as the command ended
			return -1, true, nil
		default:
		}
	case <-full:
		c.pool.async(func() { sess.Close(); <-done })
		return -1, true, nil
	case <-ctx.Done():
		if grace > 0 {
			go func() { _ = sess.Signal(ssh.SIGTERM) }()
			t := time.NewTimer(grace)
			select {
			case <-done:
				t.Stop()
				sess.Close()
				return 0, false, &Error{KindCommand, "command on " + c.target.Name + " was stopped: " + cause(ctx), ctx.Err()}
			case <-t.C:
			}
		}
		c.pool.async(func() {
			_ = sess.Signal(ssh.SIGKILL)
			sess.Close()
			<-done
		})
		// The host may be frozen: if it no longer answers a keepalive,
		// the next poll gets a fresh connection.
		c.pool.async(func() { c.checkAlive(cli) })
		if errors.Is(ctx.Err(), context.Canceled) {
			return 0, false, &Error{KindCommand, "command on " + c.target.Name + " was stopped: " + cause(ctx), ctx.Err()}
		}
		return 0, false, &Error{KindSlow, "command on " + c.target.Name + " started but did not finish in time", ctx.Err()}
	}
	if err == nil {
		return 0, false, nil
	}
	if ee := (*ssh.ExitError)(nil); errors.As(err, &ee) {
		return ee.ExitStatus(), false, nil
	}
	return 0, false, c.lost(cli, err)
}

// cause says why ctx ended: its cause when one was given (an interrupt),
// else its error.
func cause(ctx context.Context) string {
	if c := context.Cause(ctx); c != nil {
		return c.Error()
	}
	return "cancelled"
}

// checkAlive sends one keepalive and drops the connection when no reply
// comes in time.
func (c *Client) checkAlive(cli *ssh.Client) {
	if err := c.ping(cli); err != nil {
		c.drop(cli, err.Error())
	}
}

// ping sends keepalive@openssh.com and waits KeepAliveTimeout for the
// reply. The request goroutine ends with the connection.
func (c *Client) ping(cli *ssh.Client) error {
	reply := make(chan error, 1)
	go func() {
		_, _, err := cli.SendRequest("keepalive@openssh.com", true, nil)
		reply <- err
	}()
	t := time.NewTimer(c.pool.opt.KeepAliveTimeout)
	defer t.Stop()
	select {
	case err := <-reply:
		if err != nil {
			return fmt.Errorf("keepalive failed: %v", err)
		}
		return nil
	case <-t.C:
		return fmt.Errorf("no reply to keepalive within %s", c.pool.opt.KeepAliveTimeout)
	}
}

func newSession(ctx context.Context, cli *ssh.Client) (*ssh.Session, error) {
	type result struct {
		s   *ssh.Session
		err error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := cli.NewSession()
		ch <- result{s, err}
	}()
	select {
	case r := <-ch:
		return r.s, r.err
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.s != nil {
				r.s.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// errCapped stops copying output at the limit.
var errCapped = errors.New("output limit reached")

// capped keeps the first limit bytes written. With full set it stops
// reading there and closes full (the caller closes the session); without,
// it drains the rest so the remote side is not blocked. It is written by
// one goroutine; readers wait for that goroutine to end or for full.
type capped struct {
	buf   bytes.Buffer
	limit int
	over  bool
	full  chan struct{}
	one   [1]byte // ReadFrom's probe for more output, kept here so it does not escape per call
}

func (c *capped) reached() error {
	c.over = true
	if c.full != nil {
		close(c.full)
		return errCapped
	}
	return nil
}

// ReadFrom lets io.Copy fill the buffer directly instead of through a
// 32 KiB copy buffer per stream per command.
func (c *capped) ReadFrom(r io.Reader) (int64, error) {
	n, err := c.buf.ReadFrom(io.LimitReader(r, int64(max(0, c.limit-c.buf.Len()))))
	if err != nil {
		return n, err
	}
	// The limit was reached or r ended: one more byte tells which.
	for {
		m, err := r.Read(c.one[:])
		if m > 0 {
			break
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
	if err := c.reached(); err != nil {
		return n, err
	}
	m, err := io.Copy(io.Discard, r)
	return n + 1 + m, err
}

func (c *capped) Write(p []byte) (int, error) {
	if c.over {
		if c.full != nil {
			return 0, errCapped
		}
		return len(p), nil
	}
	if room := c.limit - c.buf.Len(); room < len(p) {
		c.buf.Write(p[:max(0, room)])
		if err := c.reached(); err != nil {
			return max(0, room), err
		}
		return len(p), nil // keep draining so the remote side is not blocked
	}
	return c.buf.Write(p)
}

// gate forwards writes until it is closed, then drops them: a command
// given up on cannot write into its caller's output afterwards.
type gate struct {
	mu     sync.Mutex
	w      io.Writer
	closed bool
}

func (g *gate) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return len(p), nil
	}
	return g.w.Write(p)
}

func (g *gate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}
