package sshx

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"sync"

	"golang.org/x/crypto/ssh"
)

// Run runs cmd on the host with stdin as its input, keeping at most limit
// bytes of stdout: at the limit the session is closed, so a host that
// floods costs one limit of reading, not its whole output. Every step is
// bounded by ctx, enforced by closing the session (or the connection, when
// the host stopped answering requests).
//
// Run is the poll's path, taken by every host every few seconds, so it
// speaks to the session channel itself instead of through ssh.Session:
// the caller's goroutine opens it and starts the command, one goroutine
// writes stdin, reads the output and then the channel's requests (the
// exit status). Through ssh.Session and its copy goroutines and pipes a
// command took five.
func (c *Client) Run(ctx context.Context, cmd string, stdin []byte, limit int) (*Result, error) {
	cli, release, err := c.session(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	r := &run{c: c, cli: cli}
	// Each step below blocks on the host; when ctx ends first, r.cancel
	// unblocks it the only way that works for that step.
	defer context.AfterFunc(ctx, r.cancel)()

	noSession := c.target.Name + " stopped answering (no session opened in time)"
	ch, reqs, err := cli.OpenChannel("session", nil)
	if err != nil {
		if ctx.Err() != nil {
			return nil, &Error{KindTimeout, noSession, err}
		}
		return nil, c.lost(cli, err)
	}
	if !r.next(starting, ch) {
		ch.Close() // the connection is dropped by cancel
		return nil, &Error{KindTimeout, noSession, ctx.Err()}
	}
	ok, err := ch.SendRequest("exec", true, ssh.Marshal(struct{ Command string }{cmd}))
	if err != nil || !ok || !r.next(running, ch) {
		ch.Close()
		switch {
		case ctx.Err() != nil:
			return nil, &Error{KindTimeout, c.target.Name + " opened a session but never started the command (exec request not answered in time)", ctx.Err()}
		case err != nil:
			return nil, c.lost(cli, err)
		}
		return nil, &Error{KindCommand, c.target.Name + " refused to run the command", nil}
	}
	// Writing stdin waits for the host's window and reading waits for its
	// output: neither can be interrupted but by the host or the
	// connection, so one goroutine does both and is left to end with the
	// session when ctx ends first.
	got := make(chan output, 1)
	hint := int(c.outHint.Load())
	c.pool.async(func() { got <- communicate(ch, reqs, stdin, limit, hint) })
	var o output
	select {
	case o = <-got:
	case <-ctx.Done():
		return nil, r.gaveUp(ctx)
	}
	if o.cut {
		// Nothing more is read: the host pays for its flood, not us.
		ch.Close()
		return &Result{Stdout: o.out, Truncated: true, Exit: -1}, nil
	}
	if o.err != nil {
		ch.Close()
		return nil, c.lost(cli, o.err)
	}
	ch.Close()
	if o.status == noStatus {
		return nil, &Error{KindCommand, c.target.Name + " ended the command without an exit status", nil}
	}
	c.outHint.Store(int64(len(o.out)))
	return &Result{Stdout: o.out, Stderr: o.errOut, Exit: o.status, buf: o.buf}, nil
}

// output is what a command wrote: stdout up to the limit (cut: there was
// more), the first 4 KiB of stderr, and its exit status once the channel
// closed.
type output struct {
	out, errOut []byte
	buf         *bytes.Buffer // out's, for Release
	cut         bool
	err         error
	status      int
}

// communicate writes stdin to the session, closes it and reads stdout
// until it ends or passes limit, then what came on stderr, then the
// channel's requests until it closes (the exit status). hint is the size
// stdout is likely to have. The requests wait in the channel's queue
// meanwhile: a session gets two or three; a host that sends more than the
// queue holds stalls its own connection, and its poll times out.
func communicate(ch ssh.Channel, reqs <-chan *ssh.Request, stdin []byte, limit, hint int) output {
	if _, err := ch.Write(stdin); err == nil {
		_ = ch.CloseWrite()
	}
	out := outBufs.Get().(*bytes.Buffer)
	out.Reset()
	out.Grow(min(hint, limit) + bytes.MinRead) // no allocation for an output the size of the last
	_, err := out.ReadFrom(io.LimitReader(ch, int64(limit)+1))
	if out.Len() > limit {
		return output{out: out.Bytes()[:limit], cut: true}
	}
	if err != nil {
		outBufs.Put(out)
		return output{err: err}
	}
	// stdout ended, and so did stderr: what it holds is all that came.
	var errOut bytes.Buffer
	_, _ = errOut.ReadFrom(io.LimitReader(ch.Stderr(), 4096))
	_, _ = io.Copy(io.Discard, ch.Stderr())
	return output{out: out.Bytes(), buf: out, errOut: errOut.Bytes(), status: serveRequests(reqs)}
}

// outBufs are the buffers of outputs given back with Result.Release: a
// poll's answer is read into the buffer of an earlier one.
var outBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooled is the largest buffer kept for reuse: a flood's is dropped.
const maxPooled = 256 << 10

// Release gives the result's output buffer back for another command to
// read into; Stdout must not be used after it. A caller that keeps Stdout
// never calls it.
func (r *Result) Release() {
	if r.buf != nil && r.buf.Cap() <= maxPooled {
		outBufs.Put(r.buf)
	}
	r.Stdout, r.buf = nil, nil
}

// Steps of a run, for what cancel must do.
const (
	opening  = iota // waiting for the session channel
	starting        // waiting for the exec request's reply
	running         // the command runs
)

// run is one Run's state, shared with the func that cancels it.
type run struct {
	c     *Client
	cli   *ssh.Client
	mu    sync.Mutex
	step  int
	ch    ssh.Channel
	ended bool // ctx ended: cancel has run
}

// next moves to step with the channel; false when ctx ended before.
func (r *run) next(step int, ch ssh.Channel) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return false
	}
	r.step, r.ch = step, ch
	return true
}

