package fleettest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SSHDPath is where Debian's openssh-server installs sshd.
const SSHDPath = "/usr/sbin/sshd"

// SSHD is a real OpenSSH server on a loopback port, in its own directory
// with its own host key, authorized_keys and HOME.
type SSHD struct {
	tb      testing.TB
	Name    string
	Dir     string
	Listen  string // IP it listens on
	Port    int
	HostKey *Key
	User    string
	LogFile string

	cmd   *exec.Cmd
	netns *Netns
	tmpfs string // a private tmpfs mounted here (SSHDOptions.Tmpfs)
	// ECDSA is the second host key when SSHDOptions.ECDSAKey was set.
	ECDSA *ecdsaKey
}

type ecdsaKey struct {
	Path string
	Pub  ssh.PublicKey
}

// SSHDOptions configure a test sshd.
type SSHDOptions struct {
	Listen string // default 127.0.0.1
	Port   int    // default: a free port (inside a namespace: 2222)
	Netns  *Netns // run inside this network namespace
	// ECDSAKey gives the server a second host key, of another type; its
	// known_hosts line is ECDSALine.
	ECDSAKey   bool
	Authorized []*Key // keys allowed to log in
	Extra      string // more sshd_config lines
	// Tmpfs, when set, is a directory where a 1 MiB tmpfs is mounted in a
	// mount namespace of sshd's own: its sessions see it, no other process
	// of the machine does (a full disk on one host must not fill every
	// other test's). Fill it with FillTmpfs.
	Tmpfs string
}

// Addr is host:port.
func (s *SSHD) Addr() string { return net.JoinHostPort(s.Listen, strconv.Itoa(s.Port)) }

// StartSSHD starts sshd and waits until it accepts connections. A machine
// without sshd fails the test: integration tests never skip.
func StartSSHD(tb testing.TB, name string, opt SSHDOptions) *SSHD {
	tb.Helper()
	if _, err := os.Stat(SSHDPath); err != nil {
		tb.Fatalf("OpenSSH server not found at %s: run 'make test' (it installs openssh-server) or 'apt-get install openssh-server'", SSHDPath)
	}
	if os.Geteuid() == 0 {
		_ = os.MkdirAll("/run/sshd", 0o755) // privilege separation directory
	}
	u, err := user.Current()
	if err != nil {
		tb.Fatal(err)
	}
	if opt.Listen == "" {
		opt.Listen = "127.0.0.1"
	}
	dir := tb.TempDir()
	s := &SSHD{tb: tb, Name: name, Dir: dir, Listen: opt.Listen, User: u.Username, LogFile: filepath.Join(dir, "sshd.log"), netns: opt.Netns, tmpfs: opt.Tmpfs}
	hostKeys := s.hostKeys(opt.ECDSAKey)
	var auth strings.Builder
	for _, k := range opt.Authorized {
		auth.WriteString(k.AuthorizedLine())
	}
	// Readable by every user: sshd reads it as the user logging in (see
	// User). The host key in the same directory stays 0600.
	must(tb, os.WriteFile(filepath.Join(dir, "authorized_keys"), []byte(auth.String()), 0o644))
	must(tb, os.Chmod(dir, 0o755))
	must(tb, os.Chmod(filepath.Dir(dir), 0o755))
	must(tb, os.MkdirAll(filepath.Join(dir, "home"), 0o700))
	switch {
	case opt.Port > 0:
		s.Port = opt.Port
	case opt.Netns != nil:
		s.Port = 2222 // a fresh namespace has every port free
	default:
		s.Port = freePort(tb, opt.Listen)
	}
	conf := fmt.Sprintf(`Port %d
ListenAddress %s
%s
PidFile %s
AuthorizedKeysFile %s
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PrintMotd no
AllowTcpForwarding yes
MaxStartups 64
LogLevel DEBUG1
SetEnv HOME=%s
%s
`, s.Port, opt.Listen, hostKeys, filepath.Join(dir, "sshd.pid"), filepath.Join(dir, "authorized_keys"),
		filepath.Join(dir, "home"), opt.Extra)
	must(tb, os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(conf), 0o600))
	s.Start()
	tb.Cleanup(s.Stop)
	return s
}

