package sshx

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
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
	dialing  chan struct{} // one dial at a time, waited for under the caller's ctx

	mu        sync.Mutex
	cli       *ssh.Client
	preferred ssh.PublicKey // the key this host accepted last time
	dropped   string        // why the last connection was closed by us
	idle      *time.Timer   // runs keepalive once cli was idle for KeepAlive
	outHint   atomic.Int64  // the size of Run's last output
}

// Connected reports whether the client holds a live connection.
func (c *Client) Connected() bool { return c.current() != nil }

func (c *Client) current() *ssh.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cli
}

// Close drops the connection; the next Run dials again.
func (c *Client) Close() {
	c.mu.Lock()
	cli := c.cli
	c.cli = nil
	if c.idle != nil {
		c.idle.Stop()
	}
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

// Connect makes sure the host is connected. Waiting for a handshake slot
// is bounded by ctx only; the dial and the handshake themselves get budget
// (and at most Options.HandshakeTimeout). A poller calls it before it
// starts the clock of a poll, so time spent queueing behind mute hosts
// never counts against a healthy one.
func (c *Client) Connect(ctx context.Context, budget time.Duration) error {
	_, err := c.conn(ctx, budget)
	return err
}

// conn returns the live connection, dialling when there is none. Dialling
// is serialised per host; a caller waits for another's dial only as long
// as its ctx allows. budget bounds the dial and handshake (0: ctx alone).
func (c *Client) conn(ctx context.Context, budget time.Duration) (*ssh.Client, error) {
	if cli := c.current(); cli != nil {
		return cli, nil
	}
	select {
	case c.dialing <- struct{}{}:
		defer func() { <-c.dialing }()
	case <-ctx.Done():
		return nil, &Error{KindTimeout, "still connecting to " + c.target.Addr + " (another attempt is under way)", ctx.Err()}
	}
	if cli := c.current(); cli != nil {
		return cli, nil // connected while we waited
	}
	if c.pool.isClosed() {
		return nil, &Error{KindOther, "transport closed", net.ErrClosed}
	}
	cli, err := c.dial(ctx, budget)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.cli, c.dropped = cli, ""
	if c.idle != nil {
		c.idle.Stop()
	}
	c.idle = time.AfterFunc(c.pool.opt.KeepAlive, func() { c.keepalive(cli) })
	c.mu.Unlock()
	return cli, nil
}

// dial connects, directly or through the jump host, and completes the SSH
// handshake in two phases, each with its own deadline (budget, at most
// Options.HandshakeTimeout), enforced by closing the connection:
//
//  1. TCP connect (or a channel through the jump host) and the server's
//     first byte, its version banner. This costs no CPU on either side and
//     takes no handshake slot, so peers that accept TCP and never speak
//     (a frozen sshd, a tarpit) hold nothing a healthy host needs.
//  2. With a handshake slot (waited for under ctx alone, never charged to
//     the host): key exchange and authentication, the part that costs CPU
//     and that sshd's MaxStartups counts.
func (c *Client) dial(ctx context.Context, budget time.Duration) (*ssh.Client, error) {
	t := c.target
	var jc *ssh.Client
	if c.jump != nil {
		var err error
		if jc, err = c.jump.conn(ctx, budget); err != nil {
			return nil, &Error{KindJumpDown, fmt.Sprintf("jump host %s: %v", c.jump.target.Name, err), err}
		}
	}
	limit := c.pool.opt.HandshakeTimeout
	if budget > 0 && budget < limit {
		limit = budget
	}
	nc, err := c.reach(ctx, jc, limit)
	if err != nil {
		return nil, err
	}
	if err := c.pool.acquire(ctx); err != nil {
		nc.Close()
		return nil, &Error{KindTimeout, "no handshake slot free for " + t.Addr + " in time (other hosts are slow to answer)", err}
	}
	defer c.pool.release()
	hctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	// Deadlines do not work on jump channels; closing does, everywhere.
	stop := context.AfterFunc(hctx, func() { nc.Close() })
	cfg := c.clientConfig()
	sc, chans, reqs, err := ssh.NewClientConn(nc, t.Addr, cfg)
	if !stop() {
		if sc != nil {
			sc.Close()
		}
		nc.Close()
		return nil, &Error{KindTimeout, fmt.Sprintf("no SSH handshake from %s within %s (key exchange or authentication not finished)", t.Addr, limit.Round(time.Millisecond)), hctx.Err()}
	}
	if err != nil {
		nc.Close()
		if strings.Contains(err.Error(), "unable to authenticate") {
			c.setPreferred(nil) // let the next attempt try every key
			return nil, c.authError(err)
		}
		return nil, classify(err, t.Addr)
	}
	// ssh.NewClient serves the host's global requests and channel opens
	// in two goroutines and waits for the end in a third, for port
	// forwarding opsdeck never asks for: with thousands of connections,
	// thousands of stacks. One goroutine refuses both; a Client needs
	// only the connection for sessions and jump channels.
	go refuseHost(chans, reqs)
	return &ssh.Client{Conn: sc}, nil
}

// reach opens the byte stream to the host (TCP, or a channel through jc)
// and waits for the server's first byte, all within limit. The returned
// conn replays that byte to the SSH handshake.
func (c *Client) reach(ctx context.Context, jc *ssh.Client, limit time.Duration) (net.Conn, error) {
	t := c.target
	rctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var nc net.Conn
	if jc != nil {
		var err error
		nc, err = dialThrough(rctx, jc, t.Addr)
		if err != nil {
			if rctx.Err() != nil {
				c.jump.drop(jc, "no channel opened through it in time") // the jump host stopped answering
				return nil, &Error{KindJumpDown, fmt.Sprintf("jump host %s did not open a channel to %s in time", c.jump.target.Name, t.Addr), err}
			}
			return nil, classify(fmt.Errorf("via %s: %w", c.jump.target.Name, err), t.Addr)
		}
	} else {
		var d net.Dialer
		var err error
		nc, err = d.DialContext(rctx, "tcp", t.Addr)
		if err != nil {
			return nil, classify(err, t.Addr)
		}
	}
	stop := context.AfterFunc(rctx, func() { nc.Close() })
	first := make([]byte, 1)
	_, err := io.ReadFull(nc, first)
	if !stop() {
		nc.Close()
		return nil, &Error{KindNoBanner, fmt.Sprintf("no SSH handshake from %s within %s: it accepts the connection but sends no SSH banner", t.Addr, limit.Round(time.Millisecond)), rctx.Err()}
	}
	if err != nil {
		nc.Close()
		return nil, classify(fmt.Errorf("reading the SSH banner: %w", err), t.Addr)
	}
	return &bannerConn{Conn: nc, first: first}, nil
}

// bannerConn replays the byte reach read before handing the stream over.
type bannerConn struct {
	net.Conn
	first []byte
}

func (b *bannerConn) Read(p []byte) (int, error) {
	if len(b.first) > 0 && len(p) > 0 {
		n := copy(p, b.first)
		b.first = b.first[n:]
		return n, nil
	}
	return b.Conn.Read(p)
}

func (c *Client) setPreferred(k ssh.PublicKey) {
	c.mu.Lock()
	c.preferred = k
	c.mu.Unlock()
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
	c.mu.Lock()
	pref := c.preferred
	c.mu.Unlock()
	if pref != nil {
		for _, s := range all {
			if bytes.Equal(s.PublicKey().Marshal(), pref.Marshal()) {
				return []ssh.Signer{s}, nil
			}
		}
	}
	out := make([]ssh.Signer, len(all))
	for i, s := range all {
		out[i] = &learningSigner{Signer: s, learn: c.setPreferred}
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

// active notes that cli starts or ended a command: its keepalive waits
// KeepAlive from now. A host polled every few seconds is never pinged: its
// polls have their own deadlines.
func (c *Client) active(cli *ssh.Client) {
	c.mu.Lock()
	if c.cli == cli && c.idle != nil {
		c.idle.Reset(c.pool.opt.KeepAlive)
	}
	c.mu.Unlock()
}

// keepalive runs when cli was idle for KeepAlive: it sends
// keepalive@openssh.com and closes the connection when no reply comes
// within KeepAliveTimeout, so a half-open connection is found without
// waiting for TCP. A timer, not a goroutine per connection, waits for it.
func (c *Client) keepalive(cli *ssh.Client) {
	if !c.pool.hold() {
		return // closing
	}
	defer c.pool.wg.Done()
	if c.current() != cli {
		return // replaced or dropped since
	}
	if err := c.ping(cli); err != nil {
		c.drop(cli, err.Error())
		return
	}
	c.active(cli)
}
