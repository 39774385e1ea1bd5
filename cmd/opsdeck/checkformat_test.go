package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet/fleettest"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// nagiosOutput is a plugin's output read by the Monitoring Plugins
// Development Guidelines: "TEXT | PERFDATA", long text lines, then more
// perfdata after a second "|", one or more items per line.
type nagiosOutput struct {
	status, text string
	long         []string
	perf         map[string]perfValue
}

type perfValue struct {
	value                float64
	unit                 string
	warn, crit, min, max string
}

var (
	statusLine = regexp.MustCompile(`^OPSDECK (OK|WARNING|CRITICAL|UNKNOWN) - ([^|]*)(?: \| (.*))?$`)
	// 'label'=value[UOM];[warn];[crit];[min];[max]; a label with spaces,
	// = or ' is quoted, a ' in it doubled. UOM: s ms us % B KB MB TB c.
	perfItemRE = regexp.MustCompile(`^(?:'((?:[^']|'')+)'|([^'= ]+))=(-?[0-9]+(?:\.[0-9]+)?)(s|ms|us|%|B|KB|MB|TB|c)?((?:;-?[0-9.]*){0,4})$`)
	perfSplit  = regexp.MustCompile(`'(?:[^']|'')+'=\S*|[^' ]+=\S*`)
)

func parseNagios(t *testing.T, out string) nagiosOutput {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	m := statusLine.FindStringSubmatch(lines[0])
	if m == nil {
		t.Fatalf("status line %q is not a plugin's", lines[0])
	}
	o := nagiosOutput{status: m[1], text: m[2], perf: map[string]perfValue{}}
	perfLines := []string{m[3]}
	inPerf := false
	for _, l := range lines[1:] {
		switch {
		case inPerf:
			perfLines = append(perfLines, l)
		case strings.HasPrefix(l, "| "):
			inPerf = true
			perfLines = append(perfLines, strings.TrimPrefix(l, "| "))
		case strings.Contains(l, "|"):
			t.Fatalf("long text line %q holds a |", l)
		default:
			o.long = append(o.long, l)
		}
	}
	for _, pl := range perfLines {
		items := perfSplit.FindAllString(pl, -1)
		if strings.Join(items, " ") != strings.TrimSpace(pl) {
			t.Fatalf("perfdata %q is not space-separated items", pl)
		}
		for _, it := range items {
			pm := perfItemRE.FindStringSubmatch(it)
			if pm == nil {
				t.Fatalf("perfdata item %q breaks the guidelines", it)
			}
			label := strings.ReplaceAll(pm[1], "''", "'") + pm[2]
			v, _ := strconv.ParseFloat(pm[3], 64)
			f := append(strings.Split(strings.TrimPrefix(pm[5], ";"), ";"), "", "", "", "")
			if _, dup := o.perf[label]; dup {
				t.Fatalf("label %q given twice", label)
			}
			o.perf[label] = perfValue{value: v, unit: pm[4], warn: f[0], crit: f[1], min: f[2], max: f[3]}
		}
	}
	return o
}

