package sshx

import (
	"context"
	"os"
	"sync"
	"time"
)

// Options configure a Pool.
type Options struct {
	KnownHosts []string // known_hosts files; accept-new appends to the first
	Policy     string   // PolicyStrict (default) or PolicyAcceptNew
	// AgentSocket is the ssh-agent socket; empty uses $SSH_AUTH_SOCK.
	AgentSocket string
	// NoAgent disables ssh-agent even when SSH_AUTH_SOCK is set.
	NoAgent bool
	// MaxHandshakes caps concurrent unauthenticated connections (sshd's
	// MaxStartups starts dropping beyond 10).
	MaxHandshakes int
	// HandshakeTimeout bounds TCP connect plus SSH handshake of one dial,
	// whatever the caller's deadline: a mute host holds a handshake slot
	// at most this long.
	HandshakeTimeout time.Duration
	// KeepAlive is how often an idle connection is checked, and
	// KeepAliveTimeout how long the reply may take before the connection is
	// closed as dead.
	KeepAlive        time.Duration
	KeepAliveTimeout time.Duration
}

// Defaults for Options.
const (
	DefaultMaxHandshakes    = 8
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultKeepAlive        = 15 * time.Second
	DefaultKeepAliveTimeout = 10 * time.Second
	// MaxSessions caps concurrent sessions on one connection (sshd's
	// MaxSessions defaults to 10).
	MaxSessions = 8
)

// Pool owns one persistent client per host and what they share: host keys,
// keys, the handshake limit.
type Pool struct {
	opt   Options
	keys  *hostKeys
	ring  *keyring
	shake chan struct{}

	mu      sync.Mutex
	clients map[string]*Client
	closed  bool
	done    chan struct{}  // closed by Close
	wg      sync.WaitGroup // keepalives and clean-up goroutines
}

// async runs fn in a goroutine that Close waits for: clean-up of a session
// given up on ends when its connection closes, at the latest.
func (p *Pool) async(fn func()) {
	if !p.hold() {
		go fn() // closing: the connections are closed, fn ends soon
		return
	}
	go func() {
		defer p.wg.Done()
		fn()
	}()
}

// NewPool makes a pool; nothing is dialled until a client runs a command.
func NewPool(opt Options) *Pool {
	if opt.MaxHandshakes <= 0 {
		opt.MaxHandshakes = DefaultMaxHandshakes
	}
	if opt.HandshakeTimeout <= 0 {
		opt.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if opt.KeepAlive <= 0 {
		opt.KeepAlive = DefaultKeepAlive
	}
	if opt.KeepAliveTimeout <= 0 {
		opt.KeepAliveTimeout = DefaultKeepAliveTimeout
	}
	sock := opt.AgentSocket
	if sock == "" && !opt.NoAgent {
		sock = os.Getenv("SSH_AUTH_SOCK")
	}
	if opt.NoAgent {
		sock = ""
	}
	return &Pool{
		opt:     opt,
		keys:    newHostKeys(opt.KnownHosts, opt.Policy),
		ring:    newKeyring(sock),
		shake:   make(chan struct{}, opt.MaxHandshakes),
		clients: map[string]*Client{},
		done:    make(chan struct{}),
	}
}

// Target is how to reach one host.
type Target struct {
	Name          string // the host's name in opsdeck, used in messages
	Addr          string // host:port
	User          string
	IdentityFiles []string // empty: ssh's defaults
	Jump          *Target  // reached through this host, if set
}

// Client returns the persistent client for a target, making it on first
// use. Targets are keyed by name: a host has one connection, shared with the
// hosts that jump through it.
func (p *Pool) Client(t Target) *Client {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[t.Name]; ok {
		return c
	}
	c := &Client{pool: p, target: t, sessions: make(chan struct{}, MaxSessions), dialing: make(chan struct{}, 1)}
	p.clients[t.Name] = c
	if t.Jump != nil {
		p.mu.Unlock()
		c.jump = p.Client(*t.Jump)
		p.mu.Lock()
	}
	return c
}

// Forget drops the client of a host that left the fleet, or whose
// connection settings changed (the next Client makes a new one): its
// connection closes once no session uses it, so an action still running
// on it runs to its end.
func (p *Pool) Forget(name string) {
	p.mu.Lock()
	c, ok := p.clients[name]
	delete(p.clients, name)
	p.mu.Unlock()
	if !ok {
		return
	}
	p.async(func() {
		defer c.Close()
		for range MaxSessions { // every session slot: the sessions in flight have ended
			select {
			case c.sessions <- struct{}{}:
			case <-p.done: // closing: no more waiting
				return
			}
		}
	})
}

// Close closes every connection and waits for the keepalive goroutines.
func (p *Pool) Close() {
	p.mu.Lock()
	if !p.closed {
		close(p.done)
	}
	p.closed = true
	clients := make([]*Client, 0, len(p.clients))
	for _, c := range p.clients {
		clients = append(clients, c)
	}
	p.mu.Unlock()
	for _, c := range clients {
		c.Close()
	}
	p.wg.Wait()
}

// hold counts one more goroutine for Close to wait for, unless the pool is
// closing (false).
func (p *Pool) hold() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.wg.Add(1)
	return true
}

func (p *Pool) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// acquire waits for a handshake slot.
func (p *Pool) acquire(ctx context.Context) error {
	select {
	case p.shake <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Pool) release() { <-p.shake }
