package fleettest

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Handler answers one command: given the command line and everything the
// client sent on stdin, it returns stdout and the exit status. Returning
// block = true never answers (a command that never exits).
type Handler func(cmd string, stdin []byte) (stdout []byte, exit int, block bool)

// Server is an in-process SSH server on 127.0.0.1, for unit tests and
// benchmarks only: integration tests use real sshd.
type Server struct {
	Addr       string
	HostKey    *Key
	ClientKey  *Key
	KnownHosts string // a known_hosts file that knows this server

	ln      net.Listener
	handler Handler
	cfg     *ssh.ServerConfig
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   map[net.Conn]bool
	done    chan struct{}
	mode    Misbehaviour
	execs   int // exec requests received
	pings   int // keepalives received
	// Flooded counts the streams a Flood server ended because the client
	// closed them.
	flooded int
}

// Misbehaviour makes the in-process server act as a broken host does, for
// what a real sshd cannot be made to do.
type Misbehaviour int

// Misbehaviours.
const (
	Behave           Misbehaviour = iota
	NoExecReply                   // sessions open; an exec request is never answered
	NoSessionReply                // a session channel is never accepted nor refused
	Flood                         // exec streams output until the client closes the channel
	NoKeepaliveReply              // keepalives are never answered (a half-open connection)
)

// Misbehave switches how new requests are answered.
func (s *Server) Misbehave(m Misbehaviour) {
	s.mu.Lock()
	s.mode = m
	s.mu.Unlock()
}

func (s *Server) behaviour() Misbehaviour {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mode
}

// Execs is how many exec requests the server received.
func (s *Server) Execs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.execs
}

// Keepalives is how many keepalive@openssh.com requests the server received.
func (s *Server) Keepalives() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pings
}

// FloodsClosed is how many flooding streams the client closed.
func (s *Server) FloodsClosed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flooded
}

// StartServer serves h until the test ends.
func StartServer(tb testing.TB, h Handler) *Server {
	tb.Helper()
	dir := tb.TempDir()
	host, client := NewKey(tb, dir, "host_key"), NewKey(tb, dir, "id_ed25519")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := Serve(ln, host, client, h)
	s.KnownHosts = filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(s.KnownHosts, []byte(s.KnownHostsLine()), 0o600); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Serve answers SSH on ln with host's key, letting in client's key only.
// It also runs outside tests (a benchmark's server process).
func Serve(ln net.Listener, host, client *Key, h Handler) *Server {
	s := &Server{handler: h, conns: map[net.Conn]bool{}, done: make(chan struct{}), HostKey: host, ClientKey: client}
	allowed := client.Signer.PublicKey().Marshal()
	s.cfg = &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			if bytes.Equal(k.Marshal(), allowed) {
				return nil, nil
			}
			return nil, io.EOF
		},
	}
	s.cfg.AddHostKey(host.Signer)
	s.ln, s.Addr = ln, ln.Addr().String()
	s.wg.Add(1)
	go s.accept()
	return s
}

// KnownHostsLine is this server's known_hosts line.
func (s *Server) KnownHostsLine() string {
	return knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, s.HostKey.Signer.PublicKey()) + "\n"
}

// Close stops the server and every connection.
func (s *Server) Close() {
	select {
	case <-s.done:
		return
	default:
	}
	close(s.done)
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(c)
	}
}

func (s *Server) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	sc, chans, reqs, err := ssh.NewServerConn(c, s.cfg)
	if err != nil {
		return
	}
	defer sc.Close()
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.global(reqs) }()
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		if s.behaviour() == NoSessionReply {
			continue // the client waits for an answer that never comes
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		s.wg.Add(1)
		go s.session(ch, creqs)
	}
}

// global answers connection-level requests: keepalives are counted, and
// left unanswered when the server is told so.
func (s *Server) global(reqs <-chan *ssh.Request) {
	for r := range reqs {
		if r.Type == "keepalive@openssh.com" {
			s.mu.Lock()
			s.pings++
			s.mu.Unlock()
			if s.behaviour() == NoKeepaliveReply {
				continue
			}
		}
		if r.WantReply {
			r.Reply(false, nil)
		}
	}
}

func (s *Server) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer s.wg.Done()
	defer ch.Close()
	for req := range reqs {
		if req.Type != "exec" {
			req.Reply(false, nil)
			continue
		}
		var p struct{ Command string }
		if err := ssh.Unmarshal(req.Payload, &p); err != nil {
			req.Reply(false, nil)
			return
		}
		s.mu.Lock()
		s.execs++
		s.mu.Unlock()
		switch s.behaviour() {
		case NoExecReply:
			select {
			case <-s.done:
			case <-waitClosed(reqs):
			}
			return
		case Flood:
			req.Reply(true, nil)
			s.flood(ch)
			return
		}
		req.Reply(true, nil)
		stdin, _ := io.ReadAll(ch)
		out, exit, block := s.handler(p.Command, stdin)
		if block {
			select {
			case <-s.done:
			case <-waitClosed(reqs):
			}
			return
		}
		ch.Write(out)
		status := make([]byte, 4)
		binary.BigEndian.PutUint32(status, uint32(exit))
		ch.SendRequest("exit-status", false, status)
		return
	}
}

// flood writes until the client closes the channel.
func (s *Server) flood(ch ssh.Channel) {
	chunk := bytes.Repeat([]byte("MemTotal:       16384000 kB\n"), 1024)
	for {
		if _, err := ch.Write(chunk); err != nil {
			s.mu.Lock()
			s.flooded++
			s.mu.Unlock()
			return
		}
	}
}

// waitClosed drains requests until the client closes the channel.
func waitClosed(reqs <-chan *ssh.Request) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		for r := range reqs {
			if r.WantReply {
				r.Reply(false, nil)
			}
		}
		close(done)
	}()
	return done
}

// SilentListener accepts TCP connections and never says a word: an SSH
// handshake against it hangs unless the client gives up on its own.
func SilentListener(tb testing.TB) string { return NewMute(tb).Addr }

// Mute is a listener that accepts TCP and never sends a byte.
type Mute struct {
	Addr string

	mu    sync.Mutex
	conns []net.Conn
}

// Accepted is how many connections it has accepted so far.
func (m *Mute) Accepted() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.conns)
}

// NewMute starts a mute listener on 127.0.0.1; it stops with the test.
func NewMute(tb testing.TB) *Mute {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	m := &Mute{Addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			m.mu.Lock()
			m.conns = append(m.conns, c)
			m.mu.Unlock()
		}
	}()
	tb.Cleanup(func() {
		ln.Close()
		m.mu.Lock()
		for _, c := range m.conns {
			c.Close()
		}
		m.mu.Unlock()
	})
	return m
}
