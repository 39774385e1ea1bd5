package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The README's first command on a workstation where no sshd runs: in a
// PID namespace of its own (no other process's sshd is visible, and
// systemctl cannot report an ssh.socket), the dashboard never shows an
// UNKNOWN or an sshd finding, from its first frame until the security
// checklist and the updates have been read and several polls later; the
// detail lists sshd as not running here.
func TestTmux_WorkstationWithoutSSHD(t *testing.T) {
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Fatalf("this test needs util-linux's unshare to hide the machine's processes from opsdeck: %v", err)
	}
	hide := `for s in /usr/bin/systemctl /bin/systemctl; do [ -e "$s" ] && { mount --bind /bin/false "$s" || exit 97; }; done; exec "$@"`
	wrap := []string{unshare, "--pid", "--fork", "--mount-proc", "--propagation", "private", "sh", "-c", hide, "sh"}
	s := startTmuxWrapped(t, 80, 24, nil, wrap)
	var frames []string
	look := func() string {
		scr := s.screen()
		frames = append(frames, scr)
		for _, bad := range []string{"UNKNOWN", "sshd settings", "sshd: Pass", "sshd: Permit", "harden"} {
			if strings.Contains(scr, bad) {
				t.Fatalf("frame %d shows %q:\n%s", len(frames), bad, scr)
			}
		}
		return scr
	}
	// A busy CI machine: the simulated apt-get upgrade alone takes seconds.
	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(look(), "1 host:") {
		if time.Now().After(deadline) {
			t.Fatalf("no header:\n%s", frames[len(frames)-1])
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.keys("Enter")
	// Until the checklist and the updates are read, then three more
	// polls (every 2 s): nothing else is due in the first minute.
	var settled time.Time
	for settled.IsZero() || time.Since(settled) < 6*time.Second {
		scr := look()
		if settled.IsZero() && strings.Contains(scr, "not running here") && strings.Contains(scr, "updates ") {
			settled = time.Now()
			for _, want := range []string{"sshd             – n/a     sshd: not running here", "Security (checked"} {
				if !strings.Contains(scr, want) {
					t.Errorf("detail lacks %q:\n%s", want, scr)
				}
			}
		}
		if settled.IsZero() && time.Now().After(deadline) {
			t.Fatalf("the detail never listed sshd as not running here and the updates as read:\n%s", scr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%d frames, none with an UNKNOWN or an sshd finding; last:\n%s", len(frames), frames[len(frames)-1])
}