// check --format nagios on real hosts: the status word says the exit
// code, the counts and every host's figures are perfdata by the
// guidelines, with the thresholds the host is judged by; the findings are
// the long text. --textfile writes the same in node_exporter's format,
// read back by Prometheus' own parser.
func TestCheck_NagiosAndTextfile(t *testing.T) {
	f := fleettest.StartFleet(t, 3)
	f.Hosts[2].Stop() // host-3: sshd stopped
	cfg := checkConfig(t, f, map[string]float64{"host-2": 2}, false)
	prom := filepath.Join(t.TempDir(), "opsdeck.prom")
	out, errOut, code := opsdeck(t, []string{"XDG_STATE_HOME=" + t.TempDir()}, "check", "--format", "nagios", "--textfile", prom, "-c", cfg)
	if code != 2 {
		t.Fatalf("exit %d, want 2\n%s\n%s", code, out, errOut)
	}
	o := parseNagios(t, out)
	if o.status != "CRITICAL" || !strings.Contains(o.text, "3 host(s), 1 OK, 1 CRIT, 1 DOWN: ") {
		t.Errorf("status %s, text %q", o.status, o.text)
	}
	for label, want := range map[string]float64{"hosts ok": 1, "hosts crit": 1, "hosts down": 1, "hosts warn": 0} {
		if p, ok := o.perf[label]; !ok || p.value != want || p.min != "0" || p.max != "3" {
			t.Errorf("%s: %+v, want %v of 0..3", label, p, want)
		}
	}
	disk, ok := o.perf["host-2 disk /"]
	if !ok || disk.unit != "%" || disk.warn != "1" || disk.crit != "2" || disk.value < 2 || disk.value > 100 {
		t.Errorf("host-2 disk /: %+v (its thresholds are 1 and 2 %%)", disk)
	}
	if c, ok := o.perf["host-1 memory"]; !ok || c.unit != "%" || c.warn != "85" || c.crit != "95" {
		t.Errorf("host-1 memory: %+v (the default thresholds are 85 and 95)", c)
	}
	if c, ok := o.perf["host-1 cpu"]; !ok || c.warn != "" || c.crit != "" {
		t.Errorf("host-1 cpu: %+v (not judged in tests: no thresholds)", c)
	}
	if _, ok := o.perf["host-3 cpu"]; ok {
		t.Error("a host that did not answer has figures")
	}
	long := strings.Join(o.long, "\n")
	if !strings.Contains(long, "host-2 CRIT disk /: ") || !strings.Contains(long, "host-3 DOWN host: ") {
		t.Errorf("long text:\n%s", long)
	}

	data, err := os.ReadFile(prom)
	if err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("textfile does not parse: %v\n%s", err, data)
	}
	value := func(name string, labels map[string]string) (float64, bool) { return gauge(fams, name, labels) }
	for host, want := range map[string]float64{"host-1": 0, "host-2": 2, "host-3": 2} {
		if v, ok := value("opsdeck_host_state", map[string]string{"host": host}); !ok || v != want {
			t.Errorf("opsdeck_host_state{host=%s} = %v (%v), want %v", host, v, ok, want)
		}
	}
	if v, ok := value("opsdeck_check_state", map[string]string{"host": "host-1", "check": "memory", "kind": "memory"}); !ok || v != 0 {
		t.Errorf("an OK check is %v (%v), want 0 (so an alert on it resolves)", v, ok)
	}
	// A check is labelled by its key and kind, never by its words.
	if v, ok := value("opsdeck_check_state", map[string]string{"host": "host-2", "check": "disk:/", "kind": "disk"}); !ok || v != 2 {
		t.Errorf("opsdeck_check_state{host-2, check=disk:/} = %v (%v), want 2", v, ok)
	}
	if v, ok := value("opsdeck_disk_used_percent", map[string]string{"host": "host-2", "mount": "/"}); !ok || math.Abs(v-disk.value) > 0.01 {
		t.Errorf("disk / of host-2: textfile %v, perfdata %v", v, disk.value)
	}
	promtoolClean(t, prom)
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(prom), ".opsdeck.prom.*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if _, _, code := opsdeck(t, nil, "check", "--format", "xml", "-c", cfg); code != 3 {
		t.Errorf("--format xml: exit %d, want 3", code)
	}
	if _, errOut, code := opsdeck(t, nil, "check", "--textfile", filepath.Join(t.TempDir(), "x.txt"), "-c", cfg); code != 3 || !strings.Contains(errOut, ".prom") {
		t.Errorf("--textfile without .prom: exit %d %s", code, errOut)
	}
}

