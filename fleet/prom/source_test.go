package prom

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/prometheus/common/model"
)

func sampleOf(series, instance string, v float64, extra ...string) *model.Sample {
	m := model.Metric{tag: model.LabelValue(series), "instance": model.LabelValue(instance)}
	for i := 0; i+1 < len(extra); i += 2 {
		m[model.LabelName(extra[i])] = model.LabelValue(extra[i+1])
	}
	return &model.Sample{Metric: m, Value: model.SampleValue(v)}
}

// Instances map to hosts by name or by address, with or without a port;
// the figures are node_exporter's, the time the scrape's own.
func TestAssemble(t *testing.T) {
	hosts := []fleet.Host{{Name: "web-1", Address: "10.0.0.1"}, {Name: "db-1", Address: "10.0.0.2"}, {Name: "gone", Address: "10.0.0.3"}}
	s, err := New(fleet.SourceConfig{Kind: "prometheus", URL: "http://127.0.0.1:9", Hosts: `up{job="node"}`, InstanceLabel: "instance",
		RateWindow: fleet.Duration{Duration: time.Minute}}, hosts)
	if err != nil {
		t.Fatal(err)
	}
	at := float64(time.Date(2026, 12, 2, 3, 12, 0, 0, time.UTC).Unix())
	vec := model.Vector{
		sampleOf("up", "web-1:9100", 1), sampleOf("at", "web-1:9100", at),
		sampleOf("load1", "web-1:9100", 3), sampleOf("cores", "web-1:9100", 4), sampleOf("idle", "web-1:9100", 0.25),
		sampleOf("mem_total", "web-1:9100", 1000), sampleOf("mem_avail", "web-1:9100", 400),
		sampleOf("boot", "web-1:9100", at-3600),
		sampleOf("fs_size", "web-1:9100", 100, "mountpoint", "/"), sampleOf("fs_free", "web-1:9100", 30, "mountpoint", "/"),
		sampleOf("fs_avail", "web-1:9100", 20, "mountpoint", "/"), sampleOf("fs_files", "web-1:9100", 10, "mountpoint", "/"),
		sampleOf("fs_files_free", "web-1:9100", 4, "mountpoint", "/"),
		sampleOf("load5", "web-1:9100", math.NaN()),
		sampleOf("up", "10.0.0.2:9100", 1), sampleOf("at", "10.0.0.2:9100", at), // by address: db-1, nothing but load time
		sampleOf("up", "10.0.0.3:9100", 0), sampleOf("at", "10.0.0.3:9100", at),
		sampleOf("up", "stranger:9100", 1), sampleOf("at", "stranger:9100", at),
	}
	latest, missing := s.assemble(vec)
	w := latest["web-1"]
	if w == nil {
		t.Fatalf("web-1 not assembled: %v %v", latest, missing)
	}
	if !w.At.Equal(time.Unix(int64(at), 0)) || w.Load1 != 3 || w.Cores != 4 || w.CPU != 75 || w.MemUsed != 600 || w.MemPercent() != 60 ||
		w.Uptime != time.Hour || w.Load5 != 0 {
		t.Errorf("web-1: %+v", w)
	}
	if len(w.Disks) != 1 || w.Disks[0].Used != 70 || w.Disks[0].Free != 20 || w.Disks[0].IUsed != 6 {
		t.Errorf("web-1 disks: %+v", w.Disks)
	}
	if d := latest["db-1"]; d == nil || d.Known(fleet.MetricCPU) || d.Known(fleet.MetricMemory) || d.Known(fleet.MetricDisk) {
		t.Errorf("db-1, found by address with no figures, must say they are unknown: %+v", d)
	}
	if !strings.Contains(missing["gone"], "up == 0") || latest["gone"] != nil {
		t.Errorf("a target Prometheus cannot scrape: %q", missing["gone"])
	}
	if len(latest) != 2 {
		t.Errorf("an instance of no configured host was kept: %v", latest)
	}
}

// The query applies the selector's matchers to every series.
func TestQuery(t *testing.T) {
	q := Query(`job="node"`, "instance", "1m", nil)
	for _, want := range []string{`up{job="node"}`, `node_cpu_seconds_total{job="node",mode="idle"}`, `[1m]`, `count by (instance)`, `node_filesystem_size_bytes{job="node",fstype!~`} {
		if !strings.Contains(q, want) {
			t.Errorf("query lacks %s:\n%s", want, q)
		}
	}
	if q := Query("", "instance", "1m", nil); strings.Contains(q, "{,") {
		t.Errorf("empty matchers: %s", q)
	}
	// Memory filesystems only at the mounts the hosts list, each a literal.
	if strings.Contains(q, "tmpfs|ramfs\",mountpoint") {
		t.Errorf("memory filesystems asked for with none listed:\n%s", q)
	}
	q = Query(`job="node"`, "instance", "1m", []string{"/srv/cache", "/var/a.b"})
	want := `(node_filesystem_size_bytes{job="node",fstype!~"tmpfs|`
	memory := `node_filesystem_size_bytes{job="node",fstype=~"tmpfs|ramfs",mountpoint=~"^(?:/srv/cache|/var/a\\.b)$"})`
	if !strings.Contains(q, want) || !strings.Contains(q, memory) {
		t.Errorf("query with listed mounts lacks\n%s\nor\n%s:\n%s", want, memory, q)
	}
}

// Of the filesystems an answer holds, a host that lists none gets those
// the SSH probe would watch: a writable tmpfs data mount, not /dev/shm,
// /run/user/* or a read-only tmpfs; a host that lists its mounts gets
// exactly those.
func TestAssemble_MemoryFilesystems(t *testing.T) {
	hosts := []fleet.Host{{Name: "web-1"}, {Name: "db-1", Mounts: []string{"/dev/shm"}}}
	s, err := New(fleet.SourceConfig{Kind: "prometheus", URL: "http://127.0.0.1:9", InstanceLabel: "instance",
		RateWindow: fleet.Duration{Duration: time.Minute}}, hosts)
	if err != nil {
		t.Fatal(err)
	}
	var vec model.Vector
	for _, h := range []string{"web-1", "db-1"} {
		vec = append(vec, sampleOf("up", h, 1), sampleOf("at", h, 1e9))
		for _, fs := range [][2]string{{"ext4", "/"}, {"tmpfs", "/srv/cache"}, {"tmpfs", "/dev/shm"}, {"tmpfs", "/run/user/1000"}, {"tmpfs", "/srv/ro"}} {
			vec = append(vec, sampleOf("fs_size", h, 100, "mountpoint", fs[1], "fstype", fs[0]), sampleOf("fs_avail", h, 50, "mountpoint", fs[1], "fstype", fs[0]))
			ro := 0.0
			if fs[1] == "/srv/ro" {
				ro = 1
			}
			vec = append(vec, sampleOf("fs_ro", h, ro, "mountpoint", fs[1], "fstype", fs[0]))
		}
	}
	latest, _ := s.assemble(vec)
	mounts := func(h string) string {
		var m []string
		for _, d := range latest[h].Disks {
			m = append(m, d.Mount)
		}
		return strings.Join(m, " ")
	}
	if got := mounts("web-1"); got != "/ /srv/cache" {
		t.Errorf("web-1's watched mounts: %q, want / and the writable tmpfs /srv/cache", got)
	}
	if got := mounts("db-1"); got != "/dev/shm" {
		t.Errorf("db-1 lists /dev/shm: got %q", got)
	}
}
