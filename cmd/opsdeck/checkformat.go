package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// point is one measured value of a host, with its thresholds (NaN: none),
// for the formats that carry numbers: Nagios perfdata and Prometheus.
type point struct {
	Host, Name string // Name: "cpu", "memory", "load1 per core", "disk /var", "backup db age"
	Metric     string // Prometheus metric name
	Label      string // Prometheus label beside host ("mount", "backup"), "" for none
	LabelValue string
	Value      float64
	Unit       string // Nagios UOM: "%", "s" or ""
	Warn, Crit float64
	Min, Max   float64
}

var none = math.NaN()

// fleetPoints are the figures of every host whose data is fresh at now, as
// the dashboard shows them, with the thresholds it judges them by.
func fleetPoints(store *fleet.Store, now time.Time) []point {
	snap, _ := store.Snapshot()
	var out []point
	for i := range snap {
		st := &snap[i]
		s, h := st.Last, st.Host
		if s == nil || s.Stale(h, now) {
			continue // no figures rather than old ones shown as current
		}
		lim := h.Limits
		add := func(p point) {
			p.Host = h.Name
			out = append(out, p)
		}
		pair := func(p fleet.Pair) (float64, float64) {
			if p.Off {
				return none, none
			}
			return p.Warn, p.Crit
		}
		for _, r := range fleet.Resources {
			if r.Export == "" || !s.Known(r.Metric) {
				continue
			}
			w, c := pair(*r.Limit(&lim))
			unit, most := "", none
			if r.Percent {
				unit, most = "%", 100
			}
			if r.Value != nil {
				if v, ok := r.Value(s); ok {
					add(point{Name: r.Label, Metric: r.Export, Value: v, Unit: unit, Warn: w, Crit: c, Min: 0, Max: most})
				}
				continue
			}
			for _, d := range s.Disks {
				if v, ok := r.Mount(d); ok && d.Total > 0 { // a size: a figure
					add(point{Name: r.Label + " " + d.Mount, Metric: r.Export, Label: "mount", LabelValue: d.Mount,
						Value: v, Unit: unit, Warn: w, Crit: c, Min: 0, Max: most})
				}
			}
		}
		for _, b := range s.Backups {
			if b.Err != "" || b.NewestAt.IsZero() {
				continue
			}
			warn, crit := fleet.DefaultMaxAge, 2*fleet.DefaultMaxAge
			for _, cb := range h.Backups {
				if cb.Name == b.Name && cb.MaxAge.Duration > 0 {
					warn, crit = cb.AgeLimits()
				}
			}
			add(point{Name: "backup " + b.Name + " age", Metric: "opsdeck_backup_age_seconds", Label: "backup", LabelValue: b.Name,
				Value: math.Max(0, now.Sub(b.NewestAt).Seconds()), Unit: "s", Warn: warn.Seconds(), Crit: crit.Seconds(), Min: 0, Max: none})
		}
	}
	return out
}

// nagiosStatus is the plugin guidelines' word for an exit code.
var nagiosStatus = map[int]string{checkOK: "OK", checkWarn: "WARNING", checkCrit: "CRITICAL", checkUnknown: "UNKNOWN"}

// writeNagios prints the report as a monitoring plugin does: one status
// line with the fleet's counts as perfdata, then a line per finding (the
// long text), then every host's figures as more perfdata, one per line.
func writeNagios(out io.Writer, rep Report, points []point) {
	counts := map[fleet.State]int{}
	var problems []string
	for _, h := range rep.Hosts {
		counts[h.State]++
		if h.State != fleet.OK {
			problems = append(problems, h.Name)
		}
	}
	summary := fmt.Sprintf("%d host(s)", len(rep.Hosts))
	for _, s := range fleet.AllStates {
		if n := counts[s]; n > 0 {
			summary += fmt.Sprintf(", %d %s", n, s)
		}
	}
	if len(problems) > 0 {
		if len(problems) > 5 {
			problems = append(problems[:5], "…")
		}
		summary += ": " + strings.Join(problems, " ")
	}
	total := float64(len(rep.Hosts))
	var perf []string
	for _, s := range []fleet.State{fleet.OK, fleet.Warn, fleet.Crit, fleet.Down, fleet.Unknown} {
		perf = append(perf, perfItem("hosts "+strings.ToLower(s.String()), float64(counts[s]), "", none, none, 0, total))
	}
	fmt.Fprintf(out, "OPSDECK %s - %s | %s\n", nagiosStatus[exitFor(rep.Worst)], noPipe(summary), strings.Join(perf, " "))
	for _, h := range rep.Hosts {
		for _, f := range h.Findings {
			line := fmt.Sprintf("%s %s %s: %s", h.Name, f.State, f.Check, f.Reason)
			if f.Acknowledged != "" {
				line += " [acknowledged by " + f.Acknowledged + "]"
			}
			if f.Silenced != "" {
				line += " [silenced: " + f.Silenced + "]"
			}
			fmt.Fprintln(out, noPipe(line))
		}
	}
	for i, p := range points {
		sep := "\n"
		if i == 0 {
			sep = ""
			fmt.Fprint(out, "| ")
		}
		fmt.Fprint(out, sep+perfItem(p.Host+" "+p.Name, p.Value, p.Unit, p.Warn, p.Crit, p.Min, p.Max))
	}
	if len(points) > 0 {
		fmt.Fprintln(out)
	}
}

