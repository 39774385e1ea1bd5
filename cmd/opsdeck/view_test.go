package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
	"github.com/opsdeck/opsdeck/fleet/report"
)

// Two serve-metrics pollers (--shard 0/2, 1/2, --site eu) scraped every
// second by a real Prometheus, and check reading the fleet back from it
// (a source of kind "opsdeck"): every host has the state, the causes and
// the figures its poller gives it; a stopped poller turns exactly its
// hosts STALE, saying so; a stopped Prometheus turns every host STALE.
func TestView_FromPrometheus(t *testing.T) {
	f := fleettest.StartFleet(t, 2)
	backups := t.TempDir()
	if err := os.WriteFile(filepath.Join(backups, "db.sql.gz"), []byte("backup"), 0o644); err != nil {
		t.Fatal(err)
	}
	var doc strings.Builder
	doc.WriteString(f.Defaults() + "poll_interval = \"1h\"\ntimeout = \"5s\"\n")
	for i, h := range f.Hosts {
		fmt.Fprintf(&doc, "[[hosts]]\nname = \"web-%d\"\naddress = \"127.0.0.1\"\nport = %d\nuser = %q\n", i+1, h.Port, h.User)
		fmt.Fprintf(&doc, "[[hosts.backups]]\nname = \"db\"\nkind = \"files\"\npath = %q\nmax_age = \"1h\"\n", filepath.Join(backups, fmt.Sprintf("*%d.sql.gz", i)))
	}
	fmt.Fprintf(&doc, "[[hosts]]\nname = \"full-1\"\naddress = \"127.0.0.1\"\nport = %d\nuser = %q\n[hosts.thresholds]\ndisk = { warn = 1, crit = 2 }\n", f.Hosts[0].Port, f.Hosts[0].User)
	doc.WriteString("[[hosts]]\nname = \"bastion\"\naddress = \"127.0.0.1\"\nport = 1\n")
	for i := 1; i <= 3; i++ {
		fmt.Fprintf(&doc, "[[hosts]]\nname = \"app-%d\"\naddress = \"127.0.0.1\"\nport = 1\njump = \"bastion\"\n", i)
	}
	fleetCfg := writeFile(t, "fleet.toml", doc.String())

	addrs := []string{fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t)), fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t))}
	pollers := make([]*running, 2)
	for i, addr := range addrs {
		pollers[i] = startOpsdeck(t, nil, "serve-metrics", addr, "-c", fleetCfg, "--shard", fmt.Sprintf("%d/2", i), "--site", "eu")
	}
	prom := fleettest.StartPrometheusWith(t, time.Second, fmt.Sprintf("  - job_name: opsdeck\n    static_configs:\n      - targets: [%q, %q]\n", addrs[0], addrs[1]))
	viewCfg := writeFile(t, "view.toml", doc.String()+fmt.Sprintf("[[sources]]\nkind = \"opsdeck\"\nurl = %q\nmatch = 'site=\"eu\"'\n", prom.URL))

	// What each poller says of its hosts, once every host was polled
	// (poll_interval 1h: they stay so).
	direct := map[string]string{} // host → its series, as its poller exports them
	owner := map[string]int{}
	fleettest.EventuallyShow(t, 60*time.Second, "both pollers' first poll of all their hosts", func() bool {
		clear(direct)
		for i, addr := range addrs {
			body := get("http://" + addr + "/metrics")
			if strings.Contains(body, `cause="polling"`) || !strings.Contains(body, "opsdeck_poller_hosts") {
				return false
			}
			for _, h := range hostsIn(body) {
				owner[h], direct[h] = i, seriesOf(body, h)
			}
		}
		return len(direct) == 7
	}, func() string {
		return pollers[0].err.String() + get("http://"+addrs[0]+"/metrics") + get("http://"+addrs[1]+"/metrics")
	})
	var view viewed
	fleettest.EventuallyShow(t, 30*time.Second, "the view of all 7 hosts, as their pollers judged them", func() bool {
		view = viewReport(t, viewCfg)
		return len(view.Hosts) == 7 && sameAsPollers(view, direct) == ""
	}, func() string { return sameAsPollers(view, direct) })
	states := map[string]fleet.State{}
	for _, h := range view.Hosts {
		states[h.Name] = h.State
	}
	if states["full-1"] != fleet.Crit || states["bastion"] != fleet.Down || states["app-1"] != fleet.Unreachable || states["web-1"] != fleet.OK {
		t.Fatalf("the fleet is not as built (CRIT disk, DOWN bastion, UNREACHABLE behind it, OK): %v", states)
	}

	// Poller 1 stops: its hosts, and only they, turn STALE and say why.
	pollers[1].Process.Kill()
	pollers[1].Wait()
	fleettest.EventuallyShow(t, 2*time.Second+10*time.Second+5*time.Second, "poller 1/2's hosts STALE, the others as they were", func() bool {
		view = viewReport(t, viewCfg)
		for _, h := range view.Hosts {
			stale := h.State == fleet.Stale && strings.Contains(h.Reason, "poller 1/2 of site eu not scraped since")
			if (owner[h.Name] == 1) != stale || owner[h.Name] == 0 && h.State != states[h.Name] {
				return false
			}
		}
		return len(view.Hosts) == 7
	}, func() string { b, _ := json.MarshalIndent(view.Hosts, "", " "); return string(b) })

	// Prometheus stops: every host STALE, with the reason.
	prom.Stop()
	out, _, _ := opsdeck(t, nil, "check", "--json", "-c", viewCfg)
	var rep report.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, h := range rep.Hosts {
		if h.State != fleet.Stale || !strings.Contains(h.Reason, "prometheus "+prom.URL) {
			t.Errorf("with Prometheus stopped %s is %s (%s), not STALE saying why", h.Name, h.State, h.Reason)
		}
	}
}

