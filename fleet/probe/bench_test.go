package probe_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
	"github.com/opsdeck/opsdeck/fleet/probe"
	"github.com/opsdeck/opsdeck/fleet/sshx"
)

const serverEnv = "OPSDECK_BENCH_SERVER"

func TestMain(m *testing.M) {
	if dir := os.Getenv(serverEnv); dir != "" {
		serveSimulatedHosts(dir)
		return
	}
	os.Exit(m.Run())
}

var nonceRE = regexp.MustCompile(`m='@@opsdeck-([0-9a-f]+)'`)

// serveSimulatedHosts is the benchmark's SSH server, in its own process so
// that the client's CPU and memory are measured alone. Every connection is
// a simulated host answering the probe with a recorded real output.
func serveSimulatedHosts(dir string) {
	out, err := os.ReadFile("testdata/debian12-container.out")
	if err != nil {
		panic(err)
	}
	host, err := fleettest.LoadKey(filepath.Join(dir, "host"))
	if err != nil {
		panic(err)
	}
	client, err := fleettest.LoadKey(filepath.Join(dir, "client"))
	if err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := fleettest.Serve(ln, host, client, func(_ string, stdin []byte) ([]byte, int, bool) {
		m := nonceRE.FindSubmatch(stdin)
		if m == nil {
			return []byte("no nonce"), 1, false
		}
		return []byte(strings.ReplaceAll(string(out), "@@opsdeck-fixture", "@@opsdeck-"+string(m[1]))), 0, false
	})
	fmt.Println("READY", srv.Addr)
	bufio.NewReader(os.Stdin).ReadString('\n') // until the benchmark closes stdin
	srv.Close()
}

// startServerProcess runs serveSimulatedHosts and returns its address and
// a known_hosts file; the process is stopped by PID at cleanup.
func startServerProcess(b *testing.B) (addr, knownHosts, clientKey string) {
	dir := b.TempDir()
	host := fleettest.NewKey(b, dir, "host")
	client := fleettest.NewKey(b, dir, "client")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serverEnv+"="+dir)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "READY ") {
		b.Fatalf("server process: %q %v", line, err)
	}
	addr = strings.TrimSpace(strings.TrimPrefix(line, "READY "))
	knownHosts = filepath.Join(dir, "known_hosts")
	kh := fmt.Sprintf("[%s]:%s %s", strings.Split(addr, ":")[0], strings.Split(addr, ":")[1],
		strings.TrimSpace(host.AuthorizedLine()))
	if err := os.WriteFile(knownHosts, []byte(kh+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	return addr, knownHosts, client.Path
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPollCycle polls every simulated host once per iteration, over
// persistent connections, 64 polls in flight (the poller's bound). ns/op is
// the wall time of a whole cycle.
func BenchmarkPollCycle(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("hosts=%d", n), func(b *testing.B) {
			addr, kh, key := startServerProcess(b)
			pool := sshx.NewPool(sshx.Options{KnownHosts: []string{kh}, NoAgent: true})
			defer pool.Close()
			off := false
			simHost := &fleet.Host{Name: "sim", Security: &off} // resources only: the cost of a poll
			srcs := make([]*probe.SSHSource, n)
			var ms0 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms0)
			for i := range srcs {
				c := pool.Client(sshx.Target{Name: fmt.Sprintf("sim-%d", i), Addr: addr, User: "bench", IdentityFiles: []string{key}})
				srcs[i] = probe.NewSSHSource(c, simHost, probe.Options{})
			}
			cycle := func() {
				var wg sync.WaitGroup
				sem := make(chan struct{}, 64)
				for _, s := range srcs {
					wg.Add(1)
					sem <- struct{}{}
					go func() {
						defer wg.Done()
						defer func() { <-sem }()
						ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
						defer cancel()
						smp, err := s.Sample(ctx)
						if err != nil || len(smp.Unknown) > 0 {
							b.Errorf("poll: %v %v", err, smp)
						}
					}()
				}
				wg.Wait()
			}
			connectStart := time.Now()
			cycle() // connect every host
			connect := time.Since(connectStart)
			var ms1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms1)
			cpu0 := cpuTime()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				cycle()
			}
			b.StopTimer()
			cpu := cpuTime() - cpu0
			var ms2 runtime.MemStats
			runtime.ReadMemStats(&ms2)
			polls := float64(b.N * n)
			b.ReportMetric(float64(cpu.Microseconds())/1000/polls, "cpu-ms/poll")
			b.ReportMetric(float64(ms2.Mallocs-ms1.Mallocs)/polls, "allocs/poll")
			b.ReportMetric(float64(int64(ms1.HeapInuse)-int64(ms0.HeapInuse))/float64(n)/1024, "heap-KB/host")
			b.ReportMetric(connect.Seconds()*1000, "connect-all-ms")
		})
	}
}

// BenchmarkHostCost is the CPU the monitored host pays per poll: that of
// its sshd process tree (the sessions and what they run), on a real
// OpenSSH host with a supervisord program, polled over one persistent
// connection. Beside it, a bare poller on the same connection: cat of the
// same /proc files and df -P. The heavy checks (backups, security) run in
// sessions of their own on their own cadence (see the README's table) and
// are left out: the host has none configured here.
func BenchmarkHostCost(b *testing.B) {
	f := fleettest.StartFleet(b, 1)
	h := f.Hosts[0]
	sup := fleettest.StartSupervisor(b, map[string]string{"app": "sleep 100000"})
	cfg, err := fleet.Parse("t.toml", []byte(fmt.Sprintf("%s[[hosts]]\nname = \"h\"\naddress = %q\nport = %d\nuser = %q\n"+
		"[[hosts.services]]\nname = \"app\"\nkind = \"supervisor\"\nprogram = \"app\"\nconf = %q\n",
		f.Defaults(), h.Listen, h.Port, h.User, sup.Conf)))
	if err != nil {
		b.Fatal(err)
	}
	targets, _ := sshx.Resolve(cfg)
	pool := sshx.NewPool(sshx.Options{KnownHosts: sshx.KnownHostsFiles(cfg), NoAgent: true})
	defer pool.Close()
	client := pool.Client(*targets["h"])
	measure := func(b *testing.B, poll func()) {
		for i := 0; i < 3; i++ { // connect, first full statuses
			poll()
		}
		before := h.CPU()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			poll()
		}
		b.StopTimer()
		b.ReportMetric(float64((h.CPU()-before).Microseconds())/1000/float64(b.N), "host-cpu-ms/poll")
	}
	b.Run("probe", func(b *testing.B) {
		src := probe.NewSSHSource(client, &cfg.Hosts[0], probe.Options{NoSpread: true})
		defer src.Close()
		measure(b, func() {
			if _, err := src.Sample(context.Background()); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("bare", func(b *testing.B) {
		measure(b, func() {
			if _, err := client.Run(context.Background(), "sh", []byte("cat /proc/stat /proc/meminfo /proc/loadavg /proc/uptime; df -P\n"), 1<<20); err != nil {
				b.Fatal(err)
			}
		})
	})
}
