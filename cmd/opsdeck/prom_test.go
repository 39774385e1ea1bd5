package main

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet/fleettest"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// promFleet is a real node_exporter scraped every second by a real
// Prometheus under the instance names given, and a config whose hosts of
// those names take their resources from it. web-1 is a real sshd host
// with a supervisord program: its services still go over SSH.
func promFleet(t *testing.T, instances ...string) (*fleettest.Prometheus, *fleettest.NodeExporter, string) {
	t.Helper()
	ne := fleettest.StartNodeExporter(t)
	var targets []fleettest.Target
	for _, in := range instances {
		targets = append(targets, fleettest.Target{Addr: ne.Addr, Instance: in})
	}
	p := fleettest.StartPrometheus(t, time.Second, targets...)
	f := fleettest.StartFleet(t, 1)
	sup := fleettest.StartSupervisor(t, map[string]string{"worker": "sleep 100000"})
	var hosts strings.Builder
	for i, in := range instances {
		fmt.Fprintf(&hosts, "[[hosts]]\nname = %q\naddress = \"127.0.0.1\"\nport = %d\nmounts = [\"/\"]\n", in, f.Hosts[0].Port)
		if i == 0 {
			fmt.Fprintf(&hosts, "[[hosts.services]]\nname = \"worker\"\nkind = \"supervisor\"\nprogram = \"worker\"\nconf = %q\n", sup.Conf)
		}
	}
	cfg := writeFile(t, "c.toml", fmt.Sprintf(`%spoll_interval = "1s"
timeout = "2s"
[[sources]]
kind = "prometheus"
url = %q
interval = "1s"
timeout = "2s"
rate_window = "10s"
%s`, f.Defaults(), p.URL, hosts.String()))
	// Two scrapes in: every series, the CPU rate too, is there.
	fleettest.Eventually(t, 30*time.Second, "prometheus to hold a CPU rate of every instance", func() bool {
		v := promQuery(t, p.URL, `count(rate(node_cpu_seconds_total{mode="idle"}[10s]) > -1) by (instance)`)
		return len(v) == len(instances)
	})
	return p, ne, cfg
}

// promQuery runs an instant query against Prometheus' HTTP API.
func promQuery(t *testing.T, base, q string) []json.RawMessage {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var r struct {
		Data struct{ Result []json.RawMessage }
	}
	json.NewDecoder(resp.Body).Decode(&r)
	return r.Data.Result
}

// node_exporter's own figures, straight from its /metrics.
func exporterFigures(t *testing.T, ne *fleettest.NodeExporter) (memPct, diskPct, load1 float64, cores int) {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(ne.Scrape(t)))
	if err != nil {
		t.Fatal(err)
	}
	val := func(name string, labels map[string]string) float64 {
		for _, m := range fams[name].GetMetric() {
			if matches(m, labels) {
				return m.GetGauge().GetValue()
			}
		}
		t.Fatalf("node_exporter has no %s%v", name, labels)
		return 0
	}
	memPct = 100 * (1 - val("node_memory_MemAvailable_bytes", nil)/val("node_memory_MemTotal_bytes", nil))
	root := map[string]string{"mountpoint": "/"}
	size, free, avail := val("node_filesystem_size_bytes", root), val("node_filesystem_free_bytes", root), val("node_filesystem_avail_bytes", root)
	diskPct = 100 * (size - free) / (size - free + avail)
	for _, m := range fams["node_cpu_seconds_total"].GetMetric() {
		if matches(m, map[string]string{"mode": "idle"}) {
			cores++
		}
	}
	return memPct, diskPct, val("node_load1", nil), cores
}

func matches(m *dto.Metric, labels map[string]string) bool {
	for k, v := range labels {
		found := false
		for _, l := range m.GetLabel() {
			found = found || (l.GetName() == k && l.GetValue() == v)
		}
		if !found {
			return false
		}
	}
	return true
}

