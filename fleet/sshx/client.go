package sshx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// Client is a persistent connection to one host, made on first use and
// again after it breaks.
type Client struct {
	pool     *Pool
	target   Target
	jump     *Client
	sessions chan struct{}

	mu        sync.Mutex
	cli       *ssh.Client
	preferred ssh.PublicKey // the key this host accepted last time
	dropped   string        // why the last connection was closed by us
}

// Connected reports whether the client holds a live connection.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cli != nil
}

// Close drops the connection; the next Run dials again.
func (c *Client) Close() {
	c.mu.Lock()
	cli := c.cli
	c.cli = nil
	c.mu.Unlock()
	if cli != nil {
		cli.Close()
	}
}

// drop closes cli, if it is still the current connection, for reason.
func (c *Client) drop(cli *ssh.Client, reason string) {
	c.mu.Lock()
	if c.cli == cli {
		c.cli = nil
		c.dropped = reason
	}
	c.mu.Unlock()
	cli.Close()
}

// lost explains the failure of an established connection: dropped by our
// keepalive, gone with its jump host, or closed by the peer.
func (c *Client) lost(cli *ssh.Client, err error) error {
	c.mu.Lock()
	reason := c.dropped
	if c.cli == cli {
		c.cli = nil
	}
	c.mu.Unlock()
	cli.Close()
	msg := "connection to " + c.target.Addr + " lost"
	kind := KindOther
	if reason != "" {
		msg += ": " + reason
		kind = KindTimeout
	}
	if c.jump != nil && !c.jump.Connected() {
		return &Error{KindJumpDown, "jump host " + c.jump.target.Name + " went away; " + msg, err}
	}
	return &Error{kind, msg, err}
}

// conn returns the live connection, dialling when there is none. Dialling
// is serialised per host.
func (c *Client) conn(ctx context.Context) (*ssh.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cli != nil {
		return c.cli, nil
	}
	if c.pool.isClosed() {
		return nil, &Error{KindOther, "transport closed", net.ErrClosed}
	}
	cli, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	c.cli, c.dropped = cli, ""
	c.pool.wg.Add(1)
	go c.keepalive(cli)
	return cli, nil
}

// dial connects, directly or through the jump host, and completes the SSH
// handshake under ctx: a peer that accepts TCP and never speaks, or a jump
// channel that never answers, is closed when ctx ends.
func (c *Client) dial(ctx context.Context) (*ssh.Client, error) {
	t := c.target
	var nc net.Conn
	if c.jump != nil {
		jc, err := c.jump.conn(ctx)
		if err != nil {
			return nil, &Error{KindJumpDown, fmt.Sprintf("jump host %s: %v", c.jump.target.Name, err), err}
		}
		nc, err = dialThrough(ctx, jc, t.Addr)
		if err != nil {
			if ctx.Err() != nil {
				c.jump.drop(jc, "no channel opened through it in time") // the jump host stopped answering
				return nil, &Error{KindJumpDown, fmt.Sprintf("jump host %s did not open a channel to %s in time", c.jump.target.Name, t.Addr), err}
			}
			return nil, classify(fmt.Errorf("via %s: %w", c.jump.target.Name, err), t.Addr)
		}
	} else {
		var d net.Dialer
		var err error
		nc, err = d.DialContext(ctx, "tcp", t.Addr)
		if err != nil {
			return nil, classify(err, t.Addr)
		}
	}
	if err := c.pool.acquire(ctx); err != nil {
		nc.Close()
		return nil, classify(err, t.Addr)
	}
	defer c.pool.release()
	// Deadlines do not work on jump channels; closing does, everywhere.
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	cfg := c.clientConfig()
	sc, chans, reqs, err := ssh.NewClientConn(nc, t.Addr, cfg)
	if !stop() {
		if sc != nil {
			sc.Close()
		}
		nc.Close()
		return nil, &Error{KindTimeout, "no SSH handshake from " + t.Addr + " in time", ctx.Err()}
	}
	if err != nil {
		nc.Close()
		if strings.Contains(err.Error(), "unable to authenticate") {
			c.preferred = nil // c.mu is held: let the next attempt try every key
			return nil, c.authError(err)
		}
		return nil, classify(err, t.Addr)
	}
	return ssh.NewClient(sc, chans, reqs), nil
}