// --notify-kind alertmanager, against a real Alertmanager: every finding
// that is not OK fires with host, check and severity labels and an end a
// few runs ahead; a finding that recovered is resolved on the next run.
func TestCheck_Alertmanager(t *testing.T) {
	am := fleettest.StartAlertmanager(t)
	f := fleettest.StartFleet(t, 3)
	f.Hosts[2].Stop() // host-3: sshd stopped
	cfg := checkConfig(t, f, map[string]float64{"host-2": 2}, false)
	env := []string{"XDG_STATE_HOME=" + t.TempDir()}
	type gettable struct {
		Labels   map[string]string `json:"labels"`
		StartsAt time.Time         `json:"startsAt"`
		EndsAt   time.Time         `json:"endsAt"`
	}
	alerts := func() map[string]gettable {
		resp, err := http.Get(am.URL + "/api/v2/alerts")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var list []gettable
		if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
			t.Fatal(err)
		}
		out := map[string]gettable{}
		for _, a := range list {
			out[a.Labels["host"]+"/"+a.Labels["check"]] = a
		}
		return out
	}
	if out, errOut, code := opsdeck(t, env, "check", "--notify", am.URL, "--notify-kind", "alertmanager", "-c", cfg); code != 2 {
		t.Fatalf("exit %d, want 2\n%s\n%s", code, out, errOut)
	}
	var got map[string]gettable
	fleettest.Eventually(t, 10*time.Second, "both alerts in Alertmanager", func() bool {
		got = alerts()
		return len(got) == 2
	})
	disk, down := got["host-2/disk:/"], got["host-3/host"]
	if disk.Labels["severity"] != "critical" || disk.Labels["alertname"] != "opsdeck" || down.Labels["severity"] != "critical" || down.Labels["state"] != "DOWN" {
		t.Errorf("alerts %+v", got)
	}
	if !disk.EndsAt.After(time.Now()) {
		t.Errorf("a firing alert ends at %v, in the past", disk.EndsAt)
	}
	f.Hosts[2].Start()
	if out, errOut, code := opsdeck(t, env, "check", "--notify", am.URL, "--notify-kind", "alertmanager", "-c", cfg); code != 2 {
		t.Fatalf("second run: exit %d, want 2 (host-2's disk)\n%s\n%s", code, out, errOut)
	}
	fleettest.Eventually(t, 10*time.Second, "host-3's alert resolved, host-2's still firing", func() bool {
		got = alerts()
		_, still := got["host-3/host"]
		_, disk := got["host-2/disk:/"]
		return !still && disk
	})
	if _, _, code := opsdeck(t, env, "check", "--notify-kind", "pager", "-c", cfg); code != 3 {
		t.Errorf("--notify-kind pager: exit %d, want 3", code)
	}
}

// --notify-kind ntfy publishes the change's text to the topic URL, titled
// and prioritised by the worst state, once per change.
func TestCheck_Ntfy(t *testing.T) {
	type got struct{ title, prio, body string }
	var mu sync.Mutex
	var posts []got
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		posts = append(posts, got{r.Header.Get("Title"), r.Header.Get("Priority"), string(b)})
		mu.Unlock()
	}))
	defer srv.Close()
	f := fleettest.StartFleet(t, 1)
	cfg := checkConfig(t, f, map[string]float64{"host-1": 2}, false)
	env := []string{"XDG_STATE_HOME=" + t.TempDir()}
	for i := 0; i < 2; i++ {
		if out, errOut, code := opsdeck(t, env, "check", "--notify", srv.URL+"/ops-alerts", "--notify-kind", "ntfy", "-c", cfg); code != 2 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(posts) != 1 || posts[0].title != "opsdeck: worst CRIT" || posts[0].prio != "urgent" || !strings.Contains(posts[0].body, "host-1: disk:/ CRIT (was OK)") {
		t.Errorf("posts %+v, want one urgent post of the change", posts)
	}
}

