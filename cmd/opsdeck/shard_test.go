package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

// Four serve-metrics pollers, --shard 0/4 … 3/4 --site eu, over a fleet
// of 40 hosts behind a bastion: every host is reported by exactly one
// poller, and each poller's share is the one a real Prometheus keeps
// with a hashmod relabel rule over the host name. Each says what it is
// (opsdeck_poller_info) and labels every series with its site.
func TestServeMetrics_Shards(t *testing.T) {
	var doc strings.Builder
	doc.WriteString(fleettest.Hermetic + "[defaults]\npoll_interval = \"1h\"\ntimeout = \"2s\"\nssh_config = \"/dev/null\"\nsecurity = false\n")
	doc.WriteString("[[hosts]]\nname = \"bastion\"\naddress = \"127.0.0.1\"\nport = 1\n")
	var all []string
	for i := 1; i <= 40; i++ {
		name := fmt.Sprintf("web-%02d", i)
		all = append(all, name)
		fmt.Fprintf(&doc, "[[hosts]]\nname = %q\naddress = \"127.0.0.1\"\nport = 1\njump = \"bastion\"\n", name)
	}
	all = append(all, "bastion")
	sort.Strings(all)
	cfg := writeFile(t, "fleet.toml", doc.String())

	var scrape strings.Builder
	for i := 0; i < 4; i++ {
		fmt.Fprintf(&scrape, "  - job_name: shard%d\n    static_configs:\n", i)
		for _, h := range all {
			fmt.Fprintf(&scrape, "      - targets: [\"127.0.0.1:1\"]\n        labels: {host: %q}\n", h)
		}
		fmt.Fprintf(&scrape, "    relabel_configs:\n      - {source_labels: [host], modulus: 4, target_label: __tmp_shard, action: hashmod}\n"+
			"      - {source_labels: [__tmp_shard], regex: %q, action: keep}\n", fmt.Sprint(i))
	}
	prom := fleettest.StartPrometheusWith(t, time.Hour, scrape.String())

	seen := map[string]int{}
	for i := 0; i < 4; i++ {
		addr := fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t))
		startOpsdeck(t, nil, "serve-metrics", addr, "-c", cfg, "--shard", fmt.Sprintf("%d/4", i), "--site", "eu")
		var body string
		fleettest.Eventually(t, 30*time.Second, "shard "+fmt.Sprint(i)+"'s metrics", func() bool {
			body = get("http://" + addr + "/metrics")
			return strings.Contains(body, "opsdeck_poller_hosts")
		})
		ours := hostsIn(body)
		for _, h := range ours {
			seen[h]++
		}
		theirs := activeTargets(t, prom.URL, fmt.Sprintf("shard%d", i))
		if strings.Join(ours, ",") != strings.Join(theirs, ",") {
			t.Errorf("shard %d/4: opsdeck reports %v, Prometheus' hashmod keeps %v", i, ours, theirs)
		}
		if want := fmt.Sprintf(`opsdeck_poller_info{site="eu",shard="%d/4",version=`, i); !strings.Contains(body, want) ||
			!strings.Contains(body, fmt.Sprintf(`opsdeck_poller_hosts{site="eu",shard="%d/4"} %d`, i, len(ours))) {
			t.Errorf("shard %d/4 does not say what it is:\n%s", i, body)
		}
		for _, l := range strings.Split(body, "\n") {
			if l != "" && !strings.HasPrefix(l, "#") && !strings.Contains(l, `{site="eu"`) {
				t.Errorf("a series without its site: %s", l)
			}
		}
	}
	for _, h := range all {
		if seen[h] != 1 {
			t.Errorf("%s reported by %d pollers", h, seen[h])
		}
	}
}

var hostState = regexp.MustCompile(`(?m)^opsdeck_host_state\{[^}]*host="([^"]+)"`)

// hostsIn are the hosts an exposition reports, sorted.
func hostsIn(body string) []string {
	var out []string
	for _, m := range hostState.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return out
}

func get(url string) string {
	resp, err := http.Get(url)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// activeTargets are the host labels of a job's targets that Prometheus
// kept after relabelling, sorted.
func activeTargets(t *testing.T, base, job string) []string {
	t.Helper()
	var out []string
	fleettest.Eventually(t, 30*time.Second, "Prometheus' targets of "+job, func() bool {
		var r struct {
			Data struct {
				ActiveTargets []struct {
					Labels map[string]string `json:"labels"`
				} `json:"activeTargets"`
			} `json:"data"`
		}
		if json.Unmarshal([]byte(get(base+"/api/v1/targets?state=active&scrapePool="+job)), &r) != nil {
			return false
		}
		out = out[:0]
		for _, a := range r.Data.ActiveTargets {
			if a.Labels["job"] == job {
				out = append(out, a.Labels["host"])
			}
		}
		return len(out) > 0
	})
	sort.Strings(out)
	return out
}

// freeTCPPort is a port free on 127.0.0.1 now.
func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
