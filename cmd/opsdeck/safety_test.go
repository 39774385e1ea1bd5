package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

// supervisedHost is one real sshd host with a supervisord program "worker"
// and a config naming it, plus a "slow" process service whose restart
// waits until the file release exists.
func supervisedHost(t *testing.T) (cfg string, sup *fleettest.Supervisor, release string) {
	return supervisedHostEnv(t, "staging")
}

func supervisedHostEnv(t *testing.T, env string) (cfg string, sup *fleettest.Supervisor, release string) {
	t.Helper()
	f := fleettest.StartFleet(t, 1)
	sup = fleettest.StartSupervisor(t, map[string]string{"worker": "sleep 100000"})
	release = filepath.Join(t.TempDir(), "release")
	cfg = writeFile(t, "c.toml", fmt.Sprintf(`%s[[hosts]]
name = "web-1"
address = "127.0.0.1"
port = %d
env = %q
[[hosts.services]]
name = "worker"
kind = "supervisor"
program = "worker"
conf = %q
[[hosts.services]]
name = "slow"
kind = "process"
pattern = "opsdeck-test-no-such-process"
restart = "while [ ! -e %s ]; do sleep 0.05; done; echo restarted"
`, f.Defaults(), f.Hosts[0].Port, env, sup.Conf, release))
	return cfg, sup, release
}

// With the state directory full, an action is refused before it runs: the
// service keeps its pid and the exit status says so. The full tmpfs is
// mounted in a mount namespace of opsdeck's own (unshare), so the other
// tests polling this machine never see a full disk.
func TestRestart_FullDiskIsRefused(t *testing.T) {
	cfg, sup, _ := supervisedHost(t)
	state := t.TempDir()
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Fatalf("this test needs util-linux's unshare to give opsdeck a full state directory of its own: %v", err)
	}
	cmd := opsdeckCmd(t, []string{"XDG_STATE_HOME=" + state}, "restart", "web-1", "worker", "--yes", "-c", cfg)
	// The script fills a 64 KiB tmpfs over the state directory (cat stops
	// at ENOSPC), says so on fd 3, then runs opsdeck in its place.
	script := `mount -t tmpfs -o size=64k tmpfs "$1" || exit 97
mkdir -p "$1/opsdeck" && cat /dev/zero >"$1/fill" 2>/dev/null
echo full >&3; shift; exec "$@"`
	cmd.Args = append([]string{unshare, "--mount", "--propagation", "private", "sh", "-c", script, "sh", state}, cmd.Args...)
	cmd.Path = unshare
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	marker, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.ExtraFiles = []*os.File{w}
	before := sup.PID("worker")
	runErr := cmd.Run()
	w.Close()
	said, _ := io.ReadAll(marker)
	marker.Close()
	code := 0
	var ee *exec.ExitError
	if errors.As(runErr, &ee) {
		code = ee.ExitCode()
	} else if runErr != nil {
		t.Fatal(runErr)
	}
	if string(said) != "full\n" {
		t.Fatalf("this test needs root to mount a 64 KiB tmpfs in a mount namespace (exit %d): %s", code, e.String())
	}
	if code == 0 || !strings.Contains(e.String(), "no space left on device") || !strings.Contains(e.String(), "refus") {
		t.Errorf("exit %d\n%s\n%s", code, o.String(), e.String())
	}
	if after := sup.PID("worker"); after != before {
		t.Errorf("worker restarted (pid %d → %d) while the audit log could not record it", before, after)
	}
	if out, _ := exec.Command("findmnt", "-n", state).CombinedOutput(); len(out) > 0 {
		t.Errorf("the full tmpfs is visible outside opsdeck's mount namespace: %s", out)
	}
}

// Two headless restarts of one target at once: exactly one runs, the
// other is refused naming the process that holds the target.
func TestRestart_TwoAtOnceOneRuns(t *testing.T) {
	cfg, _, release := supervisedHost(t)
	state := t.TempDir()
	auditPath := filepath.Join(state, "opsdeck", "audit.jsonl")
	first := startOpsdeck(t, []string{"XDG_STATE_HOME=" + state}, "restart", "web-1", "slow", "--yes", "-c", cfg)
	fleettest.Eventually(t, 20*time.Second, "the first restart's intent in the audit log", func() bool {
		b, _ := os.ReadFile(auditPath)
		return strings.Contains(string(b), `"outcome":"started"`)
	})
	_, errOut, code := opsdeck(t, []string{"XDG_STATE_HOME=" + state}, "restart", "web-1", "slow", "--yes", "-c", cfg)
	holder := fmt.Sprintf("another opsdeck (pid %d) is restarting it since", first.Process.Pid)
	if code == 0 || !strings.Contains(errOut, holder) {
		t.Errorf("second restart: exit %d, stderr %q; want it refused naming %q", code, errOut, holder)
	}
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("first restart: %v\n%s\n%s", err, first.out.String(), first.err.String())
	}
	b, _ := os.ReadFile(auditPath)
	log := string(b)
	if n := strings.Count(log, `"outcome":"succeeded"`); n != 1 || strings.Count(log, `"outcome":"refused"`) != 1 {
		t.Errorf("want one success and one refusal:\n%s", log)
	}
}

// On a production host --yes alone does not act: the host's name must be
// given, as the dashboard asks for it to be typed.
func TestRestart_ProdNeedsConfirmHost(t *testing.T) {
	cfg, sup, _ := supervisedHostEnv(t, "prod")
	state := []string{"XDG_STATE_HOME=" + t.TempDir()}
	before := sup.PID("worker")
	_, errOut, code := opsdeck(t, state, "restart", "web-1", "worker", "--yes", "-c", cfg)
	if code == 0 || !strings.Contains(errOut, "add --confirm web-1") || sup.PID("worker") != before {
		t.Errorf("--yes on prod: exit %d, stderr %q, pid %d → %d", code, errOut, before, sup.PID("worker"))
	}
	out, errOut, code := opsdeck(t, state, "restart", "web-1", "worker", "--yes", "--confirm", "web-1", "-c", cfg)
	if code != 0 || !strings.Contains(out, "succeeded") || sup.PID("worker") == before {
		t.Errorf("--yes --confirm web-1: exit %d\n%s\n%s", code, out, errOut)
	}
}