// The figures opsdeck shows for a host read through Prometheus are
// node_exporter's, within what changes between two scrapes; its services
// still come over SSH.
func TestPrometheusSource_FiguresMatchNodeExporter(t *testing.T) {
	p, ne, cfg := promFleet(t, "web-1")
	textfile := filepath.Join(t.TempDir(), "opsdeck.prom")
	out, errOut, code := opsdeck(t, nil, "check", "--json", "--textfile", textfile, "-c", cfg)
	if code != 0 {
		t.Fatalf("check: exit %d\n%s\n%s", code, out, errOut)
	}
	memPct, diskPct, load1, cores := exporterFigures(t, ne)
	data, _ := os.ReadFile(textfile)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	host := map[string]string{"host": "web-1"}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
		tol    float64
	}{
		{"opsdeck_memory_percent", host, memPct, 3},
		{"opsdeck_disk_used_percent", map[string]string{"host": "web-1", "mount": "/"}, diskPct, 0.5},
		{"opsdeck_load1_per_core", host, load1 / float64(cores), 0.5},
	} {
		got, ok := gauge(fams, c.name, c.labels)
		if !ok || math.Abs(got-c.want) > c.tol {
			t.Errorf("%s%v = %.2f (%v); node_exporter says %.2f (±%.1f)", c.name, c.labels, got, ok, c.want, c.tol)
		}
	}
	if cpu, ok := gauge(fams, "opsdeck_cpu_percent", host); !ok || cpu < 0 || cpu > 100 {
		t.Errorf("cpu %v (%v)", cpu, ok)
	}
	if v, ok := gauge(fams, "opsdeck_check_state", map[string]string{"host": "web-1", "check": "service:worker"}); !ok || v != 0 {
		t.Errorf("worker's check over SSH: %v (%v), want 0:\n%s", v, ok, data)
	}
	out, errOut, code = opsdeck(t, nil, "config", "check", "-c", cfg)
	if code != 0 || !strings.Contains(out, "ok    prometheus "+p.URL+": 1 of 1 host(s) found") || !strings.Contains(out, "ok    web-1") {
		t.Errorf("config check: exit %d\n%s\n%s", code, out, errOut)
	}
}

// A configured host Prometheus has no series of is polled over SSH, as
// with no source, not shown blind; config check names it.
func TestPrometheusSource_HostNotInItIsPolledOverSSH(t *testing.T) {
	p, _, cfg := promFleet(t, "web-1")
	b, _ := os.ReadFile(cfg)
	port := regexp.MustCompile(`port = (\d+)`).FindSubmatch(b)[1]
	os.WriteFile(cfg, append(b, fmt.Sprintf("[[hosts]]\nname = \"web-9\"\naddress = \"127.0.0.1\"\nport = %s\nmounts = [\"/\"]\n", port)...), 0o644)
	textfile := filepath.Join(t.TempDir(), "opsdeck.prom")
	out, errOut, code := opsdeck(t, nil, "check", "--textfile", textfile, "-c", cfg)
	if code != 0 || strings.Contains(out, "no series") {
		t.Fatalf("check: exit %d\n%s\n%s", code, out, errOut)
	}
	data, _ := os.ReadFile(textfile)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"web-1", "web-9"} {
		for _, m := range []string{"opsdeck_cpu_percent", "opsdeck_memory_percent"} {
			if _, ok := gauge(fams, m, map[string]string{"host": h}); !ok {
				t.Errorf("%s has no %s:\n%s", h, m, data)
			}
		}
	}
	if _, ok := gauge(fams, "opsdeck_disk_used_percent", map[string]string{"host": "web-9", "mount": "/"}); !ok {
		t.Errorf("web-9 has no disk figure for /:\n%s", data)
	}
	out, errOut, code = opsdeck(t, nil, "config", "check", "-c", cfg)
	if want := "ok    prometheus " + p.URL + ": 1 of 2 host(s) found; not in it, so polled over SSH: web-9"; code != 0 || !strings.Contains(out, want) {
		t.Errorf("config check: exit %d, want %q\n%s\n%s", code, want, out, errOut)
	}
}

// Prometheus stopped: one error line under the header, its hosts STALE
// with the age of their last samples, none DOWN; started again, they
// recover.
func TestTmux_PrometheusDownIsOneSourceError(t *testing.T) {
	p, _, cfg := promFleet(t, "web-1", "web-2", "web-3")
	s := startTmux(t, 80, 24, nil, "--config", cfg)
	scr := s.waitScreen("3 hosts: 3 OK")
	s.checkFits(scr)
	t.Logf("via prometheus:\n%s", scr)
	p.Stop()
	scr = s.waitScreenFor(20*time.Second, "3 STALE", "failing for", "no new data for")
	s.checkFits(scr)
	t.Logf("prometheus stopped:\n%s", scr)
	if n := strings.Count(scr, "⚠ prometheus "); n != 1 {
		t.Errorf("the source error shows %d times, want once", n)
	}
	if strings.Contains(scr, "DOWN") {
		t.Error("a host is DOWN because Prometheus is")
	}
	p.Start()
	scr = s.waitScreenFor(30*time.Second, "3 hosts: 3 OK")
	if strings.Contains(scr, "failing for") {
		t.Errorf("the source error stays after recovery:\n%s", scr)
	}
	s.keys("q")
	if code := s.waitExit(); code != 0 {
		t.Errorf("exit %d", code)
	}
}
