package fleettest

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// NodeExporter is a real node_exporter (Debian's prometheus-node-exporter)
// on a 127.0.0.1 port, with the collectors opsdeck reads, stopped by PID.
type NodeExporter struct {
	Addr string // 127.0.0.1:PORT
}

// StartNodeExporter starts one and waits until it serves metrics.
func StartNodeExporter(tb testing.TB) *NodeExporter {
	tb.Helper()
	bin := lookBin(tb, "node_exporter", "prometheus-node-exporter", "node_exporter")
	n := &NodeExporter{Addr: fmt.Sprintf("127.0.0.1:%d", freePort(tb, "127.0.0.1"))}
	cmd := exec.Command(bin, "--web.listen-address="+n.Addr, "--collector.disable-defaults",
		"--collector.cpu", "--collector.meminfo", "--collector.loadavg", "--collector.filesystem", "--collector.stat")
	must(tb, cmd.Start())
	tb.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitHTTP(tb, "node_exporter at "+n.Addr, "http://"+n.Addr+"/metrics")
	return n
}

// Scrape returns the exporter's metrics text.
func (n *NodeExporter) Scrape(tb testing.TB) string {
	tb.Helper()
	resp, err := http.Get("http://" + n.Addr + "/metrics")
	must(tb, err)
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 64<<10)
	for {
		k, err := resp.Body.Read(buf)
		b.Write(buf[:k])
		if err != nil {
			break
		}
	}
	return b.String()
}

// Prometheus is a real Prometheus server (Debian's prometheus) on a
// 127.0.0.1 port with its own storage, scraping the given targets, stopped
// by PID. Stop and Start keep its port and data.
type Prometheus struct {
	URL string // http://127.0.0.1:PORT

	tb   testing.TB
	bin  string
	args []string
	cmd  *exec.Cmd
}

// Target is one scrape target: its address and the instance label it gets
// ("" keeps the address).
type Target struct{ Addr, Instance string }

// StartPrometheus starts one scraping targets every interval (job "node")
// and waits until it is ready.
func StartPrometheus(tb testing.TB, interval time.Duration, targets ...Target) *Prometheus {
	tb.Helper()
	var conf strings.Builder
	fmt.Fprintf(&conf, "  - job_name: node\n    static_configs:\n")
	for _, t := range targets {
		fmt.Fprintf(&conf, "      - targets: [%q]\n", t.Addr)
		if t.Instance != "" {
			fmt.Fprintf(&conf, "        labels: {instance: %q}\n", t.Instance)
		}
	}
	return StartPrometheusWith(tb, interval, conf.String())
}

// StartPrometheusWith starts one with the given scrape_configs entries
// (YAML list items, indented two spaces) and waits until it is ready.
func StartPrometheusWith(tb testing.TB, interval time.Duration, scrapeConfigs string) *Prometheus {
	tb.Helper()
	bin := lookBin(tb, "Prometheus", "prometheus")
	dir := tb.TempDir()
	var conf strings.Builder
	fmt.Fprintf(&conf, "global:\n  scrape_interval: %s\n  evaluation_interval: %s\nscrape_configs:\n%s", interval, interval, scrapeConfigs)
	path := filepath.Join(dir, "prometheus.yml")
	must(tb, os.WriteFile(path, []byte(conf.String()), 0o600))
	port := freePort(tb, "127.0.0.1")
	p := &Prometheus{URL: fmt.Sprintf("http://127.0.0.1:%d", port), tb: tb, bin: bin, args: []string{
		"--config.file=" + path, "--storage.tsdb.path=" + filepath.Join(dir, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--log.level=warn"}}
	p.Start()
	tb.Cleanup(p.Stop)
	return p
}

// Start starts the server (again) and waits until it is ready.
func (p *Prometheus) Start() {
	p.tb.Helper()
	p.cmd = exec.Command(p.bin, p.args...)
	must(p.tb, p.cmd.Start())
	waitHTTP(p.tb, "prometheus at "+p.URL, p.URL+"/-/ready")
}

// PID is the server's process ID (0 while stopped).
func (p *Prometheus) PID() int {
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Stop stops it by PID and waits for it to exit.
func (p *Prometheus) Stop() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	p.cmd = nil
}

func lookBin(tb testing.TB, what string, names ...string) string {
	tb.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	tb.Fatalf("%s is not installed (Debian: apt-get install %s; `make test` installs it when root)", what, names[0])
	return ""
}

func waitHTTP(tb testing.TB, what, url string) {
	tb.Helper()
	client := &http.Client{Timeout: time.Second}
	Eventually(tb, 30*time.Second, what+" ready", func() bool {
		resp, err := client.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}