func dialThrough(ctx context.Context, jc *ssh.Client, addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := jc.Dial("tcp", addr)
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		return r.c, r.err
	case <-ctx.Done():
		go func() { // close the channel if it opens after all
			if r := <-ch; r.c != nil {
				r.c.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

func (c *Client) clientConfig() *ssh.ClientConfig {
	t := c.target
	return &ssh.ClientConfig{
		User: t.User,
		Auth: []ssh.AuthMethod{ssh.PublicKeysCallback(c.signers)},
		// Only public keys: no password, no keyboard-interactive.
		HostKeyCallback:   c.pool.keys.check(t.Name),
		HostKeyAlgorithms: c.pool.keys.algorithms(t.Addr),
	}
}

// signers offers the key the host accepted last time alone (sshd's
// MaxAuthTries is 6), else every key; each is wrapped to learn which one the
// server accepts.
func (c *Client) signers() ([]ssh.Signer, error) {
	files, explicit := c.target.IdentityFiles, true
	if len(files) == 0 {
		files, explicit = DefaultIdentityFiles(), false
	}
	all, notes := c.pool.ring.signers(files, explicit)
	if len(all) == 0 {
		msg := "no usable SSH key: configure identity_files or run ssh-agent"
		if len(notes) > 0 {
			msg += " (" + strings.Join(notes, "; ") + ")"
		}
		return nil, &Error{KindAuth, msg, nil}
	}
	pref := c.preferred // read under c.mu: signers runs inside dial
	if pref != nil {
		for _, s := range all {
			if bytes.Equal(s.PublicKey().Marshal(), pref.Marshal()) {
				return []ssh.Signer{s}, nil
			}
		}
	}
	out := make([]ssh.Signer, len(all))
	for i, s := range all {
		// Called during the handshake, while dial holds c.mu.
		out[i] = &learningSigner{Signer: s, learn: func(k ssh.PublicKey) { c.preferred = k }}
	}
	return out, nil
}

func (c *Client) authError(err error) error {
	files := c.target.IdentityFiles
	if len(files) == 0 {
		files = DefaultIdentityFiles()
	}
	_, notes := c.pool.ring.signers(files, len(c.target.IdentityFiles) > 0)
	msg := fmt.Sprintf("%s@%s accepted none of the offered keys", c.target.User, c.target.Addr)
	if len(notes) > 0 {
		msg += " (" + strings.Join(notes, "; ") + ")"
	}
	return &Error{KindAuth, msg, err}
}

// learningSigner records the key the server asked a signature for: that is
// the key it accepted.
type learningSigner struct {
	ssh.Signer
	learn func(ssh.PublicKey)
}

func (l *learningSigner) Sign(r io.Reader, data []byte) (*ssh.Signature, error) {
	l.learn(l.Signer.PublicKey())
	return l.Signer.Sign(r, data)
}

func (l *learningSigner) SignWithAlgorithm(r io.Reader, data []byte, algo string) (*ssh.Signature, error) {
	l.learn(l.Signer.PublicKey())
	if as, ok := l.Signer.(ssh.AlgorithmSigner); ok {
		return as.SignWithAlgorithm(r, data, algo)
	}
	return l.Signer.Sign(r, data)
}

// keepalive sends keepalive@openssh.com every KeepAlive and closes the
// connection when a reply does not come within KeepAliveTimeout: a
// half-open connection is found without waiting for TCP.
func (c *Client) keepalive(cli *ssh.Client) {
	defer c.pool.wg.Done()
	done := make(chan struct{})
	go func() { cli.Wait(); close(done) }()
	tick := time.NewTicker(c.pool.opt.KeepAlive)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		reply := make(chan error, 1)
		go func() {
			_, _, err := cli.SendRequest("keepalive@openssh.com", true, nil)
			reply <- err
		}()
		timer := time.NewTimer(c.pool.opt.KeepAliveTimeout)
		select {
		case err := <-reply:
			timer.Stop()
			if err != nil {
				c.drop(cli, "keepalive failed: "+err.Error())
			}
		case <-timer.C:
			c.drop(cli, fmt.Sprintf("no reply to keepalive within %s", c.pool.opt.KeepAliveTimeout))
		case <-done:
			timer.Stop()
		}
	}
}

// Result is the output of a command.
type Result struct {
	Stdout    []byte
	Stderr    []byte
	Truncated bool // stdout was longer than the limit and was cut
	Exit      int
}

// Run runs cmd on the host with stdin as its input, keeping at most limit
// bytes of stdout. Every step is bounded by ctx: when it ends the session
// (and, if the host stopped answering, the connection) is closed.
func (c *Client) Run(ctx context.Context, cmd string, stdin []byte, limit int) (*Result, error) {
	out := &capped{limit: limit}
	errOut := &capped{limit: 4096}
	exit, err := c.exec(ctx, cmd, stdin, out, errOut, 0)
	if err != nil {
		return nil, err
	}
	return &Result{Stdout: out.buf.Bytes(), Stderr: errOut.buf.Bytes(), Truncated: out.over, Exit: exit}, nil
}

// Exec runs cmd and streams its stdout and stderr to out as they arrive
// (an operator's action). When ctx ends the command gets SIGTERM and
// ExecGrace to clean up (a drill drops its scratch database) before it is
// killed. It returns the exit status.
func (c *Client) Exec(ctx context.Context, cmd string, out io.Writer) (int, error) {
	return c.exec(ctx, cmd, nil, out, out, ExecGrace)
}

// ExecGrace is how long a cancelled action may take to clean up.
const ExecGrace = 10 * time.Second

func (c *Client) exec(ctx context.Context, cmd string, stdin []byte, stdout, stderr io.Writer, grace time.Duration) (int, error) {
	cli, err := c.conn(ctx)
	if err != nil {
		return 0, err
	}
	select {
	case c.sessions <- struct{}{}:
		defer func() { <-c.sessions }()
	case <-ctx.Done():
		return 0, &Error{KindTimeout, "too many sessions in flight to " + c.target.Name, ctx.Err()}
	}
	sess, err := newSession(ctx, cli)
	if err != nil {
		if ctx.Err() != nil {
			c.drop(cli, "no session opened in time") // a connection that cannot open a session is dead
			return 0, &Error{KindTimeout, c.target.Name + " stopped answering (no session opened in time)", err}
		}
		return 0, c.lost(cli, err)
	}
	defer sess.Close()
	sess.Stdout, sess.Stderr = stdout, stderr
	// Write stdin to the channel ourselves: Session.Stdin would copy it
	// through an io.Pipe and a 32 KiB buffer on every command.
	in, err := sess.StdinPipe()
	if err != nil {
		return 0, c.lost(cli, err)
	}
	if err := sess.Start(cmd); err != nil {
		return 0, c.lost(cli, err)
	}
	done := make(chan error, 1)
	go func() {
		if _, err := in.Write(stdin); err == nil {
			in.Close()
		}
		done <- sess.Wait()
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		if grace > 0 {
			_ = sess.Signal(ssh.SIGTERM)
			select {
			case <-done:
				return 0, &Error{KindCommand, "command on " + c.target.Name + " was stopped: " + ctx.Err().Error(), ctx.Err()}
			case <-time.After(grace):
			}
		}
		_ = sess.Signal(ssh.SIGKILL)
		sess.Close()
		c.drop(cli, "the previous command timed out") // the host may be frozen; a fresh connection next time
		// Closing the connection ends the session's copy goroutines: wait
		// for them, so nothing writes to stdout/stderr after we return.
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		if errors.Is(ctx.Err(), context.Canceled) {
			return 0, &Error{KindCommand, "command on " + c.target.Name + " was cancelled", ctx.Err()}
		}
		return 0, &Error{KindTimeout, "command on " + c.target.Name + " did not finish in time", ctx.Err()}
	}
	var ee *ssh.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ee):
		return ee.ExitStatus(), nil
	}
	return 0, c.lost(cli, err)
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

// capped keeps the first limit bytes written and remembers it cut.
type capped struct {
	buf   bytes.Buffer
	limit int
	over  bool
}

// ReadFrom lets io.Copy fill the buffer directly instead of through a
// 32 KiB copy buffer per stream per command.
func (c *capped) ReadFrom(r io.Reader) (int64, error) {
	n, err := c.buf.ReadFrom(io.LimitReader(r, int64(max(0, c.limit-c.buf.Len()))))
	if err != nil {
		return n, err
	}
	// Past the limit: drain, so the remote side is not blocked.
	m, err := io.Copy(io.Discard, r)
	if m > 0 {
		c.over = true
	}
	return n + m, err
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.limit - c.buf.Len(); room < len(p) {
		c.over = true
		if room > 0 {
			c.buf.Write(p[:room])
		}
		return len(p), nil // keep draining so the remote side is not blocked
	}
	return c.buf.Write(p)
}
