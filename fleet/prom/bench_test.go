package prom

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

// cannedEnv makes the test binary a canned exporter: it serves the file
// the variable names at /metrics on the address after the colon.
const cannedEnv = "OPSDECK_CANNED_EXPORTER"

func TestMain(m *testing.M) {
	if v := os.Getenv(cannedEnv); v != "" {
		i := strings.LastIndexByte(v, '=') // the path may hold one (a sub-benchmark's name)
		path, addr := v[:max(i, 0)], v[i+1:]
		body, err := os.ReadFile(path)
		if err != nil {
			os.Exit(2)
		}
		http.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			w.Write(body)
		})
		_ = http.ListenAndServe(addr, nil)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// BenchmarkRefresh1000 is the Prometheus source's cost at 1,000 hosts: one
// batched query per interval against a real Prometheus holding 1,000
// node_exporter targets (one real node_exporter's output, served as 1,000
// instances by a separate process). client-ms/op is this process's CPU per
// query (request, JSON decoding, assembly); prom-ms/op is the Prometheus
// server's, less what it spent scraping in the same time.
func BenchmarkRefresh1000(b *testing.B) {
	const n = 1000
	ne := fleettest.StartNodeExporter(b)
	canned := b.TempDir() + "/metrics"
	if err := os.WriteFile(canned, []byte(ne.Scrape(b)+debianTmpfs()), 0o600); err != nil {
		b.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(b))
	srv := exec.Command(os.Args[0])
	srv.Env = append(os.Environ(), cannedEnv+"="+canned+"="+addr)
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	targets := make([]fleettest.Target, n)
	hosts := make([]fleet.Host, n)
	for i := range targets {
		name := fmt.Sprintf("h%04d", i)
		targets[i] = fleettest.Target{Addr: addr, Instance: name}
		hosts[i] = fleet.Host{Name: name, Address: name}
	}
	p := fleettest.StartPrometheus(b, 5*time.Second, targets...)
	s, err := New(fleet.SourceConfig{Kind: "prometheus", URL: p.URL, Hosts: `up{job="node"}`, InstanceLabel: "instance",
		Timeout: fleet.Duration{Duration: 30 * time.Second}, RateWindow: fleet.Duration{Duration: time.Minute}}, hosts)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	fleettest.Eventually(b, 120*time.Second, "prometheus to hold a CPU rate of all 1,000", func() bool {
		s.Refresh(ctx)
		s.mu.Lock()
		defer s.mu.Unlock()
		known := 0
		for _, smp := range s.latest {
			if smp.Known(fleet.MetricCPU) {
				known++
			}
		}
		return known == n
	})
	b.ReportAllocs()
	cpu0, prom0, t0 := fleettest.ProcessCPU(), fleettest.TreeCPU(p.PID()), time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Refresh(ctx)
	}
	b.StopTimer()
	cpu1, prom1, busy := fleettest.ProcessCPU(), fleettest.TreeCPU(p.PID()), time.Since(t0)
	if st := s.Status(); st.Err != "" {
		b.Fatal(st.Err)
	}
	// What Prometheus spends scraping over as long, without our queries.
	idle0 := fleettest.TreeCPU(p.PID())
	time.Sleep(busy)
	scraping := fleettest.TreeCPU(p.PID()) - idle0
	b.ReportMetric(float64(cpu1-cpu0)/float64(time.Millisecond)/float64(b.N), "client-ms/op")
	b.ReportMetric(float64(prom1-prom0-scraping)/float64(time.Millisecond)/float64(b.N), "prom-ms/op")
	b.ReportMetric(float64(len(s.latest)), "hosts")
}

// debianTmpfs are the memory filesystems a Debian server's node_exporter
// reports beside its disks (this machine, a container, has none of them):
// /run, /run/lock, /dev/shm is left out by node_exporter itself, and the
// login's /run/user/0.
func debianTmpfs() string {
	var b strings.Builder
	for _, m := range []string{"/run", "/run/lock", "/run/user/0"} {
		l := fmt.Sprintf(`{device="tmpfs",fstype="tmpfs",mountpoint=%q}`, m)
		for _, s := range []struct {
			name string
			v    float64
		}{{"node_filesystem_size_bytes", 4.1e8}, {"node_filesystem_free_bytes", 4.0e8}, {"node_filesystem_avail_bytes", 4.0e8},
			{"node_filesystem_files", 1e6}, {"node_filesystem_files_free", 9.9e5}, {"node_filesystem_readonly", 0}} {
			fmt.Fprintf(&b, "%s%s %g\n", s.name, l, s.v)
		}
	}
	return b.String()
}

func freePort(b *testing.B) int {
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
