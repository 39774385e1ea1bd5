package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// metricHelp is the help of each figure's metric.
var metricHelp = map[string]string{
	"opsdeck_cpu_percent":         "CPU busy, percent.",
	"opsdeck_memory_percent":      "Memory in use (total less available), percent.",
	"opsdeck_load1_per_core":      "1-minute load average per core.",
	"opsdeck_disk_used_percent":   "Filesystem space in use, percent.",
	"opsdeck_backup_age_seconds":  "Age of the newest backup artefact, seconds.",
	"opsdeck_backup_size_bytes":   "Size of the newest backup artefact, bytes.",
	"opsdeck_drill_age_seconds":   "Age of the backup's last restore drill, seconds.",
	"opsdeck_drill_passed":        "1 when the backup's last restore drill passed, 0 when it failed.",
	"opsdeck_cert_expiry_seconds": "Seconds until the certificate expires (negative: expired).",
	"opsdeck_services_running":    "How many of the host's configured services run.",
	"opsdeck_services_configured": "How many services the host has in the config.",
	"opsdeck_disk_full_seconds":   "Seconds until the mount is full at its rate over the forecast window; absent when it is not filling or its history is too short.",
}

// Metrics is the report in Prometheus' text format: each host's and each
// check's state on the exit-code scale (a check labelled by its key and
// kind, never by its words), the figures, each inventory's last read, and
// when they were judged.
func Metrics(rep Report, points []Point, at time.Time) string {
	b := &expo{}
	b.hosts(rep)
	b.checks(rep)
	writePoints(&b.Builder, points, b.help)
	if len(rep.Inventories) > 0 {
		b.help("opsdeck_inventory_up", "gauge", "1 when the inventory's last read succeeded, 0 when it failed (its hosts may be missing or old).")
		for _, inv := range rep.Inventories {
			fmt.Fprintf(b, "opsdeck_inventory_up{inventory=%s} %d\n", quoteLabel(inv.Name), b2i(inv.Err == ""))
		}
	}
	b.help("opsdeck_check_timestamp_seconds", "gauge", "When these results were judged, Unix time.")
	fmt.Fprintf(b, "opsdeck_check_timestamp_seconds %d\n", at.Unix())
	if p := rep.Poller; p != nil {
		b.help("opsdeck_poller_info", "gauge", "The poller that judged these results: its shard of the fleet (I/N, by Prometheus' hashmod of the host name) and version.")
		fmt.Fprintf(b, "opsdeck_poller_info{shard=%s,version=%s} 1\n", quoteLabel(p.Shard), quoteLabel(p.Version))
		b.help("opsdeck_poller_hosts", "gauge", "How many hosts the poller watches (its shard's).")
		fmt.Fprintf(b, "opsdeck_poller_hosts{shard=%s} %d\n", quoteLabel(p.Shard), len(rep.Hosts))
		if p.Site != "" {
			return withLabel(b.String(), "site", p.Site)
		}
	}
	return b.String()
}

// expo is an exposition being written.
type expo struct{ strings.Builder }

func (b *expo) help(name, typ, text string) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, typ)
}

var stateHelp = ScaleText() + ": opsdeck check's exit-code scale."

// hosts writes each host's state, when it answered, how long its poll
// took, and what it is behind when UNREACHABLE.
func (b *expo) hosts(rep Report) {
	b.help("opsdeck_host_state", "gauge", "The host's worst state: "+stateHelp)
	for _, h := range rep.Hosts {
		fmt.Fprintf(b, "opsdeck_host_state{host=%s} %d\n", quoteLabel(h.Name), Exit(h.State))
	}
	b.help("opsdeck_host_answered_timestamp_seconds", "gauge", "When the host last answered (its data, or the failure), Unix time: older than two poll intervals plus the timeout is old.")
	for _, h := range rep.Hosts {
		if !h.Answered.IsZero() {
			fmt.Fprintf(b, "opsdeck_host_answered_timestamp_seconds{host=%s} %d\n", quoteLabel(h.Name), h.Answered.Unix())
		}
	}
	b.help("opsdeck_host_poll_duration_seconds", "gauge", "How long the host's last poll took.")
	for _, h := range rep.Hosts {
		if !h.Answered.IsZero() {
			fmt.Fprintf(b, "opsdeck_host_poll_duration_seconds{host=%s} %g\n", quoteLabel(h.Name), h.Poll.Seconds())
		}
	}
	var behind []HostReport
	for _, h := range rep.Hosts {
		if h.Behind != "" {
			behind = append(behind, h)
		}
	}
	if len(behind) > 0 {
		b.help("opsdeck_unreachable", "gauge", "1 while the host is UNREACHABLE behind the DOWN host named by behind: alert on that one.")
		for _, h := range behind {
			fmt.Fprintf(b, "opsdeck_unreachable{host=%s,behind=%s} 1\n", quoteLabel(h.Name), quoteLabel(h.Behind))
		}
	}
}

