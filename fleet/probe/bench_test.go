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
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet/config"

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

var (
	nonceRE   = regexp.MustCompile(`m='@@opsdeck-([0-9a-f]+)'`)
	sectionRE = regexp.MustCompile(`(?m)^(?:echo ")?\$m begin ([a-z0-9]+)`) // an echo, or a here-document's line
)

// serveSimulatedHosts is the benchmark's SSH server, in its own process so
// that the client's CPU and memory are measured alone. Every connection is
// a simulated host answering each section a script asks for: resources
// from a recorded real output, a supervisor program (its full status, then
// its liveness), a files backup.
func serveSimulatedHosts(dir string) {
	out, err := os.ReadFile("testdata/debian12-container.out")
	if err != nil {
		panic(err)
	}
	recorded := map[string]string{}
	for name, sec := range probe.Split(out, "fixture") {
		recorded[name] = strings.Join(sec.Lines, "\n") + "\n"
	}
	// df -P -i prints df -P -k's columns, counting inodes.
	recorded["dfi"] = recorded["df"]
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
		mark := "@@opsdeck-" + string(m[1])
		var b strings.Builder
		for _, sm := range sectionRE.FindAllSubmatch(stdin, -1) {
			name := string(sm[1])
			body := recorded[name]
			switch {
			case strings.HasPrefix(name, "svc") && strings.Contains(string(stdin), "/proc/4242/stat"):
				body = mark + "-alive 4242 123456\n"
			case strings.HasPrefix(name, "svc"):
				body = "api                              RUNNING   pid 4242, uptime 2 days, 3:04:05\n"
			case strings.HasPrefix(name, "bk"):
				body = fmt.Sprintf("%d 52428800 /var/backups/db-2.dump\n%d 52428000 /var/backups/db-1.dump\n",
					time.Now().Add(-time.Hour).Unix(), time.Now().Add(-25*time.Hour).Unix())
			}
			fmt.Fprintf(&b, "%s begin %s\n%s%s end %s 0\n", mark, name, body, mark, name)
		}
		return []byte(b.String()), 0, false
	})
	fmt.Println("READY", srv.Addr)
	bufio.NewReader(os.Stdin).ReadString('\n') // until the benchmark closes stdin
	srv.Close()
}

// startServerProcess runs serveSimulatedHosts and returns its address and
// a known_hosts file as a fleet of n hosts has: a line for each (n-1 of
// them for other ports); the process is stopped by PID at cleanup.
func startServerProcess(b *testing.B, n int) (addr, knownHosts, clientKey string) {
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
	var lines strings.Builder
	for i := 1; i < n; i++ {
		fmt.Fprintf(&lines, "[10.1.%d.%d]:22 %s", i/250, i%250, client.AuthorizedLine())
	}
	lines.WriteString(kh + "\n")
	if err := os.WriteFile(knownHosts, []byte(lines.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	return addr, knownHosts, client.Path
}

// benchFleet is n simulated hosts on the server at addr, each with a
// supervisor program and a files backup (the security checklist, every 5
// minutes in a session of its own, is left out), and their sources.
func benchFleet(b *testing.B, n int, addr, kh, key string) (*fleet.Config, *sshx.Pool, map[string]fleet.Source) {
	host, port, _ := net.SplitHostPort(addr)
	var sb strings.Builder
	fmt.Fprintf(&sb, "[defaults]\nuser = \"bench\"\nidentity_files = [%q]\nknown_hosts = %q\nsecurity = false\n", key, kh)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, "[[hosts]]\nname = \"sim-%d\"\naddress = %q\nport = %s\n"+
			"[[hosts.services]]\nname = \"api\"\nkind = \"supervisor\"\nprogram = \"api\"\n"+
			"[[hosts.backups]]\nname = \"db\"\nkind = \"files\"\npath = \"/var/backups/db-*.dump\"\nmax_age = \"26h\"\n", i, host, port)
	}
	cfg, err := config.Parse("bench.toml", []byte(sb.String()))
	if err != nil {
		b.Fatal(err)
	}
	targets, err := sshx.Resolve(cfg)
	if err != nil {
		b.Fatal(err)
	}
	pool := sshx.NewPool(sshx.Options{KnownHosts: []string{kh}, NoAgent: true})
	srcs := map[string]fleet.Source{}
	for i := range cfg.Hosts {
		h := &cfg.Hosts[i]
		srcs[h.Name] = probe.NewSSHSource(pool.Client(*targets[h.Name]), h, probe.Options{Fleet: n})
	}
	return cfg, pool, srcs
}

func closeSources(srcs map[string]fleet.Source) {
	for _, s := range srcs {
		s.(*probe.SSHSource).Close()
	}
}

