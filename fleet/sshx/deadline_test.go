package sshx

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet/fleettest"
	"go.uber.org/goleak"
)

// slack is what a deadline may be overrun by on a busy 2-core machine:
// the step is given up at the deadline; only scheduling adds to it.
const slack = 2 * time.Second

func runWithin(t *testing.T, c *Client, d time.Duration, stdin string) (*Result, error, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	res, err := c.Run(ctx, "sh", []byte(stdin), 1<<20)
	return res, err, time.Since(start)
}

// Every blocking step of a command gives up at the caller's deadline, and
// the next command works again once the host behaves.
func TestRun_GivesUpAtEveryStep(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, u := range []struct {
		name string
		mode fleettest.Misbehaviour
		want string
	}{
		{"exec never answered", fleettest.NoExecReply, "never started the command"},
		{"session never opened", fleettest.NoSessionReply, "no session opened in time"},
	} {
		t.Run(u.name, func(t *testing.T) {
			s := fleettest.StartServer(t, echoHandler)
			p, tgt := poolFor(s)
			c := p.Client(tgt)
			if _, err, _ := runWithin(t, c, 5*time.Second, "warm up"); err != nil {
				t.Fatal(err)
			}
			s.Misbehave(u.mode)
			_, err, took := runWithin(t, c, 300*time.Millisecond, "x")
			if KindOf(err) != KindTimeout || !strings.Contains(err.Error(), u.want) {
				t.Fatalf("err = %v, want a timeout saying %q", err, u.want)
			}
			if took > 300*time.Millisecond+slack {
				t.Errorf("gave up after %v; the deadline was 300ms", took)
			}
			s.Misbehave(fleettest.Behave)
			res, err, _ := runWithin(t, c, 5*time.Second, "again")
			if err != nil || string(res.Stdout) != "sh:again" {
				t.Fatalf("after the host recovered: %v %v", res, err)
			}
			p.Close()
			s.Close()
		})
	}
}

// A command that started and never ends is SLOW (the host answers), not a
// dead host; the connection stays up when it still answers keepalives.
func TestRun_StartedButNeverEndsIsSlow(t *testing.T) {
	s := fleettest.StartServer(t, echoHandler)
	p, tgt := poolFor(s)
	defer p.Close()
	c := p.Client(tgt)
	_, err, took := runWithin(t, c, 300*time.Millisecond, "hang")
	if KindOf(err) != KindSlow || !strings.Contains(err.Error(), "did not finish in time") {
		t.Fatalf("err = %v", err)
	}
	if took > 300*time.Millisecond+slack {
		t.Errorf("gave up after %v", took)
	}
	res, err, _ := runWithin(t, c, 5*time.Second, "next")
	if err != nil || string(res.Stdout) != "sh:next" {
		t.Fatalf("next command: %v %v", res, err)
	}
}

// Output that never ends is cut at the limit: the session is closed there
// (the server sees its stream closed), not read to its end.
func TestRun_FloodIsCutAtTheLimit(t *testing.T) {
	defer goleak.VerifyNone(t)
	s := fleettest.StartServer(t, echoHandler)
	p, tgt := poolFor(s)
	c := p.Client(tgt)
	s.Misbehave(fleettest.Flood)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := c.Run(ctx, "sh", nil, 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Truncated || len(res.Stdout) != 64<<10 || res.Exit != -1 {
		t.Fatalf("truncated %v, %d bytes, exit %d", res.Truncated, len(res.Stdout), res.Exit)
	}
	fleettest.Eventually(t, 10*time.Second, "the flooding stream closed by the client", func() bool { return s.FloodsClosed() == 1 })
	p.Close()
	s.Close()
}

// Peers that accept TCP and never send a banner take no handshake slot:
// they are given up at their own deadline, and a healthy host that comes
// after more of them than there are slots connects at once.
func TestConnect_MuteHostsDoNotStarveHealthyOnes(t *testing.T) {
	s := fleettest.StartServer(t, echoHandler)
	p := NewPool(Options{KnownHosts: []string{s.KnownHosts}, NoAgent: true, MaxHandshakes: 2})
	defer p.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	mute := fleettest.NewMute(t)
	for i := range 6 {
		mute := p.Client(Target{Name: fmt.Sprintf("mute%d", i), Addr: mute.Addr, User: "u"})
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			err := mute.Connect(ctx, 2*time.Second)
			if KindOf(err) != KindNoBanner || !strings.Contains(err.Error(), "no SSH banner") {
				t.Errorf("mute host: %v", err)
			}
			if took := time.Since(start); took > 2*time.Second+slack {
				t.Errorf("mute host given up after %v, its deadline is 2s", took)
			}
		}()
	}
	fleettest.Eventually(t, 5*time.Second, "six mute connections accepted", func() bool { return mute.Accepted() == 6 })
	if n := len(p.shake); n != 0 {
		t.Errorf("%d handshake slots held by hosts that never sent a banner", n)
	}
	// Six mute hosts are connecting, three times the slots: the healthy
	// host still has its whole budget.
	healthy := p.Client(Target{Name: "ok", Addr: s.Addr, User: "u", IdentityFiles: []string{s.ClientKey.Path}})
	if err := healthy.Connect(ctx, time.Second); err != nil {
		t.Fatalf("healthy host behind mute ones: %v", err)
	}
	wg.Wait()
}

// A connection in use is never pinged; one idle for KeepAlive is, and is
// closed when the ping goes unanswered, so the next command dials afresh.
func TestKeepalive_OnlyWhenIdle(t *testing.T) {
	defer goleak.VerifyNone(t)
	s := fleettest.StartServer(t, echoHandler)
	p := NewPool(Options{KnownHosts: []string{s.KnownHosts}, NoAgent: true,
		KeepAlive: time.Second, KeepAliveTimeout: 300 * time.Millisecond})
	c := p.Client(Target{Name: "mem", Addr: s.Addr, User: "u", IdentityFiles: []string{s.ClientKey.Path}})
	// Busy: a command every 100 ms or so for 3 keepalive periods.
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); {
		if _, err, _ := runWithin(t, c, 5*time.Second, "busy"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond) // the pace of a busy connection, not a wait for a condition
	}
	if n := s.Keepalives(); n != 0 {
		t.Fatalf("a connection in use was pinged %d times", n)
	}
	fleettest.Eventually(t, 10*time.Second, "a keepalive on the idle connection", func() bool { return s.Keepalives() > 0 })
	if !c.Connected() {
		t.Fatal("a connection that answers its keepalive was closed")
	}
	s.Misbehave(fleettest.NoKeepaliveReply)
	fleettest.Eventually(t, 10*time.Second, "the unanswered connection closed", func() bool { return !c.Connected() })
	s.Misbehave(fleettest.Behave)
	if res, err, _ := runWithin(t, c, 5*time.Second, "again"); err != nil || string(res.Stdout) != "sh:again" {
		t.Fatalf("after the keepalive closed the connection: %v %v", res, err)
	}
	p.Close()
	s.Close()
}
