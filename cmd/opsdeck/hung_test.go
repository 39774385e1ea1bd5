package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
	"github.com/opsdeck/opsdeck/fleet/report"
)

// hungFleet is 2 real sshd hosts that answer, 2 in-process hosts that open
// sessions and never answer exec (no real sshd can be made to do that),
// and muteHosts that accept TCP and never send a banner, listed first and
// more of them than there are handshake slots.
const muteHosts = 12 // sshx.DefaultMaxHandshakes is 8

type hungFleet struct {
	cfg  string
	hung []*fleettest.Server
}

func startHungFleet(t *testing.T, hostTimeout string) *hungFleet {
	t.Helper()
	f := fleettest.StartFleet(t, 2)
	hf := &hungFleet{}
	var b strings.Builder
	fmt.Fprintf(&b, "[defaults]\nidentity_files = [%q]\nknown_hosts = %q\nssh_config = \"/dev/null\"\ntimeout = %q\nsecurity = false\n%s",
		f.ClientKey.Path, f.KnownHosts, hostTimeout, fleettest.Hermetic)
	mute := fleettest.NewMute(t)
	host, port, _ := net.SplitHostPort(mute.Addr)
	for i := 1; i <= muteHosts; i++ {
		fmt.Fprintf(&b, "[[hosts]]\nname = \"mute-%d\"\naddress = %q\nport = %s\n", i, host, port)
	}
	for _, h := range f.Hosts {
		fmt.Fprintf(&b, "[[hosts]]\nname = %q\naddress = %q\nport = %d\n", h.Name, h.Listen, h.Port)
	}
	known, err := os.OpenFile(f.KnownHosts, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer known.Close()
	for i := 1; i <= 2; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s := fleettest.Serve(ln, fleettest.NewKey(t, t.TempDir(), "host_key"), f.ClientKey, func(string, []byte) ([]byte, int, bool) { return nil, 0, true })
		t.Cleanup(s.Close)
		s.Misbehave(fleettest.NoExecReply)
		hf.hung = append(hf.hung, s)
		known.WriteString(s.KnownHostsLine())
		host, port, _ := net.SplitHostPort(s.Addr)
		fmt.Fprintf(&b, "[[hosts]]\nname = \"hung-%d\"\naddress = %q\nport = %s\n", i, host, port)
	}
	hf.cfg = writeFile(t, "hung.toml", b.String())
	return hf
}

// check finishes within --timeout (+2s): hosts that did not answer by then
// are DOWN and named, the healthy ones OK.
func TestCheck_HungHostsWithinTimeout(t *testing.T) {
	hf := startHungFleet(t, "30s") // longer than the pass: the pass deadline must hold
	start := time.Now()
	out, errOut, code := opsdeck(t, nil, "check", "--json", "--timeout", "4s", "-c", hf.cfg)
	took := time.Since(start)
	if took > 6*time.Second {
		t.Errorf("check took %v with --timeout 4s", took)
	}
	if code != 2 {
		t.Errorf("exit %d, want 2 (DOWN hosts)\n%s", code, errOut)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s\n%s", err, out, errOut)
	}
	for _, h := range rep.Hosts {
		switch {
		case strings.HasPrefix(h.Name, "host-"):
			if h.State != fleet.OK {
				t.Errorf("healthy %s: %s %s", h.Name, h.State, h.Reason)
			}
		default: // hung after the session opened, or mute (its 10s handshake deadline is past the pass's)

			if h.State != fleet.Down || !strings.Contains(h.Reason, "no answer within 4s") {
				t.Errorf("%s: %s %q", h.Name, h.State, h.Reason)
			}
		}
	}
}

// SIGTERM in the middle of a pass: opsdeck check prints what it has and
// exits within 2 s.
func TestCheck_SIGTERMExitsAtOnce(t *testing.T) {
	hf := startHungFleet(t, "30s")
	cmd := exec.Command(bin, "check", "--timeout", "60s", "-c", hf.cfg)
	home := t.TempDir()
	cmd.Env = []string{"HOME=" + home, "XDG_STATE_HOME=" + filepath.Join(home, ".state"), "PATH=" + os.Getenv("PATH"), "GORACE=atexit_sleep_ms=0"}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	fleettest.Eventually(t, 20*time.Second, "both hung hosts asked to run the probe", func() bool {
		return hf.hung[0].Execs() > 0 && hf.hung[1].Execs() > 0
	})
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running 10s after SIGTERM\n%s\n%s", o.String(), e.String())
	}
	if took := time.Since(sent); took > 2*time.Second {
		t.Errorf("exited %v after SIGTERM, want within 2s", took)
	}
	if code := cmd.ProcessState.ExitCode(); code != exitCanceled {
		t.Errorf("exit %d, want %d", code, exitCanceled)
	}
	for _, want := range []string{"hung-1", "interrupted", fmt.Sprintf("%d host(s)", 4+muteHosts)} {
		if !strings.Contains(o.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, o.String())
		}
	}
	if !strings.Contains(e.String(), "interrupted by SIGTERM") {
		t.Errorf("stderr: %s", e.String())
	}
}