// cancel unblocks the current step when ctx ends. A channel or an exec
// request the host never answers is given back only by closing the
// connection; a command that runs is killed and its session closed, and the
// connection checked in the background.
func (r *run) cancel() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ended = true
	switch r.step {
	case opening:
		r.c.drop(r.cli, "no session opened in time")
	case starting:
		r.c.drop(r.cli, "a command was never started")
	case running:
		ch := r.ch
		r.c.pool.async(func() {
			_, _ = ch.SendRequest("signal", false, ssh.Marshal(struct{ Signal string }{string(ssh.SIGKILL)}))
			ch.Close()
		})
		// The host may be frozen: if it no longer answers a keepalive,
		// the next poll gets a fresh connection.
		r.c.pool.async(func() { r.c.checkAlive(r.cli) })
	}
}

// gaveUp is the error of a command that started and did not end within ctx.
func (r *run) gaveUp(ctx context.Context) error {
	return &Error{KindSlow, "command on " + r.c.target.Name + " started but did not finish in time", ctx.Err()}
}

// noStatus is serveRequests' answer for a channel closed without an exit
// status or signal.
const noStatus = -1

// serveRequests answers the session channel's requests until it closes
// (as the mux requires) and returns the command's exit status: 128 plus
// the signal's number for one killed by a signal, as a shell says.
func serveRequests(reqs <-chan *ssh.Request) int {
	status, signal := noStatus, ""
	for r := range reqs {
		switch r.Type {
		case "exit-status":
			if len(r.Payload) >= 4 {
				status = int(binary.BigEndian.Uint32(r.Payload))
			}
		case "exit-signal":
			var sig struct {
				Signal     string
				CoreDumped bool
				Error      string
				Lang       string
			}
			if ssh.Unmarshal(r.Payload, &sig) == nil {
				signal = sig.Signal
			}
		}
		if r.WantReply {
			_ = r.Reply(false, nil)
		}
	}
	if status == noStatus && signal != "" {
		return 128 + signalNumbers[signal]
	}
	return status
}

// signalNumbers are the signals RFC 4254 names, with Linux's numbers.
var signalNumbers = map[string]int{
	"ABRT": 6, "ALRM": 14, "FPE": 8, "HUP": 1, "ILL": 4, "INT": 2, "KILL": 9,
	"PIPE": 13, "QUIT": 3, "SEGV": 11, "TERM": 15, "USR1": 10, "USR2": 12,
}