// BenchmarkPollCycle polls every simulated host once per iteration, over
// persistent connections, 64 polls in flight, and keeps each answer in a
// store as the dashboard does (its history, its mounts' fill history).
// ns/op is the wall time of a whole cycle; the backups are checked apart,
// once a minute, as in the dashboard.
func BenchmarkPollCycle(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("hosts=%d", n), func(b *testing.B) {
			addr, kh, key := startServerProcess(b, n)
			var ms0 runtime.MemStats
			runtime.GC()
			debug.FreeOSMemory() // what earlier runs left is not counted
			runtime.ReadMemStats(&ms0)
			rss0 := rssKB()
			cfg, pool, srcs := benchFleet(b, n, addr, kh, key)
			defer pool.Close()
			defer closeSources(srcs)
			store := fleet.NewStore(cfg.Hosts) // what the dashboard keeps of each answer
			cycle := func() {
				var wg sync.WaitGroup
				sem := make(chan struct{}, 64)
				for name, s := range srcs {
					wg.Add(1)
					sem <- struct{}{}
					go func() {
						defer wg.Done()
						defer func() { <-sem }()
						ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
						defer cancel()
						smp, err := s.Sample(ctx)
						if err != nil || len(smp.Unknown) > 0 || len(smp.Services) != 1 || !smp.Services[0].Running {
							b.Errorf("poll: %v %+v", err, smp)
							return
						}
						store.Record(fleet.Observation{Host: name, At: smp.At, Sample: smp})
					}()
				}
				wg.Wait()
			}
			connectStart := time.Now()
			cycle() // connect every host, first full statuses
			connect := time.Since(connectStart)
			cycle() // from here on, liveness checks
			var ms1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms1)
			cpu0 := fleettest.ProcessCPU()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				cycle()
			}
			b.StopTimer()
			cpu := fleettest.ProcessCPU() - cpu0
			var ms2 runtime.MemStats
			runtime.ReadMemStats(&ms2)
			polls := float64(b.N * n)
			b.ReportMetric(float64(cpu.Microseconds())/1000/polls, "cpu-ms/poll")
			b.ReportMetric(float64(ms2.Mallocs-ms1.Mallocs)/polls, "allocs/poll")
			b.ReportMetric(float64(int64(ms1.HeapInuse)-int64(ms0.HeapInuse))/float64(n)/1024, "heap-KB/host")
			b.ReportMetric(float64(rssKB()-rss0)/float64(n), "rss-KB/host")
			b.ReportMetric(connect.Seconds()*1000, "connect-all-ms")
		})
	}
}

// BenchmarkWarmUp launches the poller on n simulated hosts, as the
// dashboard does, and reports when the first and the last host had data,
// and the most hosts shown STALE at any moment of the warm-up (a host not
// polled yet is "no data yet", never STALE).
func BenchmarkWarmUp(b *testing.B) {
	for _, n := range []int{5000} {
		b.Run(fmt.Sprintf("hosts=%d", n), func(b *testing.B) {
			addr, kh, key := startServerProcess(b, n)
			for i := 0; i < b.N; i++ {
				cfg, pool, srcs := benchFleet(b, n, addr, kh, key)
				store := fleet.NewStore(cfg.Hosts)
				p := fleet.NewPoller(cfg, store, func(h *fleet.Host) (fleet.Source, string) { return srcs[h.Name], "" })
				ctx, cancel := context.WithCancel(context.Background())
				start := time.Now()
				p.Start(ctx)
				var first, all time.Duration
				stale := 0
				for all == 0 && time.Since(start) < 2*time.Minute {
					time.Sleep(100 * time.Millisecond) // the pace of a screen's refresh, sampled
					snap, _ := store.Snapshot()
					now, with, st := time.Now(), 0, 0
					for j := range snap {
						if snap[j].Last != nil {
							with++
						}
						if fleet.Assess(&snap[j], now).State == fleet.Stale {
							st++
						}
					}
					stale = max(stale, st)
					if with > 0 && first == 0 {
						first = time.Since(start)
					}
					if with == n {
						all = time.Since(start)
					}
				}
				cancel()
				p.Wait()
				pool.Close()
				if all == 0 {
					b.Fatalf("not every host had data within 2 minutes")
				}
				b.ReportMetric(first.Seconds()*1000, "first-data-ms")
				b.ReportMetric(all.Seconds()*1000, "all-data-ms")
				b.ReportMetric(float64(stale), "stale-max")
			}
		})
	}
}

// rssKB is this process's resident memory, in KiB.
func rssKB() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
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
	cfg, err := config.Parse("t.toml", []byte(fmt.Sprintf("%s[[hosts]]\nname = \"h\"\naddress = %q\nport = %d\nuser = %q\n"+
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