// viewReport is check --json of the fleet read from Prometheus.
func viewReport(t *testing.T, cfg string) viewed {
	t.Helper()
	out, _, _ := opsdeck(t, nil, "check", "--json", "-v", "-c", cfg)
	var rep viewed
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return rep
}

// viewed is check's JSON: its hosts, and its figures with their labels.
type viewed struct {
	Hosts   []report.HostReport `json:"hosts"`
	Figures []struct {
		Host, Metric string
		Labels       map[string]string
		Value        float64
	} `json:"figures"`
}

var sample = regexp.MustCompile(`^(\w+)\{([^}]*)\} (\S+)$`)

// seriesOf are a host's series in an exposition that a reader reads back
// (state, checks, causes, figures), without the site, one per line,
// sorted.
func seriesOf(body, host string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		m := sample.FindStringSubmatch(l)
		if m == nil || !strings.Contains(m[2], `host="`+host+`"`) || strings.Contains(m[1], "timestamp") || strings.Contains(m[1], "duration") {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// sameAsPollers says how the view differs from what the pollers said of
// each host: its state, each failing check's state and cause, each
// figure ("" when it does not).
func sameAsPollers(view viewed, direct map[string]string) string {
	var diff []string
	for _, h := range view.Hosts {
		said := direct[h.Name]
		if !strings.Contains(said, fmt.Sprintf("opsdeck_host_state{site=\"eu\",host=%q} %d", h.Name, report.Exit(h.State))) {
			diff = append(diff, fmt.Sprintf("%s: %s, its poller says\n%s", h.Name, h.State, said))
		}
		for _, c := range h.Findings {
			if c.State == fleet.OK || c.Kind == fleet.KindHost {
				continue
			}
			labels := fmt.Sprintf("{site=\"eu\",host=%q,check=%q,kind=%q", h.Name, c.Key, c.Kind)
			if !strings.Contains(said, "opsdeck_check_state"+labels+"} "+strconv.Itoa(report.Exit(c.State))) ||
				!strings.Contains(said, "opsdeck_check_cause"+labels+fmt.Sprintf(",cause=%q} %d", c.Cause, report.Exit(c.State))) {
				diff = append(diff, fmt.Sprintf("%s %s: %s %s, its poller says\n%s", h.Name, c.Key, c.State, c.Cause, said))
			}
		}
	}
	for _, fig := range view.Figures {
		labels := ""
		for k, v := range fig.Labels {
			labels = fmt.Sprintf(",%s=%q", k, v)
		}
		m := regexp.MustCompile(`(?m)^` + fig.Metric + `\{site="eu",host="` + regexp.QuoteMeta(fig.Host) + `"` + regexp.QuoteMeta(labels) + `\} (\S+)$`).FindStringSubmatch(direct[fig.Host])
		if m == nil {
			continue // a figure the view computes (ages run on)
		}
		if v, _ := strconv.ParseFloat(m[1], 64); math.Abs(v-fig.Value) > 1e-6*math.Max(1, math.Abs(v)) && !strings.Contains(fig.Metric, "age") {
			diff = append(diff, fmt.Sprintf("%s %s: %g, its poller says %g", fig.Host, fig.Metric, fig.Value, v))
		}
	}
	return strings.Join(diff, "\n")
}
