package prom

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
	"github.com/opsdeck/opsdeck/fleet/report"
)

// BenchmarkView is the dashboard's side of a fleet read back from
// Prometheus: four pollers' expositions of 4,000 and of 100,000
// synthetic hosts (written by the pollers' own code: one disk each, one
// host in fifty CRIT), scraped by a real Prometheus, read by the view
// into a store and assessed as the screen does on each refresh.
// cpu-ms/host is this process's CPU per host per refresh (queries, JSON,
// assembly, the store, the assessment); KB/host the heap the store and
// the view keep per host, rss-KB/host the resident memory they add to
// the process (their garbage between collections included); ns/op a
// refresh's wall time.
func BenchmarkView(b *testing.B) {
	for _, n := range []int{4000, 100000} {
		b.Run(fmt.Sprintf("hosts=%d", n), func(b *testing.B) { benchView(b, n) })
	}
}

func benchView(b *testing.B, n int) {
	var targets []string
	for i := 0; i < 4; i++ {
		path := fmt.Sprintf("%s/shard%d", b.TempDir(), i)
		if err := os.WriteFile(path, []byte(syntheticPoller(n, fleet.Shard{I: i, N: 4})), 0o600); err != nil {
			b.Fatal(err)
		}
		addr := fmt.Sprintf("127.0.0.1:%d", freePort(b))
		srv := exec.Command(os.Args[0])
		srv.Env = append(os.Environ(), cannedEnv+"="+path+"="+addr)
		if err := srv.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
		targets = append(targets, fmt.Sprintf("%q", addr))
	}
	p := fleettest.StartPrometheusWith(b, 15*time.Second, "  - job_name: opsdeck\n    scrape_timeout: 14s\n    static_configs:\n      - targets: ["+strings.Join(targets, ", ")+"]\n")
	runtime.GC()
	debug.FreeOSMemory()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	rss0 := vmRSS(b)
	hosts := make([]fleet.Host, n)
	for i := range hosts {
		hosts[i] = fleet.Host{Name: synthName(i), PollInterval: fleet.Duration{Duration: 5 * time.Second}}
	}
	store := fleet.NewStore(hosts)
	v := NewView(fleet.SourceConfig{Kind: "opsdeck", URL: p.URL, Interval: fleet.Duration{Duration: 5 * time.Second},
		Timeout: fleet.Duration{Duration: time.Minute}}, store, fleet.Host{})
	ctx := context.Background()
	current := func() int {
		snap, _ := store.Snapshot()
		ok := 0
		for i := range snap {
			if vd := snap[i].Verdict; vd != nil && vd.Old == "" {
				ok++
			}
		}
		return ok
	}
	fleettest.EventuallyShow(b, 10*time.Minute, fmt.Sprintf("prometheus to hold all %d hosts", n), func() bool {
		v.Refresh(ctx)
		return current() == n
	}, func() string {
		st, _ := store.Status(synthName(0))
		resp, err := http.Get(p.URL + "/api/v1/targets")
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return fmt.Sprintf("%d current; %+v; %+v\n%s", current(), v.Status(), st.Verdict, body)
	})
	var ver uint64
	screen := func() { // what the screen does with a refresh: every changed host assessed
		changed, at := store.Changed(ver)
		ver = at
		for i := range changed {
			fleet.Assess(&changed[i], time.Now())
		}
	}
	screen()
	cpu0, t0 := fleettest.ProcessCPU(), time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v.Refresh(ctx)
		screen()
	}
	b.StopTimer()
	cpu := fleettest.ProcessCPU() - cpu0
	if st := v.Status(); st.Err != "" || current() != n {
		b.Fatalf("%s; %d of %d hosts current", st.Err, current(), n)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N)/float64(n), "cpu-ms/host")
	b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/1024/float64(n), "KB/host")
	b.ReportMetric(float64(vmRSS(b)-rss0)/float64(n), "rss-KB/host") // what the process holds, garbage and all
	b.ReportMetric(time.Since(t0).Seconds()/float64(b.N), "s/refresh")
	runtime.KeepAlive(store)
}

// vmRSS is this process's resident memory, KiB.
func vmRSS(b *testing.B) int {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			return kb
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
}

func synthName(i int) string { return fmt.Sprintf("node-%06d", i) }

// syntheticPoller is what the poller of shard writes for its share of n
// synthetic hosts, by serve-metrics' own code.
func syntheticPoller(n int, shard fleet.Shard) string {
	var hosts []fleet.Host
	for i := 0; i < n; i++ {
		if name := synthName(i); shard.Has(name) {
			hosts = append(hosts, fleet.Host{Name: name, PollInterval: fleet.Duration{Duration: time.Hour},
				Limits: fleet.Limits{CPU: fleet.Pair{Warn: 80, Crit: 90}, Memory: fleet.Pair{Warn: 85, Crit: 95},
					Load: fleet.Pair{Warn: 2, Crit: 4}, Disk: fleet.Pair{Warn: 80, Crit: 90}, Inodes: fleet.Pair{Warn: 80, Crit: 90}}})
		}
	}
	store := fleet.NewStore(hosts)
	now := time.Now()
	for i, h := range hosts {
		used := uint64(40 + i%30)
		if i%50 == 0 {
			used = 95
		}
		store.Record(fleet.Observation{Host: h.Name, At: now, RTT: 300 * time.Millisecond, Sample: &fleet.Sample{At: now, CPU: float64(i % 60),
			MemTotal: 8 << 30, MemUsed: 3 << 30, Cores: 4, Load1: 0.5, Disks: []fleet.Disk{{Mount: "/", Total: 100 << 30, Used: used << 30,
				Free: (100 - used) << 30, Inodes: 1e6, IUsed: 1e5}}}})
	}
	rep := report.Build(store, true)
	rep.Poller = &report.Poller{Shard: shard.String(), Site: "eu", Version: "bench"}
	return report.Metrics(rep, report.Points(store, now), now)
}
