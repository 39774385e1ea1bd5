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

	buf *bytes.Buffer // holds Stdout; see Release
}

// Exec runs cmd and streams its stdout and stderr to out as they arrive
// (an operator's action). When ctx ends the command gets SIGTERM and
// ExecGrace to clean up (a drill drops its scratch database) before it is
// killed. It returns the exit status; nothing is written to out after it
// returns.
func (c *Client) Exec(ctx context.Context, cmd string, out io.Writer) (int, error) {
	g := &gate{w: out}
	defer g.close()
	exit, err := c.exec(ctx, cmd, g, ExecGrace, false)
	return exit, err
}

// Stream runs cmd until it ends or ctx does, streaming its output to out,
// with its stdin held open for as long as the session lives: a command
// that follows a log ends when its stdin ends (see actions.FollowCommand).
// On cancel the session is closed at once: nothing is waited for.
func (c *Client) Stream(ctx context.Context, cmd string, out io.Writer) (int, error) {
	g := &gate{w: out}
	defer g.close()
	exit, err := c.exec(ctx, cmd, g, 0, true)
	return exit, err
}

// ExecGrace is how long a cancelled action may take to clean up.
const ExecGrace = 10 * time.Second

// exec runs one command in a session of its own, its stdout and stderr
// both to out. holdStdin keeps its stdin open until the session ends; else
// stdin is closed at once. Nothing here waits on the host beyond ctx (and
// grace, for a command asked to stop): clean-up that the host would have to
// answer runs in the background and ends with the connection at the
// latest.
func (c *Client) exec(ctx context.Context, cmd string, out io.Writer, grace time.Duration, holdStdin bool) (int, error) {
	cli, release, err := c.session(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	sess, err := newSession(ctx, cli)
	if err != nil {
		if ctx.Err() != nil {
			c.drop(cli, "no session opened in time") // a connection that cannot open a session is dead
			return 0, &Error{KindTimeout, c.target.Name + " stopped answering (no session opened in time)", err}
		}
		return 0, c.lost(cli, err)
	}
	sess.Stdout, sess.Stderr = out, out
	in, err := sess.StdinPipe()
	if err != nil {
		sess.Close()
		return 0, c.lost(cli, err)
	}
	// One goroutine starts the command, closes its stdin (unless held)
	// and waits for it: its first message is Start's result, its second
	// Wait's.
	done := make(chan error, 2)
	go func() {
		if err := sess.Start(cmd); err != nil {
			done <- err
			return
		}
		done <- nil
		if !holdStdin {
			in.Close()
		}
		done <- sess.Wait()
	}()
	select {
	case err := <-done:
		if err != nil {
			sess.Close()
			return 0, c.lost(cli, err)
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
		return 0, &Error{KindTimeout, c.target.Name + " opened a session but never started the command (exec request not answered in time)", ctx.Err()}
	}
	return c.finish(ctx, cli, sess, done, grace)
}

// finish waits for a started command (done gives Wait's result) until
// ctx ends; then it is stopped: SIGTERM and grace to end, then SIGKILL
// and the session closed, and the connection checked for life.
func (c *Client) finish(ctx context.Context, cli *ssh.Client, sess *ssh.Session, done chan error, grace time.Duration) (int, error) {
	var err error
	select {
	case err = <-done:
		sess.Close()
	case <-ctx.Done():
		if grace > 0 {
			go func() { _ = sess.Signal(ssh.SIGTERM) }()
			t := time.NewTimer(grace)
			select {
			case <-done:
				t.Stop()
				sess.Close()
				return 0, &Error{KindCommand, "command on " + c.target.Name + " was stopped: " + cause(ctx), ctx.Err()}
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
			return 0, &Error{KindCommand, "command on " + c.target.Name + " was stopped: " + cause(ctx), ctx.Err()}
		}
		return 0, &Error{KindSlow, "command on " + c.target.Name + " started but did not finish in time", ctx.Err()}
	}
	if err == nil {
		return 0, nil
	}
	if ee := (*ssh.ExitError)(nil); errors.As(err, &ee) {
		return ee.ExitStatus(), nil
	}
	return 0, c.lost(cli, err)
}

// session is the connection for one more command, within the host's
// session limit (waited for under ctx); done gives the slot back. The
// command's start and end count as activity: no keepalive meanwhile.
func (c *Client) session(ctx context.Context) (cli *ssh.Client, done func(), err error) {
	cli, err = c.conn(ctx, 0)
	if err != nil {
		return nil, nil, err
	}
	select {
	case c.sessions <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, &Error{KindTimeout, "too many sessions in flight to " + c.target.Name, ctx.Err()}
	}
	c.active(cli)
	return cli, func() { c.active(cli); <-c.sessions }, nil
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