// serve-metrics polls continuously and serves the check's metrics, judged
// at each scrape: a host whose sshd is stopped is 2 there, and 0 again
// once it is back; SIGTERM stops it cleanly.
func TestServeMetrics(t *testing.T) {
	f := fleettest.StartFleet(t, 2)
	f.Hosts[1].Stop()
	cfg := checkConfig(t, f, nil, false)
	data, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(data), "[defaults]\n", "[defaults]\npoll_interval = \"1s\"\n", 1)), 0o644)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "serve-metrics", addr, "-c", cfg)
	home := t.TempDir()
	cmd.Env = []string{"HOME=" + home, "XDG_STATE_HOME=" + filepath.Join(home, ".state"), "PATH=" + os.Getenv("PATH"), "GORACE=atexit_sleep_ms=0"}
	var errOut strings.Builder
	var mu sync.Mutex
	cmd.Stderr = writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return errOut.Write(p) })
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	defer func() {
		select {
		case <-done:
		default:
			cmd.Process.Kill()
			<-done
		}
	}()
	// scrape reads /metrics; nil while the server is not up yet.
	scrape := func() map[string]*dto.MetricFamily {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return nil
		}
		defer resp.Body.Close()
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(resp.Body)
		if err != nil {
			t.Fatalf("/metrics does not parse: %v", err)
		}
		return fams
	}
	state := func(host string) float64 {
		if v, ok := gauge(scrape(), "opsdeck_host_state", map[string]string{"host": host}); ok {
			return v
		}
		return -1
	}
	figure := func(host string) (float64, bool) {
		return gauge(scrape(), "opsdeck_memory_percent", map[string]string{"host": host})
	}
	fleettest.Eventually(t, 20*time.Second, "host-1 OK with its figures and host-2 DOWN (2) on /metrics", func() bool {
		_, has := figure("host-1")
		return has && state("host-1") == 0 && state("host-2") == 2
	})
	f.Hosts[1].Start()
	fleettest.Eventually(t, 30*time.Second, "host-2 back to 0 once its sshd runs", func() bool { return state("host-2") == 0 })
	// SIGHUP reloads: host-2 taken out of the file leaves /metrics; a
	// broken file changes nothing and says why.
	data, _ = os.ReadFile(cfg)
	h2 := fmt.Sprintf("[[hosts]]\nname = %q\naddress = %q\nport = %d\n", f.Hosts[1].Name, f.Hosts[1].Listen, f.Hosts[1].Port)
	os.WriteFile(cfg, []byte(strings.Replace(string(data), h2, "", 1)), 0o644)
	cmd.Process.Signal(syscall.SIGHUP)
	fleettest.Eventually(t, 20*time.Second, "host-2 gone from /metrics after SIGHUP", func() bool { return state("host-2") == -1 && state("host-1") == 0 })
	os.WriteFile(cfg, []byte("[[hosts]]\nname = 7\n"), 0o644)
	cmd.Process.Signal(syscall.SIGHUP)
	fleettest.Eventually(t, 20*time.Second, "the broken reload logged with file:line", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(errOut.String(), "config not reloaded") && strings.Contains(errOut.String(), cfg+":2:")
	})
	if state("host-1") != 0 {
		t.Errorf("host-1 after a broken reload: %v", state("host-1"))
	}
	// host-1 stops answering: its figures go once they are stale, instead
	// of old ones served as current.
	f.Hosts[0].Stop()
	fleettest.Eventually(t, 30*time.Second, "host-1 without figures, 2", func() bool {
		_, has := figure("host-1")
		return !has && state("host-1") == 2
	})
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("still serving 10 s after SIGTERM")
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0 (asked to stop, stopped)", code)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(errOut.String(), "serving the metrics of 2 host(s) on http://"+addr+"/metrics") {
		t.Errorf("stderr: %s", errOut.String())
	}
}

// gauge is the value of the metric name whose labels include labels.
func gauge(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	for _, m := range fams[name].GetMetric() {
		if matches(m, labels) {
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