// checks writes each check's state by key, and for the failing ones
// their cause, acknowledgement and silence.
func (b *expo) checks(rep Report) {
	b.help("opsdeck_check_state", "gauge", "Each check's state: "+stateHelp)
	for _, h := range rep.Hosts {
		for _, f := range h.Findings {
			fmt.Fprintf(b, "opsdeck_check_state{%s} %d\n", checkLabels(h.Name, f), Exit(f.State))
		}
	}
	failing := func(name, text string, on func(Finding) bool) {
		b.help(name, "gauge", text)
		for _, h := range rep.Hosts {
			for _, f := range h.Findings {
				if f.State != fleet.OK {
					fmt.Fprintf(b, "%s{%s} %d\n", name, checkLabels(h.Name, f), b2i(on(f)))
				}
			}
		}
	}
	b.help("opsdeck_check_cause", "gauge", "Each failing check's state ("+stateHelp+"), with why (cause, a word of a fixed set: over, not_running, too_old…): a reader reads the failing checks here alone, and says the reason from the cause and the figures.")
	for _, h := range rep.Hosts {
		for _, f := range h.Findings {
			if f.State != fleet.OK {
				fmt.Fprintf(b, "opsdeck_check_cause{%s,cause=%s} %d\n", checkLabels(h.Name, f), quoteLabel(f.Cause.String()), Exit(f.State))
			}
		}
	}
	failing("opsdeck_acknowledged", "1 when somebody acknowledged the failing check (its state above is unchanged).",
		func(f Finding) bool { return f.Acknowledged != "" })
	failing("opsdeck_silenced", "1 when a silence covers the failing check (its state above is unchanged).",
		func(f Finding) bool { return f.Silenced != "" })
}

// withLabel adds name=value to every sample of an exposition.
func withLabel(text, name, value string) string {
	label := name + "=" + quoteLabel(value)
	var b strings.Builder
	b.Grow(len(text) + strings.Count(text, "\n")*(len(label)+3))
	for _, line := range strings.SplitAfter(text, "\n") {
		switch i := strings.IndexAny(line, "{ "); {
		case line == "" || line[0] == '#' || i < 0:
			b.WriteString(line)
		case line[i] == '{':
			b.WriteString(line[:i+1] + label + "," + line[i+1:])
		default:
			b.WriteString(line[:i] + "{" + label + "}" + line[i:])
		}
	}
	return b.String()
}

// checkLabels are a finding's labels: its host, its key and its kind.
func checkLabels(host string, f Finding) string {
	return "host=" + quoteLabel(host) + ",check=" + quoteLabel(f.Key) + ",kind=" + quoteLabel(f.Kind.String())
}

// writePoints writes the figures, a metric family each, by name.
func writePoints(b *strings.Builder, points []Point, help func(name, typ, text string)) {
	byMetric := map[string][]Point{}
	for _, p := range points {
		byMetric[p.Metric] = append(byMetric[p.Metric], p)
	}
	names := make([]string, 0, len(byMetric))
	for n := range byMetric {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		help(n, "gauge", metricHelp[n])
		for _, p := range byMetric[n] {
			labels := "host=" + quoteLabel(p.Host)
			if p.Label != "" {
				labels += "," + p.Label + "=" + quoteLabel(p.LabelValue)
			}
			fmt.Fprintf(b, "%s{%s} %s\n", n, labels, strconv.FormatFloat(p.Value, 'g', -1, 64))
		}
	}
	if len(points) == 0 {
		return
	}
	help("opsdeck_threshold", "gauge", "The level a figure is judged by: metric names the figure's series, level is warn or crit.")
	for _, n := range names {
		for _, p := range byMetric[n] {
			for _, lv := range []struct {
				name string
				v    float64
			}{{"warn", p.Warn}, {"crit", p.Crit}} {
				if math.IsNaN(lv.v) {
					continue
				}
				labels := "host=" + quoteLabel(p.Host) + ",metric=" + quoteLabel(n)
				if p.Label != "" {
					labels += "," + p.Label + "=" + quoteLabel(p.LabelValue)
				}
				fmt.Fprintf(b, "opsdeck_threshold{%s,level=%q} %s\n", labels, lv.name, strconv.FormatFloat(lv.v, 'g', -1, 64))
			}
		}
	}
}

// WriteTextfile writes the report in node_exporter's textfile collector
// format to path, atomically (a temporary file beside it, renamed over
// it): the collector never reads half a file.
func WriteTextfile(path string, rep Report, points []Point, at time.Time) error {
	return fleet.WriteFileAtomic(path, []byte(Metrics(rep, points, at)), 0o644)
}

// quoteLabel is a Prometheus label value: quoted, with \, " and newline
// escaped.
func quoteLabel(s string) string {
	return `"` + labelEscapes.Replace(s) + `"`
}

// labelEscapes is built once: a replacer builds its tables on first use,
// which, made anew for each label, was most of a scrape's CPU.
var labelEscapes = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