// perfItem is 'label'=value[UOM];[warn];[crit];[min];[max], a NaN left
// empty and trailing empty fields dropped.
func perfItem(label string, v float64, unit string, warn, crit, lo, hi float64) string {
	num := func(f float64) string {
		if math.IsNaN(f) {
			return ""
		}
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	fields := []string{num(warn), num(crit), num(lo), num(hi)}
	for len(fields) > 0 && fields[len(fields)-1] == "" {
		fields = fields[:len(fields)-1]
	}
	item := "'" + strings.ReplaceAll(label, "'", "''") + "'=" + strconv.FormatFloat(round(v), 'f', -1, 64) + unit
	if len(fields) > 0 {
		item += ";" + strings.Join(fields, ";")
	}
	return item
}

func round(v float64) float64 { return math.Round(v*100) / 100 }

// noPipe keeps host text from ending the plugin's text output early.
func noPipe(s string) string { return strings.ReplaceAll(s, "|", "/") }

// writeTextfile writes the report in node_exporter's textfile collector
// format to path, atomically (a temporary file beside it, renamed over
// it): the collector never reads half a file.
func writeTextfile(path string, rep Report, points []point, at time.Time) error {
	return fleet.WriteFileAtomic(path, []byte(renderMetrics(rep, points, at)), 0o644)
}

// renderMetrics is the report in Prometheus' text format: each host's and
// each check's state on the exit-code scale, the figures, and when they
// were judged.
func renderMetrics(rep Report, points []point, at time.Time) string {
	var b strings.Builder
	help := func(name, typ, text string) { fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, typ) }
	stateHelp := "0 OK, 1 WARN, 2 CRIT (DOWN, SLOW, STALE and HOSTKEY too), 3 UNKNOWN: opsdeck check's exit-code scale."
	help("opsdeck_host_state", "gauge", "The host's worst state: "+stateHelp)
	for _, h := range rep.Hosts {
		fmt.Fprintf(&b, "opsdeck_host_state{host=%s} %d\n", quoteLabel(h.Name), exitFor(h.State))
	}
	help("opsdeck_check_state", "gauge", "Each check's state: "+stateHelp)
	for _, h := range rep.Hosts {
		for _, f := range h.Findings {
			fmt.Fprintf(&b, "opsdeck_check_state{host=%s,check=%s} %d\n", quoteLabel(h.Name), quoteLabel(f.Check), exitFor(f.State))
		}
	}
	help("opsdeck_acknowledged", "gauge", "1 when somebody acknowledged the failing check (its state above is unchanged).")
	for _, h := range rep.Hosts {
		for _, f := range h.Findings {
			if f.State != fleet.OK {
				fmt.Fprintf(&b, "opsdeck_acknowledged{host=%s,check=%s} %d\n", quoteLabel(h.Name), quoteLabel(f.Check), b2i(f.Acknowledged != ""))
			}
		}
	}
	help("opsdeck_silenced", "gauge", "1 when a silence covers the failing check (its state above is unchanged).")
	for _, h := range rep.Hosts {
		for _, f := range h.Findings {
			if f.State != fleet.OK {
				fmt.Fprintf(&b, "opsdeck_silenced{host=%s,check=%s} %d\n", quoteLabel(h.Name), quoteLabel(f.Check), b2i(f.Silenced != ""))
			}
		}
	}
	helps := map[string]string{
		"opsdeck_cpu_percent":        "CPU busy, percent.",
		"opsdeck_memory_percent":     "Memory in use (total less available), percent.",
		"opsdeck_load1_per_core":     "1-minute load average per core.",
		"opsdeck_disk_used_percent":  "Filesystem space in use, percent.",
		"opsdeck_backup_age_seconds": "Age of the newest backup artefact, seconds.",
	}
	byMetric := map[string][]point{}
	for _, p := range points {
		byMetric[p.Metric] = append(byMetric[p.Metric], p)
	}
	names := make([]string, 0, len(byMetric))
	for n := range byMetric {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		help(n, "gauge", helps[n])
		for _, p := range byMetric[n] {
			labels := "host=" + quoteLabel(p.Host)
			if p.Label != "" {
				labels += "," + p.Label + "=" + quoteLabel(p.LabelValue)
			}
			fmt.Fprintf(&b, "%s{%s} %s\n", n, labels, strconv.FormatFloat(p.Value, 'g', -1, 64))
		}
	}
	help("opsdeck_check_timestamp_seconds", "gauge", "When these results were judged, Unix time.")
	fmt.Fprintf(&b, "opsdeck_check_timestamp_seconds %d\n", at.Unix())
	return b.String()
}

// quoteLabel is a Prometheus label value: quoted, with \, " and newline
// escaped.
func quoteLabel(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