// Start runs sshd (again) on its port and waits until it answers.
func (s *SSHD) Start() {
	s.tb.Helper()
	if s.cmd != nil {
		s.tb.Fatalf("sshd %s is already running", s.Name)
	}
	args := []string{SSHDPath, "-D", "-f", filepath.Join(s.Dir, "sshd_config"), "-E", s.LogFile}
	if s.tmpfs != "" { // unshare and sh exec sshd: same PID
		args = append([]string{"unshare", "-m", "--propagation", "private", "sh", "-c",
			`mount -t tmpfs -o size=1m opsdeck-test "$0" && exec "$@"`, s.tmpfs}, args...)
	}
	if s.netns != nil {
		args = append([]string{"ip", "netns", "exec", s.netns.Name}, args...) // ip execs sshd: same PID
	}
	cmd := exec.Command(args[0], args[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		s.tb.Fatalf("start sshd %s: %v", s.Name, err)
	}
	s.cmd = cmd
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-exited:
			log, _ := os.ReadFile(s.LogFile)
			s.cmd = nil
			s.tb.Fatalf("sshd %s exited at start: %s\n%s", s.Name, stderr.String(), tail(log, 2000))
		default:
		}
		if s.listening() {
			return
		}
		if time.Now().After(deadline) {
			s.Stop()
			s.tb.Fatalf("sshd %s did not listen on %s", s.Name, s.Addr())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// listening reports whether sshd accepts connections (from inside its
// namespace when it has one: 0.0.0.0 there is not reachable from here).
func (s *SSHD) listening() bool {
	if s.netns != nil {
		out, _ := exec.Command("ip", "netns", "exec", s.netns.Name, "ss", "-Hltn", fmt.Sprintf("sport = :%d", s.Port)).Output()
		return strings.Contains(string(out), fmt.Sprintf(":%d", s.Port))
	}
	c, err := net.DialTimeout("tcp", s.Addr(), 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// Stop ends sshd and every connection process it started (they run in
// sessions of their own, so the process group is not enough): the host
// is gone, as after a crash.
func (s *SSHD) Stop() {
	if s.cmd == nil {
		return
	}
	pid := s.cmd.Process.Pid
	for _, p := range append(descendants(pid), pid) {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	for i := 0; i < 500; i++ { // wait until the port is free again
		if syscall.Kill(pid, 0) != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.cmd = nil
}

// Freeze stops (SIGSTOP) sshd and its session processes: connections stay
// open but nothing answers.
func (s *SSHD) Freeze() { s.signal(syscall.SIGSTOP) }

// Thaw resumes a frozen sshd.
func (s *SSHD) Thaw() { s.signal(syscall.SIGCONT) }

func (s *SSHD) signal(sig syscall.Signal) {
	s.tb.Helper()
	if s.cmd == nil {
		s.tb.Fatalf("sshd %s is not running", s.Name)
	}
	pid := s.cmd.Process.Pid
	for _, p := range append(descendants(pid), pid) {
		if err := syscall.Kill(p, sig); err != nil && p == pid {
			s.tb.Fatalf("signal sshd %s: %v", s.Name, err)
		}
	}
}

// descendants lists the processes below pid, from /proc.
func descendants(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f := statFields(p)
		if len(f) < 2 {
			continue
		}
		if pp, err := strconv.Atoi(f[1]); err == nil {
			children[pp] = append(children[pp], p)
		}
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for _, c := range children[p] {
			out = append(out, c)
			walk(c)
		}
	}
	walk(pid)
	return out
}

// KnownHostsLine is the known_hosts line for this server.
func (s *SSHD) KnownHostsLine() string {
	return knownhosts.Line([]string{knownhosts.Normalize(s.Addr())}, s.HostKey.Signer.PublicKey()) + "\n"
}

// Log returns what sshd logged so far.
func (s *SSHD) Log() string {
	b, _ := os.ReadFile(s.LogFile)
	return string(b)
}

// NewHostKey replaces the server's host key (the next Start uses it), as a
// reinstalled or impersonated host would.
func (s *SSHD) NewHostKey() {
	s.tb.Helper()
	must(s.tb, os.Remove(s.HostKey.Path))
	s.HostKey = NewKey(s.tb, s.Dir, "host_ed25519")
}

func freePort(tb testing.TB, ip string) int {
	tb.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// User creates an unprivileged local account for the test (deleted at
// cleanup), for what only a non-root user shows: sudo asking for a
// password. Logging in needs only a key in the test sshd's authorized_keys.
func User(tb testing.TB) string {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Fatal("creating a test user needs root: run the suite as root (make test does in CI)")
	}
	name := fmt.Sprintf("opsdeck-t%d", os.Getpid()%100000)
	for i := 0; ; i++ {
		candidate := fmt.Sprintf("%s-%d", name, i)
		// "*" in the password field: no password login, and not locked (sshd refuses locked accounts).
		out, err := exec.Command("useradd", "-M", "-d", "/nonexistent", "-s", "/bin/sh", "-p", "*", candidate).CombinedOutput()
		if err == nil {
			name = candidate
			break
		}
		if i > 20 {
			tb.Fatalf("useradd: %v %s", err, out)
		}
	}
	tb.Cleanup(func() {
		// Cleanups run last-registered first, so the test's sshd may still
		// serve this user: end its processes, or userdel refuses.
		_ = exec.Command("pkill", "-KILL", "-u", name).Run()
		if out, err := exec.Command("userdel", "-f", name).CombinedOutput(); err != nil {
			tb.Errorf("userdel %s: %v %s", name, err, out)
		}
	})
	return name
}

// CPU is the CPU time the sshd and every process below it have used, the
// finished children included (what the host pays for its SSH sessions):
// utime+stime+cutime+cstime of each, from /proc.
func (s *SSHD) CPU() time.Duration {
	if s.cmd == nil {
		return 0
	}
	return TreeCPU(s.cmd.Process.Pid)
}

// TreeCPU is the CPU time process pid and every process below it have
// used, the finished children included.
func TreeCPU(pid int) time.Duration {
	var ticks int64
	for _, p := range append(descendants(pid), pid) {
		f := statFields(p)
		for _, k := range []int{11, 12, 13, 14} { // fields 14–17 of the line
			if k < len(f) {
				n, _ := strconv.ParseInt(f[k], 10, 64)
				ticks += n
			}
		}
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times (100 on Linux).
const clockTicks = 100

// statFields are the fields of /proc/PID/stat after "pid (comm)" (comm may
// hold spaces and parentheses): state, ppid, …; nil when it cannot be read.
func statFields(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

// FillTmpfs makes the file that fills the sshd's private tmpfs kib KiB
// long, from inside its mount namespace.
func (s *SSHD) FillTmpfs(tb testing.TB, kib int) {
	tb.Helper()
	if s.tmpfs == "" || s.cmd == nil {
		tb.Fatalf("sshd %s has no tmpfs running", s.Name)
	}
	script := fmt.Sprintf("head -c %d /dev/zero > %q/fill", kib<<10, s.tmpfs)
	if out, err := exec.Command("nsenter", "-t", strconv.Itoa(s.cmd.Process.Pid), "-m", "--", "sh", "-c", script).CombinedOutput(); err != nil {
		tb.Fatalf("fill the tmpfs of %s: %v: %s", s.Name, err, out)
	}
}
