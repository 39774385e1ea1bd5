package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

// bin is the opsdeck binary built for these tests: they run it as a user
// would.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "opsdeck-bin")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "opsdeck")
	build := exec.Command("go", "build", "-race", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building opsdeck:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// opsdeck runs the binary with a clean config environment.
func opsdeck(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := opsdeckCmd(t, env, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

// opsdeckCmd is the binary with a clean config environment; env's
// variables win over the defaults.
func opsdeckCmd(t *testing.T, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	home := t.TempDir()
	cmd.Env = append([]string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_STATE_HOME=" + filepath.Join(home, ".state"), "PATH=" + os.Getenv("PATH"),
		"GORACE=atexit_sleep_ms=0"}, env...) // the race runtime otherwise sleeps 1 s at exit
	return cmd
}

// running is an opsdeck left running in the background; its output is
// whole once Wait has returned.
type running struct {
	*exec.Cmd
	out, err bytes.Buffer
}

// startOpsdeck starts the binary as opsdeck runs it, killed at cleanup if
// still running.
func startOpsdeck(t *testing.T, env []string, args ...string) *running {
	t.Helper()
	r := &running{Cmd: opsdeckCmd(t, env, args...)}
	r.Stdout, r.Stderr = &r.out, &r.err
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Process.Kill(); r.Wait() })
	return r
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigCheck(t *testing.T) {
	example, _ := filepath.Abs("../../config.example.toml")
	bad := writeFile(t, "config.toml", `[[hosts]]
name = "web-1"
adress = "10.0.0.1"
[[hosts]]
name = "web-1"
jump = "nowhere"
[keys]
quit = ["o"]
`)
	uu := map[string]struct {
		args     []string
		env      []string
		wantCode int
		wantOut  []string
		wantErr  string
	}{
		"example passes": {
			args: []string{"config", "check", "--config", example, "--offline"}, wantCode: 0,
			wantOut: []string{"config.example.toml: OK — 8 host(s): 1 local, 7 over SSH"},
		},
		"global flag after the subcommand or before it": {
			args: []string{"--config", example, "config", "check", "--offline"}, wantCode: 0,
			wantOut: []string{"OK"},
		},
		"embedded default": {
			args: []string{"config", "check"}, wantCode: 0,
			wantOut: []string{"embedded default: OK — 1 host(s): 1 local"},
		},
		"env variable": {
			args: []string{"config", "check", "--offline"}, env: []string{"OPSDECK_CONFIG=" + example}, wantCode: 0,
			wantOut: []string{"config.example.toml: OK"},
		},
		"every problem, located": {
			args: []string{"config", "check", "-c", bad}, wantCode: 1,
			wantOut: []string{
				bad + `:3:1: unknown key "adress" in [[hosts]] (did you mean "address"?)`,
				bad + `:5:1: hosts[web-1].name: duplicate host name "web-1" (first defined at line 2)`,
				bad + `:6:1: hosts[web-1].jump: jump host "nowhere" is not a configured host`,
				bad + `:8:1: keys.quit: key "o" is bound to both "quit" and "sort"`,
				"4 problem(s)",
			},
		},
		"missing file": {
			args: []string{"config", "check", "-c", "/nonexistent/opsdeck.toml"}, wantCode: 1,
			wantErr: "config file /nonexistent/opsdeck.toml (from --config)",
		},
	}
	for name, u := range uu {
		t.Run(name, func(t *testing.T) {
			out, errOut, code := opsdeck(t, u.env, u.args...)
			if code != u.wantCode {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, u.wantCode, out, errOut)
			}
			for _, w := range u.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if u.wantErr != "" && !strings.Contains(errOut, u.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", u.wantErr, errOut)
			}
		})
	}
}

func TestDashboard_Errors(t *testing.T) {
	bad := writeFile(t, "c.toml", "[[hosts]]\nname = 1\n")
	for name, u := range map[string]struct {
		args     []string
		wantCode int
		wantErr  string
	}{
		"unknown theme":   {[]string{"--theme", "neon"}, exitConfig, `unknown theme "neon"`},
		"bad config":      {[]string{"-c", bad}, exitConfig, bad + ":2:8: hosts.name: wrong type: expected string, got integer"},
		"unknown flag":    {[]string{"--bogus"}, exitConfig, "unknown flag: --bogus"},
		"no terminal":     {nil, exitRuntime, "the dashboard needs a terminal"},
		"extra arguments": {[]string{"web-1"}, exitConfig, `unknown command "web-1"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, errOut, code := opsdeck(t, nil, u.args...)
			if code != u.wantCode || !strings.Contains(errOut, u.wantErr) {
				t.Errorf("exit %d (want %d), stderr:\n%s\nwant it to contain %q", code, u.wantCode, errOut, u.wantErr)
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"config", "check", "--help"}, {"config", "--help"}, {"completion", "--help"},
		{"check", "--help"}, {"restart", "--help"}, {"snapshot", "--help"}, {"drill", "--help"}} {
		out, _, code := opsdeck(t, nil, args...)
		if code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("%v: exit %d\n%s", args, code, out)
		}
		if args[0] != "completion" && !strings.Contains(out, "Examples:") {
			t.Errorf("%v: no example:\n%s", args, out)
		}
	}
	out, _, code := opsdeck(t, nil, "--version")
	if code != 0 || !strings.HasPrefix(out, "opsdeck ") {
		t.Errorf("--version: %d %q", code, out)
	}
	for _, sh := range []string{"bash", "zsh", "fish"} {
		out, _, code := opsdeck(t, nil, "completion", sh)
		if code != 0 || !strings.Contains(out, "opsdeck") {
			t.Errorf("completion %s: exit %d", sh, code)
		}
	}
}

// config check connects to every host like the dashboard and says which
// cannot be reached, and why.
func TestConfigCheck_Connections(t *testing.T) {
	f := fleettest.StartFleet(t, 1)
	h := f.Hosts[0]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := writeFile(t, "c.toml", fmt.Sprintf(`%stimeout = "3s"
[[hosts]]
name = "up"
address = "127.0.0.1"
port = %d
[[hosts]]
name = "gone"
address = "127.0.0.1"
port = %d
`, f.Defaults(), h.Port, closed))
	out, _, code := opsdeck(t, nil, "config", "check", "-c", cfg)
	for _, want := range []string{
		"OK — 2 host(s): 0 local, 2 over SSH",
		fmt.Sprintf("ok    up  %s@127.0.0.1:%d", h.User, h.Port),
		fmt.Sprintf("FAIL  gone  %s@127.0.0.1:%d: refused: connection refused", h.User, closed),
		"1 of 2 SSH host(s) unreachable",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if out, _, code := opsdeck(t, nil, "config", "check", "-c", cfg, "--offline"); code != 0 || strings.Contains(out, "FAIL") {
		t.Errorf("--offline: exit %d\n%s", code, out)
	}
}

func TestRestart_Headless(t *testing.T) {
	f := fleettest.StartFleet(t, 1)
	h := f.Hosts[0]
	sup := fleettest.StartSupervisor(t, map[string]string{"worker": "sleep 100000"})
	cfg := writeFile(t, "c.toml", fmt.Sprintf(`%s[[hosts]]
name = "web-1"
address = "127.0.0.1"
port = %d
[[hosts.services]]
name = "worker"
kind = "supervisor"
program = "worker"
conf = %q
[[hosts.services]]
name = "ghost"
kind = "supervisor"
program = "ghost"
conf = %q
`, f.Defaults(), h.Port, sup.Conf, sup.Conf))
	state := t.TempDir()
	env := []string{"XDG_STATE_HOME=" + state}
	audit := func() string { b, _ := os.ReadFile(filepath.Join(state, "opsdeck", "audit.jsonl")); return string(b) }

	before := sup.PID("worker")
	out, errOut, code := opsdeck(t, env, "restart", "web-1", "worker", "-c", cfg, "--yes") // flags after the arguments
	if code != 0 || !strings.Contains(out, "restart worker on web-1: succeeded") || !strings.Contains(out, "command: supervisorctl -c") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if after := sup.PID("worker"); after == 0 || after == before {
		t.Errorf("pid %d → %d", before, after)
	}
	for name, u := range map[string]struct {
		args    []string
		code    int
		errText string
		outcome string
	}{
		"unknown program": {[]string{"restart", "web-1", "ghost", "--yes"}, 1, "no such process", `"outcome":"failed"`},
		"no terminal":     {[]string{"restart", "web-1", "worker"}, 1, "not confirmed: no terminal", `"outcome":"cancelled"`},
		"read-only":       {[]string{"restart", "web-1", "worker", "--yes", "--read-only"}, 1, "read-only mode", `"outcome":"refused"`},
		"unknown host":    {[]string{"restart", "web1", "worker", "--yes"}, 2, `no host "web1" in ` + cfg + ` (did you mean "web-1"?)`, ""},
		"unknown service": {[]string{"restart", "web-1", "api", "--yes"}, 2, `host web-1 has no service "api" (services: worker, ghost)`, ""},
	} {
		t.Run(name, func(t *testing.T) {
			n := strings.Count(audit(), "\n")
			_, errOut, code := opsdeck(t, env, append(u.args, "-c", cfg)...)
			if code != u.code || !strings.Contains(errOut, u.errText) {
				t.Errorf("exit %d (want %d), stderr %q", code, u.code, errOut)
			}
			lines := strings.Split(strings.TrimSpace(audit()), "\n")
			switch {
			case u.outcome == "" && strings.Count(audit(), "\n") != n:
				t.Errorf("a command that never planned an action was audited")
			case u.outcome != "" && !strings.Contains(lines[len(lines)-1], u.outcome):
				t.Errorf("last audit line %s, want %s", lines[len(lines)-1], u.outcome)
			}
		})
	}
}

func TestSnapshotAndDrill_Headless(t *testing.T) {
	f := fleettest.StartFleet(t, 1)
	h := f.Hosts[0]
	dir := t.TempDir()
	old := filepath.Join(dir, "site-1.tar")
	os.WriteFile(old, []byte("site backup one"), 0o644)
	hourAgo := time.Now().Add(-time.Hour)
	os.Chtimes(old, hourAgo, hourAgo)
	cfg := writeFile(t, "c.toml", fmt.Sprintf(`%s[[hosts]]
name = "web-1"
address = "127.0.0.1"
port = %d
[[hosts.backups]]
name = "site"
kind = "files"
path = "%s/site-*.tar"
snapshot = "echo 'site backup two' > %s/site-2.tar"
restore = "cp -- {artifact} {scratch}/restored"
verify = "grep -q 'site backup' {scratch}/restored"
[[hosts.backups]]
name = "broken"
kind = "files"
path = "%s/site-*.tar"
restore = "cp -- {artifact} {scratch}/restored"
verify = "grep -q 'never there' {scratch}/restored"
`, f.Defaults(), h.Port, dir, dir, dir))
	state := t.TempDir()
	env := []string{"XDG_STATE_HOME=" + state}

	out, errOut, code := opsdeck(t, env, "snapshot", "web-1", "site", "-c", cfg, "--yes")
	fresh := regexp.MustCompile(`newest artefact: ` + regexp.QuoteMeta(dir) + `/site-2.tar, [0-2]s old`) // mtimes have 1 s resolution
	if code != 0 || !strings.Contains(out, "snapshot site on web-1: succeeded") || !fresh.MatchString(out) {
		t.Fatalf("snapshot: exit %d\n%s\n%s", code, out, errOut)
	}
	out, errOut, code = opsdeck(t, env, "drill", "web-1", "site", "-c", cfg, "--yes")
	if code != 0 || !strings.Contains(out, "drill PASS site on web-1") || !strings.Contains(out, "restore "+dir+"/site-2.tar into a scratch workspace") {
		t.Fatalf("drill: exit %d\n%s\n%s", code, out, errOut)
	}
	out, _, code = opsdeck(t, env, "drill", "--all", "-c", cfg, "--yes")
	if code != 1 || !strings.Contains(out, "drill FAIL broken on web-1") || !strings.Contains(out, "2 drill(s): 1 passed, 1 failed") {
		t.Errorf("drill --all: exit %d\n%s", code, out)
	}
	hist, _ := os.ReadFile(filepath.Join(state, "opsdeck", "drills.jsonl"))
	if n := strings.Count(string(hist), "\n"); n != 3 || strings.Count(string(hist), `"passed":true`) != 2 {
		t.Errorf("drill history (%d lines):\n%s", n, hist)
	}
	audit, _ := os.ReadFile(filepath.Join(state, "opsdeck", "audit.jsonl"))
	// each action: its intent, then its result
	if strings.Count(string(audit), `"kind":"drill"`) != 6 || strings.Count(string(audit), `"kind":"snapshot"`) != 2 ||
		strings.Count(string(audit), `"outcome":"started"`) != 4 {
		t.Errorf("audit:\n%s", audit)
	}
	if _, _, code := opsdeck(t, env, "drill", "-c", cfg); code != 2 {
		t.Errorf("drill without arguments: exit %d, want 2", code)
	}
}
